import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { InputError } from "../../src/errors.js";
import { ExperimentConflictError, RunStore } from "../../src/store/run-store.js";
import type { RunTiming } from "../../src/store/run-store.js";
import { SCHEMA_VERSION } from "../../src/store/schema.js";
import type { RunUnit, WorkerResult } from "../../src/run-unit/unit.js";
import { deadPid, entries, tempDir, unit } from "../runner/helpers.js";

const timing: RunTiming = { startedAt: new Date("2024-01-01T00:00:00Z"), finishedAt: new Date("2024-01-01T00:00:02Z"), wallSeconds: 2 };

function openStore(): RunStore {
  const store = RunStore.open(tempDir("store"));
  store.defineExperiment("exp", { variants: ["ALGO"] });
  return store;
}

/** Stage a run as a worker would leave it, and return the staging dir. */
function stage(store: RunStore, u: RunUnit, result: WorkerResult = { metrics: { accuracy: 0.9 } }): string {
  const dir = store.createStaging(u.key);
  writeFileSync(join(dir, "unit.json"), JSON.stringify({ ...u, threads: 1 }));
  writeFileSync(join(dir, "weights.bin"), "w");
  writeFileSync(join(dir, "result.json"), JSON.stringify(result));
  return dir;
}

/** Leave runs/<key> as a process killed between the rename and the transaction would. */
function leaveUncommitted(store: RunStore, u: RunUnit, pid: number, result: unknown = { metrics: { accuracy: 0.5 } }): string {
  const dir = join(store.dir, "runs", u.key);
  mkdirSync(dir);
  writeFileSync(join(dir, "unit.json"), JSON.stringify({ ...u, threads: 1 }));
  writeFileSync(join(dir, "result.json"), JSON.stringify(result));
  const record = { key: u.key, pid, startedAt: "2024-01-01T00:00:00.000Z", finishedAt: "2024-01-01T00:00:03.000Z", wallSeconds: 3 };
  writeFileSync(join(dir, "run.json"), JSON.stringify(record));
  return dir;
}

describe("RunStore", () => {
  it("creates its layout, in WAL mode, at the current schema version", () => {
    const store = openStore();
    store.close();
    assert.deepEqual(entries(store.dir).filter((n) => !n.includes("-")), ["noiselab.sqlite", "runs", "staging"]);
    const db = new Database(store.dbPath, { readonly: true });
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    db.close();
    const reopened = RunStore.open(store.dir);
    assert.equal(reopened.listExperiments().length, 1);
    reopened.close();
  });

  it("refuses a store from a newer schema, a foreign database and a non-database", () => {
    const newer = openStore();
    newer.close();
    const db = new Database(newer.dbPath);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => RunStore.open(newer.dir), (err: Error) => err instanceof InputError && /newer/.test(err.message));

    const foreign = tempDir("foreign");
    const other = new Database(join(foreign, "noiselab.sqlite"));
    other.exec("CREATE TABLE t (x)");
    other.close();
    assert.throws(() => RunStore.open(foreign), (err: Error) => err instanceof InputError && /not a noiselab store/.test(err.message));

    const garbage = tempDir("garbage");
    writeFileSync(join(garbage, "noiselab.sqlite"), "this is not a database, just some text that is long enough".repeat(20));
    assert.throws(() => RunStore.open(garbage), (err: Error) => err instanceof InputError && err.message.includes("noiselab.sqlite"));
  });

  it("keeps an experiment defined again with an equal spec, and refuses another spec under its name", async () => {
    const store = openStore();
    const created = store.getExperiment("exp")?.created;
    await new Promise((done) => setTimeout(done, 5));
    store.defineExperiment("exp", { variants: ["ALGO"] });
    assert.deepEqual(store.getExperiment("exp"), { name: "exp", spec: { variants: ["ALGO"] }, created, done: 0, failed: 0 });
    assert.throws(
      () => store.defineExperiment("exp", { variants: ["IMPL"], replicates: 3 }),
      (err: Error) => err instanceof ExperimentConflictError && err instanceof InputError && /differs in replicates, variants/.test(err.message),
    );
    assert.deepEqual(store.getExperiment("exp")?.spec, { variants: ["ALGO"] });
    assert.equal(store.getExperiment("missing"), undefined);
    store.close();
  });

  it("commits a run: artifacts moved into runs/<key>, row, metrics and membership recorded", () => {
    const store = openStore();
    const u = unit("exp", "ALGO/r0", { seed: 1 });
    const metrics = { accuracy: 0.91, model: "SmallCNN", bitwise: true, broken: false, nan: null, name: "1.5" };
    const staging = stage(store, u, { metrics, extra: [1, 2] });
    const record = store.commitRun(u, staging, { metrics }, timing);

    assert.equal(existsSync(staging), false);
    assert.deepEqual(entries(join(store.dir, "staging")), []);
    assert.equal(record.artifactDir, store.artifactDir(u.key));
    assert.deepEqual(entries(store.artifactDir(u.key)), ["result.json", "run.json", "unit.json", "weights.bin"]);
    assert.equal(readFileSync(store.artifactPath(u.key, "weights.bin"), "utf8"), "w");
    assert.deepEqual(store.metricsOf(u.key), metrics);
    assert.equal(store.isDone(u.key), true);
    assert.deepEqual(store.getRun(u.key), {
      key: u.key,
      config: { seed: 1 },
      status: "done",
      error: null,
      startedAt: "2024-01-01T00:00:00.000Z",
      finishedAt: "2024-01-01T00:00:02.000Z",
      wallSeconds: 2,
      attempts: 1,
      artifactDir: store.artifactDir(u.key),
      memberships: [{ experiment: "exp", label: "ALGO/r0" }],
    });
    assert.deepEqual(
      store.runsOf("exp").map((r) => [r.label, r.key]),
      [["ALGO/r0", u.key]],
    );
    assert.equal(store.getExperiment("exp")?.done, 1);
    store.close();
  });

  it("records a failure, then a later success replaces it", () => {
    const store = openStore();
    const u = unit("exp", "IMPL/r1", { seed: 2 });
    store.recordFailure(u, "worker exited with code 1\nboom", timing);
    assert.equal(store.isDone(u.key), false);
    assert.equal(store.getRun(u.key)?.status, "failed");
    assert.equal(store.getRun(u.key)?.error, "worker exited with code 1\nboom");
    assert.equal(store.getRun(u.key)?.artifactDir, null);
    assert.deepEqual(store.metricsOf(u.key), {});
    assert.equal(store.getExperiment("exp")?.failed, 1);

    store.commitRun(u, stage(store, u), { metrics: { accuracy: 0.9 } }, timing);
    const run = store.getRun(u.key);
    assert.equal(run?.status, "done");
    assert.equal(run?.error, null);
    assert.equal(run?.attempts, 2);
    store.close();
  });

  it("never turns a done run back into a failed one", () => {
    const store = openStore();
    const u = unit("exp", "r", { seed: 3 });
    store.commitRun(u, stage(store, u), { metrics: { accuracy: 0.9 } }, timing);
    store.recordFailure(u, "late failure from another process", timing);
    assert.equal(store.getRun(u.key)?.status, "done");
    assert.equal(store.getRun(u.key)?.attempts, 1);
    store.close();
  });

  it("stores a run shared by two experiments once, with a membership in each", () => {
    const store = openStore();
    store.defineExperiment("other", {});
    const u = unit("exp", "ALGO/r0", { seed: 4 });
    store.commitRun(u, stage(store, u), { metrics: { accuracy: 0.9 } }, timing);
    // The second experiment's attempt arrives after the first committed: discarded, linked.
    const again = { ...u, experiment: "other", label: "baseline" };
    const staging = stage(store, again, { metrics: { accuracy: 0.1 } });
    store.commitRun(again, staging, { metrics: { accuracy: 0.1 } }, timing);

    assert.equal(existsSync(staging), false);
    assert.deepEqual(store.metricsOf(u.key), { accuracy: 0.9 });
    assert.deepEqual(store.getRun(u.key)?.memberships, [
      { experiment: "exp", label: "ALGO/r0" },
      { experiment: "other", label: "baseline" },
    ]);
    assert.deepEqual(
      store.runsOf("other").map((r) => r.label),
      ["baseline"],
    );
    store.close();
  });

  it("refuses a second staging dir for a key this process is already running", () => {
    const store = openStore();
    const u = unit("exp", "r", { seed: 5 });
    const dir = store.createStaging(u.key);
    assert.throws(() => store.createStaging(u.key), /already being executed/);
    store.discardStaging(dir);
    assert.equal(existsSync(dir), false);
    store.close();
  });

  it("rejects artifact names that leave the run dir, and malformed keys", () => {
    const store = openStore();
    const key = unit("exp", "r", {}).key;
    assert.throws(() => store.artifactPath(key, "../other/x"), InputError);
    assert.throws(() => store.artifactPath(key, "/etc/passwd"), InputError);
    assert.throws(() => store.artifactDir("../../etc"), InputError);
    assert.equal(store.artifactPath(key, "curves/epoch.csv"), join(store.dir, "runs", key, "curves", "epoch.csv"));
    store.close();
  });
});

describe("RunStore recovery on open", () => {
  it("removes staging dirs of dead processes and of this process's finished stores, keeps live ones", () => {
    const store = openStore();
    const key = unit("exp", "r", { seed: 6 }).key;
    const staging = join(store.dir, "staging");
    const dead = `${key}.${deadPid()}`;
    const live = `${key}.${process.ppid}`;
    const ownLeftover = `${key}.${process.pid}`;
    const unrelated = "notes";
    for (const name of [dead, live, ownLeftover, unrelated]) mkdirSync(join(staging, name));
    writeFileSync(join(staging, dead, "partial.bin"), "half");
    store.close();

    const reopened = RunStore.open(store.dir);
    assert.deepEqual(reopened.recovery.removedStaging.sort(), [dead, ownLeftover].sort());
    assert.deepEqual(entries(staging), [live, unrelated].sort());
    reopened.close();
  });

  it("keeps a staging dir this process is using", () => {
    const store = openStore();
    const dir = store.createStaging(unit("exp", "r", { seed: 7 }).key);
    const second = RunStore.open(store.dir);
    assert.deepEqual(second.recovery.removedStaging, []);
    assert.equal(existsSync(dir), true);
    second.close();
    store.close();
  });

  it("adopts a complete run dir left between rename and transaction", () => {
    const store = openStore();
    const u = unit("exp", "ALGO/r2", { seed: 8 });
    leaveUncommitted(store, u, deadPid());
    store.close();

    const reopened = RunStore.open(store.dir);
    assert.deepEqual(reopened.recovery.adopted, [u.key]);
    const run = reopened.getRun(u.key);
    assert.equal(run?.status, "done");
    assert.equal(run?.wallSeconds, 3);
    assert.deepEqual(run?.memberships, [{ experiment: "exp", label: "ALGO/r2" }]);
    assert.deepEqual(reopened.metricsOf(u.key), { accuracy: 0.5 });
    reopened.close();
  });

  it("deletes an unrecorded run dir that does not validate, and leaves one a live process is committing", () => {
    const store = openStore();
    const badResult = unit("exp", "bad", { seed: 9 });
    leaveUncommitted(store, badResult, deadPid(), { metrics: { accuracy: [1] } });
    const wrongKey = unit("exp", "wrong", { seed: 10 });
    const dir = leaveUncommitted(store, wrongKey, deadPid());
    writeFileSync(join(dir, "unit.json"), JSON.stringify({ ...wrongKey, config: { seed: 11 } }));
    const committing = unit("exp", "busy", { seed: 12 });
    leaveUncommitted(store, committing, process.ppid);
    store.close();

    const reopened = RunStore.open(store.dir);
    assert.deepEqual(reopened.recovery.removedRunDirs.sort(), [badResult.key, wrongKey.key].sort());
    assert.deepEqual(reopened.recovery.adopted, []);
    assert.deepEqual(entries(join(store.dir, "runs")), [committing.key]);
    assert.equal(reopened.getRun(badResult.key), undefined);
    reopened.close();
  });

  it("demotes a done run whose artifacts were deleted, so it is redone", () => {
    const store = openStore();
    const u = unit("exp", "r", { seed: 13 });
    store.commitRun(u, stage(store, u), { metrics: { accuracy: 0.9 } }, timing);
    store.close();
    rmSync(join(store.dir, "runs", u.key), { recursive: true });
    const reopened = RunStore.open(store.dir);
    assert.deepEqual(reopened.recovery.missingArtifacts, [u.key]);
    assert.equal(reopened.isDone(u.key), false);
    assert.match(reopened.getRun(u.key)?.error ?? "", /missing/);
    assert.deepEqual(reopened.metricsOf(u.key), {});
    reopened.close();
  });
});
