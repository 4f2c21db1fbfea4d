import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { classCounts } from "../../src/data/dataset.js";
import { DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_CLASS_NAMES, loadIdxDataset } from "../../src/data/idx.js";
import { assertInputError, idxBytes, withTempDir, writeFile, writeIdxFixture } from "./fixtures.js";

for (const gzip of [false, true]) {
  test(`loads ${gzip ? "gzipped" : "plain"} IDX files`, () => {
    withTempDir((dir) => {
      const fixture = writeIdxFixture(dir, { train: 12, test: 5, side: 4, gzip });
      const { train, test: held } = loadIdxDataset(dir, { name: "tiny" });
      assert.deepEqual(train.shape, [12, 1, 4, 4]);
      assert.deepEqual(held.shape, [5, 1, 4, 4]);
      assert.ok(train.images instanceof Uint8Array && !Buffer.isBuffer(train.images));
      assert.deepEqual(Array.from(train.images), Array.from(fixture.trainImages));
      assert.deepEqual(Array.from(train.labels), Array.from(fixture.trainLabels));
      assert.deepEqual(Array.from(held.images), Array.from(fixture.testImages));
      assert.deepEqual(Array.from(held.labels), Array.from(fixture.testLabels));
      assert.equal(train.name, "tiny");
      assert.equal(train.numClasses, 10);
      assert.deepEqual(train.classNames, FASHION_MNIST_CLASS_NAMES);
    });
  });
}

test("uses the given class names", () => {
  withTempDir((dir) => {
    writeIdxFixture(dir);
    const names = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    assert.deepEqual(loadIdxDataset(dir, { name: "mnist", classNames: names }).train.classNames, names);
  });
});

test("a missing IDX file is an input error naming it", () => {
  withTempDir((dir) => {
    writeIdxFixture(dir);
    rmSync(join(dir, "t10k-labels-idx1-ubyte"));
    assertInputError(() => loadIdxDataset(dir, { name: "tiny" }), join(dir, "t10k-labels-idx1-ubyte"), "missing file");
  });
});

test("a missing directory is an input error naming it", () => {
  withTempDir((dir) => {
    assertInputError(() => loadIdxDataset(join(dir, "absent"), { name: "tiny" }), join(dir, "absent"), "no such directory");
  });
});

test("a bad magic number in the images file is an input error naming the file", () => {
  withTempDir((dir) => {
    writeIdxFixture(dir);
    const path = join(dir, "train-images-idx3-ubyte");
    const bytes = readFileSync(path);
    bytes.writeUInt32BE(0x00000801, 0);
    writeFileSync(path, bytes);
    assertInputError(() => loadIdxDataset(dir, { name: "tiny" }), path, "bad IDX magic 0x00000801", "expected 0x00000803");
  });
});

test("a bad magic number in a gzipped labels file is an input error naming the file", () => {
  withTempDir((dir) => {
    writeIdxFixture(dir, { gzip: true });
    const path = join(dir, "train-labels-idx1-ubyte.gz");
    writeFileSync(path, gzipSync(idxBytes([12], new Uint8Array(12), 0x00000d01)));
    assertInputError(() => loadIdxDataset(dir, { name: "tiny" }), path, "bad IDX magic 0x00000d01", "expected 0x00000801");
  });
});

test("a truncated images file is an input error naming the file and the sizes", () => {
  withTempDir((dir) => {
    writeIdxFixture(dir, { train: 12, side: 4 });
    const path = join(dir, "train-images-idx3-ubyte");
    writeFileSync(path, readFileSync(path).subarray(0, 16 + 12 * 16 - 5));
    assertInputError(() => loadIdxDataset(dir, { name: "tiny" }), path, "12×4×4", `need ${16 + 12 * 16} bytes`);
  });
});

test("a corrupt gzip file is an input error naming the file", () => {
  withTempDir((dir) => {
    writeIdxFixture(dir, { gzip: true });
    const path = join(dir, "t10k-images-idx3-ubyte.gz");
    writeFileSync(path, "not gzip");
    assertInputError(() => loadIdxDataset(dir, { name: "tiny" }), path, "not a valid gzip file");
  });
});

test("an image/label count mismatch is an input error naming both files", () => {
  withTempDir((dir) => {
    writeIdxFixture(dir, { train: 12 });
    const labelsPath = join(dir, "train-labels-idx1-ubyte");
    writeFile(labelsPath, idxBytes([11], new Uint8Array(11)));
    assertInputError(() => loadIdxDataset(dir, { name: "tiny" }), labelsPath, "11 labels", join(dir, "train-images-idx3-ubyte"), "12 images");
  });
});

test("a label out of range is an input error naming the file", () => {
  withTempDir((dir) => {
    writeIdxFixture(dir, { test: 5 });
    const labelsPath = join(dir, "t10k-labels-idx1-ubyte");
    writeFile(labelsPath, idxBytes([5], Uint8Array.from([0, 1, 10, 3, 4])));
    assertInputError(() => loadIdxDataset(dir, { name: "tiny" }), labelsPath, "label 10 of example 2", "0..9");
  });
});

test("loads the real Fashion-MNIST from the Debian package path", { skip: !existsSync(DEFAULT_FASHION_MNIST_DIR) && "dataset-fashion-mnist is not installed" }, () => {
  const { train, test: held } = loadIdxDataset(DEFAULT_FASHION_MNIST_DIR, { name: "fashion-mnist" });
  assert.deepEqual(train.shape, [60000, 1, 28, 28]);
  assert.deepEqual(held.shape, [10000, 1, 28, 28]);
  assert.ok(train.images instanceof Uint8Array);
  assert.equal(train.images.length, 60000 * 784);
  assert.deepEqual(classCounts(train), new Array(10).fill(6000));
  assert.deepEqual(classCounts(held), new Array(10).fill(1000));
  // First training example of the official release is an ankle boot (label 9).
  assert.equal(train.labels[0], 9);
});
