/**
 * Predictive churn between replicate models.
 *
 * Definition (Milani Fard et al. 2016, as used by Zhuang et al. 2021): the
 * churn of two models is the fraction of test examples on which their top-1
 * predictions differ. Agreement is 1 − churn. (The paper's public code
 * returned agreement under the name churn; noiselab returns churn.)
 *
 * Churn compares models with each other, not with the labels: two models
 * that are wrong in different ways on an example disagree there.
 */
import type { Rng } from "../random.js";
import type { Interval } from "./stats.js";
import { bootstrapInterval, mean, std } from "./stats.js";

/** Fraction of examples where `a` and `b` differ. */
export function churn(a: Int32Array, b: Int32Array): number {
  let differ = 0;
  for (let x = 0; x < a.length; x++) if (a[x] !== b[x]) differ++;
  return differ / a.length;
}

/** Index of pair (i, j), i < j, in the order (0,1), (0,2), …, (0,N−1), (1,2), … */
export function pairIndex(i: number, j: number, count: number): number {
  return i * count - (i * (i + 1)) / 2 + (j - i - 1);
}

/** Churn of every pair i < j of replicates, in `pairIndex` order: C(N,2) values. */
export function pairwiseChurn(predictions: Int32Array[]): Float64Array {
  const count = predictions.length;
  const out = new Float64Array((count * (count - 1)) / 2);
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) out[pairIndex(i, j, count)] = churn(predictions[i], predictions[j]);
  }
  return out;
}

/** What the replicates' votes say about each example. */
export interface VoteStatistics {
  /**
   * d(x): the share of the C(N,2) replicate pairs that disagree on x.
   * With k_c replicates voting class c, the agreeing pairs number
   * Σ_c k_c(k_c−1)/2, so d(x) = 1 − Σ_c k_c(k_c−1) / (N(N−1)).
   * Its mean over examples equals the mean pairwise churn exactly, because
   * both count the same (pair, example) disagreements.
   */
  disagreement: Float64Array;
  /**
   * Majority vote per example. Ties go to the smallest class index, so that
   * the result is deterministic and matches NumPy's `argmax` over vote counts.
   */
  majority: Int32Array;
}

/**
 * Per-example disagreement and majority vote from class vote counts, in
 * O(N·n) time and O(C) extra memory: one scratch count row is filled for an
 * example and cleared again by the same predictions, never over pairs.
 */
export function voteStatistics(predictions: Int32Array[], numClasses: number): VoteStatistics {
  const count = predictions.length;
  const n = predictions[0].length;
  const votes = new Int32Array(numClasses);
  const disagreement = new Float64Array(n);
  const majority = new Int32Array(n);
  const pairs = count * (count - 1);
  for (let x = 0; x < n; x++) {
    let best = -1;
    let bestVotes = 0;
    for (let r = 0; r < count; r++) {
      const c = predictions[r][x];
      const k = ++votes[c];
      if (k > bestVotes || (k === bestVotes && c < best)) {
        bestVotes = k;
        best = c;
      }
    }
    let agreeing = 0;
    for (let r = 0; r < count; r++) {
      const c = predictions[r][x];
      const k = votes[c];
      // Each class is visited once per vote; count its pairs on the first visit only.
      if (k > 0) {
        agreeing += k * (k - 1);
        votes[c] = 0;
      }
    }
    disagreement[x] = pairs > 0 ? 1 - agreeing / pairs : 0;
    majority[x] = best;
  }
  return { disagreement, majority };
}

/** Share of examples on which not all replicates agree (d(x) > 0). */
export function ambiguity(disagreement: Float64Array): number {
  let ambiguous = 0;
  for (let x = 0; x < disagreement.length; x++) if (disagreement[x] > 0) ambiguous++;
  return ambiguous / disagreement.length;
}

/** The largest churn of one replicate against the majority vote, and which replicate. */
export function discrepancy(predictions: Int32Array[], majority: Int32Array): { value: number; replicate: number } {
  let value = -1;
  let replicate = -1;
  predictions.forEach((p, r) => {
    const c = churn(p, majority);
    if (c > value) {
      value = c;
      replicate = r;
    }
  });
  return { value, replicate };
}

/** The k examples with the largest d(x), largest first; ties by smaller index. */
export function mostUnstable(disagreement: Float64Array, k: number): number[] {
  const indices = Array.from({ length: disagreement.length }, (_, x) => x);
  indices.sort((a, b) => disagreement[b] - disagreement[a] || a - b);
  return indices.slice(0, Math.min(k, indices.length));
}

export interface UnstableExample {
  index: number;
  label: number;
  disagreement: number;
  /** Vote count per predicted class, for the classes that got votes. */
  votes: Record<string, number>;
}

export interface ChurnReport {
  pairs: number;
  /** Mean churn over the C(N,2) pairs. */
  mean: number;
  /** Sample std (ddof=1) of churn over the pairs (pairs share replicates, so they are not independent). */
  std: number;
  min: number;
  max: number;
  /** 1 − mean churn. */
  agreement: number;
  /**
   * Percentile-bootstrap 95% interval of the mean churn, resampling test
   * examples: the uncertainty from the finite test set. Cheap because the
   * mean churn is the mean of d(x).
   */
  meanCi95: Interval;
  perPair: number[];
  ambiguity: number;
  discrepancy: number;
  discrepancyReplicate: number;
  /** Counts of examples with d(x) in [0, 0.1), [0.1, 0.2), …, [0.9, 1.0]. */
  disagreementHistogram: number[];
  unstableExamples: UnstableExample[];
}

export function churnReport(
  predictions: Int32Array[],
  labels: Int32Array,
  votes: VoteStatistics,
  topK: number,
  rng: Rng,
  resamples: number,
): ChurnReport {
  const perPair = pairwiseChurn(predictions);
  const { disagreement, majority } = votes;
  const disc = discrepancy(predictions, majority);
  const histogram = new Array<number>(10).fill(0);
  for (let x = 0; x < disagreement.length; x++) histogram[Math.min(9, Math.floor(disagreement[x] * 10))]++;
  const unstableExamples = mostUnstable(disagreement, topK).map((index) => {
    const counts: Record<string, number> = {};
    for (const p of predictions) counts[p[index]] = (counts[p[index]] ?? 0) + 1;
    return { index, label: labels[index], disagreement: disagreement[index], votes: counts };
  });
  const m = mean(perPair);
  return {
    pairs: perPair.length,
    mean: m,
    std: std(perPair, 1),
    min: Math.min(...perPair),
    max: Math.max(...perPair),
    agreement: 1 - m,
    meanCi95: bootstrapInterval(disagreement, (s) => mean(s), resamples, rng),
    perPair: Array.from(perPair),
    ambiguity: ambiguity(disagreement),
    discrepancy: disc.value,
    discrepancyReplicate: disc.replicate,
    disagreementHistogram: histogram,
    unstableExamples,
  };
}
