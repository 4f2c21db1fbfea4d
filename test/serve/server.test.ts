// noiselab serve without a browser: what the API answers, that it computes each report once per
// state of the runs, and that it cannot be used to read outside the store or to write anything.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { PNG } from "pngjs";
import { makeSyntheticSplits } from "../../src/data/index.js";
import type { PlannedRun } from "../../src/experiment/plan.js";
import { readNpy } from "../../src/io/npy.js";
import type { RunningServer } from "../../src/serve/server.js";
import { isLoopback, startServer } from "../../src/serve/server.js";
import { RunStore } from "../../src/store/run-store.js";
import { BIN, tempDir } from "../e2e/cli.js";
import { writeSyntheticExperiment } from "./synthetic-store.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with the path sent exactly as given (no client-side normalisation of `..` or `%2e`). */
function raw(base: string, path: string, options: { method?: string; host?: string } = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: options.method ?? "GET", headers: options.host ? { Host: options.host } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

const jsonOf = (r: Reply): unknown => JSON.parse(r.body.toString("utf8"));

/** Every file under `dir` with its size and modification time: what a write would change. */
function snapshot(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => {
      const path = join(e.parentPath, e.name);
      const s = statSync(path);
      return `${relative(dir, path)} ${s.size} ${s.mtimeMs}`;
    })
    .sort()
    .join("\n");
}

describe("noiselab serve: API and security", () => {
  const dir = tempDir("serve");
  const storeDir = join(dir, "store");
  let synth: PlannedRun[];
  let partial: PlannedRun[];
  let store: RunStore;
  let running: RunningServer;
  let base: string;
  let writer: RunStore;

  before(async () => {
    synth = writeSyntheticExperiment(storeDir, { name: "synth", variants: ["ALGO+IMPL", "CONTROL"], replicates: 3, testSize: 60, numClasses: 3, failures: [2] });
    partial = writeSyntheticExperiment(storeDir, { name: "partial", variants: ["CONTROL"], replicates: 4, testSize: 20, numClasses: 3, recorded: [0], seed: 2 });
    writer = RunStore.open(storeDir);
    // A run being trained now: a staging dir of a live process (this one), with the unit.json the runner writes there.
    const staging = writer.createStaging(partial[1].key);
    writeFileSync(join(staging, "unit.json"), JSON.stringify({ ...partial[1], threads: 1 }));
    store = RunStore.open(storeDir, { readOnly: true });
    running = await startServer({ store, host: "127.0.0.1", port: 0, determinism: { checks: [], overhead: null }, pollMs: 100 });
    base = running.url;
  });

  after(async () => {
    await running.close();
    store.close();
    writer.close();
  });

  test("the experiment list counts runs done, running, failed and queued", async () => {
    const r = await raw(base, "/api/experiments");
    assert.equal(r.status, 200);
    const list = jsonOf(r) as { name: string; planned: number; done: number; running: number; failed: number; queued: number }[];
    const byName = Object.fromEntries(list.map((e) => [e.name, e]));
    assert.deepEqual({ ...byName.synth, created: undefined }, { name: "synth", created: undefined, planned: 6, done: 5, running: 0, failed: 1, queued: 0 });
    assert.deepEqual({ ...byName.partial, created: undefined }, { name: "partial", created: undefined, planned: 4, done: 1, running: 1, failed: 0, queued: 2 });
  });

  test("an experiment's report is computed once per state of its runs, and again when a run is added", async () => {
    const first = jsonOf(await raw(base, "/api/experiments/partial")) as { runs: unknown[]; blocks: { kind: string }[] };
    assert.equal(first.runs.length, 1);
    assert.ok(first.blocks.some((b) => b.kind === "table"));
    const view = running.dashboard.view;
    const computed = view.reportsComputed;
    await raw(base, "/api/experiments/partial");
    await raw(base, "/api/experiments/partial");
    assert.equal(view.reportsComputed, computed, "unchanged runs: the cached report is served");
    // Another writer commits a run: the next request sees it and computes the report again.
    writeSyntheticExperiment(storeDir, { name: "partial", variants: ["CONTROL"], replicates: 4, testSize: 20, numClasses: 3, recorded: [2], seed: 2 });
    const after = jsonOf(await raw(base, "/api/experiments/partial")) as { runs: unknown[]; state: { done: number; running: number; queued: number } };
    assert.equal(after.runs.length, 2);
    assert.deepEqual([after.state.done, after.state.running, after.state.queued], [2, 1, 1]);
    assert.equal(view.reportsComputed, computed + 1);
  });

  test("charts download as SVG and PNG, rendered like noiselab report's files", async () => {
    const svg = await raw(base, "/api/experiments/synth/charts/fig2.svg");
    assert.equal(svg.status, 200);
    assert.match(String(svg.headers["content-type"]), /^image\/svg\+xml/);
    assert.match(String(svg.headers["content-disposition"]), /attachment; filename="synth-fig2.svg"/);
    assert.match(svg.body.toString("utf8"), /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const png = await raw(base, "/api/experiments/synth/charts/curves.png?variant=CONTROL");
    assert.equal(png.status, 200);
    assert.deepEqual([...png.body.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal((await raw(base, "/api/experiments/synth/charts/nope.svg")).status, 404);
  });

  test("unstable examples: the highest per-example disagreement across replicates, from the runs' own predictions", async () => {
    const r = await raw(base, "/api/experiments/synth/unstable?variant=ALGO%2BIMPL&limit=5");
    assert.equal(r.status, 200, r.body.toString());
    const view = jsonOf(r) as { runs: string[]; examples: { index: number; label: number; disagreement: number; predictions: number[] }[] };
    // Independently: the replicates' predictions as stored, and the share of replicate pairs that differ.
    const done = synth.filter((u) => u.variant === "ALGO+IMPL" && u.replicate !== 2);
    assert.deepEqual(view.runs, done.map((u) => u.label));
    const preds = done.map((u) => readNpy(join(storeDir, "runs", u.key, "predictions-e2.npy")).data as Int32Array);
    const labels = readNpy(join(storeDir, "runs", done[0].key, "test-labels.npy")).data as Int32Array;
    const d = (i: number) => (preds[0][i] !== preds[1][i] ? 1 : 0);
    const expected = Array.from(labels, (_, i) => i)
      .sort((a, b) => d(b) - d(a) || a - b)
      .slice(0, 5)
      .filter((i) => d(i) > 0);
    assert.deepEqual(view.examples.map((x) => x.index), expected);
    for (const x of view.examples) {
      assert.equal(x.label, labels[x.index]);
      assert.deepEqual(x.predictions, [preds[0][x.index], preds[1][x.index]]);
      assert.equal(x.disagreement, 1);
    }
    const ofClass = jsonOf(await raw(base, "/api/experiments/synth/unstable?variant=ALGO%2BIMPL&class=1")) as { examples: { label: number }[] };
    assert.ok(ofClass.examples.length > 0);
    assert.ok(ofClass.examples.every((x) => x.label === 1));
  });

  test("thumbnails are the dataset's own test images", async () => {
    const r = await raw(base, "/api/experiments/synth/examples/7.png");
    assert.equal(r.status, 200);
    const png = PNG.sync.read(r.body);
    assert.deepEqual([png.width, png.height], [96, 96], "8×8 images scaled up 12×");
    const test = makeSyntheticSplits({ trainSize: 40, testSize: 60, imageSize: [1, 8, 8], numClasses: 3 }).test;
    const pixels = (test.images as Float32Array).subarray(7 * 64, 8 * 64);
    const lo = Math.min(...pixels);
    const hi = Math.max(...pixels);
    for (const [y, x] of [[0, 0], [3, 5], [7, 7]]) {
      const expected = Math.round(((pixels[y * 8 + x] - lo) * 255) / (hi - lo));
      assert.equal(png.data[(y * 12 * 96 + x * 12) * 4], expected, `pixel (${y}, ${x})`);
    }
    assert.equal((await raw(base, "/api/experiments/synth/examples/60.png")).status, 404);
  });

  test("a run: config, curve, artifact list, and a failed run's message", async () => {
    const done = jsonOf(await raw(base, `/api/runs/${synth[0].key}`)) as { status: string; curve: unknown[]; artifacts: { name: string }[]; config: { variant: string }; fingerprint: unknown };
    assert.equal(done.status, "done");
    assert.equal(done.config.variant, "ALGO+IMPL");
    assert.equal(done.curve.length, 2);
    assert.ok(done.artifacts.some((a) => a.name === "weights.safetensors"));
    assert.equal(done.fingerprint, null);
    const file = await raw(base, `/api/runs/${synth[0].key}/files/curve.json`);
    assert.equal(file.status, 200);
    assert.equal((JSON.parse(file.body.toString()) as unknown[]).length, 2);
    const failed = jsonOf(await raw(base, `/api/runs/${synth[2].key}`)) as { status: string; error: string; artifacts: unknown[] };
    assert.equal(failed.status, "failed");
    assert.match(failed.error, /synthetic failure of smallcnn\/ALGO\+IMPL\/r2/);
    assert.deepEqual(failed.artifacts, []);
  });

  test("path traversal, encoded or not, and files outside the store are refused", async () => {
    const key = synth[0].key;
    // A link inside a run directory that points outside the store.
    writeFileSync(join(dir, "secret.txt"), "SECRET-OUTSIDE-THE-STORE");
    symlinkSync(join(dir, "secret.txt"), join(storeDir, "runs", key, "link.txt"));
    const attempts = [
      "/static/../package.json",
      "/static/%2e%2e/%2e%2e/package.json",
      "/static/%2E%2E%2Fpackage.json",
      "/static/..%2f..%2fpackage.json",
      "/static/..%5c..%5cpackage.json",
      "/../../../etc/passwd",
      "/%2e%2e/%2e%2e/etc/passwd",
      "//etc/passwd",
      "/static/%252e%252e/package.json",
      `/api/runs/${key}/files/../../noiselab.sqlite`,
      `/api/runs/${key}/files/%2e%2e/%2e%2e/noiselab.sqlite`,
      `/api/runs/${key}/files/..%2f..%2fnoiselab.sqlite`,
      `/api/runs/${key}/files/link.txt`,
      `/api/runs/${key}/files/%2fetc%2fpasswd`,
      `/api/runs/${key}/files/%00result.json`,
      "/api/runs/..%2f..%2fnoiselab.sqlite/files/x",
      "/api/experiments/..%2fsynth",
      "/static/noiselab.sqlite",
    ];
    for (const path of attempts) {
      const r = await raw(base, path);
      assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
      const text = r.body.toString("latin1");
      assert.ok(!text.includes("SECRET-OUTSIDE") && !text.includes("root:") && !text.includes("SQLite format") && !text.includes('"devDependencies"'), `${path} leaked a file`);
    }
  });

  test("nothing can be written through the server: only GET and HEAD, others 405, and the store is unchanged", async () => {
    const beforeRequests = snapshot(storeDir);
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"]) {
      for (const path of ["/", "/api/experiments", `/api/runs/${synth[0].key}`, `/api/runs/${synth[0].key}/files/result.json`]) {
        const r = await raw(base, path, { method });
        assert.equal(r.status, 405, `${method} ${path}`);
        assert.equal(r.headers.allow, "GET, HEAD");
      }
    }
    const head = await raw(base, "/api/experiments", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    for (const path of ["/", "/api/experiments", "/api/experiments/synth", "/api/experiments/synth/unstable", `/api/runs/${synth[0].key}`, "/experiments/synth"]) {
      assert.equal((await raw(base, path)).status, 200, path);
    }
    assert.equal(snapshot(storeDir), beforeRequests, "the store's files are unchanged");
  });

  test("malformed query parameters give 400 with a one-line message, and the server keeps answering", async () => {
    const bad = [
      "/api/experiments/synth/unstable?limit=abc",
      "/api/experiments/synth/unstable?limit=-1",
      "/api/experiments/synth/unstable?limit=0",
      "/api/experiments/synth/unstable?limit=99999999999999999999",
      "/api/experiments/synth/unstable?class=x",
      "/api/experiments/synth/unstable?class=99",
      "/api/experiments/synth/unstable?attribute=sex",
      "/api/experiments/synth/unstable?attribute=sex&value=F",
      "/api/experiments/synth/unstable?model=nope",
      "/api/experiments/synth?variant=NOPE",
      "/api/experiments/synth?variant=",
      "/api/experiments/synth?variant=CONTROL,,ALGO",
      "/api/experiments/synth?environment=gpu-a100",
      "/api/experiments/synth?bogus=1",
      "/api/experiments/synth?variant=CONTROL&variant=ALGO",
      "/api/experiments/synth?%zz=1",
      "/api/experiments/synth?variant=%E0%A4%A",
      "/api/experiments?x",
      "/api/experiments/synth/examples/abc.png",
      "/experiments/synth?bogus=%",
      "/api/events?x=1",
    ];
    for (const path of bad) {
      const r = await raw(base, path);
      assert.equal(r.status, 400, `${path}: ${r.status} ${r.body.toString()}`);
      const { error } = jsonOf(r) as { error: string };
      assert.ok(error.length > 0 && !error.includes("\n") && !/at .*\.js:\d+/.test(error), `${path}: ${error}`);
    }
    assert.equal((await raw(base, "/api/experiments")).status, 200);
    assert.equal((await raw(base, "/api/experiments/nope")).status, 404);
  });

  test("bound to loopback, a request naming another host is refused (DNS rebinding)", async () => {
    assert.equal((await raw(base, "/api/experiments", { host: "evil.example:80" })).status, 400);
    assert.equal((await raw(base, "/api/experiments", { host: "localhost" })).status, 200);
    assert.ok(isLoopback("127.0.0.1") && isLoopback("::1") && isLoopback("localhost") && isLoopback("[::1]"));
    assert.ok(!isLoopback("0.0.0.0") && !isLoopback("192.168.1.4") && !isLoopback("::"));
  });
});

describe("noiselab serve on the command line", () => {
  test("a non-loopback --host prints a warning; it serves without the native engine; Ctrl-C stops it", async () => {
    const dir = tempDir("serve-cli");
    writeSyntheticExperiment(join(dir, "store"), { name: "cli", variants: ["CONTROL"], replicates: 2, testSize: 10, numClasses: 2 });
    const child = spawn(process.execPath, [BIN, "serve", "--store", join(dir, "store"), "--host", "0.0.0.0", "--port", "0"], {
      env: { ...process.env, NOISELAB_ADDON: "/nonexistent/noiselab.node" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
        const m = /(http:\/\/\S+?)\/ /.exec(stdout);
        if (m) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    assert.match(stderr, /warning: --host 0\.0\.0\.0 is not a loopback address; anyone who can reach this machine/);
    const port = new URL(url).port;
    const r = await raw(`http://127.0.0.1:${port}`, "/api/experiments", { host: "192.0.2.1" });
    assert.equal(r.status, 200, "a non-loopback server answers any Host");
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGINT");
    assert.equal(await exited, 0);
  });

  test("a missing store and a bad port: one line, exit 2", async () => {
    const { spawnSync } = await import("node:child_process");
    const dir = tempDir("serve-bad");
    for (const [args, message] of [
      [["--store", join(dir, "none")], /^noiselab serve: no store at .*none/],
      [["--port", "99999"], /^noiselab serve: --port must be at most 65535/],
      [["--bogus"], /^noiselab serve: unknown option --bogus/],
    ] as const) {
      const r = spawnSync(process.execPath, [BIN, "serve", ...args], { encoding: "utf8", env: { ...process.env, NOISELAB_ADDON: "/nonexistent/noiselab.node" } });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});
