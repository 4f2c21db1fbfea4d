// Moves a dataset onto the engine and cuts it into normalised, optionally
// augmented mini-batches, drawing every random choice from the generator of
// its noise source.
import type { Dataset } from "../data/index.js";
import { channelStats } from "../data/index.js";
import type { Generator, Tensor } from "../torch/index.js";
import { F, arange, keep, randint, randperm, rand, stack, tensor, where } from "../torch/index.js";

export interface DatasetTensors {
  /** Raw images as stored (uint8 or float32), N×C×H×W, on the CPU. */
  images: Tensor;
  /** int64 labels. */
  labels: Tensor;
  count: number;
}

export function datasetTensors(ds: Dataset): DatasetTensors {
  return {
    images: keep(tensor(ds.images, ds.shape)),
    labels: keep(tensor(ds.labels, [ds.labels.length], { dtype: "int64" })),
    count: ds.labels.length,
  };
}

/** Per-channel normalisation with the training set's statistics; uint8 data is first scaled to [0, 1]. */
export class Normalizer {
  readonly #mean: Tensor;
  readonly #std: Tensor;
  readonly #scale: number;

  constructor(train: Dataset) {
    const stats = channelStats(train);
    const c = train.shape[1];
    this.#mean = keep(tensor(stats.mean, [1, c, 1, 1]));
    this.#std = keep(tensor(stats.std.map((s) => (s > 0 ? s : 1)), [1, c, 1, 1]));
    this.#scale = train.images instanceof Uint8Array ? 1 / 255 : 1;
  }

  apply(images: Tensor): Tensor {
    return images.float().mul(this.#scale).sub(this.#mean).div(this.#std);
  }
}

/** Random crop after `padding` pixels of zero padding, then a horizontal flip with probability 1/2. */
export function augmentBatch(images: Tensor, generator: Generator, padding = 4): Tensor {
  const [n, , h, w] = images.shape;
  const padded = F.pad(images, [padding, padding, padding, padding]);
  const offsets = randint(0, 2 * padding + 1, [n, 2], { generator }).toArray();
  const crops: Tensor[] = [];
  for (let i = 0; i < n; i++) crops.push(padded.narrow(0, i, 1).narrow(2, offsets[2 * i], h).narrow(3, offsets[2 * i + 1], w));
  const cropped = stack(crops, 0).flatten(0, 1);
  const flip = rand([n, 1, 1, 1], { generator }).lt(0.5);
  return where(flip, cropped.flip([3]), cropped);
}

/**
 * Example indices of every batch of one epoch: a permutation from the shuffle
 * generator, cut into consecutive batches (the last may be smaller), and then
 * the examples inside each batch reordered by the batch-order generator. That
 * last step leaves each batch's contents unchanged and alters only the order
 * in which its gradients are summed.
 */
export function epochBatches(count: number, batchSize: number, shuffle: Generator, batchOrder: Generator): Tensor[] {
  const order = count === 1 ? arange(1) : randperm(count, { generator: shuffle });
  const batches: Tensor[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    batches.push(order.narrow(0, start, size).indexSelect(0, randperm(size, { generator: batchOrder })));
  }
  return batches;
}
