import assert from "node:assert/strict";
import { test } from "node:test";
import type { ExperimentReport } from "../../src/report/index.js";
import { buildReport, renderHtml, renderJson, renderMarkdown, reportCharts } from "../../src/report/index.js";
import { syntheticGroups, syntheticResults } from "./synthetic.js";

const OPTIONS = { resamples: 200, permutations: 500 };

function sampleStd(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Churn of every pair, by the definition: the share of examples where two replicates' predictions differ. */
function pairChurns(predictions: Int32Array[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < predictions.length; i++) {
    for (let j = i + 1; j < predictions.length; j++) {
      let differ = 0;
      for (let x = 0; x < predictions[i].length; x++) if (predictions[i][x] !== predictions[j][x]) differ++;
      out.push(differ / predictions[i].length);
    }
  }
  return out;
}

/** L2 distance of unit-normalised weight vectors, every pair. */
function pairUnitL2(vectors: ArrayLike<number>[]): number[] {
  const unit = vectors.map((v) => {
    const norm = Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
    return Array.from(v, (x) => x / norm);
  });
  const out: number[] = [];
  for (let i = 0; i < unit.length; i++) {
    for (let j = i + 1; j < unit.length; j++) out.push(Math.sqrt(unit[i].reduce((s, x, k) => s + (x - unit[j][k]) ** 2, 0)));
  }
  return out;
}

/** The cells of the Table 2 row of `model` × `variant` in the Markdown. */
function table2Row(markdown: string, model: string, variant: string): string[] {
  const section = markdown.slice(markdown.indexOf("## Stability per model and variant"), markdown.indexOf("## Control check"));
  const line = section.split("\n").find((l) => l.startsWith(`| ${model} | ${variant} |`));
  assert.ok(line, `no Table 2 row for ${model} / ${variant}`);
  return line.slice(2, -2).split(" | ");
}

test("Table 2 has a row per variant whose accuracy, churn and L2 match an independent computation", () => {
  const groups = syntheticGroups();
  const markdown = renderMarkdown(buildReport(syntheticResults({}, groups), OPTIONS));
  for (const g of groups) {
    const cells = table2Row(markdown, "smallcnn", g.variant);
    const accuracies = g.set.predictions.map((p) => mean(Array.from(p, (c, x) => (c === g.set.labels[x] ? 1 : 0))));
    assert.equal(cells[2], "3/3");
    assert.equal(cells[3], `${(mean(accuracies) * 100).toFixed(2)} ± ${(sampleStd(accuracies) * 100).toFixed(3)}`, `${g.variant} accuracy`);
    const churns = pairChurns(g.set.predictions);
    assert.equal(cells[5], `${(mean(churns) * 100).toFixed(2)} ± ${(sampleStd(churns) * 100).toFixed(3)}`, `${g.variant} churn`);
    // Buffers (running_mean) are excluded by default: only conv.weight counts.
    const l2 = pairUnitL2(g.weights.map((w) => w.tensors["conv.weight"].data as Float32Array));
    assert.equal(cells[6], `${mean(l2).toFixed(4)} ± ${sampleStd(l2).toFixed(4)}`, `${g.variant} L2`);
  }
  // The synthetic variants are built so that more free noise means more churn; the table must say so.
  const churnOf = (variant: string): number => Number(table2Row(markdown, "smallcnn", variant)[5].split(" ")[0]);
  assert.ok(churnOf("ALGO") > churnOf("IMPL") && churnOf("IMPL") > churnOf("CONTROL"));
  assert.equal(churnOf("CONTROL"), 0);
});

test("the control check passes for identical CONTROL hashes and reports the other groups' distinct hashes", () => {
  const report = buildReport(syntheticResults(), OPTIONS);
  assert.equal(report.controlChecks.length, 1);
  const check = report.controlChecks[0];
  assert.equal(check.variant, "CONTROL");
  assert.equal(check.bitwiseIdentical, true);
  assert.deepEqual(check.offendingRuns, []);
  assert.equal(check.hashes.length, 1);
  const hash = report.groups.find((g) => g.variant === "CONTROL")!.runs[0].weightsHash;
  assert.equal(check.referenceHash, hash);
  const markdown = renderMarkdown(report);
  assert.match(markdown, new RegExp(`smallcnn / CONTROL: 3/3 replicates bitwise identical \\(weights sha256 ${hash.slice(0, 16)}…\\)`));
  assert.match(markdown, /\| smallcnn \| IMPL \| kernels, batchOrder \| 3\/3 \|/);
  assert.deepEqual(
    report.groups.map((g) => g.distinctWeightHashes),
    [3, 3, 3, 1],
  );
});

test("a broken CONTROL is flagged with the run that broke it", () => {
  const report = buildReport(syntheticResults({ brokenControlReplicate: 1 }), OPTIONS);
  const check = report.controlChecks[0];
  assert.equal(check.bitwiseIdentical, false);
  assert.equal(check.referenceTied, false);
  assert.deepEqual(
    check.offendingRuns.map((r) => r.label),
    ["CONTROL/smallcnn/r1"],
  );
  assert.deepEqual(check.hashes[0].runs, ["CONTROL/smallcnn/r0", "CONTROL/smallcnn/r2"]);
  const markdown = renderMarkdown(report);
  assert.match(markdown, /smallcnn \/ CONTROL: NOT bitwise identical: 2\/3 replicates share weights sha256 [0-9a-f]{16}…; differing: CONTROL\/smallcnn\/r1 \(sha256 [0-9a-f]{16}…\)/);
});

test("any variant with every source fixed is control-checked, and a two-way tie is called ambiguous", () => {
  const groups = syntheticGroups({ variants: ["only:init", "CONTROL"], replicates: 2, brokenControlReplicate: 1 });
  // An all-fixed ablation under another name: `only:` with no source is not a valid variant, so fix it by hand.
  groups[0] = { ...groups[1], variant: "FIXED", runs: groups[1].runs.map((r) => ({ ...r, label: r.label.replace("CONTROL", "FIXED") })) };
  const report = buildReport(syntheticResults({}, groups), OPTIONS);
  assert.deepEqual(
    report.controlChecks.map((c) => [c.variant, c.bitwiseIdentical, c.referenceTied, c.offendingRuns.map((r) => r.label)]),
    [
      ["CONTROL", false, true, ["CONTROL/smallcnn/r1"]],
      ["FIXED", false, true, ["FIXED/smallcnn/r1"]],
    ],
  );
  assert.match(renderMarkdown(report), /No hash has a majority \(2 distinct hashes\)/);
});

test("groups with fewer than 2 completed runs get accuracy only, with the reason; failures are listed", () => {
  const report = buildReport(syntheticResults({ failures: { ALGO: 2, CONTROL: 3 } }), OPTIONS);
  const algo = report.groups.find((g) => g.variant === "ALGO")!;
  assert.equal(algo.analysis, null);
  assert.equal(algo.replicatesCompleted, 1);
  assert.equal(algo.accuracy.std, null);
  assert.match(algo.analysisSkipped ?? "", /only 1 completed run/);
  assert.equal(report.failedRuns.length, 5);
  const markdown = renderMarkdown(report);
  const row = table2Row(markdown, "smallcnn", "ALGO");
  assert.equal(row[2], "1/3");
  assert.equal(row[3], (algo.accuracy.perReplicate[0] * 100).toFixed(2));
  assert.equal(row[5], "—");
  assert.match(markdown, /- smallcnn \/ ALGO: only 1 completed run; churn, stds and weight distances need at least 2\./);
  assert.match(markdown, /smallcnn \/ CONTROL: not checked, only 0 completed replicates \(3 planned runs failed\)\./);
  assert.match(markdown, /ALGO\/smallcnn\/r2 \(smallcnn \/ ALGO\):\n\n```text\nloss became NaN at epoch 2, step 7\n {2}at train \| run 2\n```/);
  assert.match(markdown, /smallcnn: ALGO vs IMPL not tested: ALGO has 1 completed run\(s\)/);
});

test("comparisons: ALGO vs IMPL and each variant vs CONTROL, with p-values in (0, 1]", () => {
  const report = buildReport(syntheticResults(), OPTIONS);
  assert.deepEqual(
    report.comparisons.map((c) => `${c.a} vs ${c.b}`),
    ["ALGO vs IMPL", "ALGO+IMPL vs CONTROL", "ALGO vs CONTROL", "IMPL vs CONTROL"],
  );
  for (const c of report.comparisons) {
    assert.equal(c.skipped, null);
    for (const p of [c.result!.accuracyVarianceBrownForsythe.pValue, c.result!.accuracyVariancePermutation.pValue, c.result!.churnPermutation.pValue]) {
      assert.ok(p !== null && p > 0 && p <= 1, `${c.a} vs ${c.b}: p = ${p}`);
    }
  }
  const algoImpl = report.comparisons[0].result!;
  const churn = (variant: string) => mean(pairChurns(syntheticGroups().find((g) => g.variant === variant)!.set.predictions));
  assert.ok(Math.abs(algoImpl.churnMean.a! - churn("ALGO")) < 1e-12);
  assert.ok(Math.abs(algoImpl.churnMean.b! - churn("IMPL")) < 1e-12);
  assert.match(renderMarkdown(report), /\| smallcnn \| ALGO \| IMPL \| [0-9.]+ \| [0-9.]+ \| (< 0\.001|[01]\.[0-9]{3}) \|/);
});

test("the sub-group table lists each group with its size, and FPR/FNR ratios for a binary task", () => {
  const groups = syntheticGroups({ classes: 2, attributes: true });
  const report = buildReport(syntheticResults({ classes: 2 }, groups), OPTIONS);
  const markdown = renderMarkdown(report);
  assert.match(markdown, /## Sub-groups \(paper Table 5\)/);
  const sites = Array.from(groups[0].attributes!.site);
  const rare = sites.filter((s) => s === "rare").length;
  const algo = groups.find((g) => g.variant === "ALGO")!;
  const rareAccuracies = algo.set.predictions.map((p) => {
    const idx = sites.flatMap((s, x) => (s === "rare" ? [x] : []));
    return mean(idx.map((x) => (p[x] === algo.set.labels[x] ? 1 : 0)));
  });
  const section = markdown.slice(markdown.indexOf("### smallcnn / ALGO\n"));
  const line = section.split("\n").find((l) => l.startsWith("| site=rare |"))!;
  const cells = line.slice(2, -2).split(" | ");
  assert.equal(cells[1], String(rare));
  assert.equal(cells[2], `${(mean(rareAccuracies) * 100).toFixed(2)} ± ${(sampleStd(rareAccuracies) * 100).toFixed(3)}`);
  assert.match(cells[4], /^[0-9.]+ \(×[0-9.]+\)$/, "FPR std with its ratio");
  assert.match(cells[5], /^[0-9.]+ \(×[0-9.]+\)$/, "FNR std with its ratio");
});

test("the environment summary counts runs per recorded value", () => {
  const report = buildReport(syntheticResults(), OPTIONS);
  const entry = (setting: string) => report.environment.find((e) => e.setting === setting)?.values;
  assert.deepEqual(entry("device"), [{ value: "cpu", runs: 12, variants: ["ALGO+IMPL", "ALGO", "IMPL", "CONTROL"] }]);
  assert.deepEqual(entry("determinism.deterministicAlgorithms"), [
    { value: "false", runs: 6, variants: ["ALGO+IMPL", "IMPL"] },
    { value: "true", runs: 6, variants: ["ALGO", "CONTROL"] },
  ]);
  assert.deepEqual(report.groups[0].runs[1].seeds, { init: 101, shuffle: 201 });
  assert.deepEqual(entry("allocator"), [{ value: "tcmalloc", runs: 12, variants: ["ALGO+IMPL", "ALGO", "IMPL", "CONTROL"] }]);
  // Peak RSS per run is 250, 350 and 450 MiB for replicates 0, 1, 2; the summary gives the 100 MiB bound.
  assert.deepEqual(
    entry("peak RSS")?.map((v) => [v.value, v.runs]),
    [["≤ 300 MiB", 4], ["≤ 400 MiB", 4], ["≤ 500 MiB", 4]],
  );
  assert.equal(report.groups[0].runs[1].peakRssBytes, 350 * 2 ** 20);
});

test("the HTML report is self-contained: one <svg> per chart, no script, no URL, all text escaped", async () => {
  const groups = syntheticGroups({ model: 'cnn<script>alert("x")</script>', attributes: true, brokenControlReplicate: 2 });
  const report = buildReport(syntheticResults({}, groups), OPTIONS);
  const charts = reportCharts(report);
  assert.deepEqual(
    charts.map((c) => c.id),
    ["fig2", "fig4", "fig5", "curves", "disagreement"],
  );
  const html = await renderHtml(report);
  assert.equal(html.match(/<svg/g)?.length, charts.length);
  for (const c of charts) assert.ok(html.includes(`<figure id="${c.id}">`), c.id);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /https?:/);
  assert.doesNotMatch(html, /\b(src|href)=|@import|url\((?!#)/);
  assert.ok(html.includes("cnn&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  // The tables of the Markdown report are there too.
  assert.ok(html.includes("<th>Accuracy % (mean ± std)</th>"));
  assert.ok(html.includes("NOT bitwise identical"));
});

test("a BatchNorm pair in the spec gets the Fig. 3 chart", async () => {
  const groups = [...syntheticGroups({ model: "smallcnn-bn" }), ...syntheticGroups({ model: "smallcnn-nobn", seed: 2 })];
  const results = syntheticResults({}, groups);
  results.spec = {
    models: [
      { name: "smallcnn", label: "smallcnn-bn", options: { batchNorm: true, width: 2 } },
      { name: "smallcnn", label: "smallcnn-nobn", options: { width: 2, batchNorm: false } },
    ],
  };
  const report = buildReport(results, OPTIONS);
  assert.deepEqual(report.batchNormPairs, [{ withBatchNorm: "smallcnn-bn", withoutBatchNorm: "smallcnn-nobn" }]);
  const charts = reportCharts(report);
  assert.ok(charts.some((c) => c.id === "fig3"));
  const html = await renderHtml(report);
  assert.equal(html.match(/<svg/g)?.length, charts.length);
  // Different other options: not the same network, so no pair.
  results.spec = {
    models: [
      { name: "smallcnn", label: "smallcnn-bn", options: { batchNorm: true, width: 2 } },
      { name: "smallcnn", label: "smallcnn-nobn", options: { width: 4 } },
    ],
  };
  assert.deepEqual(buildReport(results, OPTIONS).batchNormPairs, []);
});

test("the JSON report round-trips and is deterministic, with undefined values as null", () => {
  const groups = syntheticGroups({ attributes: true, failures: { IMPL: 1 } });
  // All-zero weights have no direction: their unit-normalised L2 is NaN in the metrics, which JSON cannot hold.
  const control = groups.find((g) => g.variant === "CONTROL")!;
  control.weights = control.weights.map(() => ({ tensors: { "conv.weight": { shape: [2], data: new Float32Array(2) } } }));
  const report: ExperimentReport = buildReport(syntheticResults({}, groups), OPTIONS);
  assert.equal(report.groups.find((g) => g.variant === "CONTROL")!.analysis!.weights!.unitL2.mean, null);
  const json = renderJson(report);
  const parsed = JSON.parse(json) as ExperimentReport;
  assert.deepEqual(parsed, report);
  assert.equal(renderJson(parsed), json);
  assert.equal(renderJson(buildReport(syntheticResults({}, groups), OPTIONS)), json);
});

test("bitwise-identical CONTROL: exact zeros, no ratio of two zeros, no negative zero", () => {
  // Every CONTROL replicate has accuracy 0.8, and a plain sum of three 0.8 divided by 3 is not 0.8.
  const groups = syntheticGroups({ examples: 10, seed: 2 });
  const control = groups.find((g) => g.variant === "CONTROL")!;
  const x = control.runs[0].testAccuracy;
  assert.notEqual((x + x + x) / 3, x, "the case where a naive mean leaves a residue");
  const report = buildReport(syntheticResults({}, groups), OPTIONS);
  const summary = report.groups.find((g) => g.variant === "CONTROL")!;
  const a = summary.analysis!;
  assert.equal(summary.accuracy.std, 0);
  assert.equal(a.accuracy.top1.std, 0);
  assert.equal(a.accuracy.top1.mean, control.runs[0].testAccuracy, "the mean of identical values is that value");
  assert.equal(a.ensemble.gain, 0);
  assert.ok(a.perClass.classes.every((c) => c.std === 0));
  assert.equal(a.perClass.maxStdRatio, null, "0 / 0 is undefined, not ×1.0");
  const markdown = renderMarkdown(report);
  const row = table2Row(markdown, "smallcnn", "CONTROL");
  assert.match(row[3], /^\d+\.\d\d ± 0\.000$/);
  assert.equal(row[8], "—");
  assert.doesNotMatch(markdown, /-0\.0+\b/);
});

test("Brown–Forsythe with 2 replicates per side is undefined: — and the reason, not p < 0.001", () => {
  const report = buildReport(syntheticResults({ replicates: 2 }), OPTIONS);
  const algoImpl = report.comparisons[0];
  assert.equal(algoImpl.result!.accuracyVarianceBrownForsythe.pValue, null);
  assert.ok(algoImpl.result!.accuracyVariancePermutation.pValue !== null);
  const markdown = renderMarkdown(report);
  assert.match(markdown, /\| smallcnn \| ALGO \| IMPL \| [0-9.]+ \| [0-9.]+ \| — \| [01]\.[0-9]{3} \|/);
  assert.match(markdown, /always so with 2 replicates on a side/);
  assert.doesNotMatch(markdown, /\| ALGO \| IMPL \|[^\n]*\| < 0\.001 \| [01]/);
});
