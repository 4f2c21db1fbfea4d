import type { AccuracyReport } from "./accuracy.js";
import { accuracyReport } from "./accuracy.js";
import type { ChurnReport } from "./churn.js";
import { churnReport, voteStatistics } from "./churn.js";
import type { EnsembleReport } from "./ensemble.js";
import { ensembleReport } from "./ensemble.js";
import type { PerClassReport } from "./perClass.js";
import { perClassReport } from "./perClass.js";
import type { ReplicateSet, SourceNames } from "./replicates.js";
import { validateReplicateSet } from "./replicates.js";
import type { Attributes, SubgroupReport } from "./subgroups.js";
import { subgroupReport } from "./subgroups.js";
import type { WeightReplicate, WeightReport } from "./weights.js";
import { weightReport } from "./weights.js";
import { Rng } from "../random.js";

export interface AnalyzeOptions {
  /** Sensitive attributes, one value per example. */
  attributes?: Attributes;
  /** Model weights, one entry per replicate (not necessarily the same replicates as the predictions). */
  weights?: WeightReplicate[];
  /** Names of the weight sources, for error messages. */
  weightNames?: string[];
  includeBuffers?: boolean;
  /** How many of the most unstable examples to list (default 10). */
  topK?: number;
  /** Seed of the bootstrap resampling (default 0). */
  seed?: number;
  /** Bootstrap resamples per interval (default 2000). */
  resamples?: number;
  /** Names of the prediction sources, for error messages. */
  names?: SourceNames;
}

export interface AnalysisReport {
  replicates: number;
  examples: number;
  classes: number;
  /** "scores" when class scores were given (top-5 is then available), else "labels". */
  predictionKind: "labels" | "scores";
  seed: number;
  bootstrapResamples: number;
  accuracy: AccuracyReport;
  churn: ChurnReport;
  ensemble: EnsembleReport;
  perClass: PerClassReport;
  subgroups: SubgroupReport | null;
  weights: WeightReport | null;
}

/** Every stability metric of one replicate set, validated first (bad input is an InputError). */
export function analyzeReplicates(set: ReplicateSet, options: AnalyzeOptions = {}): AnalysisReport {
  validateReplicateSet(set, options.names);
  const seed = options.seed ?? 0;
  const resamples = options.resamples ?? 2000;
  const rng = new Rng(seed);
  const accuracy = accuracyReport(set, rng, resamples);
  const votes = voteStatistics(set.predictions, set.numClasses);
  return {
    replicates: set.predictions.length,
    examples: set.labels.length,
    classes: set.numClasses,
    predictionKind: set.scores !== undefined ? "scores" : "labels",
    seed,
    bootstrapResamples: resamples,
    accuracy,
    churn: churnReport(set.predictions, set.labels, votes, options.topK ?? 10, rng, resamples),
    ensemble: ensembleReport(set.predictions, set.labels, votes.majority),
    perClass: perClassReport(set, accuracy.top1.std),
    subgroups: options.attributes !== undefined ? subgroupReport(set, options.attributes) : null,
    weights:
      options.weights !== undefined
        ? weightReport(options.weights, { includeBuffers: options.includeBuffers, names: options.weightNames })
        : null,
  };
}
