// The Redis queue (BullMQ) against a real redis-server: workers in their own directories, a worker
// killed mid-unit, device kinds, and enqueuing twice.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { listRuns, tempDir, tinySpec, writeSpec } from "../e2e/cli.js";
import type { RedisServer, StartedWorker } from "./services.js";
import { noiselabAsync, redisUnavailable, startRedis, startWorker, waitFor } from "./services.js";

const unavailable = redisUnavailable();
if (unavailable) console.log(`# skipping the Redis queue tests: ${unavailable}`);

/** Jobs of one device kind's queue by state. */
async function jobCounts(url: string, kind: string): Promise<Record<string, number>> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(`units-${kind}`, { connection, prefix: "noiselab" });
  try {
    return await queue.getJobCounts();
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

const doneLines = (worker: StartedWorker) => worker.log().split("\n").filter((line) => / done /.test(line)).length;

describe("noiselab run --queue with noiselab worker (real Redis)", { skip: unavailable }, () => {
  let redis: RedisServer;
  const workers: StartedWorker[] = [];
  const worker = (args: string[]) => {
    const started = startWorker(args);
    workers.push(started);
    return started;
  };
  before(async () => (redis = await startRedis()));
  after(async () => {
    for (const w of workers) w.child.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.exited));
    redis.stop();
  });

  test("two workers, each in its own directory, train an experiment: the same runs, bit for bit, as the local pool", async () => {
    const dir = tempDir("queue-two");
    const url = `${redis.url}/1`;
    const spec = writeSpec(dir, tinySpec("two", { variants: ["CONTROL"], replicates: 2, training: { epochs: 1, batchSize: 32 } }));
    const local = await noiselabAsync(["run", spec, "--store", join(dir, "local"), "--processes", "2"]);
    assert.equal(local.status, 0, local.stderr);
    const [a, b] = [1, 2].map((i) => worker(["--queue", url, "--work-dir", join(dir, `worker${i}`)]));
    await waitFor(() => /serving/.test(a.log()) && /serving/.test(b.log()), 30_000, "both workers");
    const queued = await noiselabAsync(["run", spec, "--store", join(dir, "queued"), "--queue", url]);
    assert.equal(queued.status, 0, queued.stderr);
    assert.match(queued.stderr, /2 trained, 0 already done, 0 failed/);
    assert.deepEqual([doneLines(a), doneLines(b)], [1, 1], `each worker trained one:\n${a.log()}\n${b.log()}`);
    const hashes = (store: string) => listRuns(join(dir, store), "two").map((r) => [r.label, r.status, r.weightsHash]);
    assert.deepEqual(hashes("queued"), hashes("local"));
    const control = listRuns(join(dir, "queued"), "two").filter((r) => r.label.includes("CONTROL"));
    assert.equal(new Set(control.map((r) => r.weightsHash)).size, 1, "CONTROL replicates are identical");
    const reports = await Promise.all(["local", "queued"].map((store) => noiselabAsync(["report", "two", "--store", join(dir, store), "--format", "json", "--out", "-"])));
    const controlChecks = reports.map((r) => JSON.parse(r.stdout).controlChecks);
    assert.deepEqual(controlChecks[1], controlChecks[0]);
    assert.deepEqual(await jobCounts(url, "cpu"), { active: 0, completed: 0, delayed: 0, failed: 0, prioritized: 0, waiting: 0, "waiting-children": 0 }, "collected jobs are deleted");
    for (const w of [a, b]) w.child.kill("SIGTERM");
  });

  test("a worker killed with SIGKILL mid-unit: another worker completes the unit, once", async () => {
    const dir = tempDir("queue-kill");
    const url = `${redis.url}/2`;
    const spec = writeSpec(dir, tinySpec("kill", { variants: ["CONTROL"], replicates: 1, training: { epochs: 6, batchSize: 16 } }));
    const victim = worker(["--queue", url, "--work-dir", join(dir, "victim"), "--lease", "3"]);
    await waitFor(() => /serving/.test(victim.log()), 30_000, "the first worker");
    const coordinator = noiselabAsync(["run", spec, "--store", join(dir, "store"), "--queue", url]);
    await waitFor(() => / start /.test(victim.log()), 30_000, "the first worker to start the unit");
    // At once: on an idle machine this tiny unit trains in about a second.
    victim.child.kill("SIGKILL");
    const rescuer = worker(["--queue", url, "--work-dir", join(dir, "rescuer"), "--lease", "3"]);
    const result = await coordinator;
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /1 trained, 0 already done, 0 failed/);
    assert.equal(doneLines(victim), 0);
    assert.equal(doneLines(rescuer), 1, rescuer.log());
    const runs = listRuns(join(dir, "store"), "kill");
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, "done");
    rescuer.child.kill("SIGTERM");
  });

  test("a CPU-only worker never takes a cuda unit, and enqueuing an experiment twice trains nothing twice", async () => {
    const dir = tempDir("queue-kinds");
    const url = `${redis.url}/3`;
    const gpuSpec = writeSpec(dir, tinySpec("gpu", { variants: ["CONTROL"], replicates: 2, training: { epochs: 1, batchSize: 32 }, environments: [{ name: "gpu", device: "cuda" }] }), "gpu.json");
    const cpuSpec = writeSpec(dir, tinySpec("cpu", { variants: ["CONTROL"], replicates: 1, training: { epochs: 1, batchSize: 32 } }), "cpu.json");
    const store = join(dir, "store");
    for (const spec of [gpuSpec, cpuSpec, cpuSpec]) {
      const r = await noiselabAsync(["run", spec, "--store", store, "--queue", url, "--detach"]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /no worker serves it yet/);
    }
    assert.equal((await jobCounts(url, "cpu")).waiting, 1, "the second enqueue added nothing");
    assert.equal((await jobCounts(url, "cuda")).waiting, 2);
    const cpu = worker(["--queue", url, "--work-dir", join(dir, "cpu-worker")]);
    const r = await noiselabAsync(["run", cpuSpec, "--store", store, "--queue", url]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /1 trained, 0 already done, 0 failed/);
    assert.equal(doneLines(cpu), 1, "the CPU unit trained once");
    assert.deepEqual(listRuns(store, "gpu"), []);
    const cuda = await jobCounts(url, "cuda");
    assert.equal(cuda.waiting, 2, "the cuda units still wait for a cuda worker");
    assert.equal(cuda.active + cuda.completed + cuda.failed, 0);
    assert.doesNotMatch(cpu.log(), /CONTROL\/r1/, "the CPU worker started no unit of the cuda experiment");
    cpu.child.kill("SIGTERM");
  });
});
