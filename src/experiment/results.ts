// What a finished (or partly finished) experiment hands to the report: for
// each model × variant, its replicates' predictions, weights and metadata.
import type { ReplicateSet } from "../metrics/replicates.js";
import type { Attributes } from "../metrics/subgroups.js";
import type { WeightReplicate } from "../metrics/weights.js";
import type { NoiseSetting } from "../noise/index.js";
import type { EpochRecord } from "../train/train.js";

export interface ReplicateRun {
  key: string;
  label: string;
  replicate: number;
  testAccuracy: number;
  /** sha256 of the final state dict; equal hashes mean bitwise-identical weights. */
  weightsHash: string;
  wallSeconds: number;
  curve: EpochRecord[];
  metadata: Record<string, unknown>;
  /** sha256 over the fingerprint fields that can change numerics; runs with different toolchains are never replicates. */
  toolchain?: string;
  /** The run's fingerprint.json (CPU, GPU, library versions, …), as stored. */
  fingerprint?: Record<string, unknown>;
}

export interface FailedRun {
  key: string;
  label: string;
  error: string;
}

/** The replicates of one model under one variant. */
export interface VariantGroup {
  /** The model's label in the spec (e.g. "smallcnn" or "smallcnn-nobn"). */
  model: string;
  variant: string;
  /** The name of the spec's environment (tool chain) the runs trained in. */
  environment?: string;
  noise: NoiseSetting;
  /** Replicates asked for by the spec. */
  replicatesPlanned: number;
  runs: ReplicateRun[];
  failed: FailedRun[];
  /** Predictions of the completed runs at `epoch`, in replicate order. */
  set: ReplicateSet;
  /** Final weights of the completed runs, in replicate order. */
  weights: WeightReplicate[];
  attributes?: Attributes;
}

export interface ExperimentResults {
  name: string;
  /** The validated spec, as stored. */
  spec: unknown;
  /** The epoch whose predictions are analysed (selected by number, never by file-name order). */
  epoch: number;
  classNames: string[];
  groups: VariantGroup[];
}
