import assert from "node:assert/strict";
import { test } from "node:test";
import { perClassAccuracy, perClassReport } from "../../src/metrics/perClass.js";

const i32 = (xs: number[]): Int32Array => Int32Array.from(xs);
const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("per-class accuracy std and its ratio to the overall std, by hand", () => {
  const set = {
    labels: i32([0, 0, 1, 1]),
    predictions: [i32([0, 1, 1, 1]), i32([0, 0, 0, 1]), i32([0, 0, 1, 1])],
    numClasses: 3,
  };
  // class 0: [0.5, 1, 1]; class 1: [1, 0.5, 1]; class 2 has no examples.
  const m = perClassAccuracy(set);
  assert.deepEqual(Array.from(m.subarray(0, 6)), [0.5, 1, 1, 1, 0.5, 1]);
  assert.ok(Number.isNaN(m[6]));
  // Overall accuracy [0.75, 0.75, 1]: std √3/12.
  const r = perClassReport(set, Math.sqrt(3) / 12);
  assert.equal(r.classes.length, 2);
  close(r.classes[0].mean, 5 / 6);
  close(r.maxStd, Math.sqrt(1 / 12));
  assert.equal(r.maxStdClass, 0);
  close(r.maxStdRatio as number, 2);
  assert.equal(perClassReport(set, 0).maxStdRatio, null);
});
