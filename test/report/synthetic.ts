// Synthetic experiment results for the report tests: seeded random
// predictions and weights whose spread grows with the number of free noise
// sources, so that the variants differ the way they do in real runs.
import type { ExperimentResults, FailedRun, ReplicateRun, VariantGroup } from "../../src/experiment/results.js";
import type { Attributes } from "../../src/metrics/subgroups.js";
import type { WeightReplicate } from "../../src/metrics/weights.js";
import { parseVariant } from "../../src/noise/index.js";

/** mulberry32: a tiny seeded generator, independent of the metrics library's. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Share of examples each replicate re-draws at random, per variant: more free sources, more churn. */
export const FLIP_RATE: Record<string, number> = { "ALGO+IMPL": 0.25, ALGO: 0.2, IMPL: 0.05, CONTROL: 0 };

export interface SyntheticOptions {
  model?: string;
  variants?: string[];
  replicates?: number;
  examples?: number;
  classes?: number;
  /** Give CONTROL replicate `brokenControlReplicate` a different weights hash (and weights). */
  brokenControlReplicate?: number;
  /** Per variant, how many of the planned replicates failed (taken from the end). */
  failures?: Record<string, number>;
  attributes?: boolean;
  seed?: number;
}

const hex = (rand: () => number): string => Array.from({ length: 64 }, () => Math.floor(rand() * 16).toString(16)).join("");
/** One machine made every synthetic run. */
const SYNTHETIC_TOOLCHAIN = "0".repeat(64);

/** The replicate groups of one model: every variant × replicate, CONTROL identical unless broken on purpose. */
export function syntheticGroups(options: SyntheticOptions = {}): VariantGroup[] {
  const model = options.model ?? "smallcnn";
  const variants = options.variants ?? ["ALGO+IMPL", "ALGO", "IMPL", "CONTROL"];
  const replicates = options.replicates ?? 3;
  const n = options.examples ?? 300;
  const classes = options.classes ?? 3;
  const rand = seededRandom(options.seed ?? 1);
  const randInt = (k: number): number => Math.floor(rand() * k);
  const labels = Int32Array.from({ length: n }, () => randInt(classes));
  // One "reference model" that is right 80% of the time; replicates re-draw a variant-dependent share of it.
  const reference = labels.map((y) => (rand() < 0.8 ? y : randInt(classes)));
  const referenceWeights = Float32Array.from({ length: 40 }, () => rand() * 2 - 1);
  const attributes: Attributes | undefined = options.attributes
    ? { site: Array.from({ length: n }, () => (rand() < 0.15 ? "rare" : "common")) }
    : undefined;
  const controlHash = hex(rand);

  return variants.map((variant) => {
    const noise = parseVariant(variant);
    const failedCount = options.failures?.[variant] ?? 0;
    const runs: ReplicateRun[] = [];
    const failed: FailedRun[] = [];
    const predictions: Int32Array[] = [];
    const weights: WeightReplicate[] = [];
    for (let r = 0; r < replicates; r++) {
      const label = `${variant}/${model}/r${r}`;
      const key = `${variant}-${model}-${r}`.padEnd(64, "0");
      if (r >= replicates - failedCount) {
        failed.push({ key, label, error: `loss became NaN at epoch 2, step 7\n  at train | run ${r}` });
        continue;
      }
      const broken = variant === "CONTROL" && r === options.brokenControlReplicate;
      const rate = broken ? 0.1 : (FLIP_RATE[variant] ?? 0.1);
      const p = reference.map((c) => (rand() < rate ? randInt(classes) : c));
      const w = referenceWeights.map((x) => x + (rate > 0 ? (rand() - 0.5) * rate : 0));
      const accuracy = p.reduce((s, c, x) => s + (c === labels[x] ? 1 : 0), 0) / n;
      predictions.push(p);
      weights.push({ tensors: { "conv.weight": { shape: [4, 10], data: w }, "bn.running_mean": { shape: [2], data: Float32Array.from([r, 1]) } } });
      runs.push({
        key,
        label,
        replicate: r,
        testAccuracy: accuracy,
        weightsHash: variant === "CONTROL" && !broken ? controlHash : hex(rand),
        wallSeconds: 1.5,
        curve: [1, 2, 3].map((epoch) => ({
          epoch,
          lr: 4e-4,
          trainLoss: 1 / epoch,
          trainAccuracy: 0.5 + epoch / 10,
          testAccuracy: accuracy - (3 - epoch) * 0.05,
          seconds: 0.5,
        })),
        toolchain: SYNTHETIC_TOOLCHAIN,
        metadata: {
          torchVersion: "2.5.1",
          device: "cpu",
          threads: 1,
          allocator: "tcmalloc",
          peakRssBytes: (250 + 100 * r) * 2 ** 20,
          determinism: { deterministicAlgorithms: !noise.kernels, cudnnBenchmark: noise.kernels },
          seeds: { init: noise.init ? 100 + r : 100, shuffle: noise.shuffle ? 200 + r : 200 },
        },
      });
    }
    return {
      model,
      variant,
      environment: "cpu",
      toolchain: SYNTHETIC_TOOLCHAIN,
      noise,
      replicatesPlanned: replicates,
      runs,
      failed,
      set: { labels, predictions, numClasses: classes },
      weights,
      attributes,
    };
  });
}

export function syntheticResults(options: SyntheticOptions = {}, groups = syntheticGroups(options)): ExperimentResults {
  const classes = options.classes ?? 3;
  const models = [...new Set(groups.map((g) => g.model))];
  return {
    name: "synthetic",
    spec: { name: "synthetic", models: models.map((m) => ({ name: "smallcnn", label: m, options: {} })) },
    epoch: 3,
    classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress"].slice(0, classes),
    groups,
  };
}
