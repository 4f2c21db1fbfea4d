// Two coordinators on one store: claims keep them from training the same run, and a claim frees
// itself when its holder dies or its lease expires.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { RunStore } from "../../src/store/run-store.js";
import { deadPid, DRIVER, tempDir, unit } from "../runner/helpers.js";

function holdClaim(storeDir: string, key: string, host: string, pid: number, expiresMs: number): void {
  const db = new Database(join(storeDir, "noiselab.sqlite"));
  db.prepare("INSERT OR REPLACE INTO claims (run_key, host, pid, expires_ms) VALUES (?, ?, ?, ?)").run(key, host, pid, expiresMs);
  db.close();
}

describe("claims", () => {
  it("a live holder's claim is held; a dead local pid's or an expired one's is taken over; a done run is done", () => {
    const dir = join(tempDir("claims"), "store");
    const store = RunStore.open(dir);
    store.defineExperiment("e", { name: "e" });
    const [live, dead, expired, remote] = ["live", "dead", "expired", "remote"].map((l) => unit("e", l, { l }));
    const later = Date.now() + 60_000;
    holdClaim(dir, live.key, hostname(), process.ppid, later);
    holdClaim(dir, dead.key, hostname(), deadPid(), later);
    holdClaim(dir, expired.key, "elsewhere", 1, Date.now() - 1);
    holdClaim(dir, remote.key, "elsewhere", 1, later);
    assert.equal(store.claimRun(live.key), "held");
    assert.equal(store.claimRun(dead.key), "claimed");
    assert.equal(store.claimRun(expired.key), "claimed");
    assert.equal(store.claimRun(remote.key), "held", "a pid on another host says nothing: only the lease counts");
    assert.equal(store.claimRun(dead.key), "claimed", "claiming again what this process holds");
    const staging = store.createStaging(dead.key);
    writeFileSync(join(staging, "result.json"), JSON.stringify({ metrics: {} }));
    writeFileSync(join(staging, "unit.json"), JSON.stringify(dead));
    store.commitRun(dead, staging, { metrics: {} }, { startedAt: new Date(), finishedAt: new Date(), wallSeconds: 0 });
    assert.equal(store.claimRun(dead.key), "done");
    const db = new Database(join(dir, "noiselab.sqlite"), { readonly: true });
    const claims = db.prepare("SELECT run_key FROM claims ORDER BY run_key").pluck().all();
    db.close();
    assert.deepEqual(claims, [live.key, expired.key, remote.key].sort(), "the commit ended this process's claim");
    store.close();
  });

  it("two coordinators on one store train each of N runs exactly once", async () => {
    const root = tempDir("claims-two");
    const storeDir = join(root, "store");
    const pidDir = join(root, "pids");
    mkdirSync(pidDir);
    const units = Array.from({ length: 8 }, (_, i) => unit("e", `r${i}`, { i, sleepMs: 300, pidDir }));
    const unitsPath = join(root, "units.json");
    writeFileSync(unitsPath, JSON.stringify(units));
    const drive = () =>
      new Promise<{ code: number | null; summary: { done: number; skipped: number; failed: number } }>((done) => {
        const child = spawn(process.execPath, [DRIVER, storeDir, unitsPath, "2"], { stdio: ["ignore", "pipe", "inherit"] });
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
        child.on("close", (code) => done({ code, summary: JSON.parse(out.trim().split("\n").at(-1) as string).summary }));
      });
    const [a, b] = await Promise.all([drive(), drive()]);
    assert.equal(a.code, 0);
    assert.equal(b.code, 0);
    assert.equal(readdirSync(pidDir).length, 8, "each run trained once");
    assert.equal(a.summary.done + b.summary.done, 8);
    assert.equal(a.summary.done + a.summary.skipped, 8, "each coordinator accounts for every run");
    assert.equal(b.summary.done + b.summary.skipped, 8);
    assert.equal(a.summary.failed + b.summary.failed, 0);
    const store = RunStore.open(storeDir, { create: false });
    assert.equal(store.runsOf("e").filter((r) => r.status === "done").length, 8);
    store.close();
  });
});
