/**
 * Distances between replicate models' weights.
 *
 * The paper's definition: flatten each model's weights into one vector,
 * normalise it to unit length, and take the L2 distance between two such
 * vectors; report the mean over all pairs. It lies in [0, 2]. (The paper's
 * public code used the raw, unnormalised weights; noiselab reports both.)
 *
 * For speed the work is one blocked pass over the replicates that sums
 * Σ(a−b)² for every pair at once, with float64 accumulation: each block of
 * every replicate is read from memory once and reused from cache by all
 * pairs, and register tiles reuse each loaded value for several pairs.
 *
 * Summing squared differences directly, instead of |a|²+|b|²−2a·b, keeps
 * tiny distances (bitwise-near replicates, e.g. from nondeterministic GPU
 * kernels) accurate instead of lost to cancellation. The unit distance then
 * follows without another pass: with u = a/|a|, v = b/|b|,
 *   |u − v|² = 2 − 2cos = (|a − b|² − (|a| − |b|)²) / (|a|·|b|).
 */
import { InputError } from "../errors.js";
import { pairIndex } from "./churn.js";
import { mean, std } from "./stats.js";

/** One tensor of one replicate. Integer and bigint tensors are widened to float64. */
export interface WeightTensor {
  shape: number[];
  data: ArrayLike<number> | BigInt64Array | BigUint64Array;
}

/** One replicate's named tensors, and optionally which of them are buffers. */
export interface WeightReplicate {
  tensors: Record<string, WeightTensor>;
  /** Names of non-trainable buffers; when absent, buffers are recognised by name (`isBufferName`). */
  buffers?: string[];
}

/**
 * Buffers by naming convention: PyTorch BatchNorm (`running_mean`,
 * `running_var`, `num_batches_tracked`), Keras (`moving_mean`,
 * `moving_variance`) and Flax (`batch_stats/…`).
 */
export function isBufferName(name: string): boolean {
  return (
    /(^|[./:])(running_mean|running_var|num_batches_tracked|moving_mean|moving_variance)(:\d+)?$/.test(name) ||
    /(^|[./])batch_stats([./]|$)/.test(name)
  );
}

/** Pairwise squared distances and squared norms of a list of equally long vectors. */
export interface DifferenceGram {
  /** Σ(a_i − a_j)² for each pair i < j, in `pairIndex` order. */
  squaredDistances: Float64Array;
  /** Σ a_i² per vector. */
  squaredNorms: Float64Array;
}

const BLOCK = 8192;

/**
 * Squared L2 distance of every pair of vectors, and squared norms, in one
 * blocked pass (see the module comment). All vectors must have equal length.
 *
 * The norms come from the same pass: a zero vector Z is appended as an extra
 * column, and |a − Z|² = |a|². Z is a fresh zero-filled buffer, which the OS
 * maps to shared zero pages, so reading it costs almost no memory traffic.
 */
export function differenceGram(vectors: ArrayLike<number>[]): DifferenceGram {
  const count = vectors.length;
  const length = count > 0 ? vectors[0].length : 0;
  const zero = count;
  const sink = count + 1; // accumulator column for padding, never read
  const width = count + 2;
  const ext = [...vectors, new Float32Array(length)];
  const acc = new Float64Array(width * width);
  // Rows go in pairs (i, i+1); a row pair needs columns i+1 … count−1 and Z.
  // An odd last row is paired with Z, whose results are never read.
  const plans: { i: number; row0: number; row1: number; columns: number[]; slots: number[] }[] = [];
  for (let i = 0; i < count; i += 2) {
    const columns: number[] = [];
    for (let j = i + 1; j < count; j++) columns.push(j);
    columns.push(zero);
    const slots = columns.slice();
    while (columns.length % 2 !== 0) {
      columns.push(zero);
      slots.push(sink);
    }
    plans.push({ i, row0: i * width, row1: Math.min(i + 1, zero) * width, columns, slots });
  }
  for (let start = 0; start < length; start += BLOCK) {
    const end = Math.min(length, start + BLOCK);
    for (const { i, row0, row1, columns: c, slots: s } of plans) {
      const a0 = ext[i];
      const a1 = ext[Math.min(i + 1, zero)];
      let t = 0;
      for (; t + 4 <= c.length; t += 4) {
        tile2x4(a0, a1, ext[c[t]], ext[c[t + 1]], ext[c[t + 2]], ext[c[t + 3]], start, end, acc, row0, row1, s[t], s[t + 1], s[t + 2], s[t + 3]);
      }
      if (t < c.length) tile2x2(a0, a1, ext[c[t]], ext[c[t + 1]], start, end, acc, row0, row1, s[t], s[t + 1]);
    }
  }
  const squaredDistances = new Float64Array((count * (count - 1)) / 2);
  const squaredNorms = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    squaredNorms[i] = acc[i * width + zero];
    for (let j = i + 1; j < count; j++) squaredDistances[pairIndex(i, j, count)] = acc[i * width + j];
  }
  return { squaredDistances, squaredNorms };
}

/**
 * Accumulates Σ(a − b)² over [start, end) for rows a0, a1 against columns
 * b0 … b3, into acc[row + slot]. A 2 × 4 register tile loads 6 values for 8
 * pair terms. (Row i+1 against column i+1 is computed and discarded: cheaper
 * than a separate kernel for the diagonal.)
 */
function tile2x4(
  a0: ArrayLike<number>, a1: ArrayLike<number>,
  b0: ArrayLike<number>, b1: ArrayLike<number>, b2: ArrayLike<number>, b3: ArrayLike<number>,
  start: number, end: number, acc: Float64Array, row0: number, row1: number,
  s0: number, s1: number, s2: number, s3: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0; // prettier-ignore
  for (let k = start; k < end; k++) {
    const x0 = a0[k];
    const x1 = a1[k];
    const y0 = b0[k];
    const y1 = b1[k];
    const y2 = b2[k];
    const y3 = b3[k];
    let d = x0 - y0;
    c00 += d * d;
    d = x0 - y1;
    c01 += d * d;
    d = x0 - y2;
    c02 += d * d;
    d = x0 - y3;
    c03 += d * d;
    d = x1 - y0;
    c10 += d * d;
    d = x1 - y1;
    c11 += d * d;
    d = x1 - y2;
    c12 += d * d;
    d = x1 - y3;
    c13 += d * d;
  }
  acc[row0 + s0] += c00;
  acc[row0 + s1] += c01;
  acc[row0 + s2] += c02;
  acc[row0 + s3] += c03;
  acc[row1 + s0] += c10;
  acc[row1 + s1] += c11;
  acc[row1 + s2] += c12;
  acc[row1 + s3] += c13;
}

/** The 2 × 2 tile for the last columns of a row pair. */
function tile2x2(
  a0: ArrayLike<number>, a1: ArrayLike<number>, b0: ArrayLike<number>, b1: ArrayLike<number>,
  start: number, end: number, acc: Float64Array, row0: number, row1: number, s0: number, s1: number,
): void {
  let c00 = 0, c01 = 0, c10 = 0, c11 = 0; // prettier-ignore
  for (let k = start; k < end; k++) {
    const x0 = a0[k];
    const x1 = a1[k];
    const y0 = b0[k];
    const y1 = b1[k];
    let d = x0 - y0;
    c00 += d * d;
    d = x0 - y1;
    c01 += d * d;
    d = x1 - y0;
    c10 += d * d;
    d = x1 - y1;
    c11 += d * d;
  }
  acc[row0 + s0] += c00;
  acc[row0 + s1] += c01;
  acc[row1 + s0] += c10;
  acc[row1 + s1] += c11;
}

/** Unit-normalised L2 distance from a squared raw distance and the two squared norms; 0-norm vectors give NaN. */
function unitDistance(squaredDistance: number, squaredNormA: number, squaredNormB: number): number {
  const na = Math.sqrt(squaredNormA);
  const nb = Math.sqrt(squaredNormB);
  if (na === 0 || nb === 0) return NaN;
  const radial = na - nb;
  return Math.sqrt(Math.max(0, (squaredDistance - radial * radial) / (na * nb)));
}

/** L2 distance between a/|a| and b/|b| (the paper's weight distance), in [0, 2]. */
export function unitWeightDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const gram = differenceGram([a, b]);
  return unitDistance(gram.squaredDistances[0], gram.squaredNorms[0], gram.squaredNorms[1]);
}

/** Plain L2 distance |a − b|. */
export function rawWeightDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return Math.sqrt(differenceGram([a, b]).squaredDistances[0]);
}

export interface DistanceSummary {
  mean: number;
  /** Sample std (ddof=1) over pairs. */
  std: number;
  perPair: number[];
}

export interface TensorDistance {
  name: string;
  shape: number[];
  size: number;
  buffer: boolean;
  /** This tensor alone, normalised to unit length per replicate. */
  unitL2: number;
  rawL2: number;
}

export interface WeightReport {
  replicates: number;
  pairs: number;
  includesBuffers: boolean;
  tensors: number;
  parameters: number;
  /** Mean over pairs of |a/|a| − b/|b||, the whole flattened model (the paper's definition). */
  unitL2: DistanceSummary;
  rawL2: DistanceSummary;
  /** Per tensor: mean over pairs. */
  perTensor: TensorDistance[];
}

function summarizePairs(values: Float64Array): DistanceSummary {
  return { mean: mean(values), std: std(values, 1), perPair: Array.from(values) };
}

function asFloatArray(data: WeightTensor["data"]): Float32Array | Float64Array {
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

/**
 * Pairwise weight distances over the replicates' tensors, trainable
 * parameters only unless `includeBuffers`. Tensors are matched by name; every
 * replicate must have the same names and shapes. `names` label replicates in
 * error messages (file names in the CLI).
 */
export function weightReport(
  replicates: WeightReplicate[],
  options: { includeBuffers?: boolean; names?: string[] } = {},
): WeightReport {
  const names = options.names ?? replicates.map((_, r) => `weights ${r}`);
  if (replicates.length < 2) {
    throw new InputError(`${names[0] ?? "weights"}: only ${replicates.length} weight replicate; distances need at least 2`);
  }
  const first = replicates[0];
  const firstNames = Object.keys(first.tensors);
  replicates.forEach((rep, r) => {
    const keys = Object.keys(rep.tensors);
    const missing = firstNames.find((k) => !(k in rep.tensors)) ?? keys.find((k) => !(k in first.tensors));
    if (missing !== undefined) throw new InputError(`${names[r]}: tensor "${missing}" is not in every replicate`);
    for (const k of firstNames) {
      const a = first.tensors[k].shape.join(",");
      const b = rep.tensors[k].shape.join(",");
      if (a !== b) throw new InputError(`${names[r]}: tensor "${k}" has shape [${b}], but ${names[0]} has [${a}]`);
    }
  });
  const bufferSet = first.buffers !== undefined ? new Set(first.buffers) : null;
  const isBuffer = (name: string): boolean => (bufferSet ? bufferSet.has(name) : isBufferName(name));
  const used = firstNames.filter((k) => options.includeBuffers === true || !isBuffer(k));
  if (used.length === 0) throw new InputError(`${names[0]}: no ${options.includeBuffers === true ? "" : "trainable "}tensors to compare`);

  const count = replicates.length;
  const pairs = (count * (count - 1)) / 2;
  const totalSquared = new Float64Array(pairs);
  const totalNorms = new Float64Array(count);
  let parameters = 0;
  const perTensor: TensorDistance[] = used.map((name) => {
    const vectors = replicates.map((rep) => asFloatArray(rep.tensors[name].data));
    const gram = differenceGram(vectors);
    const unit = new Float64Array(pairs);
    const raw = new Float64Array(pairs);
    for (let i = 0; i < count; i++) {
      totalNorms[i] += gram.squaredNorms[i];
      for (let j = i + 1; j < count; j++) {
        const p = pairIndex(i, j, count);
        totalSquared[p] += gram.squaredDistances[p];
        raw[p] = Math.sqrt(gram.squaredDistances[p]);
        unit[p] = unitDistance(gram.squaredDistances[p], gram.squaredNorms[i], gram.squaredNorms[j]);
      }
    }
    parameters += vectors[0].length;
    return { name, shape: first.tensors[name].shape, size: vectors[0].length, buffer: isBuffer(name), unitL2: mean(unit), rawL2: mean(raw) };
  });
  const unit = new Float64Array(pairs);
  const raw = new Float64Array(pairs);
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      const p = pairIndex(i, j, count);
      raw[p] = Math.sqrt(totalSquared[p]);
      unit[p] = unitDistance(totalSquared[p], totalNorms[i], totalNorms[j]);
    }
  }
  return {
    replicates: count,
    pairs,
    includesBuffers: options.includeBuffers === true,
    tensors: used.length,
    parameters,
    unitL2: summarizePairs(unit),
    rawL2: summarizePairs(raw),
    perTensor,
  };
}
