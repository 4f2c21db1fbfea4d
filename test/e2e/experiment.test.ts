// End to end through the CLI: noiselab run → store → ls (and report, below).
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { listRuns, noiselab, startNoiselab, tempDir, tinySpec, writeSpec } from "./cli.js";

const hashesOf = (runs: { label: string; weightsHash: string | null }[], variant: string) =>
  runs.filter((r) => r.label.split("/")[1] === variant).map((r) => r.weightsHash);

describe("noiselab run, end to end on synthetic data", () => {
  const dir = tempDir("e2e");
  const store = join(dir, "store");
  const spec = writeSpec(dir, tinySpec("four-variants"));

  test("four variants × 3 replicates: CONTROL bitwise identical, IMPL and ALGO replicates differ", () => {
    const r = noiselab(["run", spec, "--store", store, "--processes", "2", "--threads", "1"]);
    assert.equal(r.status, 0, r.stderr);
    const runs = listRuns(store, "four-variants");
    assert.equal(runs.length, 12);
    assert.ok(runs.every((run) => run.status === "done"));
    const control = hashesOf(runs, "CONTROL");
    assert.equal(new Set(control).size, 1, "CONTROL replicates must have one weights hash");
    assert.equal(new Set(hashesOf(runs, "IMPL")).size, 3, "batch-order noise must make IMPL replicates differ");
    assert.equal(new Set(hashesOf(runs, "ALGO")).size, 3);
    assert.equal(new Set(hashesOf(runs, "ALGO+IMPL")).size, 3);
  });

  test("noiselab report writes Table 2 with all four variants and the control check", () => {
    const prefix = join(dir, "report");
    const r = noiselab(["report", "four-variants", "--store", store, "--out", prefix]);
    assert.equal(r.status, 0, r.stderr);
    const md = readFileSync(`${prefix}.md`, "utf8");
    for (const variant of ["ALGO+IMPL", "ALGO", "IMPL", "CONTROL"]) {
      assert.match(md, new RegExp(`^\\| smallcnn \\| ${variant.replace("+", "\\+")} \\| 3/3 \\|`, "m"), `Table 2 row for ${variant}`);
    }
    assert.match(md, /smallcnn \/ CONTROL: 3\/3 replicates bitwise identical/);
    const html = readFileSync(`${prefix}.html`, "utf8");
    assert.ok(html.includes("<svg"));
    const json = JSON.parse(readFileSync(`${prefix}.json`, "utf8")) as { controlChecks: { bitwiseIdentical: boolean }[] };
    assert.deepEqual(json.controlChecks.map((c) => c.bitwiseIdentical), [true]);
  });

  test("the report includes noiselab check results and their divergence trajectory", () => {
    const checkFile = join(dir, "check.json");
    const check = noiselab(["check", "smallcnn", "--steps", "3", "--batch", "8", "--perturb-ulp", "--trajectory", "--out", checkFile]);
    assert.equal(check.status, 1, check.stderr);
    const prefix = join(dir, "with-check");
    const r = noiselab(["report", "four-variants", "--store", store, "--out", prefix, "--check", checkFile]);
    assert.equal(r.status, 0, r.stderr);
    const md = readFileSync(`${prefix}.md`, "utf8");
    assert.match(md, /## Determinism checks \(noiselab check\)/);
    assert.match(md, /\| smallcnn on random 3×32×32 data \| cpu \| one ulp of one initial weight \| all switches on \| not deterministic \| step 0, forward, features\.0: output/);
    const html = readFileSync(`${prefix}.html`, "utf8");
    assert.match(html, /<figure id="trajectory">/);
    const bad = noiselab(["report", "four-variants", "--store", store, "--out", join(dir, "bad"), "--check", spec]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not a result of noiselab check --out/);
  });

  test("running again skips every completed run", () => {
    const r = noiselab(["run", spec, "--store", store]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /0 trained, 12 already done, 0 failed/);
  });
});

describe("each noise source on its own", () => {
  test("only:init, only:shuffle and only:augment each make replicates differ; only:kernels adds nothing on CPU; with all fixed they agree", () => {
    const dir = tempDir("sources");
    const store = join(dir, "store");
    const spec = writeSpec(
      dir,
      tinySpec("sources", { variants: ["only:init", "only:shuffle", "only:augment", "only:kernels", "CONTROL"], replicates: 2, training: { epochs: 1, batchSize: 32, augment: true } }),
    );
    const r = noiselab(["run", spec, "--store", store]);
    assert.equal(r.status, 0, r.stderr);
    const runs = listRuns(store, "sources");
    for (const variant of ["only:init", "only:shuffle", "only:augment"]) assert.equal(new Set(hashesOf(runs, variant)).size, 2, variant);
    // libtorch's CPU kernels are deterministic whatever the switches say.
    assert.equal(new Set(hashesOf(runs, "only:kernels")).size, 1);
    assert.equal(new Set(hashesOf(runs, "CONTROL")).size, 1);
  });
});

describe("the dropout source", () => {
  test("only:dropout makes replicates of a model with dropout differ (MobileNetV2)", () => {
    const dir = tempDir("dropout");
    const store = join(dir, "store");
    const spec = writeSpec(dir, tinySpec("dropout", { models: ["mobilenetv2"], variants: ["only:dropout", "CONTROL"], replicates: 2, dataset: { kind: "synthetic", trainSize: 128, testSize: 64, imageSize: [1, 12, 12], numClasses: 4 }, training: { epochs: 1, batchSize: 32 } }));
    const r = noiselab(["run", spec, "--store", store]);
    assert.equal(r.status, 0, r.stderr);
    const runs = listRuns(store, "dropout");
    assert.equal(new Set(hashesOf(runs, "only:dropout")).size, 2);
    assert.equal(new Set(hashesOf(runs, "CONTROL")).size, 1);
  });
});

describe("resume after SIGKILL", () => {
  test("killing noiselab run mid-way, then running it again, stores each run exactly once", async () => {
    const dir = tempDir("resume");
    const store = join(dir, "store");
    const spec = writeSpec(dir, tinySpec("resume", { variants: ["ALGO", "CONTROL"], training: { epochs: 3, batchSize: 16 } }));
    const child = startNoiselab(["run", spec, "--store", store, "--processes", "1", "--threads", "1"]);
    const runsDir = join(store, "runs");
    const deadline = Date.now() + 120_000;
    while (!(existsSync(runsDir) && readdirSync(runsDir).length >= 2)) {
      if (Date.now() > deadline) throw new Error("no run completed within 120 s");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const completedBeforeKill = readdirSync(runsDir).length;
    assert.ok(completedBeforeKill < 6, "the kill came too late to interrupt anything");

    const r = noiselab(["run", spec, "--store", store]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`${6 - completedBeforeKill} trained, ${completedBeforeKill} already done, 0 failed`));
    const runs = listRuns(store, "resume");
    assert.equal(runs.length, 6);
    assert.equal(new Set(runs.map((run) => run.key)).size, 6);
    assert.equal(readdirSync(runsDir).length, 6);
    assert.deepEqual(readdirSync(join(store, "staging")), []);
    assert.equal(new Set(hashesOf(runs, "CONTROL")).size, 1);
  });
});

describe("a diverging run", () => {
  test("NaN loss fails each run with the reason and does not stop the others", () => {
    const dir = tempDir("nan");
    const store = join(dir, "store");
    const spec = writeSpec(
      dir,
      tinySpec("diverge", { variants: ["ALGO"], replicates: 2, training: { epochs: 1, batchSize: 32, optimizer: { kind: "sgd", lr: 1e12, momentum: 0.9, warmupEpochs: 0 } } }),
    );
    const r = noiselab(["run", spec, "--store", store, "--processes", "1"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /0 trained, 0 already done, 2 failed/);
    // The cause, not the last line of the worker's crash dump ("Node.js v20…"), in run, ls and report.
    const cause = /loss became (NaN|Infinity|-Infinity) at epoch 1, step \d+/;
    const causeLine = new RegExp(`^ *failed smallcnn/ALGO/r[01]: ${cause.source}$`, "m");
    assert.equal(r.stderr.split("\n").filter((line) => causeLine.test(line)).length, 2, r.stderr);
    const runs = listRuns(store, "diverge");
    assert.equal(runs.length, 2);
    for (const run of runs) {
      assert.equal(run.status, "failed");
      assert.match((run.error ?? "").split("\n")[0], new RegExp(`^${cause.source}$`));
    }
    const ls = noiselab(["ls", "diverge", "--store", store]);
    assert.equal(ls.status, 0, ls.stderr);
    assert.equal(ls.stdout.split("\n").filter((line) => /^smallcnn\/ALGO\/r[01] +failed .*loss became/.test(line)).length, 2, ls.stdout);
    const report = noiselab(["report", "diverge", "--store", store, "--out", join(dir, "report"), "--format", "md"]);
    assert.equal(report.status, 0, report.stderr);
    assert.match(readFileSync(join(dir, "report.md"), "utf8"), cause);
  });
});
