import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { writeNpy } from "../../src/io/npy.js";
import { writeSafetensors } from "../../src/io/safetensors.js";

// dist/test/cli → repository root.
const root = fileURLToPath(new URL("../../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "noiselab-analyze-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function noiselab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, "bin/noiselab.js"), "analyze", ...args], { cwd: dir, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const i32 = (name: string, xs: number[]): string => {
  writeNpy(join(dir, name), { dtype: "i4", shape: [xs.length], data: Int32Array.from(xs) });
  return name;
};
const scores = (name: string, rows: number[][]): string => {
  writeNpy(join(dir, name), { dtype: "f4", shape: [rows.length, rows[0].length], data: Float32Array.from(rows.flat()) });
  return name;
};

// The hand-computed case of test/metrics/churn.test.ts.
const labels = i32("y.npy", [0, 1, 2, 2]);
const preds = [i32("a.npy", [0, 1, 2, 0]), i32("b.npy", [0, 1, 1, 0])];
writeFileSync(join(dir, "c.csv"), "prediction\n1\n1\n2\n2\n");
preds.push("c.csv");

test("json report of the hand-computed case, written atomically to --out", () => {
  writeFileSync(join(dir, "groups.csv"), "sex,age\nF,old\nM,old\nF,young\nM,young\n");
  for (const [r, w] of [[3, 4], [4, 3]].entries()) {
    writeSafetensors(join(dir, `w${r}.safetensors`), { "fc.weight": { dtype: "F32", shape: [2], data: Float32Array.from(w) }, "bn.running_mean": { dtype: "F32", shape: [1], data: Float32Array.from([r]) } });
  }
  const r = noiselab("--pred", ...preds, "--labels", labels, "--groups", "groups.csv", "--weights", "w0.safetensors", "w1.safetensors", "--top", "2", "--out", "report.json");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "");
  const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
  assert.deepEqual(report.inputs, { predictions: preds, labels, groups: "groups.csv", weights: ["w0.safetensors", "w1.safetensors"], compare: null });
  assert.equal(report.comparison, null);
  assert.equal(report.replicates, 3);
  assert.equal(report.classes, 3);
  assert.deepEqual(report.accuracy.top1.perReplicate, [0.75, 0.5, 0.75]);
  assert.equal(report.accuracy.top5, null);
  assert.equal(report.churn.mean, 0.5);
  assert.deepEqual(report.churn.perPair, [0.25, 0.5, 0.75]);
  assert.deepEqual(report.churn.unstableExamples.map((e: { index: number }) => e.index), [0, 2]);
  assert.equal(report.subgroups.groups.length, 2 + 2 + 4);
  assert.equal(report.weights.tensors, 1, "buffers excluded by default");
  assert.ok(Math.abs(report.weights.unitL2.mean - Math.sqrt(0.08)) < 1e-7);
  assert.ok(!readdirSync(dir).some((f) => f.endsWith(".tmp")));
});

test("--compare tests a second replicate set against the first", () => {
  // B: three identical replicates — zero churn and zero accuracy std, against A's 0.5 and 0.144.
  const same = [i32("s0.npy", [0, 1, 2, 0]), i32("s1.npy", [0, 1, 2, 0]), i32("s2.npy", [0, 1, 2, 0])];
  const r = noiselab("--pred", ...preds, "--labels", labels, "--compare", ...same, "--format", "json");
  assert.equal(r.status, 0, r.stderr);
  const c = JSON.parse(r.stdout).comparison;
  assert.deepEqual(c.churnMean, { a: 0.5, b: 0 });
  assert.ok(Math.abs(c.accuracyStd.a - Math.sqrt(1 / 48)) < 1e-12);
  assert.equal(c.accuracyStd.b, 0);
  for (const test of [c.accuracyVarianceBrownForsythe, c.accuracyVariancePermutation, c.churnPermutation]) assert.ok(test.pValue > 0 && test.pValue <= 1);
  const md = noiselab("--pred", ...preds, "--labels", labels, "--compare", ...same, "--format", "md");
  assert.match(md.stdout, /## Comparison: --pred \(A\) vs --compare \(B\)/);
  const bad = noiselab("--pred", ...preds, "--labels", labels, "--compare", i32("short.npy", [0, 1, 2]), i32("short2.npy", [0, 1, 2]));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /short\.npy: 3 examples, but y\.npy has 4 labels/);
});

test("scores enable top-5; md and html formats", () => {
  const rows = (shift: number): number[][] => Array.from({ length: 4 }, (_, x) => Array.from({ length: 7 }, (_, c) => ((c + x + shift) % 7) / 7));
  const s = [scores("s0.npy", rows(0)), scores("s1.npy", rows(1))];
  const json = noiselab("--pred", ...s, "--labels", labels);
  assert.equal(json.status, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  assert.equal(report.predictionKind, "scores");
  assert.equal(report.classes, 7);
  assert.equal(report.accuracy.top5.perReplicate.length, 2);
  const md = noiselab("--pred", ...s, "--labels", labels, "--format", "md");
  assert.equal(md.status, 0, md.stderr);
  assert.match(md.stdout, /^# noiselab analyze/);
  assert.match(md.stdout, /\| top-5 \|/);
  assert.match(md.stdout, /## Churn/);
  const html = noiselab("--pred", ...s, "--labels", labels, "--format", "html", "--out", "r.html");
  assert.equal(html.status, 0, html.stderr);
  const page = readFileSync(join(dir, "r.html"), "utf8");
  assert.match(page, /^<!DOCTYPE html>/);
  assert.match(page, /<svg /);
  assert.match(page, /<table>/);
  assert.ok(!/<script|<link|src=/.test(page), "self-contained");
});

test("--help exits 0", () => {
  const r = noiselab("--help");
  assert.equal(r.status, 0);
  assert.match(r.stdout, /usage: noiselab analyze --pred/);
});

test("bad input: exit 2, one line naming the file and the problem, no --out file", () => {
  const nanScores = scores("nan.npy", [[0.1, 0.9], [NaN, 0.2], [0.5, 0.5], [0.3, 0.7]]);
  const okScores = scores("ok.npy", [[0.1, 0.9], [0.8, 0.2], [0.5, 0.5], [0.3, 0.7]]);
  const corrupt = join(dir, "corrupt.npy");
  writeFileSync(corrupt, Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 20, 0]), Buffer.from("{'descr': '<i4'}    \n")]));
  writeFileSync(join(dir, "empty-group.csv"), "sex\nF\n\nM\nF\n");
  const cases: [string[], RegExp][] = [
    [["--pred", preds[0], i32("short.npy", [0, 1, 2]), "--labels", labels], /^noiselab analyze: short\.npy: 3 examples, but y\.npy has 4 labels$/],
    [["--pred", okScores, okScores, "--labels", i32("y5.npy", [0, 1, 5, 1])], /^noiselab analyze: y5\.npy: label 5 at example 2 is out of range \[0, 2\)$/],
    [["--pred", preds[0], preds[1], "--labels", i32("yneg.npy", [0, -1, 2, 2])], /^noiselab analyze: yneg\.npy: label -1 at example 1 is out of range/],
    [["--pred", okScores, nanScores, "--labels", i32("y2.npy", [0, 1, 1, 0])], /^noiselab analyze: nan\.npy: NaN score at example 1, class 0$/],
    [["--pred", preds[0], "--labels", labels], /^noiselab analyze: a\.npy: a single replicate; churn .* at least 2 --pred files$/],
    [["--pred", ...preds, "--labels", labels, "--groups", "empty-group.csv"], /^noiselab analyze: empty-group\.csv: empty group: row 2, column "sex" has no value$/],
    [["--pred", preds[0], "corrupt.npy", "--labels", labels], /^noiselab analyze: corrupt\.npy: corrupt \.npy header \(no 'fortran_order'\)$/],
    [["--pred", ...preds, "--labels", labels, "--format", "pdf"], /^noiselab analyze: --format must be one of json, md, html, got "pdf"$/],
  ];
  const unwritable = noiselab("--pred", ...preds, "--labels", labels, "--out", "no-such-dir/r.json");
  assert.equal(unwritable.status, 2);
  assert.match(unwritable.stderr, /^noiselab analyze: no-such-dir\/r\.json: cannot write \(ENOENT\)\n$/);
  for (const [args, message] of cases) {
    const r = noiselab(...args, "--out", "fail.json");
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr.trimEnd(), message);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, "one line");
    assert.equal(r.stdout, "");
    assert.ok(!existsSync(join(dir, "fail.json")), "no partial output");
    assert.ok(!readdirSync(dir).some((f) => f.endsWith(".tmp")), "no temporary file");
  }
});

/** Binary labels of n examples, and predictions wrong on the first `wrong` of them. */
function binaryCase(n: number, wrong: number[]): { y: number[]; preds: number[][] } {
  const y = Array.from({ length: n }, (_, i) => i % 2);
  return { y, preds: wrong.map((k) => y.map((label, i) => (i < k ? 1 - label : label))) };
}

test("CSV as pandas and NumPy write it: an index column is dropped, a header-less file keeps its first example", () => {
  // Accuracies 0.835, 0.79, 0.775 on 200 binary examples, as in the example.
  const { y, preds: p } = binaryCase(200, [33, 42, 45]);
  const yFile = i32("bin-y.npy", y);
  // df.to_csv(path) for a DataFrame with one column "pred": the index first, its name empty.
  const pandas = p.map((pred, r) => {
    writeFileSync(join(dir, `pandas${r}.csv`), ",pred\n" + pred.map((v, i) => `${i},${v}\n`).join(""));
    return `pandas${r}.csv`;
  });
  const r = noiselab("--pred", ...pandas, "--labels", yFile);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.predictionKind, "labels");
  assert.deepEqual(report.accuracy.top1.perReplicate, [0.835, 0.79, 0.775]);
  assert.deepEqual(report.churn.perPair, [9 / 200, 12 / 200, 3 / 200]);

  // np.savetxt(path, labels): no header, "%.18e".
  writeFileSync(join(dir, "savetxt-y.csv"), y.map((v) => `${v.toExponential(18)}\n`).join(""));
  const s = noiselab("--pred", ...pandas, "--labels", "savetxt-y.csv");
  assert.equal(s.status, 0, s.stderr);
  const fromSavetxt = JSON.parse(s.stdout);
  assert.equal(fromSavetxt.examples, 200);
  assert.deepEqual(fromSavetxt.accuracy.top1.perReplicate, [0.835, 0.79, 0.775]);

  // pd.Series(labels).to_csv(path, index=False): header "0", which could be a first label 0.
  writeFileSync(join(dir, "series-y.csv"), "0\n" + y.join("\n") + "\n");
  const ambiguous = noiselab("--pred", ...pandas, "--labels", "series-y.csv", "--out", "fail.json");
  assert.equal(ambiguous.status, 2);
  assert.match(ambiguous.stderr, /^noiselab analyze: series-y\.csv: cannot tell whether the first line "0" is a header .*--csv-header no\n$/);
  assert.ok(!existsSync(join(dir, "fail.json")));
  const told = noiselab("--pred", ...pandas, "--labels", "series-y.csv", "--csv-header", "yes");
  assert.equal(told.status, 0, told.stderr);
  assert.deepEqual(JSON.parse(told.stdout).accuracy.top1.perReplicate, [0.835, 0.79, 0.775]);
});

test("class count: from the labels or --classes; a stray or huge predicted class is refused, not a new class", () => {
  const { y, preds: p } = binaryCase(10, [1, 2]);
  const yFile = i32("small-y.npy", y);
  const ok = [i32("small0.npy", p[0]), i32("small1.npy", p[1])];
  const stray = i32("stray.npy", p[1].map((v, i) => (i === 3 ? 100000 : v)));
  const huge = i32("huge.npy", p[1].map((v, i) => (i === 4 ? 2e9 : v)));
  const cases: [string[], RegExp][] = [
    [["--pred", ok[0], stray, "--labels", yFile], /^noiselab analyze: stray\.npy: predicted class 100000 at example 3 is out of range \[0, 2\) of the classes of small-y\.npy; pass --classes C if the test set lacks some classes$/],
    [["--pred", ok[0], huge, "--labels", yFile], /^noiselab analyze: huge\.npy: predicted class 2000000000 at example 4 is out of range \[0, 2\)/],
    [["--pred", ok[0], ok[1], "--labels", i32("huge-y.npy", [...y.slice(0, 9), 2e9])], /^noiselab analyze: huge-y\.npy: label 2000000000 at example 9 is out of range \[0, 100000\); labels are class indices$/],
    [["--pred", ok[0], stray, "--labels", yFile, "--classes", "5"], /^noiselab analyze: stray\.npy: predicted class 100000 at example 3 is out of range \[0, 5\) of --classes 5$/],
    [["--pred", ...ok, "--labels", yFile, "--classes", "2000000000"], /^noiselab analyze: --classes must be at most 100000, got 2000000000$/],
    [["--pred", ...ok, "--labels", yFile, "--compare", ok[0], stray], /^noiselab analyze: stray\.npy: predicted class 100000 at example 3 is out of range \[0, 2\) of the 2 classes of the --pred replicates$/],
  ];
  for (const [args, message] of cases) {
    const r = noiselab(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(message.source.replace(/\$$/, "\\n$")));
  }
  const r = noiselab("--pred", ...ok, "--labels", yFile, "--classes", "3");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).classes, 3);
});
