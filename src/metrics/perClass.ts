import type { ReplicateSet } from "./replicates.js";
import { mean, std } from "./stats.js";

/**
 * Accuracy of each class (the recall of the class: correct predictions among
 * the examples labelled with it) for each replicate, as a numClasses × N
 * matrix in row-major order. Classes without examples get NaN.
 */
export function perClassAccuracy(set: ReplicateSet): Float64Array {
  const { labels, predictions, numClasses } = set;
  const count = predictions.length;
  const support = new Int32Array(numClasses);
  for (let x = 0; x < labels.length; x++) support[labels[x]]++;
  const out = new Float64Array(numClasses * count);
  predictions.forEach((p, r) => {
    const correct = new Int32Array(numClasses);
    for (let x = 0; x < labels.length; x++) if (p[x] === labels[x]) correct[labels[x]]++;
    for (let c = 0; c < numClasses; c++) out[c * count + r] = support[c] > 0 ? correct[c] / support[c] : NaN;
  });
  return out;
}

export interface ClassStability {
  class: number;
  count: number;
  /** This class's accuracy in each replicate. */
  perReplicate: number[];
  mean: number;
  /** Sample std (ddof=1) across replicates of this class's accuracy. */
  std: number;
}

export interface PerClassReport {
  classes: ClassStability[];
  /** The largest per-class std, over classes that have examples. */
  maxStd: number;
  maxStdClass: number;
  meanStd: number;
  /** maxStd divided by the std of overall top-1 accuracy (the paper's "up to 4× / 23×"); null when that std is 0. */
  maxStdRatio: number | null;
}

export function perClassReport(set: ReplicateSet, overallStd: number): PerClassReport {
  const count = set.predictions.length;
  const matrix = perClassAccuracy(set);
  const support = new Int32Array(set.numClasses);
  for (let x = 0; x < set.labels.length; x++) support[set.labels[x]]++;
  const classes: ClassStability[] = [];
  for (let c = 0; c < set.numClasses; c++) {
    if (support[c] === 0) continue;
    const row = matrix.subarray(c * count, (c + 1) * count);
    classes.push({ class: c, count: support[c], perReplicate: Array.from(row), mean: mean(row), std: std(row, 1) });
  }
  let maxClass = classes[0];
  for (const c of classes) if (c.std > maxClass.std) maxClass = c;
  return {
    classes,
    maxStd: maxClass.std,
    maxStdClass: maxClass.class,
    meanStd: mean(classes.map((c) => c.std)),
    maxStdRatio: overallStd > 0 ? maxClass.std / overallStd : null,
  };
}
