// The report's figures as a researcher would publish them: standalone SVG and PNG files,
// scales that show small values, one colour per variant everywhere, Fig. 3's BatchNorm contrast.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { magnitudeScale, renderChartSvg, styledSpec, variantColour } from "../../src/document/charts.js";
import { readCsv } from "../../src/io/csv.js";
import type { ExperimentResults } from "../../src/experiment/results.js";
import { buildReport, renderMarkdown, reportCharts, runsTable, writeReport } from "../../src/report/index.js";
import { FLIP_RATE, syntheticGroups, syntheticResults } from "./synthetic.js";

const OPTIONS = { resamples: 100, permutations: 100 };
const dir = mkdtempSync(join(tmpdir(), "noiselab-figures-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function batchNormResults(): ExperimentResults {
  const groups = [...syntheticGroups({ model: "smallcnn-bn", attributes: true }), ...syntheticGroups({ model: "smallcnn-nobn", seed: 2, attributes: true, failures: { IMPL: 1 } })];
  const results = syntheticResults({}, groups);
  results.spec = {
    models: [
      { name: "smallcnn", label: "smallcnn-bn", options: { batchNorm: true } },
      { name: "smallcnn", label: "smallcnn-nobn", options: { batchNorm: false } },
    ],
  };
  return results;
}

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(png: Buffer): [number, number] {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

test("every chart is written as a standalone SVG (with the SVG namespace) and as a PNG, and the Markdown links them", async () => {
  const report = buildReport(batchNormResults(), OPTIONS);
  const prefix = join(dir, "out", "bn");
  const written = await writeReport(report, prefix, ["md", "svg", "png"]);
  const ids = reportCharts(report).map((c) => c.id);
  assert.deepEqual(ids, ["fig2", "fig3", "fig4", "fig5", "curves", "disagreement"]);
  for (const id of ids) {
    const svg = readFileSync(`${prefix}-${id}.svg`, "utf8");
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /, `${id}.svg is a standalone SVG document`);
    const [w, h] = [Number(/ width="(\d+)"/.exec(svg)![1]), Number(/ height="(\d+)"/.exec(svg)![1])];
    // resvg parsed the SVG and drew it at twice its size.
    assert.deepEqual(pngSize(readFileSync(`${prefix}-${id}.png`)), [2 * w, 2 * h], `${id}.png`);
  }
  assert.equal(written.length, 2 * ids.length + 1);
  const md = readFileSync(`${prefix}.md`, "utf8");
  assert.match(md, /^!\[Instability per variant \(paper Fig\. 2\)\]\(bn-fig2\.png\)$/m);
  assert.ok(!readdirSync(join(dir, "out")).some((f) => f.endsWith(".tmp")));
});

test("Fig. 3 shows the BatchNorm contrast: with and without BatchNorm side by side, not Fig. 2 again", async () => {
  const report = buildReport(batchNormResults(), OPTIONS);
  const charts = reportCharts(report);
  const [fig2, fig3] = [charts.find((c) => c.id === "fig2")!, charts.find((c) => c.id === "fig3")!];
  const svg2 = await renderChartSvg(fig2);
  const svg3 = await renderChartSvg(fig3);
  assert.notEqual(svg3, svg2);
  assert.ok(svg3.includes(">with BatchNorm<") && svg3.includes(">without BatchNorm<"), "the legend names both sides");
  assert.ok(!svg2.includes("BatchNorm"));
  // IMPL of the model without BatchNorm has 2 of 3 runs; its bars are still paired with the BN model's.
  const values = (fig3.spec as { data: { values: Record<string, unknown>[] } }).data.values;
  assert.deepEqual(new Set(values.map((v) => `${v.variant} ${v.batchNorm}`)).size, 8);
});

test("values that span orders of magnitude get a symlog axis with a tick per power of ten; 0 stays drawable and labelled", async () => {
  assert.deepEqual(magnitudeScale([1, 2, 5]).scale, { type: "linear", zero: true });
  const wide = magnitudeScale([0, 0.0004, 0.15]);
  assert.equal(wide.scale.type, "symlog");
  assert.deepEqual(wide.axis.values, [0, 1e-4, 1e-3, 1e-2, 1e-1, 1]);
  const saved = FLIP_RATE.IMPL;
  FLIP_RATE.IMPL = 0.003;
  try {
    const fig2 = reportCharts(buildReport(syntheticResults(), OPTIONS)).find((c) => c.id === "fig2")!;
    const panels = (fig2.spec as { hconcat: { layer: { encoding: { y: { scale: { type: string } } } }[] }[] }).hconcat;
    assert.deepEqual(panels.map((p) => p.layer[0].encoding.y.scale.type), ["symlog", "symlog", "symlog"]);
    const svg = await renderChartSvg(fig2);
    assert.match(svg, />0\.001</, "a decade tick in the axis format");
    assert.doesNotMatch(svg, />1e\+\d</, "no exponent ticks");
    assert.match(svg, /<text[^>]*>0<\/text>/, "CONTROL's 0 is written on the chart");
    for (const chart of reportCharts(buildReport(syntheticResults(), OPTIONS))) {
      assert.doesNotMatch(await renderChartSvg(chart), />\d(\.\d+)?e[+-]\d+</, `${chart.id}: ticks in one fixed-notation format`);
    }
  } finally {
    FLIP_RATE.IMPL = saved;
  }
});

test("one fixed colour per variant in every chart of every report; legible fonts; long legend labels are not cut", async () => {
  assert.equal(variantColour("ALGO"), variantColour("ALGO"));
  assert.equal(new Set(["ALGO+IMPL", "ALGO", "IMPL", "CONTROL", "only:init", "only:shuffle"].map(variantColour)).size, 6);
  const long = "only:init,shuffle,augment,dropout";
  const two = buildReport(syntheticResults({ variants: ["CONTROL", "ALGO", long] }), OPTIONS);
  const four = buildReport(syntheticResults(), OPTIONS);
  for (const report of [two, four]) {
    for (const chart of reportCharts(report).filter((c) => ["fig2", "fig4"].includes(c.id))) {
      const json = JSON.stringify(styledSpec(chart));
      const scale = /"field":"variant"[^{}]*"scale":\{"domain":(\[[^\]]*\]),"range":(\[[^\]]*\])/.exec(json);
      assert.ok(scale, `${chart.id} colours variants with a fixed scale`);
      const [domain, range] = [JSON.parse(scale[1]) as string[], JSON.parse(scale[2]) as string[]];
      domain.forEach((v, i) => assert.equal(range[i], variantColour(v), `${chart.id}: ${v}`));
    }
  }
  const svg = await renderChartSvg(reportCharts(two).find((c) => c.id === "fig2")!);
  assert.ok(svg.includes(`>${long}<`), "the legend label is whole");
  assert.ok(svg.includes(variantColour("ALGO")) && svg.includes(variantColour("CONTROL")));
  assert.match(svg, /font-family="DejaVu Sans, Helvetica, Arial, sans-serif"/);
  const sizes = [...svg.matchAll(/font-size="(\d+)px"/g)].map((m) => Number(m[1]));
  assert.ok(sizes.length > 0 && Math.min(...sizes) >= 11, `font sizes ${[...new Set(sizes)]}`);
});

test("the Markdown has the per-class table, with each class's accuracy mean ± std per variant", () => {
  const groups = syntheticGroups();
  const md = renderMarkdown(buildReport(syntheticResults({}, groups), OPTIONS));
  assert.match(md, /^## Per-class accuracy \(paper Fig\. 4\)$/m);
  assert.match(md, /^\| Class \| Examples \| ALGO\+IMPL accuracy % \| ALGO accuracy % \| IMPL accuracy % \| CONTROL accuracy % \|$/m);
  const algo = groups.find((g) => g.variant === "ALGO")!;
  const trouser = algo.set.labels.reduce((n, y) => n + (y === 1 ? 1 : 0), 0);
  const accuracies = algo.set.predictions.map((p) => p.reduce((n, c, x) => n + (algo.set.labels[x] === 1 && c === 1 ? 1 : 0), 0) / trouser);
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  const sd = Math.sqrt(accuracies.reduce((s, a) => s + (a - mean) ** 2, 0) / (accuracies.length - 1));
  const row = md.split("\n").find((l) => l.startsWith("| Trouser |"))!;
  assert.equal(row.split(" | ")[3], `${(mean * 100).toFixed(2)} ± ${(sd * 100).toFixed(3)}`);
});

test("--format csv: one tidy row per run and per run × class / sub-group, read back with the CSV parser", async () => {
  const report = buildReport(batchNormResults(), OPTIONS);
  const prefix = join(dir, "tidy");
  assert.deepEqual(await writeReport(report, prefix, ["csv"]), [`${prefix}-runs.csv`, `${prefix}-slices.csv`]);
  const runs = readCsv(`${prefix}-runs.csv`);
  assert.deepEqual(runs.header.slice(0, 9), ["experiment", "model", "variant", "replicate", "run", "key", "status", "epoch", "accuracy"]);
  assert.equal(runs.rows.length, 8 * 3);
  const failed = runs.rows.filter((r) => r[6] === "failed");
  assert.deepEqual(failed.map((r) => [r[1], r[2], r[4], r.at(-1)]), [["smallcnn-nobn", "IMPL", "IMPL/smallcnn-nobn/r2", "loss became NaN at epoch 2, step 7"]]);
  for (const g of report.groups) {
    const rows = runs.rows.filter((r) => r[1] === g.model && r[2] === g.variant && r[6] === "completed");
    assert.deepEqual(rows.map((r) => Number(r[8])), g.accuracy.perReplicate);
  }
  assert.equal(runsTable(report).rows.length, runs.rows.length);
  const slices = readCsv(`${prefix}-slices.csv`);
  const completed = report.groups.reduce((n, g) => n + g.runs.length, 0);
  // 3 classes and 2 sites (common, rare) per completed run.
  assert.equal(slices.rows.length, completed * (3 + 2));
  const g = report.groups[1];
  const row = slices.rows.find((r) => r[1] === g.model && r[2] === g.variant && r[3] === "1" && r[5] === "group" && r[6] === "site=rare")!;
  const rare = g.analysis!.subgroups!.groups.find((s) => s.key === "site=rare")!;
  assert.equal(Number(row[8]), rare.accuracy.perReplicate[1]);
  assert.equal(row[9], "", "FPR is empty for a task that is not binary");
});
