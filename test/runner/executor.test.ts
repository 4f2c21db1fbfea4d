import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { LocalPoolExecutor, progressFraction, RunInterruptedError } from "../../src/runner/executor.js";
import type { LocalPoolExecutorOptions } from "../../src/runner/executor.js";
import type { ProgressSnapshot } from "../../src/runner/progress.js";
import { RunStore } from "../../src/store/run-store.js";
import { ECHO_WORKER, entries, tempDir, unit } from "./helpers.js";

function openStore(...experiments: string[]): RunStore {
  const store = RunStore.open(tempDir("exec"));
  for (const name of experiments) store.defineExperiment(name, { name });
  return store;
}

function executor(options: Partial<LocalPoolExecutorOptions> = {}): LocalPoolExecutor {
  return new LocalPoolExecutor({ workerScript: ECHO_WORKER, processes: 2, handleSignals: false, ...options });
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((done) => setTimeout(done, 20));
}

/** Most runs whose [startedMs, finishedMs] intervals overlap at one instant. */
function maxOverlap(intervals: [number, number][]): number {
  const events = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let most = 0;
  for (const [, delta] of events) {
    current += delta;
    most = Math.max(most, current);
  }
  return most;
}

describe("LocalPoolExecutor", () => {
  it("runs every unit, records artifacts and metrics, then skips them all on a second run", async () => {
    const store = openStore("exp");
    // A worker gets exactly its environment's threads, in unit.json and in NOISELAB_THREADS.
    const units = [0, 1, 2].map((i) => unit("exp", `r${i}`, { seed: i, sleepMs: 40, log: `hello from ${i}`, environment: { threads: 3 } }));
    const snapshots: ProgressSnapshot[] = [];
    const first = await executor({ env: { EXTRA: "1" }, onProgress: (s) => snapshots.push(s) }).run(units, store);
    assert.deepEqual(first, { done: 3, skipped: 0, failed: 0, failures: [], redone: [] });

    for (const u of units) {
      const run = store.getRun(u.key);
      assert.equal(run?.status, "done");
      assert.deepEqual(entries(store.artifactDir(u.key)), ["artifact.txt", "result.json", "run.json", "stderr.log", "stdout.log", "unit.json"]);
      assert.equal(readFileSync(store.artifactPath(u.key, "artifact.txt"), "utf8"), `${u.key}\n`);
      // Progress lines are consumed; other stdout lines are logged.
      assert.equal(readFileSync(store.artifactPath(u.key, "stdout.log"), "utf8"), `${(u.config as { log: string }).log}\n`);
      const metrics = store.metricsOf(u.key);
      assert.equal(metrics.envThreads, 3);
      assert.equal(metrics.unitThreads, 3);
      assert.equal(metrics.label, u.label);
      assert.equal(metrics.ok, true);
      assert.equal(metrics.nothing, null);
    }
    assert.deepEqual(entries(join(store.dir, "staging")), []);
    assert.deepEqual(
      store.runsOf("exp").map((r) => r.label),
      ["r0", "r1", "r2"],
    );
    const fractions = new Set(snapshots.flatMap((s) => s.running.map((r) => r.fraction)));
    assert.ok(fractions.has(0.5) && fractions.has(1), `progress lines reach onProgress, saw ${[...fractions]}`);
    assert.deepEqual(snapshots.at(-1), { ...snapshots.at(-1), total: 3, done: 3, queued: 0, running: [] });

    const second = await executor().run(units, store);
    assert.deepEqual(second, { done: 0, skipped: 3, failed: 0, failures: [], redone: [] });
    assert.ok(units.every((u) => store.getRun(u.key)?.attempts === 1));
    store.close();
  });

  it("records a failure with the worker's stderr and exit code, and redoes it next time", async () => {
    const store = openStore("exp");
    const marker = join(store.dir, "marker");
    const flaky = unit("exp", "flaky", { failUnlessExists: marker });
    const first = await executor().run([flaky], store);
    assert.equal(first.failed, 1);
    assert.equal(first.failures[0].label, "flaky");
    const failed = store.getRun(flaky.key);
    assert.equal(failed?.status, "failed");
    assert.match(failed?.error ?? "", /^worker exited with code 3\necho-worker: .*marker does not exist$/);
    assert.deepEqual(entries(join(store.dir, "staging")), []);
    assert.deepEqual(entries(join(store.dir, "runs")), []);

    writeFileSync(marker, "");
    const second = await executor().run([flaky], store);
    assert.deepEqual(second, { done: 1, skipped: 0, failed: 0, failures: [], redone: [] });
    assert.equal(store.getRun(flaky.key)?.status, "done");
    assert.equal(store.getRun(flaky.key)?.attempts, 2);
    store.close();
  });

  it("keeps going when workers crash or return a bad result", async () => {
    const store = openStore("exp");
    const crash = unit("exp", "crash", { exitCode: 1 });
    const bad = unit("exp", "bad", { badResult: true });
    const good = [0, 1, 2].map((i) => unit("exp", `good${i}`, { seed: i }));
    const summary = await executor().run([crash, good[0], bad, good[1], good[2]], store);
    assert.equal(summary.done, 3);
    assert.equal(summary.failed, 2);
    assert.match(store.getRun(crash.key)?.error ?? "", /^worker exited with code 1\necho-worker: crashing as asked for crash/);
    assert.match(store.getRun(bad.key)?.error ?? "", /^worker exited 0 but result.json: "metrics" must be an object/);
    assert.ok(good.every((u) => store.isDone(u.key)));
    assert.deepEqual(entries(join(store.dir, "runs")), good.map((u) => u.key).sort());
    assert.deepEqual(entries(join(store.dir, "staging")), []);
    store.close();
  });

  it("records the cause a crashing worker reported, not the last line of its crash dump", async () => {
    const store = openStore("exp");
    const crash = unit("exp", "nan", { reportError: "loss became NaN at epoch 1, step 3" });
    const summary = await executor().run([crash], store);
    const error = summary.failures[0]?.error ?? "";
    assert.equal(error.split("\n")[0], "loss became NaN at epoch 1, step 3");
    assert.match(error, /^loss became NaN at epoch 1, step 3\n\(worker exited with code 1\)\nError: loss became NaN/);
    assert.equal(store.getRun(crash.key)?.error, error);
    store.close();
  });

  it("verifies the artifacts of the runs it skips, and redoes a run whose files were deleted or changed", async () => {
    const store = openStore("exp");
    const units = [0, 1, 2].map((i) => unit("exp", `r${i}`, { seed: i }));
    await executor().run(units, store);
    rmSync(store.artifactPath(units[0].key, "artifact.txt"));
    const committed = statSync(store.artifactPath(units[1].key, "result.json")).size;
    writeFileSync(store.artifactPath(units[1].key, "result.json"), "{");
    const second = await executor().run(units, store);
    assert.deepEqual(
      second.redone.map((r) => [r.label, r.error]),
      [
        ["r0", `artifact runs/${units[0].key}/artifact.txt is missing`],
        ["r1", `artifact runs/${units[1].key}/result.json has 1 bytes, ${committed} when committed`],
      ],
    );
    assert.deepEqual([second.done, second.skipped, second.failed], [2, 1, 0]);
    for (const u of units) {
      assert.equal(store.checkArtifacts(u.key), undefined);
      assert.equal(readFileSync(store.artifactPath(u.key, "artifact.txt"), "utf8"), `${u.key}\n`);
    }
    store.close();
  });

  it("never runs more than `processes` workers at once, and does use them all", async () => {
    const store = openStore("exp");
    const units = Array.from({ length: 6 }, (_, i) => unit("exp", `r${i}`, { seed: i, sleepMs: 300 }));
    let mostRunning = 0;
    await executor({ processes: 3, onProgress: (s) => (mostRunning = Math.max(mostRunning, s.running.length)) }).run(units, store);
    const intervals = units.map((u) => {
      const m = store.metricsOf(u.key);
      return [m.startedMs, m.finishedMs] as [number, number];
    });
    // The workers' own clocks show that never more than 3 ran at once; whether all 3 sleeps overlapped
    // depends on process start-up time (over 300 ms on a loaded machine), so "uses them all" is read
    // from the executor's own count of running workers.
    assert.ok(maxOverlap(intervals) <= 3, `at most 3 workers at once, saw ${maxOverlap(intervals)}`);
    assert.equal(mostRunning, 3);
    store.close();
  });

  it("runs a config shared by two experiments once and records it in both", async () => {
    const store = openStore("a", "b", "c");
    const shared = { seed: 42 };
    const summary = await executor().run([unit("a", "first", shared), unit("b", "second", shared)], store);
    assert.deepEqual(summary, { done: 1, skipped: 0, failed: 0, failures: [], redone: [] });
    const skipped = await executor().run([unit("c", "third", shared)], store);
    assert.equal(skipped.skipped, 1);
    assert.deepEqual(store.getRun(unit("a", "", shared).key)?.memberships, [
      { experiment: "a", label: "first" },
      { experiment: "b", label: "second" },
      { experiment: "c", label: "third" },
    ]);
    store.close();
  });

  it("refuses units whose key is not their config's hash, or whose experiment is not defined", async () => {
    const store = openStore("exp");
    const forged = { ...unit("exp", "forged", { seed: 1 }), config: { seed: 2 } };
    await assert.rejects(executor().run([forged], store), /"forged": key is not the content hash/);
    await assert.rejects(executor().run([unit("nope", "r", {})], store), /experiment "nope" is not defined/);
    await assert.rejects(executor({ workerScript: join(store.dir, "missing.mjs") }).run([], store), /does not exist/);
    assert.deepEqual(store.runsOf("exp"), []);
    store.close();
  });

  it("on abort, stops starting units, kills workers (SIGKILL after the grace period) and records nothing half-done", async () => {
    const store = openStore("exp");
    const pidDir = join(store.dir, "pids");
    mkdirSync(pidDir);
    const quick = unit("exp", "quick", { seed: 0 });
    const stubborn = unit("exp", "stubborn", { hang: true, ignoreSigterm: true, pidDir });
    const later = [1, 2].map((i) => unit("exp", `later${i}`, { seed: i }));
    const controller = new AbortController();
    const batch = executor({ killGraceMs: 300, signal: controller.signal }).run([stubborn, quick, ...later], store);
    await waitFor(() => store.isDone(quick.key) && readdirSync(pidDir).length === 1);
    const abortedAt = Date.now();
    controller.abort();
    await assert.rejects(batch, (err: Error) => err instanceof RunInterruptedError && err.signal === null);
    const stopSeconds = (Date.now() - abortedAt) / 1000;
    assert.ok(stopSeconds >= 0.3 && stopSeconds < 5, `SIGTERM ignored, SIGKILL after the grace period (took ${stopSeconds}s)`);
    assert.deepEqual(
      store.runsOf("exp").map((r) => r.label),
      ["quick"],
    );
    assert.deepEqual(entries(join(store.dir, "staging")), []);
    assert.deepEqual(entries(join(store.dir, "runs")), [quick.key]);
    store.close();
  });
});

describe("LocalPoolExecutor and workers killed by SIGINT", () => {
  /** Start one hanging unit; resolves with the batch promise and the worker's pid. */
  async function startHanging(options: Partial<LocalPoolExecutorOptions>) {
    const store = openStore("exp");
    const pidDir = join(store.dir, "pids");
    mkdirSync(pidDir);
    const hanging = unit("exp", "hanging", { hang: true, pidDir });
    const batch = executor(options).run([hanging], store);
    await waitFor(() => readdirSync(pidDir).length === 1);
    return { store, hanging, batch, pid: Number(readdirSync(pidDir)[0]) };
  }

  it("records a worker killed by SIGINT alone as failed", async () => {
    const { store, hanging, batch, pid } = await startHanging({});
    process.kill(pid, "SIGINT");
    assert.equal((await batch).failed, 1);
    assert.equal(store.getRun(hanging.key)?.error, "worker killed by SIGINT");
    store.close();
  });

  it("records nothing when the SIGINT reaches the worker just before the stop, as with Ctrl-C", async () => {
    const controller = new AbortController();
    const { store, hanging, batch, pid } = await startHanging({ signal: controller.signal });
    process.kill(pid, "SIGINT");
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(batch, (err: Error) => err instanceof RunInterruptedError && err.summary.failed === 0);
    assert.equal(store.getRun(hanging.key), undefined);
    store.close();
  });
});

describe("LocalPoolExecutor on process signals", () => {
  it("stops on SIGINT, and kills workers at once on a second one", async () => {
    const store = openStore("exp");
    const pidDir = join(store.dir, "pids");
    mkdirSync(pidDir);
    const stubborn = unit("exp", "stubborn", { hang: true, ignoreSigterm: true, pidDir });
    const listenersBefore = process.listenerCount("SIGINT");
    const batch = executor({ handleSignals: true, killGraceMs: 60_000 }).run([stubborn], store);
    await waitFor(() => readdirSync(pidDir).length === 1);
    // Calls the executor's listeners as a real SIGINT would, without signalling the test runner.
    process.emit("SIGINT", "SIGINT");
    await new Promise((done) => setTimeout(done, 300));
    assert.equal(process.listenerCount("SIGINT"), listenersBefore + 1, "still stopping: SIGTERM was ignored");
    const secondAt = Date.now();
    process.emit("SIGINT", "SIGINT");
    await assert.rejects(batch, (err: Error) => err instanceof RunInterruptedError && err.signal === "SIGINT" && err.exitCode === 130);
    assert.ok(Date.now() - secondAt < 5000, "the second SIGINT did not wait out the grace period");
    assert.equal(process.listenerCount("SIGINT"), listenersBefore, "the executor removed its listener");
    assert.equal(store.getRun(stubborn.key), undefined);
    assert.deepEqual(entries(join(store.dir, "staging")), []);
    store.close();
  });
});

describe("progressFraction", () => {
  it("reads {progress} lines, clamped, and ignores everything else", () => {
    assert.equal(progressFraction('{"progress": 0.4}'), 0.4);
    assert.equal(progressFraction('{"progress":1.2}'), 1);
    assert.equal(progressFraction('{"loss": 0.4}'), undefined);
    assert.equal(progressFraction('{"progress": "half"}'), undefined);
    assert.equal(progressFraction("{not json"), undefined);
    assert.equal(progressFraction("epoch 3 loss 0.2"), undefined);
  });
});
