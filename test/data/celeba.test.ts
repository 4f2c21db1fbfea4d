import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openCeleba } from "../../src/data/celeba.js";
import { subset } from "../../src/data/dataset.js";
import { materialize } from "../../src/data/image-files.js";
import { assertInputError, withTempDir, writeCelebaFixture, writeFile } from "./fixtures.js";

test("opens CelebA's layout: partition 0 trains, 2 tests, a target attribute, Male and Young as groups", () => {
  withTempDir((dir) => {
    const fixture = writeCelebaFixture(dir, 12);
    const { train, test: held } = openCeleba(dir, { target: "Smiling", imageSize: [6, 5] });
    const inPartition = (p: number) => fixture.names.map((_, i) => i).filter((i) => fixture.partitions[i] === p);
    assert.deepEqual(train.files, inPartition(0).map((i) => join(dir, "img_align_celeba", fixture.names[i])));
    assert.deepEqual(held.files, inPartition(2).map((i) => join(dir, "img_align_celeba", fixture.names[i])));
    assert.deepEqual(train.shape, [4, 3, 6, 5]);
    assert.deepEqual(train.classNames, ["not Smiling", "Smiling"]);
    assert.deepEqual(Array.from(train.labels), inPartition(0).map((i) => (fixture.values[i][0] === 1 ? 1 : 0)));
    assert.deepEqual(Object.keys(held.attributes!), ["Male", "Young"]);
    assert.deepEqual(held.attributes!.Young.values, ["-1", "1"]);
    assert.deepEqual(Array.from(held.attributes!.Young.codes), inPartition(2).map((i) => (fixture.values[i][2] === 1 ? 1 : 0)));
    const decoded = materialize(held);
    assert.equal(decoded.images.length, 4 * 3 * 6 * 5, "images of any size come out at imageSize");
  });
});

test("every attribute is a training target (multi-label); the analysed target's column gives the labels", () => {
  withTempDir((dir) => {
    const attributes = ["Male", "Smiling", "Young", "Bald"];
    const fixture = writeCelebaFixture(dir, 12, attributes);
    const { train, test: held } = openCeleba(dir, { imageSize: [6, 5] });
    const rows = (p: number) => fixture.values.filter((_, i) => fixture.partitions[i] === p);
    assert.deepEqual(held.multiLabel!.names, attributes);
    assert.equal(held.multiLabel!.analysed, 1, "the default target is Smiling");
    assert.deepEqual(Array.from(held.multiLabel!.values), rows(2).flatMap((r) => r.map((v) => (v === 1 ? 1 : 0))));
    assert.deepEqual(Array.from(held.labels), rows(2).map((r) => (r[1] === 1 ? 1 : 0)));
    const picked = subset(train, [3, 0]);
    const k = attributes.length;
    assert.deepEqual(Array.from(picked.multiLabel!.values), [...train.multiLabel!.values.subarray(3 * k, 4 * k), ...train.multiLabel!.values.subarray(0, k)]);
    assert.equal(openCeleba(dir, { target: "Bald", imageSize: [6, 5] }).test.multiLabel!.analysed, 3);
  });
});

test("defaults to 128×128 images; groups can be chosen", () => {
  withTempDir((dir) => {
    writeCelebaFixture(dir, 6);
    const { test: held } = openCeleba(dir, { target: "Male", groups: ["Young"] });
    assert.deepEqual(held.shape.slice(1), [3, 128, 128]);
    assert.deepEqual(Object.keys(held.attributes!), ["Young"]);
  });
});

test("an attribute file with a wrong column count is an input error naming the file and line", () => {
  withTempDir((dir) => {
    writeCelebaFixture(dir, 6);
    const path = join(dir, "list_attr_celeba.txt");
    const lines = readFileSync(path, "utf8").split("\n");
    lines[4] += " 1";
    writeFile(path, lines.join("\n"));
    assertInputError(() => openCeleba(dir, { target: "Smiling" }), `${path}: line 5: 4 values, expected 3`);
  });
});

test("bad partitions, unknown attributes and undecodable images are input errors naming the file", () => {
  withTempDir((dir) => {
    const fixture = writeCelebaFixture(dir, 6);
    assertInputError(() => openCeleba(dir, { target: "Bald" }), "list_attr_celeba.txt", 'no attribute "Bald"');
    assertInputError(() => openCeleba(dir, { target: "" }), '"target"');
    const partitions = join(dir, "list_eval_partition.txt");
    writeFile(partitions, `${fixture.names[0]} 0 1\n`);
    assertInputError(() => openCeleba(dir, { target: "Male" }), `${partitions}: line 1: 3 fields, expected 2`);
    writeFile(partitions, fixture.names.slice(1).map((name) => `${name} 0`).join("\n"));
    assertInputError(() => openCeleba(dir, { target: "Male" }), partitions, `no partition for ${fixture.names[0]}`);
    writeCelebaFixture(dir, 6);
    const image = join(dir, "img_align_celeba", fixture.names[3]);
    writeFile(image, "not an image");
    assertInputError(() => openCeleba(dir, { target: "Male" }), image, "unreadable image");
    rmSync(image);
    assertInputError(() => openCeleba(dir, { target: "Male" }), image, "no such file");
  });
});
