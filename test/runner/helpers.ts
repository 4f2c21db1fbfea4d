import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { contentHash } from "../../src/run-unit/hash.js";
import type { RunUnit } from "../../src/run-unit/unit.js";

/** Fixtures stay as .mjs in the source tree; tests run from the repo root. */
export const ECHO_WORKER = resolve("test/runner/fixtures/echo-worker.mjs");
export const DRIVER = resolve("test/runner/fixtures/driver.mjs");

const tempDirs: string[] = [];
process.on("exit", () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `noiselab-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export function unit(experiment: string, label: string, config: Record<string, unknown>): RunUnit {
  return { key: contentHash(config), experiment, label, config };
}

/** A pid that belonged to a process which has exited. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

export function entries(dir: string): string[] {
  return readdirSync(dir).sort();
}
