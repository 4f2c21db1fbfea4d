import { top1Accuracy } from "./accuracy.js";
import { mean } from "./stats.js";

export interface EnsembleReport {
  /** Accuracy of the per-example majority vote (ties to the smallest class, see `voteStatistics`). */
  majorityVoteAccuracy: number;
  meanReplicateAccuracy: number;
  /** majorityVoteAccuracy − meanReplicateAccuracy: what averaging away the training noise buys. */
  gain: number;
}

export function ensembleReport(predictions: Int32Array[], labels: Int32Array, majority: Int32Array): EnsembleReport {
  const majorityVoteAccuracy = top1Accuracy(majority, labels);
  const meanReplicateAccuracy = mean(predictions.map((p) => top1Accuracy(p, labels)));
  return { majorityVoteAccuracy, meanReplicateAccuracy, gain: majorityVoteAccuracy - meanReplicateAccuracy };
}
