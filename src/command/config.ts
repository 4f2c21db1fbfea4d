// A run whose model is the user's own training script: its config, the part of
// it that is the run's identity, and where the script runs.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { EnvironmentConfig } from "../environment/config.js";
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
  /** The tool chain the script is asked to use: device, threads, precision, oneDNN (passed in env vars). */
  environment: EnvironmentConfig;
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

/** Where and how a command run trains: the part of its environment the script is told. */
export type CommandPlacement = Pick<EnvironmentConfig, "device" | "threads" | "precision" | "onednn">;

/** The run's device, threads, precision and oneDNN switch, from its environment. */
export function commandPlacement(config: CommandRunConfig): CommandPlacement {
  const { device, threads, precision, onednn } = config.environment;
  return { device, threads, precision, onednn };
}
