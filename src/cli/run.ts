import { existsSync } from "node:fs";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify as toYaml } from "yaml";
import type { DatasetSpec } from "../data/index.js";
import { DATASET_KINDS, openDataset } from "../data/index.js";
import { InputError } from "../errors.js";
import type { PresetOverrides } from "../experiment/presets.js";
import { PRESETS, SCALES, applyOverrides, presetSpec } from "../experiment/presets.js";
import type { PlannedRun } from "../experiment/plan.js";
import { planRuns } from "../experiment/plan.js";
import type { ExperimentSpec } from "../experiment/spec.js";
import { MAX_REPLICATES, parseSpec, readSpecFile } from "../experiment/spec.js";
import { MODEL_NAMES } from "../models/names.js";
import { ALLOCATOR_HELP, parseAllocator } from "../environment/allocator.js";
import type { Executor } from "../runner/executor.js";
import { LocalPoolExecutor, RunInterruptedError } from "../runner/executor.js";
import { connectChecked, parseRedisUrl, REDIS_URL_ENV } from "../queue/connection.js";
import type { SbatchOptions } from "../slurm/batch.js";
import { collectSlurm, SlurmExecutor } from "../slurm/executor.js";
import { ProgressBar } from "../runner/progress.js";
import { ExperimentConflictError, RunStore } from "../store/run-store.js";
import { choiceOption, helpText, intOption, parseArgs } from "./args.js";
import type { Command } from "./command.js";
import { nearest } from "./suggest.js";

/** Most worker processes, and threads per worker, that `run` accepts. */
const MAX_PROCESSES = 1024;

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
  name: { type: "string", valueName: "NAME", description: "experiment name in the store (default: the spec's); a new name keeps a changed spec apart" },
  "dry-run": { type: "boolean", description: "print the resolved spec and the planned runs, then stop; writes nothing" },
  "print-spec": { type: "boolean", description: "print the resolved spec as YAML (save, edit and run it as a spec file), then stop" },
  allocator: { type: "string", valueName: "NAME", description: ALLOCATOR_HELP },
  queue: { type: "string", valueName: "URL", description: `run on the machines of \`noiselab worker\`: redis://[user:password@]HOST:PORT[/DB], or "env" for $${REDIS_URL_ENV} (docs/cluster.md)` },
  slurm: { type: "boolean", description: "run as a Slurm job array; the store must be on a file system the nodes share (docs/cluster.md)" },
  detach: { type: "boolean", description: "with --queue or --slurm: submit and return; a later run (or report, for Slurm) collects the results" },
  partition: { type: "string", valueName: "P", description: "with --slurm: the partition" },
  gres: { type: "string", valueName: "GRES", description: "with --slurm: generic resources per task, e.g. gpu:1" },
  time: { type: "string", valueName: "T", description: "with --slurm: time limit per task, e.g. 1:00:00" },
  "array-parallel": { type: "string", valueName: "N", description: "with --slurm: at most N tasks at once" },
  "sbatch-arg": { type: "list", valueName: "ARG", description: "with --slurm: more #SBATCH arguments, e.g. --sbatch-arg=--mem=8G (repeatable)" },
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

const SLURM_OPTIONS = ["partition", "gres", "time", "array-parallel", "sbatch-arg"] as const;

/** The sbatch settings of `--slurm`; each task gets `--threads` CPUs (default 1). */
function slurmOptions(o: { partition?: string; gres?: string; time?: string; "array-parallel"?: string; "sbatch-arg"?: string[] }, threads: number | undefined): SbatchOptions {
  for (const name of ["partition", "gres", "time"] as const) {
    const value = o[name];
    if (value !== undefined && !/^[\w:.,=+-]+$/.test(value)) throw new InputError(`--${name}: "${value}" is not a Slurm value`);
  }
  for (const arg of o["sbatch-arg"] ?? []) if (/[\n\r]/.test(arg) || !arg.startsWith("-")) throw new InputError(`--sbatch-arg: "${arg}" is not one sbatch option (like --mem=8G)`);
  return {
    partition: o.partition,
    gres: o.gres,
    time: o.time,
    arrayParallel: o["array-parallel"] === undefined ? undefined : intOption(o["array-parallel"], "array-parallel", 0, 1),
    cpusPerTask: threads ?? 1,
    extra: o["sbatch-arg"] ?? [],
  };
}

/** The spec to run: a preset or a file, with the command line's overrides, validated as a whole. */
export function resolveSpec(target: string, overrides: PresetOverrides & { trainSubset?: number; testSubset?: number; name?: string }): ExperimentSpec {
  const isPreset = Object.hasOwn(PRESETS, target) && !existsSync(target);
  if (!isPreset && !existsSync(target) && !/[/\\]/.test(target) && extname(target) === "") {
    const guess = nearest(target, Object.keys(PRESETS));
    throw new InputError(`unknown preset "${target}"${guess ? ` (did you mean ${guess}?)` : ""}; presets: ${Object.keys(PRESETS).join(", ")}; or give a spec file`);
  }
  const spec = isPreset ? presetSpec(target, overrides) : applyOverrides(readSpecFile(target), overrides);
  if (overrides.trainSubset !== undefined || overrides.testSubset !== undefined) {
    spec.dataset = { ...spec.dataset, trainSubset: overrides.trainSubset ?? spec.dataset.trainSubset, testSubset: overrides.testSubset ?? spec.dataset.testSubset };
  }
  if (overrides.name !== undefined) spec.name = overrides.name;
  return parseSpec(JSON.parse(JSON.stringify(spec)), overrides.name === undefined ? target : `${target} --name`);
}

/** The spec as a YAML file a user can save, edit and give back to `noiselab run`. */
export function specYaml(spec: ExperimentSpec): string {
  return `# noiselab experiment spec (docs/experiments.md); run it with: noiselab run FILE\n${toYaml(spec, { aliasDuplicateObjects: false })}`;
}

function planText(spec: ExperimentSpec, runs: readonly PlannedRun[]): string {
  const width = Math.max(...runs.map((r) => r.label.length));
  return [
    "spec (resolved):",
    ...toYaml(spec, { aliasDuplicateObjects: false }).trimEnd().split("\n").map((line) => `  ${line}`),
    `runs (${runs.length}: ${spec.models.length} model(s) × ${spec.variants.length} variant(s) × ${spec.replicates} replicate(s)):`,
    ...runs.map((r) => `  ${r.label.padEnd(width)}  ${r.key}`),
  ].join("\n");
}

/**
 * Fails fast, before any worker starts, on data files and model options that every run would trip over.
 * The engine is loaded here, so that --print-spec, --dry-run and argument errors never wait for it.
 */
async function checkRunnable(spec: ExperimentSpec, remote: boolean): Promise<void> {
  const { checkDevice, tidy } = await import("../torch/index.js");
  const { createModelForDataset } = await import("../train/model.js");
  try {
    // Runs that go to other machines need the device there, not here.
    if (!remote) checkDevice(spec.training.device);
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
    // Every argument is checked before anything is written.
    const processes = o.processes === undefined ? undefined : intOption(o.processes, "processes", 0, 1, MAX_PROCESSES);
    const threadsPerProcess = o.threads === undefined ? undefined : intOption(o.threads, "threads", 0, 1, MAX_PROCESSES);
    const allocator = parseAllocator(o.allocator);
    const queueTarget = o.queue === undefined ? undefined : parseRedisUrl(o.queue);
    const sbatch = o.slurm ? slurmOptions(o, threadsPerProcess) : undefined;
    if (queueTarget && sbatch) throw new InputError("--queue and --slurm exclude each other");
    const slurmOnly = SLURM_OPTIONS.find((name) => o[name] !== undefined);
    if (!sbatch && slurmOnly) throw new InputError(`--${slurmOnly} needs --slurm`);
    if (o.detach && !queueTarget && !sbatch) throw new InputError("--detach needs --queue or --slurm");
    if (processes !== undefined && (queueTarget || sbatch)) {
      throw new InputError("--processes is for the local pool; with --queue start more workers (noiselab worker --concurrency K), with --slurm use --array-parallel");
    }
    const trainSubset = o["train-subset"] === undefined ? undefined : intOption(o["train-subset"], "train-subset", 0, 1);
    const testSubset = o["test-subset"] === undefined ? undefined : intOption(o["test-subset"], "test-subset", 0, 1);
    const spec = resolveSpec(args.positionals[0], {
      scale: choiceOption(o.scale, "scale", SCALES, "quick"),
      replicates: o.replicates === undefined ? undefined : intOption(o.replicates, "replicates", 0, 1, MAX_REPLICATES),
      epochs: o.epochs === undefined ? undefined : intOption(o.epochs, "epochs", 0, 1),
      dataset: datasetOverride(o.dataset, trainSubset, testSubset),
      device: o.device,
      trainSubset,
      testSubset,
      name: o.name,
    });
    if (o["print-spec"]) {
      process.stdout.write(specYaml(spec));
      return 0;
    }
    const runs = planRuns(spec);
    if (o["dry-run"]) {
      console.log(planText(spec, runs));
      return 0;
    }
    await checkRunnable(spec, queueTarget !== undefined || sbatch !== undefined);
    // Before the store is created: an unreachable queue is bad input, and must leave nothing behind.
    if (queueTarget) (await connectChecked(queueTarget)).disconnect();
    const storeDir = o.store ?? "runs";
    const store = RunStore.open(storeDir);
    try {
      try {
        store.defineExperiment(spec.name, spec);
      } catch (err) {
        if (!(err instanceof ExperimentConflictError)) throw err;
        throw new InputError(`${err.message}; to run this spec as well, give it another name (--name ${spec.name}-2), or use another --store`);
      }
      const bar = new ProgressBar();
      const log = (line: string) => console.error(`noiselab run: ${line}`);
      let executor: Executor;
      if (queueTarget) {
        const { QueueExecutor } = await import("../queue/executor.js");
        executor = new QueueExecutor({ target: queueTarget, detach: o.detach, onProgress: bar.update, log });
      } else if (sbatch) {
        executor = new SlurmExecutor({ sbatch, detach: o.detach, onProgress: bar.update, log });
      } else {
        // Runs that Slurm tasks of an earlier `run --slurm --detach` finished are committed, not trained again.
        collectSlurm(store);
        executor = new LocalPoolExecutor({
          workerScript: fileURLToPath(new URL("../train/worker.js", import.meta.url)),
          processes,
          threadsPerProcess,
          allocator,
          onProgress: bar.update,
        });
      }
      console.error(`noiselab run: experiment "${spec.name}", ${runs.length} runs (${spec.models.length} model(s) × ${spec.variants.length} variant(s) × ${spec.replicates} replicate(s)), store ${storeDir}`);
      let result;
      try {
        result = await executor.run(runs, store);
      } catch (err) {
        bar.finish();
        if (err instanceof RunInterruptedError) {
          const kept = queueTarget ? " (the queue keeps its jobs)" : sbatch ? " (the Slurm job keeps running)" : "";
          console.error(`noiselab run: ${err.message}${kept}; run the same command again to resume`);
          return err.exitCode;
        }
        throw err;
      }
      bar.finish();
      for (const r of result.redone) console.error(`  redone ${r.label}: ${r.error}`);
      console.error(`noiselab run: ${result.done} trained, ${result.skipped} already done, ${result.failed} failed`);
      // An error's first line is its cause (docs/runner.md); the rest is the worker's stderr tail.
      for (const f of result.failures) console.error(`  failed ${f.label}: ${f.error.split("\n")[0]}`);
      if (result.left) console.error(`noiselab run: ${result.left} run(s) still ${queueTarget ? "in the queue" : "in the Slurm job"}; run the same command again${sbatch ? " or noiselab report" : ""} to collect them`);
      return result.failed > 0 ? 1 : 0;
    } finally {
      store.close();
    }
  },
};
