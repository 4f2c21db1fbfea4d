// Moves a dataset onto the engine (or streams it from image files) and cuts
// it into normalised, optionally augmented mini-batches, drawing every random
// choice from the generator of its noise source.
import type { AnyDataset, Dataset, DecodePool, ImageFileDataset } from "../data/index.js";
import { channelStats, isImageFileDataset, materialize, seededSubset } from "../data/index.js";
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

/**
 * A split as training reads it: labels on the engine, and the raw images
 * either in memory as one tensor or as image files streamed batch by batch.
 */
export interface SplitSource {
  count: number;
  /** int64 class labels, or for multi-label data the float32 n×K 0/1 targets. */
  labels: Tensor;
  /** [c, h, w] of every example. */
  exampleShape: number[];
  /** All raw images (N×C×H×W, as stored) when in memory; null when streamed from `files`. */
  images: Tensor | null;
  files: ImageFileDataset | null;
}

export function splitSource(ds: AnyDataset): SplitSource {
  const n = ds.labels.length;
  const labels = keep(
    ds.multiLabel
      ? tensor(Float32Array.from(ds.multiLabel.values), [n, ds.multiLabel.names.length])
      : tensor(ds.labels, [n], { dtype: "int64" }),
  );
  const common = { count: n, labels, exampleShape: ds.shape.slice(1) };
  if (isImageFileDataset(ds)) return { ...common, images: null, files: ds };
  return { ...common, images: keep(tensor(ds.images, ds.shape)), files: null };
}

/** The raw images of a pass's batches, one after the other. */
export interface BatchReader {
  /** Waits until the next batch is ready; the function returned makes its N×C×H×W tensor in the caller's scope. */
  next(): Promise<() => Tensor>;
}

function streamedBatches(source: SplitSource, files: ImageFileDataset, batches: number[][], pool: DecodePool): BatchReader {
  const stream = pool.stream(files, batches);
  let i = 0;
  return {
    next: async () => {
      const size = batches[i++].length;
      const pixels = await stream.next();
      return () => tensor(pixels, [size, ...source.exampleShape]);
    },
  };
}

/** The raw images of the training batches `batches` (example indices), in order. */
export function trainingBatches(source: SplitSource, batches: Tensor[], pool: DecodePool): BatchReader {
  if (source.files) return streamedBatches(source, source.files, batches.map((b) => b.toArray()), pool);
  const images = source.images!;
  let i = 0;
  return {
    next: () => {
      const indices = batches[i++];
      return Promise.resolve(() => images.indexSelect(0, indices));
    },
  };
}

/** The raw images of consecutive chunks of `batchSize` examples, for evaluation in dataset order. */
export function evaluationBatches(source: SplitSource, batchSize: number, pool: DecodePool): BatchReader {
  const starts = Array.from({ length: Math.ceil(source.count / batchSize) }, (_, k) => k * batchSize);
  const sizes = starts.map((start) => Math.min(batchSize, source.count - start));
  if (source.files) return streamedBatches(source, source.files, starts.map((start, k) => Array.from({ length: sizes[k] }, (_, j) => start + j)), pool);
  const images = source.images!;
  let k = 0;
  return {
    next: () => {
      const start = starts[k];
      const size = sizes[k++];
      return Promise.resolve(() => images.narrow(0, start, size));
    },
  };
}

/** Examples of an image-file training set whose pixels give the normalisation statistics. */
const STATISTICS_SAMPLE = 1000;

/**
 * The normaliser for a training set: its own statistics when in memory; for
 * image files, those of a class-stratified sample of up to 1000 examples
 * (seed 0), so that no extra pass over a large dataset is needed.
 */
export function normalizerFor(train: AnyDataset): Normalizer {
  if (!isImageFileDataset(train)) return new Normalizer(train);
  return new Normalizer(materialize(seededSubset(train, Math.min(STATISTICS_SAMPLE, train.shape[0]), 0)));
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
