import assert from "node:assert/strict";
import { test } from "node:test";
import { classCounts } from "../../src/data/dataset.js";
import type { Dataset } from "../../src/data/dataset.js";
import { makeSyntheticDataset, makeSyntheticSplits } from "../../src/data/synthetic.js";
import { assertInputError } from "./fixtures.js";

test("the synthetic dataset is bitwise deterministic in its seed", () => {
  const a = makeSyntheticDataset({ n: 200, seed: 11 });
  const b = makeSyntheticDataset({ n: 200, seed: 11 });
  const c = makeSyntheticDataset({ n: 200, seed: 12 });
  assert.deepEqual(a.images, b.images);
  assert.deepEqual(a.labels, b.labels);
  assert.deepEqual(a.attributes, b.attributes);
  assert.notDeepEqual(a.images, c.images);
});

test("shape, classes and the exact minority fraction follow the options", () => {
  const ds = makeSyntheticDataset({ n: 1000, numClasses: 4, imageSize: [2, 6, 5], minorityFraction: 0.15, seed: 1 });
  assert.deepEqual(ds.shape, [1000, 2, 6, 5]);
  assert.ok(ds.images instanceof Float32Array);
  assert.equal(ds.images.length, 1000 * 60);
  assert.deepEqual(classCounts(ds), [250, 250, 250, 250]);
  const group = ds.attributes!.group;
  assert.deepEqual(group.values, ["majority", "minority"]);
  const minority = group.codes.filter((code) => code === 1).length;
  assert.equal(minority, 150);
  const minorityPerClass = [0, 0, 0, 0];
  ds.labels.forEach((label, i) => (minorityPerClass[label] += group.codes[i]));
  assert.deepEqual(minorityPerClass, [38, 38, 37, 37], "the minority is spread over the classes");
});

test("train and test share the class patterns but not the examples", () => {
  const { train, test: held } = makeSyntheticSplits({ trainSize: 300, testSize: 300, noise: 0, seed: 2 });
  assert.notDeepEqual(train.images, held.images);
  // Without noise, each example is a contrast-scaled copy of its pattern: same direction within a class and group.
  const direction = (ds: Dataset, label: number, group: number) => {
    const i = ds.labels.findIndex((l, k) => l === label && ds.attributes!.group.codes[k] === group);
    const x = Array.from(ds.images.subarray(i * 144, (i + 1) * 144));
    const norm = Math.hypot(...x);
    return x.map((v) => v / norm);
  };
  for (const group of [0, 1]) {
    const a = direction(train, 3, group);
    const b = direction(held, 3, group);
    a.forEach((v, p) => assert.ok(Math.abs(v - b[p]) < 1e-5));
  }
  const cosine = direction(train, 3, 0).reduce((sum, v, p) => sum + v * direction(train, 3, 1)[p], 0);
  assert.ok(cosine < 0.9, `minority pattern should differ from the majority's (cosine ${cosine})`);
});

/** Accuracy per group of the nearest-class-mean classifier fitted on `train`. */
function nearestMeanAccuracy(train: Dataset, test: Dataset): [number, number] {
  const size = train.shape[1] * train.shape[2] * train.shape[3];
  const means = Array.from({ length: train.numClasses }, () => new Float64Array(size));
  const counts = classCounts(train);
  train.labels.forEach((label, i) => {
    for (let p = 0; p < size; p++) means[label][p] += train.images[i * size + p] / counts[label];
  });
  const correct = [0, 0];
  const total = [0, 0];
  test.labels.forEach((label, i) => {
    let best = 0;
    let bestDistance = Infinity;
    means.forEach((mean, k) => {
      let distance = 0;
      for (let p = 0; p < size; p++) distance += (test.images[i * size + p] - mean[p]) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [k, distance];
    });
    const group = test.attributes!.group.codes[i];
    total[group]++;
    if (best === label) correct[group]++;
  });
  return [correct[0] / total[0], correct[1] / total[1]];
}

test("with the defaults, classes are learnable and the minority is harder", () => {
  const { train, test: held } = makeSyntheticSplits({ trainSize: 2000, testSize: 2000, seed: 5 });
  const [majority, minority] = nearestMeanAccuracy(train, held);
  assert.ok(majority > 0.6, `majority accuracy ${majority}`);
  assert.ok(minority > 0.1 && minority < majority - 0.1, `minority accuracy ${minority} vs majority ${majority}`);
});

test("bad synthetic options are input errors", () => {
  assertInputError(() => makeSyntheticDataset({ n: 10, minorityFraction: 1.5 }), "minorityFraction");
  assertInputError(() => makeSyntheticDataset({ n: 10, minorityShift: -1 }), "minorityShift");
  assertInputError(() => makeSyntheticDataset({ n: 10, noise: Number.NaN }), "noise");
  assertInputError(() => makeSyntheticDataset({ n: 10, numClasses: 1 }), "numClasses");
  assertInputError(() => makeSyntheticDataset({ n: 10, imageSize: [1, 0, 3] }), "imageSize");
  assertInputError(() => makeSyntheticDataset({ n: -1 }), "size");
});
