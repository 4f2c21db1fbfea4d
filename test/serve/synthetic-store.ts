/**
 * A store filled through the store's own API with runs whose artifacts are
 * made up (seeded random predictions and weights) instead of trained: large
 * stores in seconds, for the dashboard's tests and its load benchmark. The
 * files are exactly those a trained run has, so the report reads them alike.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { planRuns } from "../../src/experiment/plan.js";
import type { PlannedRun } from "../../src/experiment/plan.js";
import { parseSpec } from "../../src/experiment/spec.js";
import { writeNpy } from "../../src/io/npy.js";
import { writeSafetensors } from "../../src/io/safetensors.js";
import { Rng } from "../../src/random.js";
import type { WorkerResult } from "../../src/run-unit/unit.js";
import { RunStore } from "../../src/store/run-store.js";

export interface SyntheticExperiment {
  name: string;
  variants: string[];
  replicates: number;
  testSize: number;
  numClasses: number;
  /** Share of test examples each replicate gets right. */
  accuracy?: number;
  /** Planned runs (by index in plan order) to record as failed instead of done. */
  failures?: number[];
  /** Which planned runs (by index in plan order) to record; default all (the others stay queued). */
  recorded?: number[];
  seed?: number;
}

/** Defines the experiment in the store at `dir` and records its runs; returns the plan. */
export function writeSyntheticExperiment(dir: string, options: SyntheticExperiment): PlannedRun[] {
  const spec = parseSpec(
    {
      name: options.name,
      dataset: { kind: "synthetic", trainSize: 40, testSize: options.testSize, imageSize: [1, 8, 8], numClasses: options.numClasses },
      models: ["smallcnn"],
      variants: options.variants,
      replicates: options.replicates,
      training: { epochs: 2, batchSize: 8 },
    },
    "synthetic experiment",
  );
  const planned = planRuns(spec);
  const rng = new Rng(options.seed ?? 1);
  const labels = Int32Array.from({ length: options.testSize }, () => rng.nextBelow(options.numClasses));
  const store = RunStore.open(dir);
  try {
    store.defineExperiment(spec.name, spec);
    planned.forEach((unit, i) => {
      if (options.recorded !== undefined && !options.recorded.includes(i)) return;
      const timing = { startedAt: new Date(Date.now() - 5000), finishedAt: new Date(), wallSeconds: 5 };
      if (options.failures?.includes(i)) {
        store.recordFailure(unit, `Error: synthetic failure of ${unit.label}\n    at the synthetic store`, timing);
        return;
      }
      const staging = store.createStaging(unit.key);
      store.commitRun(unit, staging, writeRunFiles(staging, labels, options.numClasses, options.accuracy ?? 0.8, rng), timing);
    });
  } finally {
    store.close();
  }
  return planned;
}

/** The artifacts of one made-up run in `dir`; returns its result (also written to result.json). */
function writeRunFiles(dir: string, labels: Int32Array, numClasses: number, accuracy: number, rng: Rng): WorkerResult {
  const n = labels.length;
  const predictions = Int32Array.from(labels, (y) => (rng.nextFloat() < accuracy ? y : rng.nextBelow(numClasses)));
  const probabilities = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) probabilities[i * numClasses + predictions[i]] = 1;
  const correct = predictions.reduce((sum, p, i) => sum + (p === labels[i] ? 1 : 0), 0);
  const testAccuracy = correct / n;
  for (const epoch of [2]) {
    writeNpy(join(dir, `predictions-e${epoch}.npy`), { dtype: "i4", shape: [n], data: predictions });
    writeNpy(join(dir, `probabilities-e${epoch}.npy`), { dtype: "f4", shape: [n, numClasses], data: probabilities });
  }
  writeNpy(join(dir, "test-labels.npy"), { dtype: "i4", shape: [n], data: labels });
  const weight = Float32Array.from({ length: 16 }, () => rng.nextNormal());
  writeSafetensors(join(dir, "weights.safetensors"), { "fc.weight": { dtype: "F32", shape: [4, 4], data: weight } });
  const curve = [1, 2].map((epoch) => ({ epoch, lr: 0.01, trainLoss: 1 / epoch, trainAccuracy: testAccuracy, testAccuracy: epoch === 2 ? testAccuracy : testAccuracy / 2, seconds: 1 }));
  writeFileSync(join(dir, "curve.json"), JSON.stringify(curve));
  const weightsHash = Array.from(weight.slice(0, 8), (w) => (Math.abs(w * 1e6) >>> 0).toString(16).padStart(8, "0")).join("");
  const result = { metrics: { testAccuracy, weightsHash, wallSeconds: 5, epochs: 2 }, metadata: { classNames: Array.from({ length: numClasses }, (_, c) => `class ${c}`), device: "cpu" } };
  writeFileSync(join(dir, "result.json"), JSON.stringify(result));
  return result;
}
