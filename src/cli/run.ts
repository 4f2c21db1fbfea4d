import { existsSync, statSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify as toYaml } from "yaml";
import { hashCommandFiles } from "../command/config.js";
import { RUN_TIMEOUT_ENV } from "../command/run.js";
import { splitCommandLine } from "../command/split.js";
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
import { PAPER_VARIANTS, parseVariant } from "../noise/index.js";
import { ALLOCATOR_HELP, parseAllocator } from "../environment/allocator.js";
import { MAX_THREADS } from "../environment/config.js";
import { FINGERPRINT_FILE, readFingerprint } from "../environment/fingerprint.js";
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

/** Most worker processes that `run` accepts. */
const MAX_PROCESSES = 1024;

const options = {
  replicates: { type: "string", valueName: "N", description: "replicates per model × variant" },
  epochs: { type: "string", valueName: "E", description: "training epochs" },
  scale: { type: "string", valueName: "SCALE", description: `preset scale: ${SCALES.join(", ")} (default quick)` },
  dataset: { type: "string", valueName: "KIND[:DIR]", description: "fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, cifar100:DIR or image-folder:DIR (synthetic data: use a spec file)" },
  "train-subset": { type: "string", valueName: "N", description: "class-stratified subset of the training set" },
  "test-subset": { type: "string", valueName: "N", description: "class-stratified subset of the test set" },
  device: { type: "string", valueName: "DEVICE", description: "cpu, cuda or cuda:N: the device of every environment (default: the spec's, cpu); part of each run's identity" },
  store: { type: "string", valueName: "DIR", description: "store directory (default ./runs)" },
  processes: { type: "string", valueName: "P", description: "worker processes (default: cores ÷ threads per run)" },
  threads: { type: "string", valueName: "T", description: "intra-op threads of every environment (default: the spec's, 1); part of each run's identity" },
  name: { type: "string", valueName: "NAME", description: "experiment name in the store (default: the spec's); a new name keeps a changed spec apart" },
  "dry-run": { type: "boolean", description: "print the resolved spec and the planned runs, then stop; writes nothing" },
  "print-spec": { type: "boolean", description: "print the resolved spec as YAML (save, edit and run it as a spec file), then stop" },
  allocator: { type: "string", valueName: "NAME", description: ALLOCATOR_HELP },
  command: { type: "string", valueName: "CMD", description: "run your own training script instead of a spec, e.g. \"python3 train.py --epochs 2\" (docs/command.md)" },
  variants: { type: "list", valueName: "VARIANT", description: `with --command: the variants to run (default ${PAPER_VARIANTS.join(",")}; or only:<source>,…)` },
  "run-timeout": { type: "string", valueName: "DURATION", description: "stop a command's run that takes longer, e.g. 90s, 20m, 2h (it fails; the others go on)" },
  queue: { type: "string", valueName: "URL", description: `run on the machines of \`noiselab worker\`: redis://[user:password@]HOST:PORT[/DB], or "env" for $${REDIS_URL_ENV} (docs/cluster.md)` },
  slurm: { type: "boolean", description: "run as a Slurm job array; the store must be on a file system the nodes share (docs/cluster.md)" },
  detach: { type: "boolean", description: "with --queue or --slurm: submit and return; a later run (or report, for Slurm) collects the results" },
  partition: { type: "string", valueName: "P", description: "with --slurm: the partition" },
  gres: { type: "string", valueName: "GRES", description: "with --slurm: generic resources per task, e.g. gpu:1" },
  time: { type: "string", valueName: "T", description: "with --slurm: time limit per task, e.g. 1:00:00" },
  "array-parallel": { type: "string", valueName: "N", description: "with --slurm: at most N tasks at once" },
  "sbatch-arg": { type: "list", valueName: "ARG", description: "with --slurm: more #SBATCH arguments, e.g. --sbatch-arg=--mem=8G (repeatable)" },
} as const;

const usage = "noiselab run <spec.yaml|preset> [options]\n       noiselab run --command \"python3 train.py …\" [--variants V…] [options]";
const summary = [
  "Trains every model × variant × environment × replicate of an experiment, one run per worker process, and stores the",
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

/** The sbatch settings of `--slurm`; each task gets `threads` CPUs. */
function slurmOptions(o: { partition?: string; gres?: string; time?: string; "array-parallel"?: string; "sbatch-arg"?: string[] }, threads: number): SbatchOptions {
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
    cpusPerTask: threads,
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
  if (spec.dataset && (overrides.trainSubset !== undefined || overrides.testSubset !== undefined)) {
    spec.dataset = { ...spec.dataset, trainSubset: overrides.trainSubset ?? spec.dataset.trainSubset, testSubset: overrides.testSubset ?? spec.dataset.testSubset };
  }
  if (overrides.name !== undefined) spec.name = overrides.name;
  return pinCommandFiles(parseSpec(JSON.parse(JSON.stringify(spec)), overrides.name === undefined ? target : `${target} --name`));
}

/** The experiment of `run --command`: the command is its one model, run in the current directory. */
export function commandSpec(line: string, options: { variants?: string[]; replicates?: number; name?: string }): ExperimentSpec {
  const command = splitCommandLine(line, "--command");
  const cwd = process.cwd();
  // Named after the script (train.py → "train"), or the program where no argument is a file.
  const script = command.slice(1).find((arg) => existsSync(resolve(cwd, arg)) && statSync(resolve(cwd, arg)).isFile()) ?? command[0];
  const label = basename(script, extname(script)).replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "") || "command";
  for (const variant of options.variants ?? []) {
    try {
      parseVariant(variant);
    } catch (err) {
      throw new InputError(`--variants: ${(err as Error).message}`);
    }
  }
  const spec = { name: options.name ?? label, models: [{ name: label, command, cwd }], variants: options.variants ?? [...PAPER_VARIANTS], replicates: options.replicates ?? 10, seed: 0 };
  // What is left to go wrong is the name (or a variant listed twice).
  return pinCommandFiles(parseSpec(spec, options.name === undefined ? "--command" : "--name"));
}

/** Each command entry's files, hashed now: the experiment records which script it ran, and an edited script is another experiment. */
function pinCommandFiles(spec: ExperimentSpec): ExperimentSpec {
  for (const model of spec.models) if (model.command) model.files = hashCommandFiles(model.command, resolve(model.cwd ?? "."));
  return spec;
}

/** A duration such as 90, 90s, 20m or 2h, in seconds. */
export function parseDuration(value: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value);
  const seconds = match ? Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? "s") as "s" | "m" | "h"] : 0;
  if (!(seconds > 0)) throw new InputError(`--${option} must be a duration such as 90s, 20m or 2h, got "${value}"`);
  return seconds;
}

/** The spec as a YAML file a user can save, edit and give back to `noiselab run`. */
export function specYaml(spec: ExperimentSpec): string {
  return `# noiselab experiment spec (docs/experiments.md); run it with: noiselab run FILE\n${toYaml(spec, { aliasDuplicateObjects: false })}`;
}

function shape(spec: ExperimentSpec): string {
  const environments = spec.environments.length > 1 ? ` × ${spec.environments.length} environments` : "";
  return `${spec.models.length} model(s) × ${spec.variants.length} variant(s)${environments} × ${spec.replicates} replicate(s)`;
}

function planText(spec: ExperimentSpec, runs: readonly PlannedRun[]): string {
  const width = Math.max(...runs.map((r) => r.label.length));
  return [
    "spec (resolved):",
    ...toYaml(spec, { aliasDuplicateObjects: false }).trimEnd().split("\n").map((line) => `  ${line}`),
    `runs (${runs.length}: ${shape(spec)}):`,
    ...runs.map((r) => `  ${r.label.padEnd(width)}  ${r.key}`),
  ].join("\n");
}

/**
 * The toolchains the experiment's completed runs were made with (fingerprint.json), as
 * `96da6a48 (AMD EPYC, libtorch 1.13.0): 12 runs`; runs of different toolchains are never replicates.
 */
function toolchainLines(store: RunStore, runs: readonly PlannedRun[]): string[] {
  const seen = new Map<string, { description: string; runs: Set<string> }>();
  for (const run of runs) {
    if (store.getRun(run.key)?.status !== "done") continue;
    const fingerprint = readFingerprint(store.artifactPath(run.key, FINGERPRINT_FILE));
    const id = fingerprint?.toolchain.slice(0, 8) ?? "unknown";
    const description = fingerprint ? ` (${fingerprint.cpu.model}${fingerprint.gpu ? `, ${fingerprint.gpu.name}` : ""}, libtorch ${fingerprint.versions.libtorch})` : " (no fingerprint.json)";
    const entry = seen.get(id) ?? { description, runs: new Set<string>() };
    entry.runs.add(run.key);
    seen.set(id, entry);
  }
  const lines = [...seen].map(([id, e]) => `toolchain ${id}${e.description}: ${e.runs.size} run(s)`);
  if (seen.size > 1) lines.push(`runs of this experiment were made with ${seen.size} toolchains (machines or libraries); the report never counts them as replicates of each other`);
  return lines;
}

/**
 * Fails fast, before any worker starts, on data files and model options that every run would trip over.
 * The engine is loaded here, so that --print-spec, --dry-run and argument errors never wait for it.
 */
async function checkRunnable(spec: ExperimentSpec, remote: boolean): Promise<void> {
  for (const model of spec.models) {
    if (model.command && !existsSync(model.cwd ?? ".")) throw new InputError(`model "${model.label}": its directory ${model.cwd} does not exist`);
  }
  if (!spec.dataset || !spec.training) return;
  const { checkDevice, tidy } = await import("../torch/index.js");
  const { createModelForDataset } = await import("../train/model.js");
  // Runs that go to other machines need their device there, not here.
  if (!remote) {
    spec.environments.forEach((environment, i) => {
      try {
        checkDevice(environment.device);
      } catch (err) {
        throw new InputError(`environments[${i}].device: ${(err as Error).message}`);
      }
    });
  }
  const splits = openDataset(spec.dataset);
  for (const model of spec.models.filter((m) => !m.command)) {
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
    const o = args.options;
    if (o.command === undefined && args.positionals.length !== 1) throw new InputError(`expected one spec file or preset name (${Object.keys(PRESETS).join(", ")}), or --command`);
    if (o.command !== undefined && args.positionals.length > 0) throw new InputError(`--command replaces the spec: give one or the other, not "${args.positionals[0]}" as well`);
    if (o.command === undefined && o.variants !== undefined) throw new InputError("--variants goes with --command; a spec file lists its own variants");
    for (const name of ["epochs", "scale", "dataset", "train-subset", "test-subset", "device"] as const) {
      if (o.command !== undefined && o[name] !== undefined) throw new InputError(`--${name}: a command sets its own; pass it in --command`);
    }
    const runTimeout = o["run-timeout"] === undefined ? undefined : parseDuration(o["run-timeout"], "run-timeout");
    // Every argument is checked before anything is written.
    const processes = o.processes === undefined ? undefined : intOption(o.processes, "processes", 0, 1, MAX_PROCESSES);
    const threads = o.threads === undefined ? undefined : intOption(o.threads, "threads", 0, 1, MAX_THREADS);
    const allocator = parseAllocator(o.allocator);
    const queueTarget = o.queue === undefined ? undefined : parseRedisUrl(o.queue);
    if (queueTarget && o.slurm) throw new InputError("--queue and --slurm exclude each other");
    const slurmOnly = SLURM_OPTIONS.find((name) => o[name] !== undefined);
    if (!o.slurm && slurmOnly) throw new InputError(`--${slurmOnly} needs --slurm`);
    if (o.detach && !queueTarget && !o.slurm) throw new InputError("--detach needs --queue or --slurm");
    if (processes !== undefined && (queueTarget || o.slurm)) {
      throw new InputError("--processes is for the local pool; with --queue start more workers (noiselab worker --concurrency K), with --slurm use --array-parallel");
    }
    if (runTimeout !== undefined && (queueTarget || o.slurm)) throw new InputError("--run-timeout is for the local pool; with --queue or --slurm, stop a hung script with the worker's or Slurm's own limits (--time)");
    const trainSubset = o["train-subset"] === undefined ? undefined : intOption(o["train-subset"], "train-subset", 0, 1);
    const testSubset = o["test-subset"] === undefined ? undefined : intOption(o["test-subset"], "test-subset", 0, 1);
    const replicates = o.replicates === undefined ? undefined : intOption(o.replicates, "replicates", 0, 1, MAX_REPLICATES);
    const spec = o.command !== undefined ? commandSpec(o.command, { variants: o.variants, replicates, name: o.name }) : resolveSpec(args.positionals[0], {
      scale: choiceOption(o.scale, "scale", SCALES, "quick"),
      replicates,
      epochs: o.epochs === undefined ? undefined : intOption(o.epochs, "epochs", 0, 1),
      dataset: datasetOverride(o.dataset, trainSubset, testSubset),
      device: o.device,
      threads,
      trainSubset,
      testSubset,
      name: o.name,
    });
    if (o["print-spec"]) {
      process.stdout.write(specYaml(spec));
      return 0;
    }
    // Each Slurm task gets the CPUs of the most threads an environment asks for.
    const sbatch = o.slurm ? slurmOptions(o, Math.max(...spec.environments.map((e) => e.threads))) : undefined;
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
        const edited = spec.models.some((m) => m.command) ? " (a command's script files are part of its spec: an edited script is a new experiment)" : "";
        throw new InputError(`${err.message}${edited}; to run this spec as well, give it another name (--name ${spec.name}-2), or use another --store`);
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
          allocator,
          ...(runTimeout !== undefined && { env: { [RUN_TIMEOUT_ENV]: String(runTimeout) } }),
          onProgress: bar.update,
        });
      }
      console.error(`noiselab run: experiment "${spec.name}", ${runs.length} runs (${shape(spec)}), store ${storeDir}`);
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
      for (const line of toolchainLines(store, runs)) console.error(`  ${line}`);
      // An error's first line is its cause (docs/runner.md); the rest is the worker's stderr tail.
      for (const f of result.failures) console.error(`  failed ${f.label}: ${f.error.split("\n")[0]}`);
      if (result.left) console.error(`noiselab run: ${result.left} run(s) still ${queueTarget ? "in the queue" : "in the Slurm job"}; run the same command again${sbatch ? " or noiselab report" : ""} to collect them`);
      return result.failed > 0 ? 1 : 0;
    } finally {
      store.close();
    }
  },
};
