// A run whose model is the user's own training script: its config, the part of
// it that is the run's identity, and where the script runs.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { NoiseSetting, SourceSeeds } from "../noise/index.js";
import { isRecord } from "../run-unit/unit.js";

export interface CommandRunConfig {
  kind: "command";
  /** Program and arguments, run without a shell. */
  command: string[];
  /** Absolute directory the command runs in. */
  cwd: string;
  /**
   * sha256 of every argument that names a regular file (relative to `cwd`), e.g. the script:
   * editing train.py changes the run's key, so noiselab trains it again.
   */
  files: Record<string, string>;
  variant: string;
  noise: NoiseSetting;
  masterSeed: number;
  replicate: number;
  seeds: SourceSeeds;
}

export function isCommandConfig(config: unknown): config is CommandRunConfig {
  return isRecord(config) && config.kind === "command";
}

/** sha256 of each argument of `command` that is a regular file under `cwd`, keyed by the argument. */
export function hashCommandFiles(command: readonly string[], cwd: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const arg of command) {
    const path = resolve(cwd, arg);
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch {
      continue;
    }
    if (isFile) files[arg] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return files;
}

/** Where and with how many threads a command run trains. */
export interface CommandPlacement {
  device: string;
  threads: number;
  /** Matmul/convolution precision of the run's environment, where it names one (fp32, tf32, …). */
  precision?: string;
}

/**
 * The run's device, threads and precision: from its environment (`config.environment`, docs/environments)
 * where the run has one, else the CPU with the thread count the runner gives the worker.
 */
export function commandPlacement(config: CommandRunConfig, runnerThreads: number): CommandPlacement {
  const environment = (config as { environment?: unknown }).environment;
  const env = isRecord(environment) ? environment : {};
  return {
    device: typeof env.device === "string" ? env.device : "cpu",
    threads: typeof env.threads === "number" ? env.threads : runnerThreads,
    ...(typeof env.precision === "string" && { precision: env.precision }),
  };
}
