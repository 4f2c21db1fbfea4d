// `noiselab overhead` without the CLI: times each model's training step under
// every determinism configuration, optionally profiles it, and returns plain
// data for the renderers.
import { availableParallelism, cpus } from "node:os";
import { ADAPTIVE_AVG_POOL2D_BACKWARD_CUDA, deterministicAlternative, modelInfo } from "../models/index.js";
import * as torch from "../torch/index.js";
import type { DeterminismFlags } from "../torch/index.js";
import type { ConfigId, DeterminismConfig } from "./configs.js";
import { determinismConfigs } from "./configs.js";
import type { MeasurePlan, StepTimer } from "./measure.js";
import { measureInterleaved } from "./measure.js";
import type { OverheadModel } from "./models.js";
import type { OperatorComparison, ProfiledSteps } from "./operators.js";
import { compareOperators } from "./operators.js";
import { createTrainingStep } from "./step.js";
import type { TrainingStep } from "./step.js";
import type { ConfigSummary } from "./summary.js";
import { BOOTSTRAP_RESAMPLES, summariseConfigs } from "./summary.js";

export interface OverheadOptions {
  models: readonly OverheadModel[];
  device: string;
  batch: number;
  threads: number;
  plan: MeasurePlan;
  /** Also profile `plan.steps` steps per model in the default and the deterministic configuration. */
  profile: boolean;
  /** Build models with a plain mean over H×W instead of adaptive average pooling (`deterministicPooling`). */
  deterministicPooling: boolean;
  /** Progress, one line at a time. */
  log?: (line: string) => void;
}

export interface ModelOverhead {
  id: string;
  kernelSize: number | null;
  inputShape: [number, number, number];
  /**
   * "not-deterministic": libtorch raised for an op without a deterministic
   * implementation, so the deterministic configurations have no timing;
   * "error": the model could not be timed at all (`error` says why).
   */
  status: "ok" | "not-deterministic" | "error";
  error: string | null;
  /** libtorch's message for the nondeterministic op. */
  nondeterministicOp: string | null;
  /** On CUDA: the model's ops that the zoo lists as having no deterministic CUDA kernel. */
  cudaNondeterministicOps: string[];
  /** A deterministic alternative where the model has one. */
  alternative: string | null;
  configs: ConfigSummary[];
  /** Top host operators, default vs deterministic; null without --profile or without a deterministic run. */
  operators: OperatorComparison[] | null;
  /**
   * Top GPU kernels, default vs deterministic, on CUDA; null where not
   * profiled or not on CUDA, and empty where libtorch recorded no kernels
   * (a build without Kineto/CUPTI).
   */
  kernels: OperatorComparison[] | null;
}

export interface OverheadEnvironment {
  device: string;
  torchVersion: string;
  /** -1 without cuDNN. */
  cudnnVersion: number;
  hasFillUninitializedMemory: boolean;
  cpuModel: string;
  cpuCount: number;
  node: string;
  threads: number;
  batch: number;
  deterministicPooling: boolean;
  /** ISO date and time of the run. */
  date: string;
}

export interface OverheadResult {
  environment: OverheadEnvironment;
  plan: MeasurePlan & { bootstrapResamples: number };
  configs: { id: ConfigId; label: string; baseline: ConfigId | null; flags: Partial<DeterminismFlags> }[];
  models: ModelOverhead[];
}

function profileConfig(config: DeterminismConfig, training: TrainingStep, steps: number, timer: StepTimer, cuda: boolean): { operators: ProfiledSteps; kernels: ProfiledSteps } {
  torch.setDeterminism(config.flags);
  timer.synchronize();
  const { operators, kernels } = torch.profile(
    () => {
      for (let i = 0; i < steps; i++) training.run();
      timer.synchronize();
    },
    { cuda },
  );
  return { operators: { totals: operators, steps }, kernels: { totals: kernels, steps } };
}

function timeModel(model: OverheadModel, configs: DeterminismConfig[], options: OverheadOptions, timer: StepTimer): ModelOverhead {
  const info = modelInfo(model.model);
  const modelOptions = { ...model.modelOptions, ...(options.deterministicPooling ? { deterministicPooling: true } : {}) };
  const cuda = options.device.startsWith("cuda");
  const cudaOps = cuda ? info.cudaNondeterministicOps(modelOptions) : [];
  const result: ModelOverhead = {
    id: model.id,
    kernelSize: model.kernelSize,
    inputShape: model.inputShape,
    status: "ok",
    error: null,
    nondeterministicOp: null,
    cudaNondeterministicOps: cudaOps,
    alternative: cudaOps.length > 0 && info.cudaNondeterministicOps({ ...modelOptions, deterministicPooling: true }).length === 0 ? (deterministicAlternative(ADAPTIVE_AVG_POOL2D_BACKWARD_CUDA) ?? null) : null,
    configs: [],
    operators: null,
    kernels: null,
  };
  let training: TrainingStep | null = null;
  try {
    training = createTrainingStep({ model: model.model, batch: options.batch, device: options.device, inputShape: model.inputShape, modelOptions });
    const measurements = measureInterleaved(configs, options.plan, { applyFlags: torch.setDeterminism, step: training.run, timer });
    result.configs = summariseConfigs(configs, measurements);
    const refused = measurements.find((m) => m.status === "not-deterministic");
    if (refused !== undefined) {
      result.status = "not-deterministic";
      result.nondeterministicOp = refused.message;
    }
    if (options.profile && refused === undefined) {
      const byId = (id: ConfigId): DeterminismConfig => configs.find((c) => c.id === id)!;
      const defaults = profileConfig(byId("default"), training, options.plan.steps, timer, cuda);
      const deterministic = profileConfig(byId("deterministic"), training, options.plan.steps, timer, cuda);
      result.operators = compareOperators(defaults.operators, deterministic.operators);
      if (cuda) result.kernels = compareOperators(defaults.kernels, deterministic.kernels);
    }
  } catch (err) {
    result.status = "error";
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    training?.dispose();
  }
  return result;
}

/**
 * Times every model under every configuration of `determinismConfigs`. The
 * thread count and the determinism switches are restored afterwards.
 */
export function runOverhead(options: OverheadOptions): OverheadResult {
  torch.checkDevice(options.device);
  const info = torch.buildInfo();
  const configs = determinismConfigs(info.hasFillUninitializedMemory);
  const timer: StepTimer = { now: () => performance.now(), synchronize: () => torch.synchronize(options.device) };
  const savedFlags = torch.getDeterminism();
  const savedThreads = torch.getNumThreads();
  const models: ModelOverhead[] = [];
  torch.setNumThreads(options.threads);
  try {
    for (const [i, model] of options.models.entries()) {
      const { warmup, repeats, steps } = options.plan;
      options.log?.(`[${i + 1}/${options.models.length}] ${model.id}: ${configs.length} configurations, warm-up ${warmup}, ${repeats} rounds × ${steps} steps`);
      const timed = timeModel(model, configs, options, timer);
      if (timed.status !== "ok") options.log?.(`  ${timed.id}: ${timed.status}: ${timed.error ?? timed.nondeterministicOp}`);
      models.push(timed);
    }
  } finally {
    const { fillUninitializedMemory, ...rest } = savedFlags;
    torch.setDeterminism(fillUninitializedMemory === null ? rest : savedFlags);
    torch.setNumThreads(savedThreads);
  }
  return {
    environment: {
      device: options.device,
      torchVersion: info.torchVersion,
      cudnnVersion: info.cudnnVersion,
      hasFillUninitializedMemory: info.hasFillUninitializedMemory,
      cpuModel: cpus()[0]?.model ?? "unknown",
      cpuCount: availableParallelism(),
      node: process.version,
      threads: options.threads,
      batch: options.batch,
      deterministicPooling: options.deterministicPooling,
      date: new Date().toISOString(),
    },
    plan: { ...options.plan, bootstrapResamples: BOOTSTRAP_RESAMPLES },
    configs: configs.map((c) => ({ id: c.id, label: c.label, baseline: c.baseline, flags: c.flags })),
    models,
  };
}
