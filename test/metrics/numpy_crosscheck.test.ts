/**
 * Cross-checks against NumPy on a random case (N=10, n=5000, C=10, two
 * attributes). Fixtures and expected values come from
 * scripts/make_metrics_fixtures.py (run with /usr/bin/python3).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { readCsv } from "../../src/io/csv.js";
import { readNpy } from "../../src/io/npy.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { accuracyReport } from "../../src/metrics/accuracy.js";
import { analyzeReplicates } from "../../src/metrics/analyze.js";
import { pairwiseChurn, voteStatistics } from "../../src/metrics/churn.js";
import { brownForsythe } from "../../src/metrics/compare.js";
import type { ReplicateSet } from "../../src/metrics/replicates.js";
import { replicatesFromScores } from "../../src/metrics/replicates.js";
import { mean } from "../../src/metrics/stats.js";
import { subgroupReport } from "../../src/metrics/subgroups.js";
import { weightReport } from "../../src/metrics/weights.js";
import { Rng } from "../../src/random.js";

// dist/test/metrics → repository root.
const dir = fileURLToPath(new URL("../../../test/fixtures/metrics/", import.meta.url));
const expected = JSON.parse(readFileSync(dir + "expected.json", "utf8"));
const TOL = 1e-12;

function close(actual: number | null | undefined, wanted: number, what: string, tol = TOL): void {
  assert.ok(actual != null && Math.abs(actual - wanted) <= tol * Math.max(1, Math.abs(wanted)), `${what}: ${actual} vs NumPy ${wanted}`);
}

function closeAll(actual: ArrayLike<number>, wanted: number[], what: string): void {
  assert.equal(actual.length, wanted.length, `${what}: length`);
  for (let i = 0; i < wanted.length; i++) close(actual[i], wanted[i], `${what}[${i}]`);
}

function loadSet(): ReplicateSet {
  const preds = readNpy(dir + "preds.npy");
  const [count, n] = preds.shape;
  const labels = Int32Array.from(readNpy(dir + "labels.npy").data as Int8Array);
  const predictions = Array.from({ length: count }, (_, r) => Int32Array.from((preds.data as Int8Array).subarray(r * n, (r + 1) * n)));
  return { labels, predictions, numClasses: 10 };
}

function loadAttributes(): Record<string, string[]> {
  const table = readCsv(dir + "groups.csv");
  return Object.fromEntries(table.header.map((name, c) => [name, table.rows.map((row) => row[c])]));
}

test("accuracy, churn, d(x), majority vote and per-class match NumPy", () => {
  const set = loadSet();
  const report = analyzeReplicates(set, { topK: 20, resamples: 10 });
  const e = expected;
  closeAll(report.accuracy.top1.perReplicate, e.top1.perReplicate, "top1");
  close(report.accuracy.top1.mean, e.top1.mean, "top1 mean");
  close(report.accuracy.top1.std, e.top1.std, "top1 std");
  close(report.accuracy.top1.stdPopulation, e.top1.stdPopulation, "top1 stdPopulation");
  closeAll(report.churn.perPair, e.churn.perPair, "pair churn");
  close(report.churn.mean, e.churn.mean, "churn mean");
  close(report.churn.std, e.churn.std, "churn std");
  close(report.churn.ambiguity, e.churn.ambiguity, "ambiguity");
  close(report.churn.discrepancy, e.churn.discrepancy, "discrepancy");
  assert.equal(report.churn.discrepancyReplicate, e.churn.discrepancyReplicate);
  assert.deepEqual(report.churn.unstableExamples.map((u) => u.index), e.churn.unstable);
  const votes = voteStatistics(set.predictions, 10);
  closeAll(votes.disagreement.subarray(0, 50), e.churn.disagreement, "d(x)");
  close(mean(votes.disagreement), e.churn.meanDisagreement, "mean d(x)");
  assert.ok(e.churn.majorityTies > 0, "fixture should contain majority-vote ties");
  close(report.ensemble.majorityVoteAccuracy, e.ensemble.majorityVoteAccuracy, "majority accuracy");
  close(report.ensemble.gain, e.ensemble.gain, "ensemble gain");
  closeAll(report.perClass.classes.map((c) => c.std), e.perClass.std, "per-class std");
  close(report.perClass.maxStd, e.perClass.maxStd, "max per-class std");
  assert.equal(report.perClass.maxStdClass, e.perClass.maxStdClass);
  close(report.perClass.maxStdRatio, e.perClass.maxStdRatio, "max per-class std ratio");
  close(brownForsythe([report.accuracy.top1.perReplicate.slice(0, 5), report.accuracy.top1.perReplicate.slice(5)]).statistic, e.brownForsythe.statistic, "Brown–Forsythe F");
  close(mean(pairwiseChurn(set.predictions)), mean(votes.disagreement), "identity", 1e-12);
});

test("sub-group metrics (binary task y mod 2, two attributes and their intersection) match NumPy", () => {
  const set = loadSet();
  const binary: ReplicateSet = { labels: set.labels.map((y) => y % 2), predictions: set.predictions.map((p) => p.map((y) => y % 2)), numClasses: 2 };
  const r = subgroupReport(binary, loadAttributes());
  const e = expected.subgroups;
  for (const m of ["accuracy", "errorRate", "fpr", "fnr"] as const) close(r.overall[m]?.std, e.overallStd[m], `overall ${m} std`);
  assert.deepEqual(r.groups.map((g) => g.key).sort(), Object.keys(e.groups).sort());
  for (const g of r.groups) {
    const w = e.groups[g.key];
    assert.equal(g.count, w.count, `${g.key} count`);
    for (const m of ["accuracy", "errorRate", "fpr", "fnr"] as const) {
      const got = g[m];
      close(got?.mean, w[m].mean, `${g.key} ${m} mean`);
      close(got?.std, w[m].std, `${g.key} ${m} std`);
      close(got?.stdRatio, w[m].stdRatio, `${g.key} ${m} std ratio`);
    }
  }
  for (const d of r.disparities) {
    const w = e.disparities[`${d.grouping}/${d.metric}`];
    close(d.difference.mean, w.difference[0], `${d.grouping} ${d.metric} difference mean`);
    close(d.difference.std, w.difference[1], `${d.grouping} ${d.metric} difference std`);
    close(d.ratio.mean, w.ratio[0], `${d.grouping} ${d.metric} ratio mean`);
    close(d.ratio.std, w.ratio[1], `${d.grouping} ${d.metric} ratio std`);
  }
});

test("top-1 from scores and top-5 with ties match NumPy", () => {
  const scores = readNpy(dir + "scores.npy");
  const [count, n, classes] = scores.shape;
  const labels = Int32Array.from(readNpy(dir + "score_labels.npy").data as Int8Array);
  const perReplicate = Array.from({ length: count }, (_, r) => (scores.data as Uint8Array).subarray(r * n * classes, (r + 1) * n * classes));
  const set = replicatesFromScores(labels, perReplicate, classes);
  const report = accuracyReport(set, new Rng(0), 10);
  closeAll(report.top1.perReplicate, expected.scores.top1.perReplicate, "top1 from scores");
  closeAll(report.top5?.perReplicate ?? [], expected.scores.top5.perReplicate, "top5");
  close(report.top5?.std, expected.scores.top5.std, "top5 std");
});

test("weight distances from Python-written safetensors match NumPy", () => {
  const replicates = Array.from({ length: 10 }, (_, r) => readSafetensors(`${dir}weights_${r}.safetensors`));
  for (const [key, includeBuffers] of [["trainable", false], ["withBuffers", true]] as const) {
    const w = weightReport(replicates, { includeBuffers });
    const e = expected.weights[key];
    assert.equal(w.parameters, e.parameters);
    closeAll(w.unitL2.perPair, e.unitL2.perPair, `${key} unit L2`);
    close(w.unitL2.std, e.unitL2.std, `${key} unit L2 std`);
    closeAll(w.rawL2.perPair, e.rawL2.perPair, `${key} raw L2`);
    assert.deepEqual(w.perTensor.map((t) => t.name).sort(), Object.keys(e.perTensor).sort());
    for (const t of w.perTensor) {
      close(t.unitL2, e.perTensor[t.name].unitL2, `${t.name} unit L2`);
      close(t.rawL2, e.perTensor[t.name].rawL2, `${t.name} raw L2`);
    }
  }
});
