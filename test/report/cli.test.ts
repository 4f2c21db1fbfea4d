// noiselab report (and the other commands' --out -) through the CLI, on a tiny experiment.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readCsv } from "../../src/io/csv.js";
import { noiselab, tempDir, tinySpec, writeSpec } from "../e2e/cli.js";

const dir = tempDir("report-cli");
const store = join(dir, "store");
after(() => rmSync(dir, { recursive: true, force: true }));

before(() => {
  const spec = tinySpec("tiny", {
    dataset: { kind: "synthetic", trainSize: 64, testSize: 40, imageSize: [1, 8, 8], numClasses: 3, noise: 2 },
    variants: ["ALGO", "CONTROL"],
    replicates: 2,
    training: { epochs: 1, batchSize: 16 },
  });
  const r = noiselab(["run", writeSpec(dir, spec), "--store", store, "--processes", "1", "--threads", "1"]);
  assert.equal(r.status, 0, r.stderr);
});

test("report --out - writes one format to stdout, and no file named -", () => {
  const md = noiselab(["report", "tiny", "--store", store, "--out", "-"], dir);
  assert.equal(md.status, 0, md.stderr);
  assert.match(md.stdout, /^# noiselab report: tiny\n/);
  assert.match(md.stdout, /^\| smallcnn \| CONTROL \| 2\/2 \|/m);
  const json = noiselab(["report", "tiny", "--store", store, "--out", "-", "--format", "json"], dir);
  assert.equal(json.status, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).name, "tiny");
  assert.ok(!existsSync(join(dir, "-")) && !existsSync(join(dir, "-.md")));
  const two = noiselab(["report", "tiny", "--store", store, "--out", "-", "--format", "md", "html"], dir);
  assert.equal(two.status, 2);
  assert.equal(two.stderr, "noiselab report: --out - writes one of md, html, json to stdout; got --format md html\n");
});

test("an unwritable report --out is one line and exit 2, and writes nothing", () => {
  writeFileSync(join(dir, "a-file"), "");
  const r = noiselab(["report", "tiny", "--store", store, "--out", join(dir, "a-file", "report")], dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^noiselab report: .*a-file\/report: cannot write the report \(E[A-Z]+ at .*\)\n$/);
});

test("report --format csv writes the tidy tables; analyze, check and overhead --out - write to stdout", () => {
  const prefix = join(dir, "tidy");
  const r = noiselab(["report", "tiny", "--store", store, "--out", prefix, "--format", "csv"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${prefix}-runs.csv\n${prefix}-slices.csv\n`);
  const runs = readCsv(`${prefix}-runs.csv`);
  assert.deepEqual(runs.rows.map((row) => `${row[2]} ${row[3]} ${row[6]}`), ["ALGO 0 completed", "ALGO 1 completed", "CONTROL 0 completed", "CONTROL 1 completed"]);
  assert.equal(readCsv(`${prefix}-slices.csv`).rows.filter((row) => row[5] === "class").length, 4 * 3);

  writeFileSync(join(dir, "y.csv"), "y\n0\n1\n1\n");
  writeFileSync(join(dir, "p0.csv"), "p\n0\n1\n0\n");
  writeFileSync(join(dir, "p1.csv"), "p\n0\n0\n1\n");
  const analyze = noiselab(["analyze", "--pred", "p0.csv", "p1.csv", "--labels", "y.csv", "--out", "-"], dir);
  assert.equal(analyze.status, 0, analyze.stderr);
  assert.equal(JSON.parse(analyze.stdout).churn.mean, 2 / 3);

  const check = noiselab(["check", "smallcnn", "--steps", "1", "--batch", "4", "--out", "-"], dir);
  assert.equal(check.status, 0, check.stderr);
  assert.equal(JSON.parse(check.stdout).format, "noiselab-check");
  assert.match(check.stderr, /^noiselab check: smallcnn/);
  const overhead = noiselab(["overhead", "--models", "mediumcnn-k1", "--input", "64", "--batch", "2", "--repeats", "1", "--steps", "1", "--warmup", "0", "--out", "-"], dir);
  assert.equal(overhead.status, 0, overhead.stderr);
  assert.equal(JSON.parse(overhead.stdout).models[0].id, "mediumcnn-k1");
  assert.match(overhead.stderr, /# Cost of determinism \(noiselab overhead\)/);
  assert.ok(!existsSync(join(dir, "-")) && !existsSync(join(dir, "-.json")));
  assert.ok(readFileSync(`${prefix}-runs.csv`, "utf8").startsWith("experiment,model,variant,replicate,run,key,status,epoch,accuracy,"));
});
