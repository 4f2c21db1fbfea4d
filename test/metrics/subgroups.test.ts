import assert from "node:assert/strict";
import { test } from "node:test";
import { subgroupReport } from "../../src/metrics/subgroups.js";
import { InputError } from "../../src/errors.js";

const i32 = (xs: number[]): Int32Array => Int32Array.from(xs);
const close = (a: number | null | undefined, b: number, tol = 1e-12): void => assert.ok(a != null && Math.abs(a - b) <= tol, `${a} vs ${b}`);

// Binary task, 6 examples, two replicates, worked out by hand:
//   r0: group a = TP FP FN, group b = TN TP TN
//   r1: group a = TP TN TP, group b = FP FN FP
const set = {
  labels: i32([1, 0, 1, 0, 1, 0]),
  predictions: [i32([1, 1, 0, 0, 1, 0]), i32([1, 0, 1, 1, 0, 1])],
  numClasses: 2,
};
const g = ["a", "a", "a", "b", "b", "b"];
const h = ["u", "v", "u", "v", "u", "v"];

test("sub-group accuracy, FPR, FNR and std ratios by hand", () => {
  const r = subgroupReport(set, { g });
  assert.equal(r.binary, true);
  // Overall accuracy [4/6, 3/6], FPR [1/3, 2/3], FNR [1/3, 1/3].
  close(r.overall.accuracy?.std, 1 / 6 / Math.SQRT2);
  close(r.overall.fpr?.mean, 0.5);
  assert.equal(r.overall.fnr?.std, 0);
  const [a, b] = r.groups;
  assert.equal(a.key, "g=a");
  assert.equal(a.count, 3);
  assert.deepEqual(a.accuracy.perReplicate, [1 / 3, 1]);
  assert.deepEqual(a.fpr?.perReplicate, [1, 0]); // FP/(FP+TN)
  assert.deepEqual(a.fnr?.perReplicate, [0.5, 0]); // FN/(FN+TP)
  close(a.accuracy.stdRatio, 4);
  close(b.accuracy.stdRatio, 6);
  assert.deepEqual(b.errorRate.perReplicate, [0, 1]);
  close(a.fpr?.stdRatio, 3);
  close(b.fpr?.stdRatio, 3);
  assert.deepEqual(b.fnr?.perReplicate, [0, 1]);
  assert.equal(b.fnr?.stdRatio, null); // overall FNR std is 0
  const acc = r.disparities.find((d) => d.grouping === "g" && d.metric === "accuracy");
  close(acc?.difference.mean, 5 / 6);
  close(acc?.difference.std, 1 / 3 / Math.SQRT2);
  close(acc?.ratio.mean, 1 / 6);
});

test("intersections of attributes and undefined rates", () => {
  const r = subgroupReport(set, { g, h });
  const counts = Object.fromEntries(r.groups.map((x) => [x.key, x.count]));
  assert.deepEqual(counts, { "g=a": 3, "g=b": 3, "h=u": 3, "h=v": 3, "g=a & h=u": 2, "g=a & h=v": 1, "g=b & h=u": 1, "g=b & h=v": 2 });
  const positivesOnly = r.groups.find((x) => x.key === "g=a & h=u");
  assert.equal(positivesOnly?.fpr, null); // no negatives: FPR undefined
  assert.deepEqual(positivesOnly?.fnr?.perReplicate, [0.5, 0]);
  assert.ok(r.disparities.some((d) => d.grouping === "g & h"));
});

test("multiclass tasks get accuracy and error rate only", () => {
  const r = subgroupReport({ labels: i32([0, 1, 2]), predictions: [i32([0, 1, 1]), i32([0, 2, 2])], numClasses: 3 }, { s: ["x", "y", "y"] });
  assert.equal(r.binary, false);
  assert.equal(r.groups[1].fpr, null);
  assert.deepEqual(r.groups[1].accuracy.perReplicate, [0.5, 0.5]);
  assert.equal(r.disparities.length, 2);
});

test("an empty group value or a length mismatch is an InputError", () => {
  assert.throws(() => subgroupReport(set, { g: ["a", "a", "", "b", "b", "b"] }), (e: Error) => e instanceof InputError && /"g" is empty at example 2/.test(e.message));
  assert.throws(() => subgroupReport(set, { g: ["a"] }), /1 values, but there are 6 examples/);
});
