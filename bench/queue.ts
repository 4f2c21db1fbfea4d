// Runs per hour of the table2 preset (small scale, Fashion-MNIST) through the local pool against two
// `noiselab worker`s on this machine behind a private redis-server, and the queue's overhead per unit.
// The two sides alternate (the order rotates every repetition) so that the load of other processes on
// the machine hits both alike. Writes its table into docs/benchmarks.md between the bench:queue markers.
//
//   node dist/bench/queue.js [--repeats R] [--replicates N] [--train-subset N] [--test-subset N] [--epochs E]
//
// Overhead per unit: each side runs its units in 2 lanes (2 local processes, or 2 workers of
// concurrency 1). A lane's time not spent inside a worker process is `2 × batch wall − Σ worker wall`;
// divided by the number of units, it is what the executor costs per unit (spawning, staging, commit, and
// for the queue the job round trip and the transfer through Redis), plus any idle tail of the batch.
// The queue's overhead is the difference between the two sides.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { performance } from "node:perf_hooks";
import { parseArgs } from "../src/cli/args.js";
import { median } from "../src/metrics/stats.js";
import { RunStore } from "../src/store/run-store.js";
import { writeBenchmarkSection } from "./benchmarks-doc.js";

const { options } = parseArgs(process.argv.slice(2), {
  repeats: { type: "string", description: "" },
  replicates: { type: "string", description: "" },
  "train-subset": { type: "string", description: "" },
  "test-subset": { type: "string", description: "" },
  epochs: { type: "string", description: "" },
});
const repeats = Number(options.repeats ?? 3);
const runArgs = [
  "table2", "--dataset", "fashion-mnist", "--replicates", options.replicates ?? "2", "--epochs", options.epochs ?? "1",
  "--train-subset", options["train-subset"] ?? "4000", "--test-subset", options["test-subset"] ?? "1000", "--threads", "1",
];
const BIN = join(process.cwd(), "bin/noiselab.js");
const scratch = mkdtempSync(join(tmpdir(), "noiselab-bench-queue-"));

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => child.on("close", (code) => done(code)));
}

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function noiselab(args: string[]): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await exited(child);
  if (code !== 0) throw new Error(`noiselab ${args.join(" ")} exited ${code}:\n${stderr}`);
}

interface Sample {
  units: number;
  wallSeconds: number;
  workerSeconds: number;
}

/** Wall time of one `noiselab run` into a fresh store, and the worker processes' summed wall time. */
async function measure(extra: string[]): Promise<Sample> {
  const store = mkdtempSync(join(scratch, "store-"));
  const t0 = performance.now();
  await noiselab(["run", ...runArgs, "--store", store, ...extra]);
  const wallSeconds = (performance.now() - t0) / 1000;
  const opened = RunStore.open(store, { create: false });
  const runs = opened.runsOf("table2");
  opened.close();
  rmSync(store, { recursive: true, force: true });
  if (runs.some((r) => r.status !== "done")) throw new Error("a run failed");
  return { units: runs.length, wallSeconds, workerSeconds: runs.reduce((sum, r) => sum + r.wallSeconds, 0) };
}

const port = await freePort();
const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
const url = `redis://127.0.0.1:${port}`;
await new Promise((done) => setTimeout(done, 500));
const workers = [1, 2].map((i) => spawn(process.execPath, [BIN, "worker", "--queue", url, "--work-dir", join(scratch, `worker${i}`)], { stdio: "ignore" }));
const samples: Record<"local" | "queue", Sample[]> = { local: [], queue: [] };
const loads: number[] = [];
try {
  // Untimed: loads the dataset into the page cache for both sides.
  await measure(["--processes", "2"]);
  for (let r = 0; r < repeats; r++) {
    const order: ("local" | "queue")[] = r % 2 === 0 ? ["local", "queue"] : ["queue", "local"];
    for (const side of order) {
      loads.push(loadavg()[0]);
      samples[side].push(await measure(side === "local" ? ["--processes", "2"] : ["--queue", url]));
      console.error(`repeat ${r + 1}/${repeats} ${side}: ${samples[side].at(-1)?.wallSeconds.toFixed(1)} s`);
    }
  }
} finally {
  for (const worker of workers) worker.kill("SIGTERM");
  await Promise.all(workers.map(exited));
  redis.kill("SIGTERM");
  rmSync(scratch, { recursive: true, force: true });
}

const runsPerHour = (s: Sample) => (s.units / s.wallSeconds) * 3600;
const overheadPerUnit = (s: Sample) => (2 * s.wallSeconds - s.workerSeconds) / s.units;
const unitSeconds = (s: Sample) => s.workerSeconds / s.units;
const spread = (values: number[], digits: number) => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
const row = (name: string, side: Sample[]) =>
  `| ${name} | ${median(side.map(runsPerHour)).toFixed(0)} (${spread(side.map(runsPerHour), 0)}) | ${median(side.map(unitSeconds)).toFixed(2)} | ${median(side.map(overheadPerUnit)).toFixed(2)} (${spread(side.map(overheadPerUnit), 2)}) |`;
const queueCost = median(samples.queue.map(overheadPerUnit)) - median(samples.local.map(overheadPerUnit));
const unit = median(samples.queue.map(unitSeconds));
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as { packages: Record<string, { version: string }> };
const section = [
  "<!-- bench:queue:start -->",
  "## The Redis queue against the local pool (`bench/queue.ts`)",
  "",
  `\`noiselab run ${runArgs.join(" ")}\` (${samples.local[0].units} runs), into a fresh store each time: the local pool`,
  "with 2 processes against `--queue` with 2 `noiselab worker`s (concurrency 1, 1 thread) on the same machine and a",
  `private redis-server. ${repeats} repetitions, the two sides alternating, the order rotating; median (min–max).`,
  "",
  "| executor | runs per hour | worker process s/unit | lane time outside workers, s/unit |",
  "|---|---|---|---|",
  row("local pool, 2 processes", samples.local),
  row("Redis queue, 2 workers", samples.queue),
  "",
  `The queue's overhead per unit (its lane time outside workers minus the local pool's) is ${queueCost.toFixed(2)} s,`,
  `${((100 * queueCost) / unit).toFixed(2)} % of a unit's ${unit.toFixed(1)} s: the job round trip (the coordinator polls every 0.5 s)`,
  "and the run dir's trip through Redis. Lane time outside workers also holds the tail of a batch in which one lane",
  "is idle, on both sides.",
  "",
  `Machine: ${cpus().length} × ${cpus()[0].model}, shared with other work: load average ${spread(loads, 1)} (median ${median(loads).toFixed(1)})`,
  `during the measurements. Node ${process.version}; bullmq ${lock.packages["node_modules/bullmq"]?.version ?? pkg.dependencies.bullmq},`,
  `ioredis ${lock.packages["node_modules/ioredis"]?.version ?? pkg.dependencies.ioredis}; Debian's redis-server. No GPU was at hand,`,
  "so runs per hour with `--concurrency 1, 2, 4, 8` on one GPU are not measured yet.",
  "<!-- bench:queue:end -->",
].join("\n");
writeBenchmarkSection("queue", section);
console.log(section);
