// What a finished (or partly finished) experiment hands to the report: for
// each model × variant, its replicates' predictions, weights and metadata.
import type { Fingerprint } from "../environment/fingerprint.js";
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
  /** The machine and libraries of the run (its fingerprint.json); undefined where the worker wrote none. */
  fingerprint?: Fingerprint;
  /** `fingerprint.toolchain`, or "unknown" without a fingerprint. */
  toolchain: string;
}

export interface FailedRun {
  key: string;
  label: string;
  error: string;
}

/**
 * The replicates of one model under one variant in one environment, on one toolchain: runs of
 * the same config made on two machines (or libtorch versions) are never replicates of each other.
 */
export interface VariantGroup {
  /** The model's label in the spec (e.g. "smallcnn" or "smallcnn-nobn"). */
  model: string;
  variant: string;
  /**
   * The environment's name in the spec; when its runs were made on several toolchains, the runs
   * of the first replicate's toolchain keep the name and the others are groups of their own
   * named `NAME@` and their toolchain's first 8 hex digits.
   */
  environment: string;
  /** The toolchain all of the group's runs share ("unknown" for runs without a fingerprint). */
  toolchain: string;
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
