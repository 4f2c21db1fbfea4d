import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BIN = join(process.cwd(), "bin/noiselab.js");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `noiselab …` to completion. */
export function noiselab(args: string[], cwd = process.cwd()): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `noiselab …` without waiting. */
export function startNoiselab(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `noiselab-${prefix}-`));
}

/** Writes a spec file into `dir` and returns its path. */
export function writeSpec(dir: string, spec: unknown, name = "spec.json"): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

/** A four-variant experiment on the synthetic dataset that trains in seconds. */
export function tinySpec(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    dataset: { kind: "synthetic", trainSize: 240, testSize: 200, imageSize: [1, 12, 12], numClasses: 4, noise: 2 },
    models: ["smallcnn"],
    variants: ["ALGO+IMPL", "ALGO", "IMPL", "CONTROL"],
    replicates: 3,
    training: { epochs: 2, batchSize: 32 },
    ...overrides,
  };
}

export interface ListedRun {
  label: string;
  key: string;
  status: string;
  testAccuracy: number | null;
  weightsHash: string | null;
  /** The run's fingerprint.json toolchain; null for runs not done or without one. */
  toolchain: string | null;
  error: string | null;
}

export function listRuns(store: string, experiment: string): ListedRun[] {
  const r = noiselab(["ls", experiment, "--store", store, "--json"]);
  if (r.status !== 0) throw new Error(`noiselab ls failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ListedRun[];
}
