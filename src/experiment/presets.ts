// Built-in experiments, one per table or figure of the paper. At the `full`
// scale each is the paper's Appendix B recipe for its dataset and network;
// `quick` (the README's main job, minutes on 2 cores) and `standard` run the
// same recipe, networks and augmentation, only shorter: fewer epochs (the
// first epochs of the paper's schedule), fewer examples, fewer replicates.
import { availableParallelism } from "node:os";
import type { DatasetSpec } from "../data/index.js";
import { DEFAULT_ENVIRONMENT } from "../environment/config.js";
import { InputError } from "../errors.js";
import { PAPER_VARIANTS } from "../noise/index.js";
import type { TrainingConfig } from "../train/config.js";
import type { BuiltInSpec, ExperimentSpec, ModelEntry } from "./spec.js";

export const SCALES = ["quick", "standard", "full"] as const;
export type Scale = (typeof SCALES)[number];

/** How much of the paper's training a scale runs. Fractions are of the recipe's epochs (at least 1 epoch). */
interface ScaleSettings {
  scale: Scale;
  /** Replicates as a fraction of the paper's (10; 5 on ImageNet), at least 2. */
  replicateFraction: number;
  /** Epochs: a fixed count, or "paper" for the recipe's. */
  epochs: number | "paper";
  /** Training examples (class-stratified subset); undefined: the whole set. */
  trainSubset?: number;
}

const scales: Record<Scale, ScaleSettings> = {
  quick: { scale: "quick", replicateFraction: 0.5, epochs: 3, trainSubset: 8000 },
  standard: { scale: "standard", replicateFraction: 1, epochs: 20 },
  full: { scale: "full", replicateFraction: 1, epochs: "paper" },
};

/** Where the presets expect the paper's datasets (override with --dataset KIND:DIR). */
export const PAPER_DATA_DIRS = { cifar10: "data/cifar-10-batches-bin", imagenet: "data/imagenet", celeba: "data/celeba" } as const;

/** The paper's recipes (Appendix B), each with its epoch count at the full scale. */
interface Recipe {
  epochs: number;
  training: Omit<TrainingConfig, "epochs">;
}

const base = { evalEpochs: [] as number[], labelSmoothing: 0 };

/** CIFAR-10/100, every network: 200 epochs, batch 128, Adam 4e-4 ×0.1 every 50 epochs, random crop and flip. */
const CIFAR: Recipe = {
  epochs: 200,
  training: { ...base, batchSize: 128, optimizer: { kind: "adam", lr: 4e-4, decayEpochs: [50, 100, 150], gamma: 0.1, weightDecay: 0 }, augment: true },
};

/**
 * ImageNet, ResNet-50: 90 epochs, batch 256, SGD 0.1 with momentum 0.9, one warm-up epoch then cosine
 * decay; random crop and flip. Weight decay 1e-4 is the Model Garden ResNet-50's, which the paper used.
 */
const IMAGENET: Recipe = {
  epochs: 90,
  training: { ...base, batchSize: 256, optimizer: { kind: "sgd", lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 1e-4, warmupEpochs: 1 }, augment: true },
};

/** CelebA's recipe (ResNet-18 on CelebA; also the synthetic sub-group task): 20 epochs, batch 128, Adam 1e-3 ×0.1 every 5 epochs, no augmentation. */
const CELEBA: Recipe = {
  epochs: 20,
  training: { ...base, batchSize: 128, optimizer: { kind: "adam", lr: 1e-3, decayEpochs: [5, 10, 15], gamma: 0.1, weightDecay: 0 }, augment: false },
};

function training(recipe: Recipe, s: ScaleSettings): TrainingConfig {
  return { ...structuredClone(recipe.training), epochs: s.epochs === "paper" ? recipe.epochs : Math.min(s.epochs, recipe.epochs) };
}

function replicates(paper: number, s: ScaleSettings): number {
  return Math.max(2, Math.round(paper * s.replicateFraction));
}

const cifar10 = (s: ScaleSettings): DatasetSpec => ({ kind: "cifar10", dir: PAPER_DATA_DIRS.cifar10, trainSubset: s.trainSubset });
const model = (name: string, label = name, options: Record<string, unknown> = {}): ModelEntry => ({ name, label, options });

/** The four variants of the paper for `models`, 10 replicates at the full scale. */
function paperVariants(name: string, models: ModelEntry[], s: ScaleSettings, recipe = CIFAR, dataset = cifar10(s), paperReplicates = 10): BuiltInSpec {
  return { name, dataset, models, variants: [...PAPER_VARIANTS], replicates: replicates(paperReplicates, s), seed: 0, training: training(recipe, s), environments: [{ ...DEFAULT_ENVIRONMENT }] };
}

/** Batch sizes of the data-order experiment, up to one batch holding the whole training set. */
export function dataOrderBatchSizes(trainSize: number): number[] {
  return [...[128, 512, 2048, 8192].filter((b) => b < trainSize), trainSize];
}

/** The machine a preset is for: the tooling preset's environments depend on it. */
interface PresetHost {
  /** The device of the run (cpu, cuda, cuda:N). */
  device: string;
  /** CPU cores. */
  cores: number;
}

export interface Preset {
  description: string;
  build(scale: ScaleSettings, host: PresetHost): BuiltInSpec;
}

/**
 * The tooling preset's environments, each differing from `baseline` (1
 * thread, fp32, oneDNN on) in one setting: 2 threads, all cores (where there
 * are more than 2), bf16 autocast, oneDNN off; on CUDA also TF32 and fp16
 * autocast.
 */
export function toolingEnvironments(host: PresetHost) {
  const baseline = { name: "baseline", device: host.device, threads: 1, precision: "fp32" as "fp32" | "tf32" | "bf16" | "fp16", onednn: true };
  const cuda = host.device.startsWith("cuda");
  return [
    baseline,
    { ...baseline, name: "threads-2", threads: 2 },
    ...(host.cores > 2 ? [{ ...baseline, name: `threads-${host.cores}`, threads: host.cores }] : []),
    { ...baseline, name: "bf16", precision: "bf16" as const },
    { ...baseline, name: "no-onednn", onednn: false },
    ...(cuda ? [{ ...baseline, name: "tf32", precision: "tf32" as const }, { ...baseline, name: "fp16", precision: "fp16" as const }] : []),
  ];
}

export const PRESETS: Record<string, Preset> = {
  table2: {
    description: "Table 2, SmallCNN row: accuracy ± std, churn and L2 for ALGO+IMPL, ALGO, IMPL, CONTROL (SmallCNN, CIFAR-10)",
    build: (s) => paperVariants("table2", [model("smallcnn")], s),
  },
  fig2: {
    description: "Figure 2 (a, b): std of accuracy, churn and L2 per variant (SmallCNN and ResNet-18, CIFAR-10)",
    build: (s) => paperVariants("fig2", [model("smallcnn"), model("resnet18-cifar")], s),
  },
  imagenet: {
    description: "Table 2 and Figure 2 (d): the four variants on ResNet-50 (ImageNet as class folders)",
    build: (s) => paperVariants("imagenet", [model("resnet50")], s, IMAGENET, { kind: "image-folder", dir: PAPER_DATA_DIRS.imagenet, trainSubset: s.trainSubset }, 5),
  },
  bn: {
    description: "Figure 3: SmallCNN with vs without BatchNorm under each variant (CIFAR-10)",
    build: (s) => paperVariants("bn", [model("smallcnn", "smallcnn-bn", { batchNorm: true }), model("smallcnn", "smallcnn-nobn", { batchNorm: false })], s),
  },
  "per-class": {
    description: "Figure 5: std of per-class accuracy against overall accuracy std, per variant (ResNet-18, CIFAR-10)",
    build: (s) => paperVariants("per-class", [model("resnet18-cifar")], s),
  },
  subgroups: {
    description: "Table 5 / Figure 4: sub-group accuracy, FPR and FNR std and their ratio to the overall std (SmallCNN, CelebA's recipe, synthetic binary data with an under-represented group)",
    build: (s) =>
      paperVariants(
        "subgroups",
        [model("smallcnn")],
        s,
        CELEBA,
        { kind: "synthetic", trainSize: s.trainSubset ?? 20000, testSize: 4000, numClasses: 2, imageSize: [3, 32, 32], minorityFraction: 0.1 },
      ),
  },
  "data-order": {
    description: "Figure 7 (the text's \"Figure 8\"): churn against batch size, ten SmallCNNs per batch size with only the data order free, up to one full-dataset batch (CIFAR-10)",
    build: (s) => {
      const trainSize = s.trainSubset ?? 50000;
      const models = dataOrderBatchSizes(trainSize).map((batchSize) => ({ ...model("smallcnn", `smallcnn-b${batchSize}`), training: { batchSize } }));
      return { name: "data-order", dataset: cifar10(s), models, variants: ["only:shuffle"], replicates: replicates(10, s), seed: 0, training: training(CIFAR, s), environments: [{ ...DEFAULT_ENVIRONMENT }] };
    },
  },
  tooling: {
    description:
      "Figure 6: tooling noise, the four variants with the same seeds in several environments (threads 1 vs 2 vs all cores, fp32 vs bf16, oneDNN on vs off; TF32 and fp16 on CUDA) (SmallCNN, the CIFAR-10 recipe on Fashion-MNIST)",
    build: (s, host) =>
      Object.assign(paperVariants("tooling", [model("smallcnn")], s, CIFAR, { kind: "fashion-mnist", trainSubset: s.trainSubset }, 4), { environments: toolingEnvironments(host) }),
  },
  celeba: {
    description: "Table 5: sub-group accuracy, FPR and FNR std by Male/Female × Young/Old (ResNet-18 at 128×128 on all 40 attributes, CelebA)",
    build: (s) => paperVariants("celeba", [model("resnet18")], s, CELEBA, { kind: "celeba", dir: PAPER_DATA_DIRS.celeba, trainSubset: s.trainSubset }),
  },
};

export interface PresetOverrides {
  scale?: Scale;
  /** Training examples: replaces the scale's subset (so the data-order batch sizes stop at it). */
  trainSubset?: number;
  replicates?: number;
  epochs?: number;
  dataset?: DatasetSpec;
  /** Device of every environment. */
  device?: string;
  /** Intra-op threads of every environment. */
  threads?: number;
  /** CPU cores of the machine the preset is for (default: this one's). */
  cores?: number;
}

/** The spec of a preset at a scale, with command-line overrides applied. */
export function presetSpec(name: string, overrides: PresetOverrides = {}): BuiltInSpec {
  const preset = PRESETS[name];
  if (!preset) throw new InputError(`unknown preset "${name}" (presets: ${Object.keys(PRESETS).join(", ")}; or give a spec file)`);
  const scale = scales[overrides.scale ?? "quick"];
  const host = { device: overrides.device ?? "cpu", cores: overrides.cores ?? availableParallelism() };
  return applyBuiltInOverrides(preset.build({ ...scale, trainSubset: overrides.trainSubset ?? scale.trainSubset }, host), overrides);
}

/** Command-line overrides on any spec (preset or file). A spec of commands alone takes only --replicates. */
export function applyOverrides(spec: ExperimentSpec, overrides: PresetOverrides): ExperimentSpec {
  if (spec.dataset && spec.training) return applyBuiltInOverrides(spec as BuiltInSpec, overrides);
  for (const name of ["epochs", "dataset"] as const) {
    if (overrides[name] !== undefined) throw new InputError(`--${name}: every model of this spec is a command, which sets its own ${name}; pass it in the command`);
  }
  return { ...spec, environments: overriddenEnvironments(spec, overrides), replicates: overrides.replicates ?? spec.replicates };
}

/** `--device` and `--threads` set every environment's. */
function overriddenEnvironments(spec: ExperimentSpec, overrides: PresetOverrides): ExperimentSpec["environments"] {
  return spec.environments.map((e) => ({ ...e, device: overrides.device ?? e.device, threads: overrides.threads ?? e.threads }));
}

function applyBuiltInOverrides(spec: BuiltInSpec, overrides: PresetOverrides): BuiltInSpec {
  const training = { ...spec.training };
  if (overrides.epochs !== undefined) {
    training.epochs = overrides.epochs;
    training.evalEpochs = training.evalEpochs.filter((e) => e <= overrides.epochs!);
  }
  return {
    ...spec,
    environments: overriddenEnvironments(spec, overrides),
    replicates: overrides.replicates ?? spec.replicates,
    // Another dataset keeps the spec's subset sizes unless the override sets its own.
    dataset: overrides.dataset === undefined ? spec.dataset : { ...overrides.dataset, trainSubset: overrides.dataset.trainSubset ?? spec.dataset.trainSubset, testSubset: overrides.dataset.testSubset ?? spec.dataset.testSubset },
    training,
    reportEpoch: spec.reportEpoch !== undefined && spec.reportEpoch <= training.epochs ? spec.reportEpoch : undefined,
  };
}
