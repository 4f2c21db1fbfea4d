import assert from "node:assert/strict";
import { test } from "node:test";
import { accuracyReport, summarizeReplicates, top1Accuracy, topKAccuracy } from "../../src/metrics/accuracy.js";
import { argmaxRows, binaryTaskOf } from "../../src/metrics/replicates.js";
import { Rng } from "../../src/random.js";

const i32 = (xs: number[]): Int32Array => Int32Array.from(xs);

test("top-1 accuracy by hand", () => {
  assert.equal(top1Accuracy(i32([0, 1, 2, 0]), i32([0, 1, 2, 2])), 0.75);
  assert.equal(top1Accuracy(i32([1, 1]), i32([0, 0])), 0);
});

test("top-k accuracy by hand, ties going to the smaller class", () => {
  // 3 examples × 4 classes.
  const scores = Float64Array.from([
    0.1, 0.5, 0.3, 0.1, // label 2: rank 2 (only class 1 above) → hit for k=2, miss for k=1
    0.4, 0.4, 0.4, 0.0, // label 2: classes 0 and 1 tie with it and come first → rank 3
    0.0, 0.0, 0.0, 1.0, // label 0: class 3 above → rank 2
  ]);
  const labels = i32([2, 2, 0]);
  assert.equal(topKAccuracy(scores, labels, 4, 1), 0);
  assert.equal(topKAccuracy(scores, labels, 4, 2), 2 / 3);
  assert.equal(topKAccuracy(scores, labels, 4, 3), 1);
  assert.deepEqual(Array.from(argmaxRows(scores, 4)), [1, 0, 3]);
});

test("summary: mean, sample and population std, bootstrap intervals", () => {
  const s = summarizeReplicates([0.9, 0.92, 0.94], new Rng(0), 500);
  assert.ok(Math.abs(s.mean - 0.92) < 1e-15);
  assert.ok(Math.abs(s.std - 0.02) < 1e-15);
  assert.ok(Math.abs(s.stdPopulation - 0.02 * Math.sqrt(2 / 3)) < 1e-15);
  assert.ok(s.meanCi95[0] >= 0.9 && s.meanCi95[1] <= 0.94 && s.meanCi95[0] < s.meanCi95[1]);
  assert.ok(s.stdCi95[0] >= 0 && s.stdCi95[1] <= 0.04 * Math.sqrt(2 / 3) + 1e-12);
});

test("top-5 only with scores and more than 5 classes", () => {
  const labels = i32([0, 1]);
  const predictions = [i32([0, 1]), i32([0, 0])];
  assert.equal(accuracyReport({ labels, predictions, numClasses: 2 }, new Rng(0), 10).top5, null);
  const scores = [0, 1].map((r) => Float64Array.from({ length: 12 }, (_, i) => (i % 6 === r ? 1 : 0.5 - (i % 6) / 100)));
  const set = { labels, predictions: scores.map((s) => argmaxRows(s, 6)), scores, numClasses: 6 };
  const report = accuracyReport(set, new Rng(0), 10);
  assert.deepEqual(report.top1.perReplicate, [0.5, 0.5]);
  assert.deepEqual(report.top5?.perReplicate, [1, 1]);
});

test("binaryTaskOf takes one output of a multi-label run as a binary task with scores [1 − p, p]", () => {
  // 3 examples × 4 outputs; output 2 is analysed.
  const predictions = Int32Array.from([0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1]);
  const probabilities = Float32Array.from([0.1, 0.9, 0.75, 0.2, 0.6, 0.7, 0.25, 0.4, 0.3, 0.2, 0.5, 0.8]);
  const { predictions: decided, scores } = binaryTaskOf(predictions, probabilities, 4, 2);
  assert.deepEqual(Array.from(decided), [1, 0, 1]);
  assert.deepEqual(Array.from(scores), [0.25, 0.75, 0.75, 0.25, 0.5, 0.5]);
});
