import { existsSync } from "node:fs";
import type { CommandCheckSetup } from "../command/check.js";
import { bisectCommand, checkCommand as checkScript } from "../command/check.js";
import type { ScriptSwitches } from "../command/env.js";
import { DETERMINISTIC_SWITCHES, FAST_SWITCHES } from "../command/env.js";
import { splitCommandLine } from "../command/split.js";
import type { CheckData, CheckResult } from "../check/lockstep.js";
import { lockstepCheck } from "../check/lockstep.js";
import type { BisectResult } from "../check/bisect.js";
import { bisectDeterminism } from "../check/bisect.js";
import type { CheckOutput } from "../check/output.js";
import { loadDataset, seededSubset } from "../data/index.js";
import { InputError } from "../errors.js";
import { PRESETS } from "../experiment/presets.js";
import { deterministicAlternative, isModelName, modelInfo } from "../models/index.js";
import type { NoiseSetting } from "../noise/index.js";
import { parseVariant } from "../noise/index.js";
import { Normalizer, datasetTensors } from "../train/batches.js";
import type { ModelConfig } from "../train/config.js";
import { createModelForDataset } from "../train/model.js";
import { STDOUT, writeOutput } from "./output.js";
import { ALLOCATOR_HELP, parseAllocator } from "../environment/allocator.js";
import { runWithAllocator } from "./reexec.js";
import * as torch from "../torch/index.js";
import type { ParsedOptions } from "./args.js";
import { helpText, intOption, parseArgs } from "./args.js";
import type { Command } from "./command.js";
import { resolveSpec } from "./run.js";

const options = {
  steps: { type: "string", valueName: "S", description: "training steps to compare (default 10)" },
  batch: { type: "string", valueName: "B", description: "batch size (default 32)" },
  noise: { type: "string", valueName: "VARIANT", description: "sources that differ between the two replicates, e.g. only:batchOrder (default CONTROL: none)" },
  nondeterministic: { type: "boolean", description: "run with every determinism switch off (default: all on)" },
  bisect: { type: "boolean", description: "flip each determinism switch alone and name those that make training deterministic" },
  "perturb-ulp": { type: "boolean", description: "add one ulp to one initial weight of the second replicate" },
  "reverse-batch": { type: "string", valueName: "STEP", description: "at this step only, feed the second replicate its batch in reverse order" },
  trajectory: { type: "boolean", description: "record the L2 distance between the replicates' weights after every step" },
  model: { type: "string", valueName: "LABEL", description: "with a spec: which of its models (default the first)" },
  device: { type: "string", valueName: "DEVICE", description: "cpu, cuda or cuda:N (default cpu)" },
  threads: { type: "string", valueName: "N", description: "intra-op threads (default 1)" },
  json: { type: "boolean", description: "print the result as JSON" },
  allocator: { type: "string", valueName: "NAME", description: ALLOCATOR_HELP },
  out: { type: "string", valueName: "FILE", description: "also write the JSON result to FILE (noiselab report --check FILE includes it); - writes it to stdout, and the summary to stderr" },
  command: { type: "string", valueName: "CMD", description: "check your own training script instead, e.g. \"python3 train.py\": two traced runs (docs/command.md)" },
} as const;

const usage = "noiselab check <model|spec.yaml|preset> [options]\n       noiselab check --command \"python3 train.py …\" [options]";
const summary = [
  "Trains two replicates with identical seeds in lock-step and compares every module's output and every",
  "parameter gradient bitwise at every step. Prints whether training is bitwise deterministic and, if not,",
  "the first step, module and tensor that differ, with the max abs difference. Exit code 0: deterministic,",
  "1: not deterministic, 2: bad input. With a model name the data is random; with a spec or preset it is the",
  "spec's dataset (normalised training images).",
].join("\n");

interface Target {
  description: string;
  model: ModelConfig;
  data: CheckData;
  numClasses: number;
}

function resolveTarget(target: string, modelLabel: string | undefined, examples: number): Target {
  if (isModelName(target) && !existsSync(target)) {
    const info = modelInfo(target);
    const g = new torch.Generator(12345);
    return {
      description: `${target} on random ${info.inputShape.join("×")} data`,
      model: { name: target, options: {} },
      data: {
        images: torch.keep(torch.randn([examples, ...info.inputShape], { generator: g })),
        labels: torch.keep(torch.randint(0, info.numClasses, [examples], { generator: g })),
      },
      numClasses: info.numClasses,
    };
  }
  if (!(target in PRESETS) && !existsSync(target)) throw new InputError(`"${target}" is neither a model, a preset (${Object.keys(PRESETS).join(", ")}) nor a spec file`);
  const spec = resolveSpec(target, {});
  const entry = modelLabel === undefined ? spec.models[0] : spec.models.find((m) => m.label === modelLabel);
  if (!entry) throw new InputError(`--model: the spec has no model labelled "${modelLabel}" (models: ${spec.models.map((m) => m.label).join(", ")})`);
  if (entry.command || !spec.dataset) throw new InputError(`model "${entry.label}" is a command: check it with noiselab check --command "${entry.command?.join(" ") ?? "…"}"`);
  const splits = loadDataset(spec.dataset);
  const train = splits.train.labels.length > examples ? seededSubset(splits.train, examples, 0) : splits.train;
  const tensors = datasetTensors(train);
  const images = torch.keep(new Normalizer(splits.train).apply(tensors.images));
  tensors.images.dispose();
  return { description: `${entry.label} on ${spec.dataset.kind}`, model: { name: entry.name, options: entry.options }, data: { images, labels: tensors.labels }, numClasses: splits.train.numClasses };
}

function describeResult(r: CheckResult): string[] {
  const lines: string[] = [];
  if (r.deterministic) {
    lines.push(`bitwise deterministic over ${r.stepsCompared} steps (every module output and parameter gradient compared)`);
  } else if (r.firstDivergence) {
    const d = r.firstDivergence;
    lines.push(`NOT deterministic: first divergence at step ${d.step}, ${d.phase} pass, module "${d.module || "(model)"}", ${d.tensor}, max |Δ| = ${d.maxAbsDiff.toExponential(3)}`);
  } else {
    lines.push(`NOT deterministic: the replicates matched over ${r.stepsCompared} steps, but ops without a deterministic implementation ran`);
  }
  for (const op of r.nondeterministicOps) {
    lines.push(`  op without a deterministic implementation on this device: ${op}`);
    const alternative = deterministicAlternative(op);
    if (alternative) lines.push(`    alternative: ${alternative}`);
  }
  if (r.weightDistance.length > 0) lines.push(`weight L2 distance by step: ${r.weightDistance.map((d) => d.toExponential(2)).join(" ")}`);
  return lines;
}

function describeBisect(b: BisectResult): string[] {
  const lines = [`all switches off: ${describeResult(b.baseline)[0]}`];
  for (const s of b.single) lines.push(`only ${s.switch}: ${describeResult(s.result)[0]}`);
  lines.push(`all switches on: ${describeResult(b.all)[0]}`);
  if (b.baseline.deterministic) lines.push("verdict: deterministic even with every switch off; no switch is needed on this device");
  else if (b.sufficient.length > 0) lines.push(`verdict: each of these alone makes training deterministic: ${b.sufficient.join(", ")}`);
  else if (b.all.deterministic) lines.push("verdict: no single switch suffices; all switches together make training deterministic");
  else lines.push("verdict: no determinism switch makes training deterministic; the difference comes from a noise source (see --noise) or an op without a deterministic implementation");
  return lines;
}

export const checkCommand: Command = {
  async run(argv) {
    const args = parseArgs(argv, options);
    if (args.help) {
      console.log(helpText(usage, summary, options));
      return 0;
    }
    const o = args.options;
    if (o.command !== undefined) return checkCommandLine(o, args.positionals);
    if (args.positionals.length !== 1) throw new InputError(`usage: ${usage}`);
    const exitCode = await runWithAllocator(parseAllocator(o.allocator), "check", argv);
    if (exitCode !== undefined) return exitCode;
    const steps = intOption(o.steps, "steps", 10, 1);
    const batchSize = intOption(o.batch, "batch", 32, 1);
    const device = o.device ?? "cpu";
    try {
      torch.checkDevice(device);
    } catch (err) {
      throw new InputError(`--device: ${(err as Error).message}`);
    }
    torch.setNumThreads(intOption(o.threads, "threads", 1, 1));
    const noise = parseVariant(o.noise ?? "CONTROL");
    const target = resolveTarget(args.positionals[0], o.model, steps * batchSize);
    const setup = {
      buildModel: (init: torch.Generator, dropout: torch.Generator) =>
        createModelForDataset(target.model, { shape: target.data.images.shape as [number, number, number, number], numClasses: target.numClasses }, { init, dropout }),
      data: target.data,
      steps,
      batchSize,
      noise,
      device,
      perturbOneUlp: o["perturb-ulp"] ?? false,
      reverseBatchAt: o["reverse-batch"] === undefined ? undefined : intOption(o["reverse-batch"], "reverse-batch", 0, 0),
      trajectory: o.trajectory ?? false,
    };
    const header = `noiselab check: ${target.description}, ${device}, ${torch.getNumThreads()} thread(s), ${steps} steps of batch ${batchSize}, replicates differ in: ${freeSources(noise)}${setup.perturbOneUlp ? " + one ulp of one initial weight" : ""}${setup.reverseBatchAt === undefined ? "" : ` + batch order reversed at step ${setup.reverseBatchAt}`}`;
    let output: CheckOutput;
    let lines: string[];
    let deterministic: boolean;
    if (o.bisect) {
      const result = bisectDeterminism(setup);
      output = { format: "noiselab-check", target: target.description, device, steps, batchSize, noise, perturbOneUlp: setup.perturbOneUlp, reverseBatchAt: setup.reverseBatchAt ?? null, bisect: result };
      lines = describeBisect(result);
      deterministic = result.all.deterministic;
    } else {
      const determinism = o.nondeterministic ? torch.fastDeterminismSettings() : { ...torch.DETERMINISTIC };
      const result = lockstepCheck({ ...setup, determinism });
      output = { format: "noiselab-check", target: target.description, device, steps, batchSize, noise, perturbOneUlp: setup.perturbOneUlp, reverseBatchAt: setup.reverseBatchAt ?? null, determinism, result };
      lines = describeResult(result);
      deterministic = result.deterministic;
    }
    return emit(o, output, [header, ...lines], deterministic);
  },
};

function emit(o: CheckOptions, output: CheckOutput, summaryLines: string[], deterministic: boolean): number {
  if (o.out) writeOutput(o.out, JSON.stringify(output, null, 2) + (o.out === STDOUT ? "\n" : ""));
  // With --out -, stdout holds the JSON alone; the summary goes to stderr.
  if (o.json && o.out !== STDOUT) console.log(JSON.stringify(output, null, 2));
  else if (!o.json) (o.out === STDOUT ? console.error : console.log)(summaryLines.join("\n"));
  return deterministic ? 0 : 1;
}

type CheckOptions = ParsedOptions<typeof options>;

function freeSources(noise: NoiseSetting): string {
  return Object.entries(noise).filter(([, free]) => free).map(([s]) => s).join(", ") || "nothing";
}

/** The switches of a command check, as the check output records them for built-in models. */
function asFlags(s: ScriptSwitches): CheckOutput["determinism"] {
  return { deterministicAlgorithms: s.deterministicAlgorithms, cudnnDeterministic: s.cudnnDeterministic, cudnnBenchmark: s.cudnnBenchmark, allowTF32Matmul: s.allowTF32, allowTF32Cudnn: s.allowTF32 };
}

/** `check --command`: the script run twice with tracing, in the current directory. */
async function checkCommandLine(o: CheckOptions, positionals: string[]): Promise<number> {
  if (positionals.length > 0) throw new InputError(`--command replaces the model: give one or the other, not "${positionals[0]}" as well`);
  for (const name of ["batch", "perturb-ulp", "reverse-batch", "trajectory", "model", "allocator"] as const) {
    if (o[name] !== undefined) throw new InputError(`--${name} does not apply to --command: the script decides how it trains`);
  }
  const line = o.command!;
  const device = o.device ?? "cpu";
  if (!/^(cpu|cuda(:\d+)?)$/.test(device)) throw new InputError(`--device must be cpu, cuda or cuda:N, got "${device}"`);
  const setup: CommandCheckSetup = {
    command: splitCommandLine(line, "--command"),
    cwd: process.cwd(),
    steps: intOption(o.steps, "steps", 10, 1),
    noise: parseVariant(o.noise ?? "CONTROL"),
    placement: { device, threads: intOption(o.threads, "threads", 1, 1), precision: "fp32", onednn: true },
  };
  const target = `command "${line}"`;
  const header = `noiselab check: ${target}, ${device}, ${setup.placement.threads} thread(s), ${setup.steps} steps, replicates differ in: ${freeSources(setup.noise)}`;
  const common = { format: "noiselab-check", target, device, steps: setup.steps, batchSize: null, noise: setup.noise, perturbOneUlp: false, reverseBatchAt: null } as const;
  if (o.bisect) {
    const bisect = await bisectCommand(setup);
    return emit(o, { ...common, bisect }, [header, ...describeBisect(bisect)], bisect.all.deterministic);
  }
  const switches = o.nondeterministic ? FAST_SWITCHES : DETERMINISTIC_SWITCHES;
  const result = await checkScript(setup, switches);
  return emit(o, { ...common, determinism: asFlags(switches), result }, [header, ...describeResult(result)], result.deterministic);
}
