import type { DatasetSpec } from "../data/index.js";
import type { EnvironmentConfig } from "../environment/config.js";
import type { NoiseSetting, SourceSeeds } from "../noise/index.js";

export type OptimizerConfig =
  | {
      /** The paper's small-model recipe: Adam with the LR multiplied by `gamma` at each decay epoch. */
      kind: "adam";
      lr: number;
      decayEpochs: number[];
      gamma: number;
      weightDecay: number;
    }
  | {
      /** The paper's ResNet recipe: SGD with momentum, linear warm-up then cosine decay, per step. */
      kind: "sgd";
      lr: number;
      momentum: number;
      nesterov: boolean;
      weightDecay: number;
      warmupEpochs: number;
    };

export interface TrainingConfig {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  /** Random crop with 4-pixel zero padding plus horizontal flip (the `augment` noise source). */
  augment: boolean;
  /** Epochs (1-based) after which test predictions are saved; the last epoch always is. */
  evalEpochs: number[];
  labelSmoothing: number;
}

export interface ModelConfig {
  name: string;
  /** Model-specific options, e.g. { batchNorm: false } or { kernelSize: 5 }. */
  options: Record<string, unknown>;
}

/**
 * Everything that determines one training run. Its content hash is the run's
 * identity, so the environment (device, threads, precision, oneDNN) is part of
 * it; the memory allocator, which cannot change numerics, is not.
 */
export interface RunConfig {
  dataset: DatasetSpec;
  model: ModelConfig;
  training: TrainingConfig;
  environment: EnvironmentConfig;
  variant: string;
  noise: NoiseSetting;
  masterSeed: number;
  replicate: number;
  seeds: SourceSeeds;
}
