/**
 * Do two variants (say ALGO vs IMPL noise) differ in how unstable they are?
 *
 * - Accuracy variance: the Brown–Forsythe test (Levene's test on absolute
 *   deviations from the group median; robust to non-normal accuracies), and
 *   its permutation version, which needs no F-distribution assumption and is
 *   exact up to Monte-Carlo error with only ~10 replicates per variant.
 * - Churn: a permutation test on the difference of mean pairwise churn,
 *   permuting the pooled pair churns between variants. Pairs that share a
 *   replicate are not independent, so read its p-value as approximate.
 *
 * Permutation p-values are (1 + #{|T*| ≥ |T|}) / (1 + B), two-sided, which is
 * never 0 and is valid for any number of resamples B.
 */
import { top1Accuracy } from "./accuracy.js";
import { pairwiseChurn } from "./churn.js";
import type { ReplicateSet } from "./replicates.js";
import { fSurvival, mean, median, std } from "./stats.js";
import { Rng } from "../random.js";

export interface TestResult {
  statistic: number;
  pValue: number;
}

export interface BrownForsytheResult extends TestResult {
  df1: number;
  df2: number;
}

function absoluteDeviationsFromMedian(xs: ArrayLike<number>): Float64Array {
  const m = median(xs);
  return Float64Array.from(xs, (x) => Math.abs(x - m));
}

/**
 * Brown–Forsythe test for equal variances across groups:
 * F = (N−k)/(k−1) · Σ n_i (z̄_i − z̄)² / Σ_i Σ_j (z_ij − z̄_i)², z_ij = |y_ij − median_i|,
 * with p = P(F(k−1, N−k) > F). Each group needs at least 2 values. The
 * statistic and p are NaN (undefined) when every group has 2 values, or the
 * deviations are constant within every group but differ between groups: use
 * at least 3 values per group.
 */
export function brownForsythe(groups: ArrayLike<number>[]): BrownForsytheResult {
  const k = groups.length;
  const z = groups.map(absoluteDeviationsFromMedian);
  const total = z.reduce((s, g) => s + g.length, 0);
  const grand = z.reduce((s, g) => s + g.reduce((a, b) => a + b, 0), 0) / total;
  let between = 0;
  let within = 0;
  for (const g of z) {
    const m = mean(g);
    between += g.length * (m - grand) ** 2;
    for (const v of g) within += (v - m) ** 2;
  }
  const df1 = k - 1;
  const df2 = total - k;
  // With 2 values a group's two deviations are equal (both lie equally far
  // from their median), so with 2 values per group, or constant deviations
  // that differ between groups, F has no denominator: undefined. (Computed,
  // such a `within` is rounding residue, not exactly 0.)
  if (z.every((g) => g.length <= 2) || (within === 0 && between > 0)) return { statistic: NaN, df1, df2, pValue: NaN };
  // Equal, constant groups have no spread at all: no evidence of a difference.
  const statistic = within > 0 ? (df2 / df1) * (between / within) : 0;
  return { statistic, df1, df2, pValue: fSurvival(statistic, df1, df2) };
}

function permutationPValue(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  statistic: (x: Float64Array, y: Float64Array) => number,
  resamples: number,
  rng: Rng,
): TestResult {
  const pooled = Float64Array.from([...Array.from(a), ...Array.from(b)]);
  const observed = statistic(pooled.subarray(0, a.length), pooled.subarray(a.length));
  let extreme = 0;
  const work = Float64Array.from(pooled);
  for (let r = 0; r < resamples; r++) {
    // Fisher–Yates shuffle of the pooled values.
    for (let i = work.length - 1; i > 0; i--) {
      const j = rng.nextBelow(i + 1);
      const t = work[i];
      work[i] = work[j];
      work[j] = t;
    }
    const s = statistic(work.subarray(0, a.length), work.subarray(a.length));
    // A relative tolerance so that permutations that only reorder equal
    // values, and so reproduce the observed statistic, count as extreme.
    if (Math.abs(s) >= Math.abs(observed) * (1 - 1e-12)) extreme++;
  }
  return { statistic: observed, pValue: (1 + extreme) / (1 + resamples) };
}

/**
 * Permutation test for a difference in variance: each sample is centred on
 * its median (so a shift in mean accuracy is not mistaken for a change in
 * spread), then the statistic var(a) − var(b) (ddof=1) is compared with its
 * distribution under random relabelling of the pooled centred values.
 */
export function variancePermutationTest(a: ArrayLike<number>, b: ArrayLike<number>, resamples: number, rng: Rng): TestResult {
  const ma = median(a);
  const mb = median(b);
  const ca = Float64Array.from(a, (x) => x - ma);
  const cb = Float64Array.from(b, (x) => x - mb);
  return permutationPValue(ca, cb, (x, y) => std(x, 1) ** 2 - std(y, 1) ** 2, resamples, rng);
}

/** Permutation test for a difference in mean churn, over the two variants' pair churns. */
export function churnPermutationTest(pairsA: ArrayLike<number>, pairsB: ArrayLike<number>, resamples: number, rng: Rng): TestResult {
  return permutationPValue(pairsA, pairsB, (x, y) => mean(x) - mean(y), resamples, rng);
}

export interface VariantComparison {
  accuracyStd: { a: number; b: number };
  /** Brown–Forsythe on top-1 accuracies; `statistic` is F. */
  accuracyVarianceBrownForsythe: BrownForsytheResult;
  /** Permutation test; `statistic` is var(a) − var(b) of median-centred accuracies. */
  accuracyVariancePermutation: TestResult;
  churnMean: { a: number; b: number };
  /** Permutation test over pairs; `statistic` is mean churn(a) − mean churn(b). */
  churnPermutation: TestResult;
}

/** Compares two replicate sets evaluated on the same test examples. */
export function compareVariants(a: ReplicateSet, b: ReplicateSet, options: { resamples?: number; seed?: number } = {}): VariantComparison {
  const resamples = options.resamples ?? 10000;
  const rng = new Rng(options.seed ?? 0);
  const accA = a.predictions.map((p) => top1Accuracy(p, a.labels));
  const accB = b.predictions.map((p) => top1Accuracy(p, b.labels));
  const churnA = pairwiseChurn(a.predictions);
  const churnB = pairwiseChurn(b.predictions);
  return {
    accuracyStd: { a: std(accA, 1), b: std(accB, 1) },
    accuracyVarianceBrownForsythe: brownForsythe([accA, accB]),
    accuracyVariancePermutation: variancePermutationTest(accA, accB, resamples, rng),
    churnMean: { a: mean(churnA), b: mean(churnB) },
    churnPermutation: churnPermutationTest(churnA, churnB, resamples, rng),
  };
}
