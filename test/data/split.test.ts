import assert from "node:assert/strict";
import { test } from "node:test";
import { classCounts } from "../../src/data/dataset.js";
import type { Dataset } from "../../src/data/dataset.js";
import { apportion, seededSplit, seededSplitIndices, seededSubset, seededSubsetIndices } from "../../src/data/split.js";
import { assertInputError } from "./fixtures.js";

/** 100 examples: 50 of class 0, 30 of class 1, 20 of class 2; pixel = example index. */
function imbalanced(): Dataset {
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 50 ? 0 : i < 80 ? 1 : 2));
  return {
    name: "imbalanced",
    images: Uint8Array.from({ length: 100 }, (_, i) => i),
    shape: [100, 1, 1, 1],
    labels,
    numClasses: 3,
    classNames: ["a", "b", "c"],
  };
}

test("apportion is proportional and sums to the total", () => {
  assert.deepEqual(apportion(10, [50, 30, 20]), [5, 3, 2]);
  assert.deepEqual(apportion(7, [1, 1, 1]), [3, 2, 2]);
  assert.deepEqual(apportion(0, [1, 2]), [0, 0]);
  assert.deepEqual(apportion(3, [0, 0]), [0, 0]);
  const shares = apportion(11, [3, 5, 7, 2]);
  assert.equal(shares.reduce((a, b) => a + b), 11);
});

test("seeded subset indices: same seed same indices, other seed other indices", () => {
  const ds = imbalanced();
  const a = seededSubsetIndices(ds, 20, 1);
  assert.deepEqual(a, seededSubsetIndices(ds, 20, 1));
  assert.notDeepEqual(a, seededSubsetIndices(ds, 20, 2));
});

test("seeded subset is sorted, distinct and stratified by class", () => {
  const ds = imbalanced();
  const indices = Array.from(seededSubsetIndices(ds, 20, 9));
  assert.deepEqual(indices, [...indices].sort((a, b) => a - b));
  assert.equal(new Set(indices).size, 20);
  const part = seededSubset(ds, 20, 9);
  assert.deepEqual(classCounts(part), [10, 6, 4]);
  assert.deepEqual(Array.from(part.images), indices, "images follow their indices");
});

test("seeded split is disjoint, complete, stratified and deterministic", () => {
  const ds = imbalanced();
  const { train, test: held } = seededSplitIndices(ds, 0.1, 4);
  assert.equal(held.length, 10);
  assert.equal(train.length, 90);
  assert.deepEqual([...train, ...held].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  const splits = seededSplit(ds, 0.1, 4);
  assert.deepEqual(classCounts(splits.test), [5, 3, 2]);
  assert.deepEqual(classCounts(splits.train), [45, 27, 18]);
  assert.deepEqual(Array.from(seededSplit(ds, 0.1, 4).test.images), Array.from(splits.test.images));
  assert.notDeepEqual(Array.from(seededSplit(ds, 0.1, 5).test.images), Array.from(splits.test.images));
});

test("bad split fractions and subset sizes are input errors naming the dataset", () => {
  const ds = imbalanced();
  assertInputError(() => seededSplit(ds, 0, 1), "imbalanced", "(0, 1)");
  assertInputError(() => seededSplit(ds, 1, 1), "imbalanced", "(0, 1)");
  assertInputError(() => seededSubset(ds, 101, 1), "imbalanced", "0..100");
  assertInputError(() => seededSubset(ds, 2.5, 1), "imbalanced");
});
