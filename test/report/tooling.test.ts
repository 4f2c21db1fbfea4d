// Tooling noise in the report: the same synthetic runs "trained" in three environments, two of which
// computed bitwise the same models and one of which did not; same-seed pairs, Fig. 6, the environment
// matrix and the interchangeability sentences, in every output format.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { renderChartSvg } from "../../src/document/charts.js";
import { readCsv } from "../../src/io/csv.js";
import type { VariantGroup } from "../../src/experiment/results.js";
import { distance } from "../../src/report/format.js";
import { buildReport, pairsTable, renderHtml, renderJson, renderMarkdown, reportCharts, runsTable, writeReport } from "../../src/report/index.js";
import { seededRandom, syntheticGroups, syntheticResults } from "./synthetic.js";

const OPTIONS = { resamples: 100, permutations: 100 };
const dir = mkdtempSync(join(tmpdir(), "noiselab-tooling-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const IDENTICAL = "cpu-1t";
const TWIN = "cpu-2t";
const DIFFERENT = "cpu-bf16";

/** `groups` in another environment whose arithmetic differed: every weight hash changes, 5% of predictions are re-drawn. */
function perturbed(groups: VariantGroup[], environment: string): VariantGroup[] {
  const rand = seededRandom(7);
  return groups.map((g) => ({
    ...g,
    environment,
    runs: g.runs.map((r) => ({ ...r, weightsHash: `${environment}-${r.weightsHash}`.slice(0, 64), toolchain: "b".repeat(64) })),
    set: { ...g.set, predictions: g.set.predictions.map((p) => p.map((c) => (rand() < 0.05 ? (c + 1) % g.set.numClasses : c))) },
    weights: g.weights.map((w) => ({
      tensors: Object.fromEntries(Object.entries(w.tensors).map(([name, t]) => [name, { shape: t.shape, data: (t.data as Float32Array).map((x) => x + (rand() - 0.5) * 0.01) }])),
    })),
  }));
}

function inEnvironment(groups: VariantGroup[], environment: string, toolchain = "a".repeat(64)): VariantGroup[] {
  return groups.map((g) => ({ ...g, environment, runs: g.runs.map((r) => ({ ...r, toolchain })) }));
}

function threeEnvironments() {
  const base = syntheticGroups({ replicates: 3 });
  return { base, results: syntheticResults({}, [...inEnvironment(base, IDENTICAL), ...inEnvironment(base, TWIN), ...perturbed(base, DIFFERENT)]) };
}

function churnOf(a: Int32Array, b: Int32Array): number {
  let differ = 0;
  for (let x = 0; x < a.length; x++) if (a[x] !== b[x]) differ++;
  return differ / a.length;
}

test("a single environment, named or not, renders exactly as before: no tooling sections, no environment columns", async () => {
  const plain = buildReport(syntheticResults(), OPTIONS);
  const named = buildReport(syntheticResults({}, inEnvironment(syntheticGroups(), "cpu")), OPTIONS);
  assert.equal(plain.tooling, undefined);
  assert.ok(plain.groups.every((g) => !("environment" in g)) && plain.groups.every((g) => g.runs.every((r) => !("toolchain" in r))));
  assert.equal(renderJson(named), renderJson(plain));
  assert.equal(renderMarkdown(named), renderMarkdown(plain));
  assert.equal(await renderHtml(named), await renderHtml(plain));
  assert.doesNotMatch(renderMarkdown(plain), /Tooling noise|Fig\. 6|Environment \|/);
  assert.ok(!reportCharts(plain).some((c) => c.id === "fig6" || c.id === "environments"));
  assert.ok(!runsTable(plain).header.includes("environment"));
});

test("same-seed pairs: identical environments have zero tooling noise, a different one its churn, L2 and accuracy difference", () => {
  const { base, results } = threeEnvironments();
  const report = buildReport(results, OPTIONS);
  const t = report.tooling!;
  assert.deepEqual(t.environments.map((e) => [e.label, e.runs]), [[IDENTICAL, 12], [TWIN, 12], [DIFFERENT, 12]]);
  // 4 variants × 3 pairs of environments, 3 same-seed pairs each.
  assert.equal(t.pairs.length, 12);
  assert.ok(t.pairs.every((p) => p.pairs === 3));

  const twin = t.pairs.filter((p) => p.a === IDENTICAL && p.b === TWIN);
  assert.equal(twin.length, 4);
  for (const p of twin) {
    assert.equal(p.identicalPairs, 3, `${p.variant}`);
    assert.equal(p.churn.mean, 0);
    assert.equal(p.unitL2!.mean, 0);
    assert.equal(p.accuracyDifference.mean, 0);
  }

  const different = results.groups.filter((g) => g.environment === DIFFERENT);
  for (const g of base) {
    const p = t.pairs.find((x) => x.a === IDENTICAL && x.b === DIFFERENT && x.variant === g.variant)!;
    const other = different.find((d) => d.variant === g.variant)!;
    const churns = g.set.predictions.map((pred, i) => churnOf(pred, other.set.predictions[i]));
    assert.equal(p.identicalPairs, 0);
    assert.deepEqual(p.perPair.map((x) => x.churn), churns);
    assert.ok(Math.abs(p.churn.mean! - churns.reduce((s, c) => s + c, 0) / 3) < 1e-15);
    assert.ok(p.churn.meanCi95[0]! <= p.churn.mean! && p.churn.mean! <= p.churn.meanCi95[1]!);
    assert.ok(p.unitL2!.mean! > 0);
    const accuracy = (pred: Int32Array) => churnOf(pred, g.set.labels);
    p.perPair.forEach((x, i) => assert.ok(Math.abs(x.accuracyDifference - (accuracy(other.set.predictions[i]) - accuracy(g.set.predictions[i]))) < 1e-12));
  }
  assert.deepEqual(JSON.parse(renderJson(report)), report, "the report equals its JSON round trip");
});

test("the report says in words which environments are bitwise interchangeable and which are not", () => {
  const report = buildReport(threeEnvironments().results, OPTIONS);
  const x = report.tooling!.interchangeability;
  assert.deepEqual(
    x.map((i) => [i.a, i.b, i.interchangeable, i.identicalPairs, i.pairs]),
    [
      [IDENTICAL, TWIN, true, 6, 6],
      [IDENTICAL, DIFFERENT, false, 0, 6],
      [TWIN, DIFFERENT, false, 0, 6],
    ],
  );
  // Judged on the variants that fix the kernels: ALGO and CONTROL.
  assert.deepEqual(x[0].variants, ["ALGO", "CONTROL"]);
  const md = renderMarkdown(report);
  assert.match(md, /cpu-1t and cpu-2t are bitwise interchangeable: all 6 same-seed pairs of ALGO, CONTROL have identical final weights\./);
  assert.match(md, /cpu-1t and cpu-bf16 are NOT bitwise interchangeable: 6 of 6 same-seed pairs of ALGO, CONTROL end with different weights; the largest churn between such a pair is \d+\.\d\d% and the largest unit-weight L2 (\d\.\d{4}|\d\.\de-\d+)\./);
  assert.ok(x[1].maxUnitL2! > 0 && x[0].maxUnitL2 === 0);
});

test("environment matrix: symmetric same-seed churn, the diagonal only where replicates share their seeds", () => {
  const report = buildReport(threeEnvironments().results, OPTIONS);
  const cell = (variant: string, a: string, b: string) => report.tooling!.matrix.find((c) => c.variant === variant && c.a === a && c.b === b)!;
  // CONTROL replicates share every seed: the diagonal compares them (3 pairs, bitwise identical).
  assert.deepEqual([cell("CONTROL", IDENTICAL, IDENTICAL).pairs, cell("CONTROL", IDENTICAL, IDENTICAL).identicalPairs, cell("CONTROL", IDENTICAL, IDENTICAL).churn], [3, 3, 0]);
  // ALGO replicates draw their own seeds: no same-seed pair within one environment.
  assert.deepEqual([cell("ALGO", TWIN, TWIN).pairs, cell("ALGO", TWIN, TWIN).churn], [0, null]);
  for (const variant of ["ALGO+IMPL", "ALGO", "IMPL", "CONTROL"]) {
    assert.equal(cell(variant, IDENTICAL, DIFFERENT).churn, cell(variant, DIFFERENT, IDENTICAL).churn);
    assert.ok(cell(variant, IDENTICAL, DIFFERENT).churn! > 0);
    assert.equal(cell(variant, IDENTICAL, TWIN).churn, 0);
  }
  const md = renderMarkdown(report);
  assert.match(md, /## Same-seed churn between environments/);
  assert.match(md, /\| cpu-1t +\| ≡ 0\.00 +\| ≡ 0\.00 +\| \d/);
});

test("Fig. 6: a table row and chart bars per environment × variant; every other table names the environment", async () => {
  const report = buildReport(threeEnvironments().results, OPTIONS);
  assert.deepEqual(report.groups.map((g) => `${g.environment} ${g.variant}`).slice(0, 5), ["cpu-1t ALGO+IMPL", "cpu-1t ALGO", "cpu-1t IMPL", "cpu-1t CONTROL", "cpu-2t ALGO+IMPL"]);
  const md = renderMarkdown(report);
  assert.match(md, /## Instability per environment and variant \(paper Fig\. 6\)/);
  const fig6Rows = md.split("\n").filter((l) => /^\| smallcnn \| cpu-(1t|2t|bf16) +\| (ALGO\+IMPL|ALGO|IMPL|CONTROL) +\| +3 \|/.test(l));
  assert.equal(fig6Rows.length, 12);
  assert.match(md, /\| Model +\| Environment \| Variant +\| Runs \| Accuracy % \(mean ± std\)/, "Table 2 has an environment column");
  assert.match(md, /smallcnn \/ CONTROL \/ cpu-bf16: 3\/3 replicates bitwise identical/, "each environment's control check");

  const charts = reportCharts(report);
  const fig6 = charts.find((c) => c.id === "fig6")!;
  const values = (fig6.spec as { data: { values: { environment: string; variant: string; metric: string }[] } }).data.values;
  assert.equal(values.filter((v) => v.metric === "Churn (%)").length, 12);
  assert.deepEqual([...new Set(values.map((v) => v.environment))], [IDENTICAL, TWIN, DIFFERENT]);
  const matrix = charts.find((c) => c.id === "environments")!;
  for (const chart of [fig6, matrix]) {
    const svg = await renderChartSvg(chart);
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const env of [IDENTICAL, TWIN, DIFFERENT]) assert.ok(svg.includes(env), `${chart.id} names ${env}`);
  }
  const html = await renderHtml(report);
  assert.match(html, /<h2[^>]*>Instability per environment and variant \(paper Fig\. 6\)<\/h2>/);
  assert.match(html, /Same-seed churn between environments/);
});

test("runs of one environment on another tool chain (collect names them NAME@toolchain) pair with it; the written report has the pairs CSV", async () => {
  const base = syntheticGroups({ replicates: 2 });
  const here = inEnvironment(base, "cpu", "1".repeat(64));
  const imported = perturbed(base, "cpu@22222222").map((g) => ({ ...g, runs: g.runs.map((r) => ({ ...r, toolchain: "2".repeat(64) })) }));
  const report = buildReport(syntheticResults({}, [...here, ...imported]), OPTIONS);
  assert.deepEqual(report.tooling!.environments.map((e) => [e.label, e.toolchain]), [["cpu", "1".repeat(64)], ["cpu@22222222", "2".repeat(64)]]);
  assert.equal(report.tooling!.pairs.length, 4);
  const md = renderMarkdown(report);
  assert.match(md, /cpu and cpu@22222222 are NOT bitwise interchangeable/);
  assert.match(md, /\| cpu@22222222 \| 2222222222222222… \| +8 \|/);

  const written = await writeReport(report, join(dir, "report"), ["md", "json", "csv"]);
  assert.ok(written.includes(join(dir, "report-pairs.csv")));
  const pairs = readCsv(join(dir, "report-pairs.csv"));
  assert.deepEqual(pairs.header, pairsTable(report).header);
  assert.equal(pairs.rows.length, 8);
  assert.deepEqual(new Set(pairs.rows.map((r) => r[pairs.header.indexOf("identical_weights")])), new Set(["0"]));
  const runs = readCsv(join(dir, "report-runs.csv"));
  assert.ok(runs.header.includes("environment") && runs.header.includes("toolchain_sha256"));
  assert.equal(runs.rows.filter((r) => r[runs.header.indexOf("toolchain_sha256")] === "2".repeat(64)).length, 8);
  assert.match(readFileSync(join(dir, "report.md"), "utf8"), /## Tooling noise: the same seeds in different environments/);
});

test("a distance that is not 0 but rounds to 0.0000 is written in scientific notation, not as none", () => {
  assert.deepEqual([0, 3.14159e-6, -2e-7, 0.00012, 0.5].map(distance), ["0.0000", "3.1e-6", "-2.0e-7", "0.0001", "0.5000"]);
  assert.equal(distance(null), "—");
});
