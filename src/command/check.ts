// `noiselab check --command`: run the user's script twice with tracing and
// name the first step, module and tensor where the two runs differ.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BisectResult } from "../check/bisect.js";
import type { CheckResult, Divergence } from "../check/lockstep.js";
import { InputError } from "../errors.js";
import { readNpy } from "../io/npy.js";
import type { NoiseSetting } from "../noise/index.js";
import { seedsForReplicate } from "../noise/index.js";
import type { CommandPlacement } from "./config.js";
import type { ScriptSwitches } from "./env.js";
import { DETERMINISTIC_SWITCHES, FAST_SWITCHES, scriptEnv } from "./env.js";
import { runScript, scriptFailure } from "./process.js";

export interface CommandCheckSetup {
  command: string[];
  cwd: string;
  /** Training steps to trace and compare. */
  steps: number;
  /** Sources that differ between the two runs (replicate 0 vs 1 seeds); CONTROL: none. */
  noise: NoiseSetting;
  placement: CommandPlacement;
  masterSeed?: number;
}

/** One traced step: [phase, module, tensor, sha256] per module output and parameter gradient, in the order they were made. */
interface TraceStep {
  step: number;
  entries: [string, string, string, string][];
}

interface Trace {
  steps: TraceStep[];
  warnings: string[];
}

const TRACE_FILE = "trace.jsonl";
const DUMP_FILE = "dump.npy";
const NONDETERMINISTIC_OP = /^(\S+) does not have a deterministic implementation/;

function readTrace(dir: string): Trace {
  const path = join(dir, TRACE_FILE);
  if (!existsSync(path)) throw new InputError("--command: the script recorded no trace: call noiselab.setup() and noiselab.start_training(model) in it (docs/command.md)");
  const trace: Trace = { steps: [], warnings: [] };
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const record = JSON.parse(line) as Partial<TraceStep> & { warning?: string };
    if (typeof record.warning === "string") {
      if (!trace.warnings.includes(record.warning)) trace.warnings.push(record.warning);
    } else if (typeof record.step === "number" && Array.isArray(record.entries)) {
      trace.steps.push(record as TraceStep);
    }
  }
  if (trace.steps.length === 0) throw new InputError("--command: the script traced no training step: is noiselab.start_training(model) given the model that trains?");
  return trace;
}

/** Runs the script once as replicate `replicate`, tracing into a fresh directory; returns that directory. */
async function tracedRun(setup: CommandCheckSetup, switches: ScriptSwitches, replicate: number, dump?: { step: number; index: number }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "noiselab-trace-"));
  const exit = await runScript({
    command: setup.command,
    cwd: setup.cwd,
    env: scriptEnv({
      outputDir: join(dir, "output"),
      seeds: seedsForReplicate(setup.masterSeed ?? 0, setup.noise, replicate),
      noise: setup.noise,
      switches,
      placement: setup.placement,
      trace: { dir, steps: setup.steps, dump },
    }),
  });
  const failure = scriptFailure(exit, undefined);
  if (failure !== undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new InputError(`--command: ${failure}`);
  }
  return dir;
}

function firstDifference(a: Trace, b: Trace): { divergence: Omit<Divergence, "maxAbsDiff">; index: number } | null {
  const steps = Math.min(a.steps.length, b.steps.length);
  for (let s = 0; s < steps; s++) {
    const left = a.steps[s].entries;
    const right = b.steps[s].entries;
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      const [phase, module, tensor, hash] = left[i] ?? right[i];
      const other = right[i];
      if (left[i] === undefined || other === undefined || other[1] !== module || other[2] !== tensor || other[3] !== hash) {
        return { divergence: { step: s, phase: phase === "backward" ? "backward" : "forward", module, tensor }, index: i };
      }
    }
  }
  return null;
}

/** Max |a − b| of the tensor both runs dumped; Infinity where the shapes differ. */
function dumpedDifference(dirs: string[]): number {
  const [a, b] = dirs.map((dir) => readNpy(join(dir, DUMP_FILE)));
  if (a.shape.join() !== b.shape.join()) return Infinity;
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return max;
}

/**
 * Two runs of the script with the same seeds (but for `noise`) under `switches`, traced for
 * `setup.steps` steps and compared. Where they differ, both are run again up to that tensor to
 * measure the difference (the traces hold hashes only).
 */
export async function checkCommand(setup: CommandCheckSetup, switches: ScriptSwitches): Promise<CheckResult> {
  const dirs: string[] = [];
  try {
    for (const replicate of [0, 1]) dirs.push(await tracedRun(setup, switches, replicate));
    const [a, b] = dirs.map(readTrace);
    const difference = firstDifference(a, b);
    let firstDivergence: Divergence | null = null;
    if (difference !== null) {
      const dump = { step: difference.divergence.step, index: difference.index };
      const dumps: string[] = [];
      try {
        for (const replicate of [0, 1]) dumps.push(await tracedRun(setup, switches, replicate, dump));
        const measured = dumps.every((dir) => existsSync(join(dir, DUMP_FILE)));
        firstDivergence = { ...difference.divergence, maxAbsDiff: measured ? dumpedDifference(dumps) : Infinity };
      } finally {
        for (const dir of dumps) rmSync(dir, { recursive: true, force: true });
      }
    }
    const warnings = [...new Set([...a.warnings, ...b.warnings])].filter((w) => NONDETERMINISTIC_OP.test(w));
    const ops = [...new Set(warnings.map((w) => NONDETERMINISTIC_OP.exec(w)![1]))];
    return {
      deterministic: firstDivergence === null && ops.length === 0,
      stepsCompared: firstDivergence === null ? Math.min(a.steps.length, b.steps.length) : firstDivergence.step + 1,
      firstDivergence,
      nondeterministicOpWarnings: warnings,
      nondeterministicOps: ops,
      weightDistance: [],
    };
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** The switches a script applies, by the names `noiselab check --bisect` uses for built-in models. */
const SWITCHES: { name: string; deterministic: Partial<ScriptSwitches> }[] = [
  { name: "deterministic algorithms", deterministic: { deterministicAlgorithms: true } },
  { name: "cuDNN deterministic", deterministic: { cudnnDeterministic: true } },
  { name: "cuDNN benchmark off", deterministic: { cudnnBenchmark: false } },
  { name: "TF32 off", deterministic: { allowTF32: false } },
];

/** From every switch fast, flip one at a time, then all: which switches alone make the script deterministic. */
export async function bisectCommand(setup: CommandCheckSetup): Promise<BisectResult> {
  const baseline = await checkCommand(setup, FAST_SWITCHES);
  const single = [];
  for (const s of SWITCHES) single.push({ switch: s.name, result: await checkCommand(setup, { ...FAST_SWITCHES, ...s.deterministic }) });
  const all = await checkCommand(setup, DETERMINISTIC_SWITCHES);
  return { baseline, single, all, sufficient: single.filter((s) => s.result.deterministic).map((s) => s.switch) };
}
