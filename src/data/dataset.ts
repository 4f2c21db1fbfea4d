/**
 * The datasets the loaders return, independent of any tensor engine: in
 * memory (dense N×C×H×W images in C order plus integer labels), or, for image
 * files, the same labels with one file per example, decoded when needed.
 */
import { InputError } from "../errors.js";

/** A categorical per-example attribute: `values[codes[i]]` is example i's value. */
export interface CategoricalAttribute {
  values: string[];
  codes: Int32Array;
}

/**
 * Binary targets of a multi-label dataset (CelebA's 40 attributes): `values`
 * holds one 0/1 per example and output, n×K in C order. Models get K outputs,
 * trained with sigmoid + binary cross-entropy; the dataset's `labels` are
 * column `analysed`, the binary task that the accuracy and the report follow.
 */
export interface MultiLabel {
  names: string[];
  values: Uint8Array;
  analysed: number;
}

/** Everything a dataset has besides its pixels. */
export interface DatasetInfo {
  name: string;
  shape: [n: number, c: number, h: number, w: number];
  /** 0..numClasses-1 */
  labels: Int32Array;
  numClasses: number;
  classNames: string[];
  /** Sensitive attributes per example (e.g. "group", "Male"), for sub-group analysis. */
  attributes?: Record<string, CategoricalAttribute>;
  /** Present when training learns all of these binary targets at once. */
  multiLabel?: MultiLabel;
}

/** A dataset held in memory. */
export interface Dataset extends DatasetInfo {
  /**
   * N×C×H×W in C order: uint8 (0..255) for image files, float32 for synthetic data.
   * May be a view into a larger buffer (IDX images skip the file header): mind `byteOffset`.
   */
  images: Uint8Array | Float32Array;
}

/**
 * A dataset of image files, too large to hold decoded: example i is `files[i]`,
 * decoded and resized to `shape`'s C×H×W (uint8) when it is needed (image-files.ts).
 */
export interface ImageFileDataset extends DatasetInfo {
  files: string[];
}

export type AnyDataset = Dataset | ImageFileDataset;

export function isImageFileDataset(ds: AnyDataset): ds is ImageFileDataset {
  return "files" in ds;
}

export interface DatasetSplits<T extends AnyDataset = Dataset> {
  train: T;
  test: T;
}

/** Per-channel statistics, in [0, 1] units for uint8 data and raw units for float data. */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

export function exampleSize(ds: DatasetInfo): number {
  return ds.shape[1] * ds.shape[2] * ds.shape[3];
}

/** Number of examples of each class. */
export function classCounts(ds: DatasetInfo): number[] {
  const counts = new Array<number>(ds.numClasses).fill(0);
  for (const label of ds.labels) counts[label]++;
  return counts;
}

/** A new dataset holding copies of the examples at `indices`, in that order (for image files: their paths). */
export function subset<T extends AnyDataset>(ds: T, indices: ArrayLike<number>): T {
  const n = ds.shape[0];
  const count = indices.length;
  for (let i = 0; i < count; i++) {
    const source = indices[i];
    if (!Number.isInteger(source) || source < 0 || source >= n) {
      throw new RangeError(`subset of ${ds.name}: index ${source} is outside 0..${n - 1}`);
    }
  }
  const info: DatasetInfo = {
    name: ds.name,
    shape: [count, ds.shape[1], ds.shape[2], ds.shape[3]],
    labels: Int32Array.from(indices, (i) => ds.labels[i]),
    numClasses: ds.numClasses,
    classNames: ds.classNames,
  };
  if (ds.attributes) {
    info.attributes = {};
    for (const [key, attribute] of Object.entries(ds.attributes)) {
      info.attributes[key] = { values: attribute.values, codes: Int32Array.from(indices, (i) => attribute.codes[i]) };
    }
  }
  if (ds.multiLabel) {
    const { names, values, analysed } = ds.multiLabel;
    const k = names.length;
    const rows = new Uint8Array(count * k);
    for (let i = 0; i < count; i++) rows.set(values.subarray(indices[i] * k, (indices[i] + 1) * k), i * k);
    info.multiLabel = { names, values: rows, analysed };
  }
  if (isImageFileDataset(ds)) return { ...info, files: Array.from(indices, (i) => ds.files[i]) } as T;
  const size = exampleSize(ds);
  const images = ds.images instanceof Uint8Array ? new Uint8Array(count * size) : new Float32Array(count * size);
  for (let i = 0; i < count; i++) images.set(ds.images.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
  return { ...info, images } as T;
}

/**
 * Per-channel mean and (population) standard deviation over all examples and
 * pixels, for input normalisation. Uint8 data is scaled to [0, 1] first, the
 * usual convention for `Normalize(mean, std)` after `ToTensor()`.
 */
export function channelStats(ds: Dataset): ChannelStats {
  const [n, c, h, w] = ds.shape;
  const plane = h * w;
  const scale = ds.images instanceof Uint8Array ? 1 / 255 : 1;
  const mean: number[] = [];
  const std: number[] = [];
  for (let channel = 0; channel < c; channel++) {
    // Sums in float64 per example, then combined, to keep rounding error small on 60000×784 pixels.
    let sum = 0;
    let sumSquares = 0;
    for (let example = 0; example < n; example++) {
      const start = (example * c + channel) * plane;
      let planeSum = 0;
      let planeSquares = 0;
      for (let p = start; p < start + plane; p++) {
        const value = ds.images[p];
        planeSum += value;
        planeSquares += value * value;
      }
      sum += planeSum;
      sumSquares += planeSquares;
    }
    const count = n * plane;
    const channelMean = count > 0 ? sum / count : 0;
    const variance = count > 0 ? Math.max(0, sumSquares / count - channelMean * channelMean) : 0;
    mean.push(channelMean * scale);
    std.push(Math.sqrt(variance) * scale);
  }
  return { mean, std };
}

/** Checks labels against `numClasses`; `source` names the file they came from. */
export function checkLabels(labels: Int32Array, numClasses: number, source: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0 || labels[i] >= numClasses) {
      throw new InputError(`${source}: label ${labels[i]} of example ${i} is out of range 0..${numClasses - 1}`);
    }
  }
}
