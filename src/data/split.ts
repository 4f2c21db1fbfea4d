/**
 * Seeded, class-stratified splits and subsets. The chosen indices depend only
 * on the labels, the requested size and the seed; they are returned in
 * ascending order so that a subset keeps the dataset's original order.
 */
import { InputError } from "../errors.js";
import { classCounts, subset } from "./dataset.js";
import type { AnyDataset, DatasetInfo, DatasetSplits } from "./dataset.js";
import { Rng } from "../random.js";
import type { Seed } from "../random.js";

/**
 * Splits `total` into integer shares proportional to `weights` that sum to
 * exactly `total` (largest-remainder method; ties go to the lower index).
 */
export function apportion(total: number, weights: number[]): number[] {
  const weightSum = weights.reduce((a, b) => a + b, 0);
  if (weightSum === 0) return weights.map(() => 0);
  const exact = weights.map((weight) => (total * weight) / weightSum);
  const shares = exact.map(Math.floor);
  let remaining = total - shares.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of byRemainder) {
    if (remaining === 0) break;
    shares[index]++;
    remaining--;
  }
  return shares;
}

/**
 * `size` example indices drawn without replacement, stratified by class:
 * each class contributes in proportion to its frequency.
 */
export function seededSubsetIndices(ds: DatasetInfo, size: number, seed: Seed): Int32Array {
  const n = ds.shape[0];
  if (!Number.isInteger(size) || size < 0 || size > n) {
    throw new InputError(`subset size for ${ds.name} must be an integer in 0..${n}, got ${size}`);
  }
  const counts = classCounts(ds);
  const quotas = apportion(size, counts);
  const members: number[][] = counts.map(() => []);
  for (let i = 0; i < n; i++) members[ds.labels[i]].push(i);
  const rng = new Rng(seed);
  const chosen = new Int32Array(size);
  let filled = 0;
  members.forEach((indices, label) => {
    rng.shuffle(indices);
    for (let k = 0; k < quotas[label]; k++) chosen[filled++] = indices[k];
  });
  return chosen.sort();
}

/** Disjoint train/test indices covering the dataset; the test part is stratified by class. */
export function seededSplitIndices(ds: DatasetInfo, testFraction: number, seed: Seed): { train: Int32Array; test: Int32Array } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new InputError(`test fraction for ${ds.name} must be in (0, 1), got ${testFraction}`);
  }
  const n = ds.shape[0];
  const test = seededSubsetIndices(ds, Math.round(n * testFraction), seed);
  const inTest = new Uint8Array(n);
  for (const index of test) inTest[index] = 1;
  const train = new Int32Array(n - test.length);
  let filled = 0;
  for (let i = 0; i < n; i++) if (!inTest[i]) train[filled++] = i;
  return { train, test };
}

export function seededSubset<T extends AnyDataset>(ds: T, size: number, seed: Seed): T {
  return subset(ds, seededSubsetIndices(ds, size, seed));
}

export function seededSplit<T extends AnyDataset>(ds: T, testFraction: number, seed: Seed): DatasetSplits<T> {
  const { train, test } = seededSplitIndices(ds, testFraction, seed);
  return { train: subset(ds, train), test: subset(ds, test) };
}
