// The data-order experiment's chart and table: churn against batch size,
// for specs whose model entries train at several batch sizes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildReport } from "../../src/report/build.js";
import { reportCharts } from "../../src/report/charts.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { syntheticGroups, syntheticResults } from "./synthetic.js";

const OPTIONS = { resamples: 200, permutations: 200 };

test("model entries at several batch sizes give one churn point per batch size and variant, a chart and a table", () => {
  const groups = [128, 8000].flatMap((b, i) => syntheticGroups({ model: `smallcnn-b${b}`, variants: ["only:shuffle"], seed: i + 1 }));
  const results = syntheticResults({}, groups);
  results.spec = {
    training: { batchSize: 128 },
    models: [
      { name: "smallcnn", label: "smallcnn-b128", options: {} },
      { name: "smallcnn", label: "smallcnn-b8000", options: {}, training: { batchSize: 8000 } },
    ],
  };
  const report = buildReport(results, OPTIONS);
  assert.deepEqual(report.batchSizes.map((p) => [p.model, p.variant, p.batchSize]), [["smallcnn-b128", "only:shuffle", 128], ["smallcnn-b8000", "only:shuffle", 8000]]);
  for (const [i, point] of report.batchSizes.entries()) assert.equal(point.churn, report.groups[i].analysis!.churn.mean);
  const chart = reportCharts(report).find((c) => c.id === "batch-size");
  assert.ok(chart, "the churn-against-batch-size chart");
  assert.match(renderMarkdown(report), /## Churn against batch size \(paper Fig\. 7\)\n\n\| Model \| Variant \| Batch size \| Churn % \| Accuracy std % \|\n\|[-|: ]+\|\n\| smallcnn-b128 \| only:shuffle \| 128 \| \d+\.\d\d \|/);

  // One batch size for every entry: no such chart.
  results.spec = { training: { batchSize: 128 }, models: [{ name: "smallcnn", label: "smallcnn-b128" }, { name: "smallcnn", label: "smallcnn-b8000" }] };
  const plain = buildReport(results, OPTIONS);
  assert.deepEqual(plain.batchSizes, []);
  assert.ok(!reportCharts(plain).some((c) => c.id === "batch-size"));
});
