import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { classCounts } from "../../src/data/dataset.js";
import { DEFAULT_FASHION_MNIST_DIR } from "../../src/data/idx.js";
import { loadDataset } from "../../src/data/load.js";
import type { DatasetSpec } from "../../src/data/load.js";
import { assertInputError, pngBytes, withTempDir, writeFile, writeIdxFixture } from "./fixtures.js";

test("synthetic spec with seeded, stratified subsets", () => {
  const spec: DatasetSpec = { kind: "synthetic", trainSize: 400, testSize: 200, seed: 3, trainSubset: 100, testSubset: 50, subsetSeed: 8 };
  const { train, test: held } = loadDataset(spec);
  assert.deepEqual(train.shape, [100, 1, 12, 12]);
  assert.deepEqual(held.shape, [50, 1, 12, 12]);
  assert.deepEqual(classCounts(train), new Array(10).fill(10));
  const again = loadDataset(spec);
  assert.deepEqual(again.train.images, train.images);
  assert.deepEqual(again.test.images, held.images);
  const otherSeed = loadDataset({ ...spec, subsetSeed: 9 });
  assert.notDeepEqual(otherSeed.train.images, train.images);
});

test("mnist spec reads IDX files from dir with digit class names", () => {
  withTempDir((dir) => {
    writeIdxFixture(dir, { gzip: true });
    const { train } = loadDataset({ kind: "mnist", dir });
    assert.equal(train.name, "mnist");
    assert.deepEqual(train.classNames.slice(0, 3), ["0", "1", "2"]);
  });
});

test("image-folder spec passes its options through", () => {
  withTempDir((dir) => {
    for (let i = 0; i < 4; i++) writeFile(join(dir, `c${i % 2}`, `${i}.png`), pngBytes(2, 1, 1, Uint8Array.from([i, i])));
    const { train, test: held } = loadDataset({ kind: "image-folder", dir, name: "folder", testFraction: 0.5, seed: 2 });
    assert.equal(train.name, "folder");
    assert.equal(train.shape[0] + held.shape[0], 4);
    assert.deepEqual(classCounts(held), [1, 1]);
  });
});

test("specs with an unknown kind, a missing dir or a bad CIFAR-100 label are input errors", () => {
  assertInputError(() => loadDataset({ kind: "imagenet" } as unknown as DatasetSpec), 'unknown dataset kind "imagenet"', "fashion-mnist");
  assertInputError(() => loadDataset({ kind: "cifar10" } as unknown as DatasetSpec), "cifar10", '"dir" is required');
  assertInputError(() => loadDataset({ kind: "cifar100", dir: "/x", label: "medium" } as unknown as DatasetSpec), "fine", "coarse");
});

test("a subset larger than the split is an input error", () => {
  assertInputError(() => loadDataset({ kind: "synthetic", trainSize: 10, testSize: 10, testSubset: 11 }), "synthetic", "0..10");
});

test("fashion-mnist spec defaults to the Debian package path", { skip: !existsSync(DEFAULT_FASHION_MNIST_DIR) && "dataset-fashion-mnist is not installed" }, () => {
  const { train, test: held } = loadDataset({ kind: "fashion-mnist", trainSubset: 1000, testSubset: 500 });
  assert.equal(train.name, "fashion-mnist");
  assert.deepEqual(train.shape, [1000, 1, 28, 28]);
  assert.deepEqual(classCounts(train), new Array(10).fill(100));
  assert.deepEqual(classCounts(held), new Array(10).fill(50));
});
