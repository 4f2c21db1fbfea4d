import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CIFAR10_CLASS_NAMES, loadCifar10, loadCifar100 } from "../../src/data/cifar.js";
import { assertInputError, withTempDir, writeFile } from "./fixtures.js";

const PIXELS = 3072;

/** Records of `labels.length` label bytes each (one entry per record), pixel p of record r = (r + p) mod 256 + `shift`. */
function records(labels: number[][], shift = 0): Uint8Array {
  const recordSize = labels[0].length + PIXELS;
  const bytes = new Uint8Array(labels.length * recordSize);
  labels.forEach((recordLabels, r) => {
    bytes.set(recordLabels, r * recordSize);
    for (let p = 0; p < PIXELS; p++) bytes[r * recordSize + recordLabels.length + p] = (r + p + shift) % 256;
  });
  return bytes;
}

function writeCifar10(dir: string): void {
  for (let batch = 1; batch <= 5; batch++) {
    writeFile(join(dir, `data_batch_${batch}.bin`), records([[batch], [batch + 1]], batch));
  }
  writeFile(join(dir, "test_batch.bin"), records([[9], [0], [4]]));
}

test("loads CIFAR-10 batches in order, pixels already C×H×W", () => {
  withTempDir((dir) => {
    writeCifar10(dir);
    const { train, test: held } = loadCifar10(dir);
    assert.deepEqual(train.shape, [10, 3, 32, 32]);
    assert.deepEqual(held.shape, [3, 3, 32, 32]);
    assert.deepEqual(Array.from(train.labels), [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
    assert.deepEqual(Array.from(held.labels), [9, 0, 4]);
    // Record 1 of batch 2 is training example 3: pixel p = (1 + p + 2) mod 256.
    assert.deepEqual(Array.from(train.images.subarray(3 * PIXELS, 3 * PIXELS + 4)), [3, 4, 5, 6]);
    assert.equal(train.images[3 * PIXELS + 1024], (1 + 1024 + 2) % 256, "green plane follows red");
    assert.deepEqual(train.classNames, CIFAR10_CLASS_NAMES);
    assert.equal(train.name, "cifar10");
  });
});

test("reads CIFAR-10 class names from batches.meta.txt and finds the archive folder", () => {
  withTempDir((dir) => {
    const batchDir = join(dir, "cifar-10-batches-bin");
    writeCifar10(batchDir);
    const names = Array.from({ length: 10 }, (_, i) => `name${i}`);
    writeFile(join(batchDir, "batches.meta.txt"), `${names.join("\n")}\n\n`);
    assert.deepEqual(loadCifar10(dir).train.classNames, names);
  });
});

test("a truncated CIFAR record is an input error naming the file", () => {
  withTempDir((dir) => {
    writeCifar10(dir);
    const path = join(dir, "data_batch_3.bin");
    writeFile(path, records([[1], [2]]).subarray(0, 2 * 3073 - 100));
    assertInputError(() => loadCifar10(dir), path, "truncated CIFAR record", "3073-byte record");
  });
});

test("a missing CIFAR batch is an input error naming the file", () => {
  withTempDir((dir) => {
    writeCifar10(dir);
    rmSync(join(dir, "data_batch_5.bin"));
    assertInputError(() => loadCifar10(dir), join(dir, "data_batch_5.bin"), "no such file");
  });
});

test("a CIFAR-10 label out of range is an input error naming the file and record", () => {
  withTempDir((dir) => {
    writeCifar10(dir);
    const path = join(dir, "test_batch.bin");
    writeFile(path, records([[0], [10]]));
    assertInputError(() => loadCifar10(dir), path, "label 10 of record 1", "0..9");
  });
});

test("a wrong number of class names is an input error naming the file", () => {
  withTempDir((dir) => {
    writeCifar10(dir);
    writeFile(join(dir, "batches.meta.txt"), "a\nb\n");
    assertInputError(() => loadCifar10(dir), join(dir, "batches.meta.txt"), "expected 10 class names, found 2");
  });
});

function writeCifar100(dir: string): void {
  writeFile(join(dir, "train.bin"), records([[3, 57], [19, 99], [0, 0]]));
  writeFile(join(dir, "test.bin"), records([[7, 12]]));
  writeFile(join(dir, "fine_label_names.txt"), Array.from({ length: 100 }, (_, i) => `fine${i}`).join("\n"));
  writeFile(join(dir, "coarse_label_names.txt"), Array.from({ length: 20 }, (_, i) => `coarse${i}`).join("\n"));
}

test("loads CIFAR-100 with fine labels and the coarse label as an attribute", () => {
  withTempDir((dir) => {
    writeCifar100(join(dir, "cifar-100-binary"));
    const { train, test: held } = loadCifar100(dir);
    assert.deepEqual(train.shape, [3, 3, 32, 32]);
    assert.equal(train.numClasses, 100);
    assert.deepEqual(Array.from(train.labels), [57, 99, 0]);
    assert.deepEqual(Array.from(held.labels), [12]);
    assert.equal(train.classNames[57], "fine57");
    assert.deepEqual(Array.from(train.attributes!.coarse.codes), [3, 19, 0]);
    assert.equal(train.attributes!.coarse.values[19], "coarse19");
    assert.deepEqual(Array.from(train.images.subarray(PIXELS, PIXELS + 3)), [1, 2, 3]);
  });
});

test("loads CIFAR-100 with coarse labels on request", () => {
  withTempDir((dir) => {
    writeCifar100(dir);
    const { train } = loadCifar100(dir, "coarse");
    assert.equal(train.numClasses, 20);
    assert.deepEqual(Array.from(train.labels), [3, 19, 0]);
    assert.deepEqual(Array.from(train.attributes!.fine.codes), [57, 99, 0]);
  });
});

test("CIFAR-100 without name files gets numbered class names", () => {
  withTempDir((dir) => {
    writeCifar100(dir);
    rmSync(join(dir, "fine_label_names.txt"));
    assert.equal(loadCifar100(dir).train.classNames[42], "class_42");
  });
});

test("a CIFAR-100 file with a truncated record or an out-of-range label is an input error naming it", () => {
  withTempDir((dir) => {
    writeCifar100(dir);
    const path = join(dir, "test.bin");
    writeFile(path, records([[7, 12]]).subarray(0, 3073));
    assertInputError(() => loadCifar100(dir), path, "truncated CIFAR record", "3074-byte record");
    writeFile(path, records([[20, 12]]));
    assertInputError(() => loadCifar100(dir), path, "label 20 of record 0", "0..19");
  });
});
