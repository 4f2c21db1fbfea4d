import assert from "node:assert/strict";
import { test } from "node:test";
import { brownForsythe, churnPermutationTest, compareVariants, variancePermutationTest } from "../../src/metrics/compare.js";
import { pairwiseChurn } from "../../src/metrics/churn.js";
import { fSurvival, mean } from "../../src/metrics/stats.js";
import { Rng } from "../../src/random.js";

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("Brown–Forsythe by hand", () => {
  // medians 2 and 3; z = [1,0,1] and [2,0,2]; between = 2/3, within = 10/3; F = 4 · 0.2.
  const r = brownForsythe([[1, 2, 3], [1, 3, 5]]);
  close(r.statistic, 0.8);
  assert.equal(r.df1, 1);
  assert.equal(r.df2, 4);
  close(r.pValue, fSurvival(0.8, 1, 4));
  assert.ok(r.pValue > 0.4 && r.pValue < 0.5);
  assert.deepEqual(brownForsythe([[1, 1, 1], [2, 2, 2]]).pValue, 1);
});

test("variance permutation test: same spread gives p=1, different spread a small p", () => {
  const rng = new Rng(1);
  assert.equal(variancePermutationTest([1, 2, 3], [11, 12, 13], 500, rng).pValue, 1);
  const wide = [0, 1, -1, 2, -2, 3, -3, 1.5, -1.5, 0.5];
  const narrow = wide.map((v) => v / 100);
  const r = variancePermutationTest(wide, narrow, 2000, new Rng(2));
  assert.ok(r.statistic > 0);
  assert.ok(r.pValue < 0.01, `${r.pValue}`);
  assert.deepEqual(r, variancePermutationTest(wide, narrow, 2000, new Rng(2)));
  assert.ok(brownForsythe([wide, narrow]).pValue < 0.01);
});

test("churn permutation test", () => {
  const a = Array.from({ length: 45 }, (_, i) => 0.3 + (i % 3) * 0.001);
  const b = Array.from({ length: 45 }, (_, i) => 0.1 + (i % 3) * 0.001);
  const r = churnPermutationTest(a, b, 999, new Rng(3));
  close(r.statistic, 0.2);
  assert.equal(r.pValue, 1 / 1000);
  assert.ok(churnPermutationTest(a, a.slice().reverse(), 999, new Rng(3)).pValue > 0.5);
});

test("compareVariants wires accuracies and pair churns", () => {
  const rng = new Rng(9);
  const labels = Int32Array.from({ length: 200 }, () => rng.nextBelow(3));
  const noisy = (flip: number): Int32Array[] =>
    Array.from({ length: 6 }, () => labels.map((y) => (rng.nextFloat() < flip ? rng.nextBelow(3) : y)));
  const a = { labels, predictions: noisy(0.4), numClasses: 3 };
  const b = { labels, predictions: noisy(0.05), numClasses: 3 };
  const c = compareVariants(a, b, { resamples: 500, seed: 1 });
  close(c.churnMean.a, mean(pairwiseChurn(a.predictions)));
  assert.ok(c.churnMean.a > c.churnMean.b);
  assert.ok(c.churnPermutation.pValue < 0.01);
  assert.equal(c.accuracyVarianceBrownForsythe.df2, 10);
});

test("Brown–Forsythe is undefined (NaN), not p = 0, when each group's deviations are constant but differ", () => {
  const r = brownForsythe([[0.8, 0.82], [0.7, 0.9]]);
  assert.ok(Number.isNaN(r.statistic) && Number.isNaN(r.pValue));
  assert.equal(mean([0.1, 0.1, 0.1]), 0.1, "identical values: their mean exactly");
});
