import assert from "node:assert/strict";
import { test } from "node:test";
import { bootstrapInterval, fSurvival, logGamma, mean, median, quantile, regularizedBeta, std } from "../../src/metrics/stats.js";
import { Rng } from "../../src/random.js";

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("mean and std by hand (ddof 1 and 0)", () => {
  const xs = [2, 4, 4, 4, 5, 5, 7, 9];
  assert.equal(mean(xs), 5);
  close(std(xs, 0), 2);
  close(std(xs, 1), Math.sqrt(32 / 7));
  assert.ok(Number.isNaN(std([1], 1)));
  assert.equal(std([1], 0), 0);
  assert.ok(Number.isNaN(mean([])));
});

test("quantile interpolates linearly like NumPy's default", () => {
  const xs = [4, 1, 3, 2];
  assert.equal(median(xs), 2.5);
  close(quantile(xs, 0.25), 1.75);
  assert.equal(quantile(xs, 0), 1);
  assert.equal(quantile(xs, 1), 4);
});

test("bootstrap interval brackets the statistic and is reproducible", () => {
  const xs = Array.from({ length: 50 }, (_, i) => i);
  const ci = bootstrapInterval(xs, (s) => mean(s), 1000, new Rng(3));
  assert.deepEqual(ci, bootstrapInterval(xs, (s) => mean(s), 1000, new Rng(3)));
  assert.ok(ci[0] < 24.5 && ci[1] > 24.5 && ci[0] > 15 && ci[1] < 34, `${ci}`);
  assert.deepEqual(bootstrapInterval([3, 3, 3], (s) => mean(s), 100, new Rng(0)), [3, 3]);
});

test("log-gamma and incomplete beta match closed forms", () => {
  close(logGamma(5), Math.log(24), 1e-13);
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-13);
  // I_x(1, b) = 1 − (1 − x)^b and I_x(a, 1) = x^a.
  close(regularizedBeta(0.3, 1, 4), 1 - 0.7 ** 4, 1e-13);
  close(regularizedBeta(0.8, 3, 1), 0.8 ** 3, 1e-13);
  close(regularizedBeta(0.5, 2.5, 2.5), 0.5, 1e-13);
});

test("F survival function matches closed forms and tables", () => {
  // d1 = 2: P(F > f) = (1 + 2f/d2)^(−d2/2).
  for (const [f, d2] of [[0.5, 3], [3, 10], [7.2, 25]]) close(fSurvival(f, 2, d2), (1 + (2 * f) / d2) ** (-d2 / 2), 1e-12);
  // Critical values at the 5% level from standard F tables.
  close(fSurvival(4.41387, 1, 18), 0.05, 1e-5);
  close(fSurvival(5.31766, 1, 8), 0.05, 1e-5);
  assert.equal(fSurvival(0, 1, 8), 1);
  assert.equal(fSurvival(Infinity, 1, 8), 0);
});
