import assert from "node:assert/strict";
import { test } from "node:test";
import { channelStats, classCounts, subset } from "../../src/data/dataset.js";
import type { Dataset } from "../../src/data/dataset.js";

/** 4 examples of 2×1×2 uint8 images; example i has pixel values 10i + (0..3). */
function tinyDataset(): Dataset {
  return {
    name: "tiny",
    images: Uint8Array.from({ length: 16 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4)),
    shape: [4, 2, 1, 2],
    labels: Int32Array.from([0, 1, 1, 2]),
    numClasses: 3,
    classNames: ["a", "b", "c"],
    attributes: { group: { values: ["x", "y"], codes: Int32Array.from([0, 1, 0, 1]) } },
  };
}

test("subset copies images, labels and attributes in index order", () => {
  const ds = tinyDataset();
  const part = subset(ds, [3, 0]);
  assert.deepEqual(part.shape, [2, 2, 1, 2]);
  assert.deepEqual(Array.from(part.images), [30, 31, 32, 33, 0, 1, 2, 3]);
  assert.deepEqual(Array.from(part.labels), [2, 0]);
  assert.deepEqual(Array.from(part.attributes!.group.codes), [1, 0]);
  assert.deepEqual(part.attributes!.group.values, ["x", "y"]);
  part.images[0] = 99;
  assert.equal(ds.images[12], 30, "the subset must not share memory with its source");
});

test("subset keeps float32 images float32", () => {
  const ds: Dataset = { ...tinyDataset(), images: Float32Array.from({ length: 16 }, (_, k) => k / 2) };
  const part = subset(ds, [1]);
  assert.ok(part.images instanceof Float32Array);
  assert.deepEqual(Array.from(part.images), [2, 2.5, 3, 3.5]);
});

test("subset rejects an index outside the dataset", () => {
  assert.throws(() => subset(tinyDataset(), [4]), /index 4 is outside 0..3/);
});

test("classCounts counts each label", () => {
  assert.deepEqual(classCounts(tinyDataset()), [1, 2, 1]);
});

test("channelStats gives per-channel mean and std in [0, 1] units for uint8", () => {
  const stats = channelStats(tinyDataset());
  // channel 0 pixels: 0,1,10,11,20,21,30,31; channel 1: those + 2.
  const channel0 = [0, 1, 10, 11, 20, 21, 30, 31];
  const mean0 = channel0.reduce((a, b) => a + b) / 8;
  const std0 = Math.sqrt(channel0.reduce((a, b) => a + (b - mean0) ** 2, 0) / 8);
  assert.ok(Math.abs(stats.mean[0] - mean0 / 255) < 1e-12);
  assert.ok(Math.abs(stats.mean[1] - (mean0 + 2) / 255) < 1e-12);
  assert.ok(Math.abs(stats.std[0] - std0 / 255) < 1e-12);
  assert.ok(Math.abs(stats.std[1] - std0 / 255) < 1e-12);
});

test("channelStats uses raw units for float data", () => {
  const ds: Dataset = { ...tinyDataset(), shape: [2, 1, 2, 2], images: Float32Array.from([1, 3, 1, 3, 1, 3, 1, 3]) };
  assert.deepEqual(channelStats(ds), { mean: [2], std: [1] });
});
