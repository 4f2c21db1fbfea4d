/**
 * Small statistics toolkit for the stability metrics: moments, quantiles,
 * the percentile bootstrap (drawing from a seeded `Rng`) and the F distribution.
 *
 * Everything works on plain `ArrayLike<number>` so that callers can pass
 * typed arrays without copying.
 */

import type { Rng } from "../random.js";

/**
 * Arithmetic mean; NaN for an empty sample. Summed as deviations from the
 * first value, so that identical values have exactly that value as their
 * mean (a plain sum of three 0.1 divided by 3 is 0.10000000000000002), and so
 * a std of exactly 0 and no residue in differences of means.
 */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  const first = xs[0];
  let sum = 0;
  for (let i = 1; i < xs.length; i++) sum += xs[i] - first;
  return first + sum / xs.length;
}

/**
 * Standard deviation with `ddof` delta degrees of freedom (NumPy's convention):
 * ddof=1 is the sample std, ddof=0 the population std.
 * Two-pass so that a sample of near-identical values does not lose precision.
 * NaN when fewer than ddof+1 values are given.
 */
export function std(xs: ArrayLike<number>, ddof = 1): number {
  const n = xs.length;
  if (n - ddof <= 0) return NaN;
  const m = mean(xs);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i] - m;
    ss += d * d;
  }
  return Math.sqrt(ss / (n - ddof));
}

/** Median (the 0.5 quantile, linear interpolation). */
export function median(xs: ArrayLike<number>): number {
  return quantile(xs, 0.5);
}

/**
 * Quantile with linear interpolation between order statistics
 * (NumPy's default `method="linear"`, R type 7).
 */
export function quantile(xs: ArrayLike<number>, q: number): number {
  if (xs.length === 0) return NaN;
  const sorted = Float64Array.from(xs).sort();
  return quantileSorted(sorted, q);
}

function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/** A two-sided 95% interval; `null` where the statistic is undefined. */
export type Interval = [number, number];

/**
 * Percentile bootstrap interval: resample `xs` with replacement `resamples`
 * times, apply `statistic`, and return the 2.5% and 97.5% quantiles.
 * Resamples on which the statistic is NaN are dropped, so that a statistic
 * undefined on a few degenerate resamples does not poison the interval.
 */
export function bootstrapInterval(
  xs: ArrayLike<number>,
  statistic: (sample: Float64Array) => number,
  resamples: number,
  rng: Rng,
  level = 0.95,
): Interval {
  const n = xs.length;
  // Monomorphic copies keep the resampling loop fast whatever array type came in.
  const values = Float64Array.from(xs);
  const indices = new Int32Array(n);
  const sample = new Float64Array(n);
  const stats: number[] = [];
  for (let b = 0; b < resamples; b++) {
    rng.fillBelow(indices, n);
    for (let i = 0; i < n; i++) sample[i] = values[indices[i]];
    const s = statistic(sample);
    if (!Number.isNaN(s)) stats.push(s);
  }
  if (stats.length === 0) return [NaN, NaN];
  const sorted = Float64Array.from(stats).sort();
  const alpha = (1 - level) / 2;
  return [quantileSorted(sorted, alpha), quantileSorted(sorted, 1 - alpha)];
}

/** Natural log of the gamma function (Lanczos approximation, g=7, n=9; ~1e-15 relative). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Regularized incomplete beta function I_x(a, b), by the continued fraction
 * of Numerical Recipes (Lentz's method), using the symmetry
 * I_x(a,b) = 1 − I_{1−x}(b,a) where the fraction converges faster.
 */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** Upper tail P(F > f) of the F distribution with (d1, d2) degrees of freedom. */
export function fSurvival(f: number, d1: number, d2: number): number {
  if (Number.isNaN(f)) return NaN;
  if (f <= 0) return 1;
  if (f === Infinity) return 0;
  return regularizedBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
}
