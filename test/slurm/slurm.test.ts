// The Slurm executor against a real one-node cluster (scripts/start-slurm.sh): an array job's runs
// are read by report, and after scancel of one task only that unit is trained again.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { listRuns, tempDir, tinySpec, writeSpec } from "../e2e/cli.js";
import { noiselabAsync, waitFor } from "../queue/services.js";

const clusterDir = join(tempDir("slurm-cluster"), "cluster");
let skip: string | false = false;
const start = spawnSync("bash", [resolve("scripts/start-slurm.sh"), clusterDir], { encoding: "utf8" });
if (start.status !== 0) {
  skip = `Slurm cannot start here: ${(start.stderr || start.error?.message || "").trim().split("\n").at(-1)}`;
  console.log(`# skipping the Slurm tests: ${skip}`);
}
const env = { SLURM_CONF: join(clusterDir, "slurm.conf") };

/** Array tasks of the store's submitted job that Slurm still lists. */
function squeue(): string[] {
  return execFileSync("squeue", ["-h", "-r", "-o", "%i"], { encoding: "utf8", env: { ...process.env, ...env } }).split("\n").filter((l) => l !== "");
}

describe("noiselab run --slurm on a one-node cluster", { skip }, () => {
  before(() => Object.assign(process.env, env));
  after(() => spawnSync("bash", [resolve("scripts/stop-slurm.sh"), clusterDir]));

  test("an array job trains the experiment's units, and report reads them", async () => {
    const dir = tempDir("slurm-report");
    const store = join(dir, "store");
    const spec = writeSpec(dir, tinySpec("array", { variants: ["CONTROL"], replicates: 2, training: { epochs: 1, batchSize: 32 } }));
    const submitted = await noiselabAsync(["run", spec, "--store", store, "--slurm", "--detach", "--time", "10:00"]);
    assert.equal(submitted.status, 0, submitted.stderr);
    assert.match(submitted.stderr, /submitted job \d+: 2 array task\(s\)/);
    const [batch] = readdirSync(join(store, "slurm"));
    const script = readFileSync(join(store, "slurm", batch, "job.sh"), "utf8");
    assert.match(script, /^#SBATCH --array=0-1$/m);
    assert.match(script, /^#SBATCH --time=10:00$/m);
    await waitFor(() => squeue().length === 0, 120_000, "the array job");
    const report = await noiselabAsync(["report", "array", "--store", store, "--format", "json", "--out", "-"]);
    assert.equal(report.status, 0, report.stderr);
    assert.deepEqual(JSON.parse(report.stdout).controlChecks.map((c: { bitwiseIdentical: boolean }) => c.bitwiseIdentical), [true]);
    assert.deepEqual(listRuns(store, "array").map((r) => r.status), ["done", "done"]);
    assert.equal(existsSync(join(store, "slurm", batch)), false, "a collected batch is removed");
  });

  test("scancel of one task, then run again: only that unit is trained again", async () => {
    const dir = tempDir("slurm-cancel");
    const store = join(dir, "store");
    const spec = writeSpec(dir, tinySpec("cancel", { variants: ["CONTROL"], replicates: 3, training: { epochs: 1, batchSize: 32 } }));
    const submitted = await noiselabAsync(["run", spec, "--store", store, "--slurm", "--detach", "--array-parallel", "1"]);
    assert.equal(submitted.status, 0, submitted.stderr);
    const jobId = /submitted job (\d+)/.exec(submitted.stderr)?.[1] as string;
    execFileSync("scancel", [`${jobId}_2`], { env: { ...process.env, ...env } });
    await waitFor(() => squeue().length === 0, 120_000, "the array job");
    const again = await noiselabAsync(["run", spec, "--store", store, "--slurm"]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /submitted job \d+: 1 array task\(s\)/);
    assert.match(again.stderr, /1 trained, 2 already done, 0 failed/);
    const runs = listRuns(store, "cancel");
    assert.deepEqual(runs.map((r) => r.status), ["done", "done", "done"]);
    assert.equal(new Set(runs.map((r) => r.weightsHash)).size, 1);
  });
});
