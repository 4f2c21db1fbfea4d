// Load test of `noiselab serve` on a store of 2,000 runs, against 127.0.0.1 only: 50 concurrent
// clients (keep-alive connections) for 10 s request a mix of the dashboard's pages and API calls;
// every answer must be 200. As a peer in the same run, Node's bare http server answering a fixed
// body under the same load (the floor for any Node server on this machine). Also the time to list
// the store (cold, then warm) and to compute one experiment's report (cold, then cached).
// Writes its section into docs/benchmarks.md between the bench:serve markers with --write.
//
//   node dist/bench/serve-load.js [--runs 2000] [--experiments 20] [--clients 50] [--seconds 10] [--rounds 3] [--write]
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "../src/cli/args.js";
import { median, quantile } from "../src/metrics/stats.js";
import { writeSyntheticExperiment } from "../test/serve/synthetic-store.js";
import { writeBenchmarkSection } from "./benchmarks-doc.js";

const { options } = parseArgs(process.argv.slice(2), {
  runs: { type: "string", description: "" },
  experiments: { type: "string", description: "" },
  clients: { type: "string", description: "" },
  seconds: { type: "string", description: "" },
  rounds: { type: "string", description: "" },
  write: { type: "boolean", description: "" },
});
const RUNS = Number(options.runs ?? 2000);
const EXPERIMENTS = Number(options.experiments ?? 20);
const CLIENTS = Number(options.clients ?? 50);
const SECONDS = Number(options.seconds ?? 10);
const ROUNDS = Number(options.rounds ?? 3);
const VARIANTS = ["ALGO+IMPL", "ALGO", "IMPL", "CONTROL"];
const HOST = "127.0.0.1";

interface Timed {
  status: number;
  ms: number;
  bytes: number;
}

function get(agent: Agent, port: number, path: string): Promise<Timed> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = request({ host: HOST, port, path, agent }, (res) => {
      let bytes = 0;
      res.on("data", (c: Buffer) => (bytes += c.length));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - start) / 1e6, bytes }));
      res.on("error", () => resolve({ status: 0, ms: Number(process.hrtime.bigint() - start) / 1e6, bytes }));
    });
    req.on("error", () => resolve({ status: 0, ms: Number(process.hrtime.bigint() - start) / 1e6, bytes: 0 }));
    req.end();
  });
}

/** CLIENTS loops, each requesting the next path of `paths` until SECONDS have passed. */
interface LoadResult {
  latencies: Float64Array;
  errors: number;
  byRoute: Map<string, number[]>;
  seconds: number;
}

function row(name: string, r: LoadResult): string {
  const n = r.latencies.length;
  return `| ${name} | ${n} | ${r.errors} | ${(n / r.seconds).toFixed(0)} | ${ms(p(r.latencies, 0.5))} | ${ms(p(r.latencies, 0.99))} | ${ms(r.latencies[n - 1])} |`;
}

async function load(port: number, paths: string[]): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies: number[] = [];
  const byRoute = new Map<string, number[]>();
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) {
        const path = paths[next++ % paths.length];
        const r = await get(agent, port, path);
        if (r.status !== 200) errors++;
        latencies.push(r.ms);
        const route = routeOf(path);
        const list = byRoute.get(route) ?? [];
        list.push(r.ms);
        byRoute.set(route, list);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { latencies: Float64Array.from(latencies).sort(), errors, byRoute, seconds };
}

function routeOf(path: string): string {
  return path
    .replace(/\?.*$/, "")
    .replace(/[0-9a-f]{64}/, "<key>")
    .replace(/exp-\d+/, "<experiment>")
    .replace(/\/\d+\.png$/, "/<index>.png");
}

const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1));
const p = (sorted: Float64Array, q: number): number => quantile(sorted, q);

async function startServe(store: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ["bin/noiselab.js", "serve", "--store", store, "--port", "0", "--host", HOST], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`noiselab serve exited with ${code}`)));
  });
  return { child, port };
}

/** The peer: Node's http module answering every request with a fixed body. */
async function startBare(body: Buffer): Promise<{ close: () => void; port: number }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return { close: () => server.close(), port: (server.address() as AddressInfo).port };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "noiselab-serve-load-"));
  const store = join(dir, "store");
  const load0 = loadavg()[0];
  const perExperiment = Math.ceil(RUNS / EXPERIMENTS / VARIANTS.length);
  const genStart = performance.now();
  const keys: string[] = [];
  for (let e = 0; e < EXPERIMENTS; e++) {
    const planned = writeSyntheticExperiment(store, { name: `exp-${e}`, variants: VARIANTS, replicates: perExperiment, testSize: 200, numClasses: 10, failures: [1], seed: e + 1 });
    keys.push(...planned.map((r) => r.key));
  }
  const genSeconds = (performance.now() - genStart) / 1000;
  console.error(`store: ${keys.length} runs in ${EXPERIMENTS} experiments, written in ${genSeconds.toFixed(1)} s`);

  const serve = await startServe(store);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const listCold = await get(agent, serve.port, "/api/experiments");
    const listWarm: number[] = [];
    for (let i = 0; i < 20; i++) listWarm.push((await get(agent, serve.port, "/api/experiments")).ms);
    const runsListCold = await get(agent, serve.port, "/api/experiments/exp-0");
    const runsListWarm: number[] = [];
    for (let i = 0; i < 20; i++) runsListWarm.push((await get(agent, serve.port, "/api/experiments/exp-0")).ms);
    const reportCold: number[] = [runsListCold.ms];
    // Every experiment's report once (cold), so that the load phase measures the cache as a user meets it after a first visit.
    for (let e = 1; e < EXPERIMENTS; e++) reportCold.push((await get(agent, serve.port, `/api/experiments/exp-${e}`)).ms);
    const paths: string[] = [];
    for (let i = 0; i < 200; i++) {
      const e = i % EXPERIMENTS;
      const key = keys[(i * 7919) % keys.length];
      paths.push(
        ["/", "/api/experiments", `/experiments/exp-${e}`, `/api/experiments/exp-${e}`, `/api/experiments/exp-${e}/unstable`, `/api/runs/${key}`, "/static/app.js", `/api/experiments/exp-${e}/examples/${i % 200}.png`][i % 8],
      );
    }
    // Interleaved rounds: the machine's load changes over a minute, and both servers meet it alike.
    const bare = await startBare(Buffer.alloc(4096, "x"));
    const rounds: { dashboard: LoadResult; peer: LoadResult }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const dashboard = await load(serve.port, paths);
      const peer = await load(bare.port, paths);
      rounds.push({ dashboard, peer });
    }
    bare.close();
    // Per-route figures from the round with the median p99.
    const byP99 = [...rounds].sort((a, b) => p(a.dashboard.latencies, 0.99) - p(b.dashboard.latencies, 0.99));
    const dashboard = byP99[Math.floor(ROUNDS / 2)].dashboard;
    const errors = rounds.reduce((sum, r) => sum + r.dashboard.errors + r.peer.errors, 0);
    const load1 = loadavg()[0];

    const rows = [...dashboard.byRoute.entries()].map(([route, list]) => {
      const sorted = Float64Array.from(list).sort();
      return `| \`${route}\` | ${list.length} | ${ms(p(sorted, 0.5))} | ${ms(p(sorted, 0.99))} |`;
    });
    const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
    const section = [
      "<!-- bench:serve:start -->",
      "## Dashboard under load (`bench/serve-load.ts`)",
      "",
      `\`noiselab serve\` ${version} on a store of ${keys.length} runs (${EXPERIMENTS} experiments × 4 variants × ${perExperiment} replicates, one failed run each; made-up predictions of 200 test examples, written through the store's API in ${genSeconds.toFixed(1)} s), ` +
        `Node ${process.version}, ${cpus().length}× ${cpus()[0].model}. Load average ${load0.toFixed(1)} before and ${load1.toFixed(1)} after: other engineers' builds and tests shared the machine, so these are upper bounds. ` +
        `${CLIENTS} concurrent keep-alive clients on 127.0.0.1 for ${SECONDS} s, each requesting the next of a fixed mix of pages, API calls, a script and thumbnails; the reports were computed once before (cold times below). ` +
        `The peer: Node's bare http server answering a fixed 4 KiB body, same clients and duration, right after; ${ROUNDS} rounds of the two, interleaved.`,
      "",
      "| | Requests | Errors | Throughput (req/s) | p50 (ms) | p99 (ms) | max (ms) |",
      "|---|---:|---:|---:|---:|---:|---:|",
      ...rounds.flatMap((r, i) => [row(`noiselab serve, round ${i + 1}`, r.dashboard), row(`peer: bare Node http, round ${i + 1}`, r.peer)]),
      "",
      `Median over the rounds: noiselab serve p50 ${ms(median(rounds.map((r) => p(r.dashboard.latencies, 0.5))))} ms, p99 ${ms(median(rounds.map((r) => p(r.dashboard.latencies, 0.99))))} ms; the peer p50 ${ms(median(rounds.map((r) => p(r.peer.latencies, 0.5))))} ms, p99 ${ms(median(rounds.map((r) => p(r.peer.latencies, 0.99))))} ms. Errors in all rounds: ${errors}.`,
      "",
      "Per route, in the round with the median p99:",
      "",
      "| Route | Requests | p50 (ms) | p99 (ms) |",
      "|---|---:|---:|---:|",
      ...rows,
      "",
      "One client alone, one request at a time:",
      "",
      "| | ms |",
      "|---|---:|",
      `| list the store's ${keys.length} runs by experiment and state (\`/api/experiments\`), first request (reads every spec) | ${ms(listCold.ms)} |`,
      `| the same, later (median of 20; spread ${ms(Math.min(...listWarm))}–${ms(Math.max(...listWarm))}) | ${ms(quantile(Float64Array.from(listWarm).sort(), 0.5))} |`,
      `| one experiment's report and runs (\`/api/experiments/<name>\`), first request: reads ${perExperiment * 4 - 1} runs' artifacts and computes every metric (median over the ${EXPERIMENTS} experiments; spread ${ms(Math.min(...reportCold))}–${ms(Math.max(...reportCold))}) | ${ms(quantile(Float64Array.from(reportCold).sort(), 0.5))} |`,
      `| the same, cached (median of 20; spread ${ms(Math.min(...runsListWarm))}–${ms(Math.max(...runsListWarm))}) | ${ms(quantile(Float64Array.from(runsListWarm).sort(), 0.5))} |`,
      "<!-- bench:serve:end -->",
    ].join("\n");
    console.log(section);
    if (options.write) {
      writeBenchmarkSection("serve", section);
    }
    if (errors > 0) process.exitCode = 1;
  } finally {
    agent.destroy();
    serve.child.kill("SIGINT");
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
