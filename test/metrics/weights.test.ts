import assert from "node:assert/strict";
import { test } from "node:test";
import { differenceGram, isBufferName, rawWeightDistance, unitWeightDistance, weightReport } from "../../src/metrics/weights.js";
import { pairIndex } from "../../src/metrics/churn.js";
import { InputError } from "../../src/errors.js";
import { Rng } from "../../src/random.js";

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);

test("unit and raw L2 by hand", () => {
  close(unitWeightDistance(f64([3, 4]), f64([4, 3])), Math.sqrt(0.08));
  close(rawWeightDistance(f64([3, 4]), f64([4, 3])), Math.SQRT2);
  assert.equal(unitWeightDistance(f64([1, 0]), f64([-1, 0])), 2);
  assert.equal(unitWeightDistance(f64([1, 2]), f64([2, 4])), 0);
  close(rawWeightDistance(f64([1, 2]), f64([2, 4])), Math.sqrt(5));
  const a = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
  assert.equal(unitWeightDistance(a, a.slice()), 0);
});

test("blocked Gram equals naive pairwise sums for every tile shape", () => {
  const rng = new Rng(5);
  for (const [count, length] of [[2, 1], [3, 5], [4, 8193], [5, 100], [6, 17000], [7, 3], [9, 9000], [10, 33]]) {
    const vs = Array.from({ length: count }, () => Float32Array.from({ length }, () => rng.nextFloat() * 2 - 1));
    const g = differenceGram(vs);
    for (let i = 0; i < count; i++) {
      let norm = 0;
      for (let k = 0; k < length; k++) norm += vs[i][k] * vs[i][k];
      close(g.squaredNorms[i], norm, 1e-10);
      for (let j = i + 1; j < count; j++) {
        let s = 0;
        for (let k = 0; k < length; k++) s += (vs[i][k] - vs[j][k]) ** 2;
        close(g.squaredDistances[pairIndex(i, j, count)], s, 1e-10);
      }
    }
  }
});

test("property: unit L2 lies in [0, 2] and is symmetric", () => {
  const rng = new Rng(6);
  for (let t = 0; t < 200; t++) {
    const length = 1 + rng.nextBelow(50);
    const a = Float64Array.from({ length }, () => rng.nextFloat() * 2 - 1);
    const b = Float64Array.from({ length }, () => rng.nextFloat() * 2 - 1);
    const d = unitWeightDistance(a, b);
    assert.ok(d >= 0 && d <= 2 + 1e-15, `${d}`);
    assert.equal(d, unitWeightDistance(b, a));
  }
});

test("tiny differences survive (no |a|²+|b|²−2a·b cancellation)", () => {
  const a = Float64Array.from({ length: 1000 }, (_, i) => Math.cos(i * 0.37));
  const b = a.slice();
  b[7] += 1e-9;
  const na = Math.hypot(...a);
  const nb = Math.hypot(...b);
  let naive = 0;
  for (let k = 0; k < a.length; k++) naive += (a[k] / na - b[k] / nb) ** 2;
  const d = unitWeightDistance(a, b);
  assert.ok(Math.abs(d - Math.sqrt(naive)) < 1e-4 * Math.sqrt(naive), `${d} vs ${Math.sqrt(naive)}`);
  close(rawWeightDistance(a, b), 1e-9, 1e-6);
});

test("buffers are recognised by name and excluded by default", () => {
  for (const name of ["bn1.running_mean", "layer1.0.bn.running_var", "bn.num_batches_tracked", "batch_normalization/moving_mean:0", "params/batch_stats/bn/mean"]) {
    assert.ok(isBufferName(name), name);
  }
  for (const name of ["conv.weight", "bn.bias", "running_mean_head.weight"]) assert.ok(!isBufferName(name), name);
  const rep = (w: number[], rm: number[]) => ({ tensors: { "fc.weight": { shape: [2], data: f64(w) }, "bn.running_mean": { shape: [2], data: f64(rm) } } });
  const reps = [rep([3, 4], [0, 0]), rep([4, 3], [0, 10]), rep([3, 4], [0, 0])];
  const trainable = weightReport(reps);
  assert.equal(trainable.tensors, 1);
  assert.equal(trainable.parameters, 2);
  // Pairs (0,1), (0,2), (1,2).
  close(trainable.unitL2.perPair[0], Math.sqrt(0.08));
  assert.equal(trainable.unitL2.perPair[1], 0);
  close(trainable.rawL2.mean, (2 * Math.SQRT2) / 3);
  const all = weightReport(reps, { includeBuffers: true });
  assert.equal(all.tensors, 2);
  close(all.rawL2.perPair[0], Math.sqrt(2 + 100));
  const perTensor = Object.fromEntries(all.perTensor.map((t) => [t.name, t]));
  assert.equal(perTensor["bn.running_mean"].buffer, true);
  close(perTensor["fc.weight"].unitL2, (2 * Math.sqrt(0.08)) / 3);
  // Zero running means have no direction: their unit distance is undefined.
  assert.ok(Number.isNaN(perTensor["bn.running_mean"].unitL2));
  const explicit = weightReport(reps.map((r) => ({ ...r, buffers: ["fc.weight"] })));
  assert.deepEqual(explicit.perTensor.map((t) => t.name), ["bn.running_mean"]);
});

test("mismatched weight files are InputErrors naming the file", () => {
  const one = { tensors: { w: { shape: [2], data: f64([1, 2]) } } };
  assert.throws(() => weightReport([one]), (e: Error) => e instanceof InputError && /at least 2/.test(e.message));
  const other = { tensors: { v: { shape: [2], data: f64([1, 2]) } } };
  assert.throws(() => weightReport([one, other], { names: ["a.st", "b.st"] }), /b\.st: tensor "w" is not in every replicate/);
  const reshaped = { tensors: { w: { shape: [1, 2], data: f64([1, 2]) } } };
  assert.throws(() => weightReport([one, reshaped], { names: ["a.st", "b.st"] }), /b\.st: tensor "w" has shape \[1,2\]/);
});
