// One run of a user's script: start it with the run's settings, wait, and
// turn what it wrote into the run's artifacts (the worker's command branch).
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { LibtorchInfo } from "../environment/fingerprint.js";
import { isRecord } from "../run-unit/unit.js";
import type { CommandRunConfig } from "./config.js";
import { commandPlacement } from "./config.js";
import { runSwitches, scriptEnv } from "./env.js";
import { collectScriptOutputs } from "./outputs.js";
import { runScript, scriptFailure } from "./process.js";

/** The script failed or left unusable outputs: the run fails with this message, and the other runs go on. */
export class ScriptError extends Error {
  override name = "ScriptError";
}

/** Env var through which the runner passes `run --run-timeout` to its workers, in seconds. */
export const RUN_TIMEOUT_ENV = "NOISELAB_RUN_TIMEOUT_S";

/** Where the script writes; emptied into the run's own files once they are checked. */
const SCRIPT_OUTPUT_DIR = "script-output";

export interface CommandOutcome {
  metrics: { testAccuracy: number; weightsHash: string; wallSeconds: number; epochs: number };
  evalEpochs: number[];
  metadata: Record<string, unknown>;
  /** The script's libtorch, as the Python package reported it (`torch-info.json`); undefined where it wrote none. */
  libtorch: LibtorchInfo | undefined;
}

/** What `noiselab.setup()` writes about the script's torch, for the run's fingerprint. */
const TORCH_INFO_FILE = "torch-info.json";
const TORCH_INFO_STRINGS = ["torchVersion", "config", "onednnVersion", "mklVersion", "openmpVersion"] as const;

function readScriptLibtorch(outputDir: string): LibtorchInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(outputDir, TORCH_INFO_FILE), "utf8"));
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || typeof parsed.cudnnVersion !== "number" || TORCH_INFO_STRINGS.some((k) => typeof parsed[k] !== "string")) return undefined;
  const libraries = Array.isArray(parsed.blasLibraries) ? parsed.blasLibraries.filter((x): x is string => typeof x === "string") : [];
  return { ...(parsed as unknown as LibtorchInfo), blasLibraries: libraries };
}

/**
 * Runs the script once for `config` in `runDir` (the worker's staging directory). Its stdout and
 * stderr go to this process's, which the runner logs; a failure throws ScriptError naming the cause.
 */
export async function runCommandUnit(config: CommandRunConfig, runDir: string, options: { timeoutSeconds?: number }): Promise<CommandOutcome> {
  const started = performance.now();
  const outputDir = join(runDir, SCRIPT_OUTPUT_DIR);
  mkdirSync(outputDir, { recursive: true });
  const placement = commandPlacement(config);
  const switches = runSwitches(config.noise, placement);
  const timeoutMs = options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000;
  const exit = await runScript({
    command: config.command,
    cwd: config.cwd,
    env: scriptEnv({ outputDir, seeds: config.seeds, noise: config.noise, switches, placement }),
    timeoutMs,
    stdout: (chunk) => process.stdout.write(chunk),
    stderr: (chunk) => process.stderr.write(chunk),
  });
  const failure = scriptFailure(exit, timeoutMs);
  if (failure !== undefined) throw new ScriptError(failure);
  let outcome;
  try {
    outcome = collectScriptOutputs(outputDir, runDir);
  } catch (err) {
    throw new ScriptError((err as Error).message);
  }
  const libtorch = readScriptLibtorch(outputDir);
  rmSync(outputDir, { recursive: true, force: true });
  const wallSeconds = (performance.now() - started) / 1000;
  const finalEpoch = outcome.evalEpochs.at(-1)!;
  return {
    metrics: { testAccuracy: outcome.testAccuracy, weightsHash: outcome.weightsHash, wallSeconds, epochs: finalEpoch },
    evalEpochs: outcome.evalEpochs,
    metadata: {
      command: config.command,
      cwd: config.cwd,
      files: config.files,
      host: hostname(),
      node: process.version,
      device: placement.device,
      threads: placement.threads,
      switches,
      seeds: config.seeds,
      noise: config.noise,
      /** What `weightsHash` hashes: the saved weights, or the final predictions of a script that saved none. */
      weightsHashOf: outcome.hashOf,
      classNames: Array.from({ length: outcome.numClasses }, (_, c) => String(c)),
      testExamples: outcome.testExamples,
      ...(outcome.scriptMetrics !== null && { scriptMetrics: outcome.scriptMetrics }),
      wallSeconds,
    },
    libtorch,
  };
}

/** `--run-timeout` as the runner passed it to this worker, in seconds; undefined without one. */
export function runTimeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = env[RUN_TIMEOUT_ENV];
  return value === undefined || value === "" ? undefined : Number(value);
}
