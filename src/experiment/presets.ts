// Built-in experiments reproducing the paper's tables and figures, at a
// chosen scale. `quick` fits the README's main job (minutes on 2 cores);
// `standard` is a solid laptop-scale study; `full` approaches the paper's.
import type { DatasetSpec } from "../data/index.js";
import { InputError } from "../errors.js";
import { PAPER_VARIANTS } from "../noise/index.js";
import type { ExperimentSpec, ModelEntry } from "./spec.js";
import { defaultTraining } from "./spec.js";

export const SCALES = ["quick", "standard", "full"] as const;
export type Scale = (typeof SCALES)[number];

interface ScaleSettings {
  replicates: number;
  epochs: number;
  trainSubset?: number;
  testSubset?: number;
}

const scales: Record<Scale, ScaleSettings> = {
  quick: { replicates: 5, epochs: 3, trainSubset: 8000 },
  standard: { replicates: 10, epochs: 10 },
  full: { replicates: 20, epochs: 30 },
};

const fashionMnist = (s: ScaleSettings): DatasetSpec => ({ kind: "fashion-mnist", trainSubset: s.trainSubset, testSubset: s.testSubset });
const model = (name: string, label = name, options: Record<string, unknown> = {}): ModelEntry => ({ name, label, options });

function paperVariants(name: string, models: ModelEntry[], s: ScaleSettings, dataset = fashionMnist(s)): ExperimentSpec {
  return { name, dataset, models, variants: [...PAPER_VARIANTS], replicates: s.replicates, seed: 0, training: defaultTraining(s.epochs) };
}

export interface Preset {
  description: string;
  build(scale: ScaleSettings): ExperimentSpec;
}

export const PRESETS: Record<string, Preset> = {
  table2: {
    description: "Table 2: test accuracy ± std, churn and weight L2 for ALGO+IMPL, ALGO, IMPL and CONTROL (SmallCNN, Fashion-MNIST)",
    build: (s) => paperVariants("table2", [model("smallcnn")], s),
  },
  fig2: {
    description: "Figure 2: std, churn and L2 per variant across models (SmallCNN, MediumCNN k=3, ResNet-18)",
    build: (s) => paperVariants("fig2", [model("smallcnn"), model("mediumcnn", "mediumcnn-k3", { kernelSize: 3 }), model("resnet18-cifar")], s),
  },
  bn: {
    description: "Figure 3: SmallCNN with vs without BatchNorm under each variant",
    build: (s) => paperVariants("bn", [model("smallcnn", "smallcnn-bn", { batchNorm: true }), model("smallcnn", "smallcnn-nobn", { batchNorm: false })], s),
  },
  "per-class": {
    description: "Figure 4: std of per-class accuracy under each variant (SmallCNN, Fashion-MNIST)",
    build: (s) => paperVariants("per-class", [model("smallcnn")], s),
  },
  subgroups: {
    description: "Table 5: sub-group accuracy/FPR/FNR std relative to the overall std, on synthetic data with an under-represented group",
    build: (s) =>
      paperVariants("subgroups", [model("smallcnn")], s, {
        kind: "synthetic",
        trainSize: s.trainSubset ?? 20000,
        testSize: s.testSubset ?? 5000,
        imageSize: [1, 28, 28],
        minorityFraction: 0.1,
      }),
  },
  "batch-order": {
    description: "Full-batch training where only the order of the examples varies (CONTROL vs only:batchOrder)",
    build: (s) => {
      const trainSize = Math.min(s.trainSubset ?? 2000, 2000);
      return {
        name: "batch-order",
        dataset: { kind: "fashion-mnist", trainSubset: trainSize, testSubset: s.testSubset },
        models: [model("smallcnn")],
        variants: ["CONTROL", "only:batchOrder"],
        replicates: s.replicates,
        seed: 0,
        training: { ...defaultTraining(s.epochs * 10), batchSize: trainSize, optimizer: { kind: "adam", lr: 2e-3, decayEpochs: [], gamma: 0.1, weightDecay: 0 } },
      };
    },
  },
  celeba: {
    description: "Table 5: sub-group accuracy/FPR/FNR std on CelebA (ResNet-18 at 128×128, 40 attributes; --dataset celeba:DIR)",
    build: (s) => {
      const epochs = Math.min(s.epochs, 20);
      return {
        name: "celeba",
        dataset: { kind: "celeba", dir: "data/celeba", trainSubset: s.trainSubset, testSubset: s.testSubset },
        models: [model("resnet18")],
        variants: ["ALGO+IMPL"],
        replicates: s.replicates,
        seed: 0,
        training: {
          ...defaultTraining(epochs),
          optimizer: { kind: "adam", lr: 1e-3, decayEpochs: [5, 10, 15], gamma: 0.1, weightDecay: 0 },
        },
      };
    },
  },
};

export interface PresetOverrides {
  scale?: Scale;
  replicates?: number;
  epochs?: number;
  dataset?: DatasetSpec;
  device?: string;
}

/** The spec of a preset at a scale, with command-line overrides applied. */
export function presetSpec(name: string, overrides: PresetOverrides = {}): ExperimentSpec {
  const preset = PRESETS[name];
  if (!preset) throw new InputError(`unknown preset "${name}" (presets: ${Object.keys(PRESETS).join(", ")}; or give a spec file)`);
  return applyOverrides(preset.build(scales[overrides.scale ?? "quick"]), overrides);
}

/** Command-line overrides on any spec (preset or file). */
export function applyOverrides(spec: ExperimentSpec, overrides: PresetOverrides): ExperimentSpec {
  const training = { ...spec.training };
  if (overrides.epochs !== undefined) {
    training.epochs = overrides.epochs;
    training.evalEpochs = training.evalEpochs.filter((e) => e <= overrides.epochs!);
  }
  if (overrides.device !== undefined) training.device = overrides.device;
  return {
    ...spec,
    replicates: overrides.replicates ?? spec.replicates,
    dataset: overrides.dataset ?? spec.dataset,
    training,
    reportEpoch: spec.reportEpoch !== undefined && spec.reportEpoch <= training.epochs ? spec.reportEpoch : undefined,
  };
}
