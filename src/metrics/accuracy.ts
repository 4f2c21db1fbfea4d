import type { ReplicateSet } from "./replicates.js";
import type { Rng } from "../random.js";
import type { Interval } from "./stats.js";
import { bootstrapInterval, mean, std } from "./stats.js";

/** Fraction of examples whose prediction equals the label. */
export function top1Accuracy(predictions: Int32Array, labels: Int32Array): number {
  let correct = 0;
  for (let x = 0; x < labels.length; x++) if (predictions[x] === labels[x]) correct++;
  return correct / labels.length;
}

/**
 * Top-k accuracy from an n × numClasses score matrix.
 *
 * Convention: classes are ranked by a stable descending sort of the scores,
 * so a tie is won by the smaller class index (consistent with `argmax`, and
 * with NumPy's `argsort(-s, kind="stable")`). The label counts as a hit when
 * fewer than k classes rank above it: strictly higher scores, or equal
 * scores at smaller indices.
 */
export function topKAccuracy(scores: ArrayLike<number>, labels: Int32Array, numClasses: number, k: number): number {
  let correct = 0;
  for (let x = 0; x < labels.length; x++) {
    const row = x * numClasses;
    const y = labels[x];
    const sy = scores[row + y];
    let above = 0;
    for (let c = 0; c < numClasses && above < k; c++) {
      const s = scores[row + c];
      if (s > sy || (s === sy && c < y)) above++;
    }
    if (above < k) correct++;
  }
  return correct / labels.length;
}

/** A statistic measured once per replicate, summarised across replicates. */
export interface ReplicateSummary {
  perReplicate: number[];
  mean: number;
  /** Sample std (ddof=1), the paper's and NumPy-with-ddof=1 convention. */
  std: number;
  /** Population std (ddof=0), NumPy's default `np.std`. */
  stdPopulation: number;
  /** Percentile-bootstrap 95% interval of the mean, resampling replicates. */
  meanCi95: Interval;
  /** Percentile-bootstrap 95% interval of the sample std, resampling replicates. */
  stdCi95: Interval;
}

/**
 * Summarises per-replicate values. With few replicates (N≈10) the bootstrap
 * interval of the std is biased low and too narrow; it is still the honest
 * way to show how little ten runs pin the std down.
 */
export function summarizeReplicates(values: number[], rng: Rng, resamples: number): ReplicateSummary {
  return {
    perReplicate: values,
    mean: mean(values),
    std: std(values, 1),
    stdPopulation: std(values, 0),
    meanCi95: bootstrapInterval(values, (s) => mean(s), resamples, rng),
    stdCi95: bootstrapInterval(values, (s) => std(s, 1), resamples, rng),
  };
}

export interface AccuracyReport {
  top1: ReplicateSummary;
  /** Only when scores are given and there are more than 5 classes (otherwise top-5 is trivially 1). */
  top5: ReplicateSummary | null;
}

export function accuracyReport(set: ReplicateSet, rng: Rng, resamples: number): AccuracyReport {
  const top1 = set.predictions.map((p) => top1Accuracy(p, set.labels));
  const scores = set.scores;
  const top5 =
    scores !== undefined && set.numClasses > 5
      ? summarizeReplicates(
          scores.map((s) => topKAccuracy(s, set.labels, set.numClasses, 5)),
          rng,
          resamples,
        )
      : null;
  return { top1: summarizeReplicates(top1, rng, resamples), top5 };
}
