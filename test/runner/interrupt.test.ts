import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import type { ProgressSnapshot } from "../../src/runner/progress.js";
import type { RunUnit } from "../../src/run-unit/unit.js";
import { isProcessAlive, RunStore } from "../../src/store/run-store.js";
import { DRIVER, entries, tempDir, unit } from "./helpers.js";

interface Driver {
  child: ChildProcess;
  /** Resolves with the first progress snapshot that satisfies `ready`. */
  reached: Promise<ProgressSnapshot>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; lastLine: string }>;
}

/** Start the driver script (a stand-in for `noiselab run`) on `units`. */
function startDriver(storeDir: string, units: RunUnit[], processes: number, ready: (s: ProgressSnapshot) => boolean, detached = false, env: Record<string, string> = {}): Driver {
  const unitsPath = join(storeDir, "..", `units-${Date.now()}.json`);
  writeFileSync(unitsPath, JSON.stringify(units));
  const child = spawn(process.execPath, [DRIVER, storeDir, unitsPath, String(processes)], { stdio: ["ignore", "pipe", "inherit"], detached, env: { ...process.env, ...env } });
  let lastLine = "";
  let onReady: (s: ProgressSnapshot) => void = () => {};
  const reached = new Promise<ProgressSnapshot>((resolve) => (onReady = resolve));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    lastLine = line;
    const parsed = JSON.parse(line);
    if ("running" in parsed && ready(parsed)) onReady(parsed);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; lastLine: string }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, lastLine })),
  );
  return { child, reached, exited };
}

/** Alive and not a zombie: an orphan reparented to a pid 1 that does not reap stays a zombie. */
function isRunning(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return condition();
}

function workerPids(pidDir: string): number[] {
  return readdirSync(pidDir).map(Number);
}

describe("interrupting a batch", () => {
  it("Ctrl-C: exits non-zero with finished runs recorded once and no staging left", { timeout: 30_000 }, async () => {
    const root = tempDir("sigint");
    const storeDir = join(root, "store");
    const pidDir = join(root, "pids");
    mkdirSync(pidDir);
    const quick = unit("exp", "quick", { seed: 0, pidDir });
    const slow = [1, 2, 3].map((i) => unit("exp", `slow${i}`, { seed: i, sleepMs: 60_000, pidDir }));
    // Own process group, so the signal goes to driver and workers alike, as a terminal's Ctrl-C does.
    const driver = startDriver(storeDir, [quick, ...slow], 2, (s) => s.done === 1 && s.running.length === 1, true);
    await driver.reached;
    process.kill(-(driver.child.pid as number), "SIGINT");
    const { code, lastLine } = await driver.exited;

    assert.equal(code, 130);
    assert.deepEqual(JSON.parse(lastLine), { interrupted: "SIGINT" });
    assert.ok(workerPids(pidDir).every((pid) => !isRunning(pid)));
    assert.deepEqual(entries(join(storeDir, "staging")), []);
    assert.deepEqual(entries(join(storeDir, "runs")), [quick.key]);
    const store = RunStore.open(storeDir);
    assert.deepEqual(store.recovery, { removedStaging: [], adopted: [], removedRunDirs: [], missingArtifacts: [] });
    assert.deepEqual(
      store.runsOf("exp").map((r) => [r.label, r.status, r.attempts]),
      [["quick", "done", 1]],
    );
    store.close();
  });

  for (const [signal, exitCode] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  it(`${signal} to the parent alone: workers are stopped by the parent`, { timeout: 30_000 }, async () => {
    const root = tempDir(signal);
    const storeDir = join(root, "store");
    const pidDir = join(root, "pids");
    mkdirSync(pidDir);
    const slow = [1, 2].map((i) => unit("exp", `slow${i}`, { seed: i, sleepMs: 60_000, pidDir }));
    const driver = startDriver(storeDir, slow, 2, (s) => s.running.length === 2);
    await driver.reached;
    await waitUntil(() => workerPids(pidDir).length === 2, 5000);
    driver.child.kill(signal);
    const { code } = await driver.exited;

    assert.equal(code, exitCode);
    assert.equal(workerPids(pidDir).length, 2);
    assert.ok(workerPids(pidDir).every((pid) => !isRunning(pid)));
    assert.deepEqual(entries(join(storeDir, "staging")), []);
    assert.deepEqual(entries(join(storeDir, "runs")), []);
    const store = RunStore.open(storeDir);
    assert.deepEqual(store.runsOf("exp"), []);
    store.close();
  });
  }

  it("SIGKILL of the parent: orphaned workers exit, and a rerun completes every run exactly once", { timeout: 60_000 }, async () => {
    const root = tempDir("sigkill");
    const storeDir = join(root, "store");
    const pidDir = join(root, "pids");
    mkdirSync(pidDir);
    // r0 and r1 finish; the others wait while the hold file exists, so the kill finds two in
    // flight that would never finish on their own.
    const hold = join(root, "hold");
    writeFileSync(hold, "");
    const units = Array.from({ length: 6 }, (_, i) => unit("exp", `r${i}`, { seed: i, pidDir, ...(i >= 2 && { holdWhileExists: hold }) }));
    const killed = startDriver(storeDir, units, 2, (s) => s.done === 2 && s.running.length === 2);
    await killed.reached;
    await waitUntil(() => workerPids(pidDir).length === 4, 5000);
    killed.child.kill("SIGKILL");
    assert.equal((await killed.exited).signal, "SIGKILL");
    try {
      assert.ok(await waitUntil(() => workerPids(pidDir).every((pid) => !isRunning(pid)), 5000), "orphaned workers exit");
    } finally {
      rmSync(hold); // so that workers the check finds alive do finish
    }
    assert.equal(entries(join(storeDir, "staging")).length, 2, "the killed parent left its in-flight staging dirs");

    const rerun = startDriver(storeDir, units, 2, () => false);
    const { code, lastLine } = await rerun.exited;
    assert.equal(code, 0);
    const { summary } = JSON.parse(lastLine);
    assert.equal(summary.failed, 0);
    assert.deepEqual([summary.skipped, summary.done], [2, 4]);

    const store = RunStore.open(storeDir);
    const runs = store.runsOf("exp");
    assert.deepEqual(
      runs.map((r) => r.label),
      units.map((u) => u.label),
    );
    assert.ok(runs.every((r) => r.status === "done" && r.attempts === 1));
    assert.deepEqual(entries(join(storeDir, "runs")), units.map((u) => u.key).sort());
    assert.deepEqual(entries(join(storeDir, "staging")), []);
    for (const u of units) assert.equal(readFileSync(store.artifactPath(u.key, "artifact.txt"), "utf8"), `${u.key}\n`);
    store.close();
  });

  it("SIGKILL of the parent right after it spawned a worker: the worker, reparented before its guard started, exits", { timeout: 30_000 }, async () => {
    const root = tempDir("orphan");
    const storeDir = join(root, "store");
    const driver = startDriver(storeDir, [unit("exp", "slow", { sleepMs: 60_000 })], 1, () => false, false, { DRIVER_DIE_ON_SPAWN: "1" });
    assert.equal((await driver.exited).signal, "SIGKILL");
    // The worker's command line names its staging dir, inside the store.
    const workers = () =>
      readdirSync("/proc")
        .filter((pid) => /^\d+$/.test(pid))
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(storeDir) && isRunning(Number(pid));
          } catch {
            return false;
          }
        });
    assert.ok(await waitUntil(() => workers().length === 0, 5000), `orphaned worker(s) ${workers().join(", ")} still running`);
  });
});
