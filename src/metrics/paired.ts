/**
 * Paired comparison of two sets of models, model i of one side against
 * model i of the other (the same seeds trained in two environments): churn,
 * L2 distance of unit-normalised weights and accuracy difference, per pair
 * and summarised over pairs. Unlike the replicate metrics, which compare
 * every pair of replicates within one set, only matched pairs are compared.
 */
import { InputError } from "../errors.js";
import { Rng } from "../random.js";
import { top1Accuracy } from "./accuracy.js";
import { churn } from "./churn.js";
import type { Interval } from "./stats.js";
import { bootstrapInterval, mean, std } from "./stats.js";
import type { WeightReplicate } from "./weights.js";
import { weightReport } from "./weights.js";

/** One side of the comparison: its models' test predictions, and their weights when loaded. */
export interface PairedSide {
  predictions: Int32Array[];
  weights?: WeightReplicate[];
}

/** A measure over the matched pairs. */
export interface PairedSummary {
  perPair: number[];
  mean: number;
  /** Sample std (ddof=1) over pairs; NaN with one pair. */
  std: number;
  /** Percentile-bootstrap 95% interval of the mean, resampling pairs. */
  meanCi95: Interval;
}

export interface PairedReport {
  pairs: number;
  /** Share of test examples on which the two models of a pair predict differently. */
  churn: PairedSummary;
  /** |a/|a| − b/|b|| over the trainable weights, in [0, 2]; null when either side has no weights. */
  unitL2: PairedSummary | null;
  /** Top-1 accuracy of side a minus that of side b. */
  accuracyDifference: PairedSummary;
}

function summarize(values: number[], rng: Rng, resamples: number): PairedSummary {
  return { perPair: values, mean: mean(values), std: std(values, 1), meanCi95: bootstrapInterval(values, mean, resamples, rng) };
}

/**
 * Compares model i of `a` with model i of `b` for every i, on test examples
 * with `labels`. `seed` and `resamples` drive the bootstrap intervals (same
 * inputs, same intervals).
 */
export function pairedReport(a: PairedSide, b: PairedSide, labels: Int32Array, options: { seed?: number; resamples?: number; names?: [string, string] } = {}): PairedReport {
  const [nameA, nameB] = options.names ?? ["a", "b"];
  const pairs = a.predictions.length;
  if (pairs === 0) throw new InputError(`${nameA}: no models to pair`);
  if (b.predictions.length !== pairs) throw new InputError(`${nameB}: ${b.predictions.length} models, but ${nameA} has ${pairs}; pairs need one model on each side`);
  for (const [name, side] of [[nameA, a], [nameB, b]] as const) {
    side.predictions.forEach((p, i) => {
      if (p.length !== labels.length) throw new InputError(`${name}: model ${i} has ${p.length} predictions for ${labels.length} test labels`);
    });
  }
  const withWeights = a.weights !== undefined && b.weights !== undefined && a.weights.length === pairs && b.weights.length === pairs;
  const rng = new Rng(options.seed ?? 0);
  const resamples = options.resamples ?? 2000;
  const range = Array.from({ length: pairs }, (_, i) => i);
  return {
    pairs,
    churn: summarize(range.map((i) => churn(a.predictions[i], b.predictions[i])), rng, resamples),
    unitL2: withWeights
      ? summarize(range.map((i) => weightReport([a.weights![i], b.weights![i]], { names: [`${nameA} model ${i}`, `${nameB} model ${i}`] }).unitL2.mean), rng, resamples)
      : null,
    accuracyDifference: summarize(range.map((i) => top1Accuracy(a.predictions[i], labels) - top1Accuracy(b.predictions[i], labels)), rng, resamples),
  };
}
