import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DatasetSpec } from "../data/index.js";
import { DATASET_KINDS, openDataset } from "../data/index.js";
import { InputError } from "../errors.js";
import type { PresetOverrides } from "../experiment/presets.js";
import { PRESETS, SCALES, applyOverrides, presetSpec } from "../experiment/presets.js";
import { planRuns } from "../experiment/plan.js";
import type { ExperimentSpec } from "../experiment/spec.js";
import { parseSpec, readSpecFile } from "../experiment/spec.js";
import { MODEL_NAMES } from "../models/index.js";
import { createModelForDataset } from "../train/model.js";
import { LocalPoolExecutor, RunInterruptedError } from "../runner/executor.js";
import { ProgressBar } from "../runner/progress.js";
import { RunStore } from "../store/run-store.js";
import { checkDevice, tidy } from "../torch/index.js";
import { choiceOption, helpText, intOption, parseArgs } from "./args.js";
import type { Command } from "./command.js";

const options = {
  replicates: { type: "string", valueName: "N", description: "replicates per model × variant" },
  epochs: { type: "string", valueName: "E", description: "training epochs" },
  scale: { type: "string", valueName: "SCALE", description: `preset scale: ${SCALES.join(", ")} (default quick)` },
  dataset: { type: "string", valueName: "KIND[:DIR]", description: "fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, cifar100:DIR or image-folder:DIR (synthetic data: use a spec file)" },
  "train-subset": { type: "string", valueName: "N", description: "class-stratified subset of the training set" },
  "test-subset": { type: "string", valueName: "N", description: "class-stratified subset of the test set" },
  device: { type: "string", valueName: "DEVICE", description: "cpu, cuda or cuda:N (default: the spec's, cpu)" },
  store: { type: "string", valueName: "DIR", description: "store directory (default ./runs)" },
  processes: { type: "string", valueName: "P", description: "worker processes (default: keep every core busy)" },
  threads: { type: "string", valueName: "T", description: "intra-op threads per worker" },
} as const;

const usage = "noiselab run <spec.yaml|preset> [options]";
const summary = [
  "Trains every model × variant × replicate of an experiment, one run per worker process, and stores the",
  "results. Completed runs are skipped, failed or interrupted ones are redone: run again to resume.",
  "",
  "presets:",
  ...Object.entries(PRESETS).map(([name, p]) => `  ${name.padEnd(12)} ${p.description}`),
  "",
  `models: ${MODEL_NAMES.join(", ")}`,
].join("\n");

function datasetOverride(value: string | undefined, trainSubset?: number, testSubset?: number): DatasetSpec | undefined {
  if (value === undefined) return undefined;
  const [kind, ...rest] = value.split(":");
  const dir = rest.join(":") || undefined;
  if (!(DATASET_KINDS as readonly string[]).includes(kind) || kind === "synthetic" || kind === "image-folder" && dir === undefined) {
    throw new InputError(`--dataset must be KIND or KIND:DIR with KIND one of ${DATASET_KINDS.filter((k) => k !== "synthetic").join(", ")} (synthetic data: use a spec file), got "${value}"`);
  }
  return { kind, dir, trainSubset, testSubset } as DatasetSpec;
}

/** The spec to run: a preset or a file, with the command line's overrides, validated as a whole. */
export function resolveSpec(target: string, overrides: PresetOverrides & { trainSubset?: number; testSubset?: number }): ExperimentSpec {
  const spec = target in PRESETS && !existsSync(target) ? presetSpec(target, overrides) : applyOverrides(readSpecFile(target), overrides);
  if (overrides.trainSubset !== undefined || overrides.testSubset !== undefined) {
    spec.dataset = { ...spec.dataset, trainSubset: overrides.trainSubset ?? spec.dataset.trainSubset, testSubset: overrides.testSubset ?? spec.dataset.testSubset };
  }
  return parseSpec(JSON.parse(JSON.stringify(spec)), target);
}

/** Fails fast, before any worker starts, on data files and model options that every run would trip over. */
function checkRunnable(spec: ExperimentSpec): void {
  try {
    checkDevice(spec.training.device);
  } catch (err) {
    throw new InputError(`training.device: ${(err as Error).message}`);
  }
  const splits = openDataset(spec.dataset);
  for (const model of spec.models) {
    try {
      tidy(() => createModelForDataset(model, splits.train).dispose());
    } catch (err) {
      throw new InputError(`model "${model.label}": ${(err as Error).message}`);
    }
  }
}

export const runCommand: Command = {
  async run(argv) {
    const args = parseArgs(argv, options);
    if (args.help) {
      console.log(helpText(usage, summary, options));
      return 0;
    }
    if (args.positionals.length !== 1) throw new InputError(`expected one spec file or preset name (${Object.keys(PRESETS).join(", ")})`);
    const o = args.options;
    const trainSubset = o["train-subset"] === undefined ? undefined : intOption(o["train-subset"], "train-subset", 0, 1);
    const testSubset = o["test-subset"] === undefined ? undefined : intOption(o["test-subset"], "test-subset", 0, 1);
    const spec = resolveSpec(args.positionals[0], {
      scale: choiceOption(o.scale, "scale", SCALES, "quick"),
      replicates: o.replicates === undefined ? undefined : intOption(o.replicates, "replicates", 0, 1),
      epochs: o.epochs === undefined ? undefined : intOption(o.epochs, "epochs", 0, 1),
      dataset: datasetOverride(o.dataset, trainSubset, testSubset),
      device: o.device,
      trainSubset,
      testSubset,
    });
    checkRunnable(spec);
    const runs = planRuns(spec);
    const store = RunStore.open(o.store ?? "runs");
    try {
      store.defineExperiment(spec.name, spec);
      const bar = new ProgressBar();
      const executor = new LocalPoolExecutor({
        workerScript: fileURLToPath(new URL("../train/worker.js", import.meta.url)),
        processes: o.processes === undefined ? undefined : intOption(o.processes, "processes", 0, 1),
        threadsPerProcess: o.threads === undefined ? undefined : intOption(o.threads, "threads", 0, 1),
        onProgress: bar.update,
      });
      console.error(`noiselab run: experiment "${spec.name}", ${runs.length} runs (${spec.models.length} model(s) × ${spec.variants.length} variant(s) × ${spec.replicates} replicate(s)), store ${o.store ?? "runs"}`);
      let result;
      try {
        result = await executor.run(runs, store);
      } catch (err) {
        bar.finish();
        if (err instanceof RunInterruptedError) {
          console.error(`noiselab run: ${err.message}; run the same command again to resume`);
          return err.exitCode;
        }
        throw err;
      }
      bar.finish();
      console.error(`noiselab run: ${result.done} trained, ${result.skipped} already done, ${result.failed} failed`);
      for (const f of result.failures) console.error(`  failed ${f.label}: ${f.error.split("\n").at(-1)}`);
      return result.failed > 0 ? 1 : 0;
    } finally {
      store.close();
    }
  },
};
