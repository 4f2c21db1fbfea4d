import assert from "node:assert/strict";
import { test } from "node:test";
import { analyzeReplicates } from "../../src/metrics/analyze.js";
import { replicatesFromScores } from "../../src/metrics/replicates.js";
import { InputError } from "../../src/errors.js";

const i32 = (xs: number[]): Int32Array => Int32Array.from(xs);

test("analyzeReplicates assembles every section from the hand-computed case", () => {
  const set = { labels: i32([0, 1, 2, 2]), predictions: [i32([0, 1, 2, 0]), i32([0, 1, 1, 0]), i32([1, 1, 2, 2])], numClasses: 3 };
  const weights = [[3, 4], [4, 3]].map((w) => ({ tensors: { w: { shape: [2], data: Float64Array.from(w) } } }));
  const r = analyzeReplicates(set, { attributes: { s: ["x", "x", "y", "y"] }, weights, topK: 2, seed: 4, resamples: 100 });
  assert.equal(r.replicates, 3);
  assert.equal(r.examples, 4);
  assert.equal(r.predictionKind, "labels");
  assert.deepEqual(r.accuracy.top1.perReplicate, [0.75, 0.5, 0.75]);
  assert.equal(r.churn.mean, 0.5);
  assert.deepEqual(r.churn.unstableExamples.map((e) => e.index), [0, 2]);
  assert.ok(Math.abs(r.ensemble.gain - 1 / 12) < 1e-15);
  assert.equal(r.subgroups?.groups.length, 2);
  assert.ok(Math.abs((r.weights?.unitL2.mean ?? 0) - Math.sqrt(0.08)) < 1e-15);
  assert.deepEqual(analyzeReplicates(set, { seed: 4, resamples: 100 }).accuracy, r.accuracy, "same seed, same intervals");
});

test("bad replicate sets are InputErrors naming the source", () => {
  const names = { labels: "y.npy", replicates: ["r0.npy", "r1.npy"] };
  const labels = i32([0, 1, 2]);
  const bad = (predictions: Int32Array[], numClasses = 3) => () => analyzeReplicates({ labels, predictions, numClasses }, { names });
  assert.throws(bad([i32([0, 1, 2]), i32([0, 1])]), /^InputError: r1\.npy: 2 predictions, but y\.npy has 3 labels$/);
  assert.throws(bad([i32([0, 1, 2])]), /r0\.npy: only 1 replicate; churn .* need at least 2/);
  assert.throws(bad([i32([0, 1, 2]), i32([0, 1, 2])], 2), /y\.npy: label 2 at example 2 is out of range \[0, 2\)/);
  assert.throws(bad([i32([0, 1, 2]), i32([0, -1, 2])]), /r1\.npy: prediction -1 at example 1 is out of range/);
  assert.throws(
    () => replicatesFromScores(i32([0, 1]), [Float32Array.from([1, 0, 0, 1]), Float32Array.from([1, NaN, 0, 1])], 2, names),
    (e: Error) => e instanceof InputError && e.message === "r1.npy: NaN score at example 0, class 1",
  );
});
