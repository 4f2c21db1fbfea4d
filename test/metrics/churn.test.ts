import assert from "node:assert/strict";
import { test } from "node:test";
import { ambiguity, churn, churnReport, discrepancy, mostUnstable, pairIndex, pairwiseChurn, voteStatistics } from "../../src/metrics/churn.js";
import { ensembleReport } from "../../src/metrics/ensemble.js";
import { mean } from "../../src/metrics/stats.js";
import { Rng } from "../../src/random.js";

const i32 = (xs: number[]): Int32Array => Int32Array.from(xs);
const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// Three replicates on four examples, worked out by hand:
//   churn(A,B) = 1/4 (x2), churn(A,C) = 2/4 (x0, x3), churn(B,C) = 3/4 (x0, x2, x3).
const A = i32([0, 1, 2, 0]);
const B = i32([0, 1, 1, 0]);
const C = i32([1, 1, 2, 2]);
const labels = i32([0, 1, 2, 2]);

test("pairwise churn by hand", () => {
  assert.deepEqual(Array.from(pairwiseChurn([A, B, C])), [0.25, 0.5, 0.75]);
  assert.equal(pairIndex(0, 1, 3), 0);
  assert.equal(pairIndex(0, 2, 3), 1);
  assert.equal(pairIndex(1, 2, 3), 2);
  assert.equal(pairIndex(3, 4, 5), 9);
});

test("per-example disagreement, majority, ambiguity and discrepancy by hand", () => {
  const v = voteStatistics([A, B, C], 3);
  // x0 votes {0,0,1}: 2 of 3 pairs disagree; x1 unanimous; x2 {2,1,2}; x3 {0,0,2}.
  for (const [x, d] of [[0, 2 / 3], [1, 0], [2, 2 / 3], [3, 2 / 3]]) close(v.disagreement[x], d);
  assert.deepEqual(Array.from(v.majority), [0, 1, 2, 0]);
  close(mean(v.disagreement), 0.5);
  assert.equal(ambiguity(v.disagreement), 0.75);
  assert.deepEqual(discrepancy([A, B, C], v.majority), { value: 0.5, replicate: 2 });
  assert.deepEqual(mostUnstable(v.disagreement, 2), [0, 2]);
});

test("majority vote ties go to the smallest class", () => {
  const v = voteStatistics([i32([1, 2, 3]), i32([0, 2, 1]), i32([2, 0, 3]), i32([0, 0, 1])], 4);
  // x0 votes 1,0,2,0 → 0; x1 votes 2,2,0,0 → tie 0/2 → 0; x2 votes 3,1,3,1 → tie → 1.
  assert.deepEqual(Array.from(v.majority), [0, 0, 1]);
  close(v.disagreement[1], 1 - 4 / 12);
});

test("ensemble gain by hand", () => {
  const v = voteStatistics([A, B, C], 3);
  const e = ensembleReport([A, B, C], labels, v.majority);
  close(e.majorityVoteAccuracy, 0.75);
  close(e.meanReplicateAccuracy, 2 / 3);
  close(e.gain, 1 / 12);
});

test("churn report assembles the pieces", () => {
  const r = churnReport([A, B, C], labels, voteStatistics([A, B, C], 3), 2, new Rng(0), 200);
  assert.equal(r.pairs, 3);
  close(r.mean, 0.5);
  close(r.std, 0.25);
  close(r.agreement, 0.5);
  assert.equal(r.min, 0.25);
  assert.equal(r.max, 0.75);
  assert.deepEqual(r.disagreementHistogram, [1, 0, 0, 0, 0, 0, 3, 0, 0, 0]);
  const { disagreement, ...first } = r.unstableExamples[0];
  assert.deepEqual(first, { index: 0, label: 0, votes: { 0: 2, 1: 1 } });
  close(disagreement, 2 / 3);
  assert.ok(r.meanCi95[0] <= 0.5 && r.meanCi95[1] >= 0.5);
});

function randomPredictions(rng: Rng, count: number, n: number, classes: number): Int32Array[] {
  return Array.from({ length: count }, () => Int32Array.from({ length: n }, () => rng.nextBelow(classes)));
}

test("property: churn is symmetric, 0 for identical, 1 for always different", () => {
  const rng = new Rng(11);
  for (let t = 0; t < 20; t++) {
    const [a, b] = randomPredictions(rng, 2, 1 + rng.nextBelow(200), 2 + rng.nextBelow(5));
    assert.equal(churn(a, b), churn(b, a));
    assert.equal(churn(a, a.slice()), 0);
    assert.equal(churn(a, a.map((v) => v + 1)), 1);
  }
  const same = voteStatistics([i32([1, 2]), i32([1, 2]), i32([1, 2])], 3);
  assert.deepEqual(Array.from(same.disagreement), [0, 0]);
  const allDifferent = voteStatistics([i32([0]), i32([1]), i32([2])], 3);
  assert.deepEqual(Array.from(allDifferent.disagreement), [1]);
});

test("property: mean d(x) equals mean pairwise churn", () => {
  const rng = new Rng(12);
  for (let t = 0; t < 30; t++) {
    const count = 2 + rng.nextBelow(12);
    const classes = 2 + rng.nextBelow(10);
    const preds = randomPredictions(rng, count, 1 + rng.nextBelow(300), classes);
    close(mean(voteStatistics(preds, classes).disagreement), mean(pairwiseChurn(preds)), 1e-12);
  }
});
