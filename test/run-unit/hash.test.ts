import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { canonicalJson, contentHash } from "../../src/run-unit/hash.js";

describe("canonicalJson", () => {
  it("sorts keys at every depth and writes no whitespace", () => {
    const value = { b: [3, { z: 1, a: "x y" }], a: { d: null, c: true } };
    assert.equal(canonicalJson(value), '{"a":{"c":true,"d":null},"b":[3,{"a":"x y","z":1}]}');
  });

  it("gives equal data the same text whatever the key order", () => {
    const one = { model: "SmallCNN", seeds: { init: 1, shuffle: 2 }, epochs: 10 };
    const two = { epochs: 10, seeds: { shuffle: 2, init: 1 }, model: "SmallCNN" };
    assert.equal(canonicalJson(one), canonicalJson(two));
  });

  it("leaves out undefined properties, as JSON does", () => {
    assert.equal(canonicalJson({ a: 1, b: undefined }), '{"a":1}');
  });

  it("refuses values JSON would silently change, naming where they are", () => {
    assert.throws(() => canonicalJson({ lr: Number.NaN }), /\$\.lr: NaN/);
    assert.throws(() => canonicalJson({ x: [1, Infinity] }), /\$\.x\[1\]/);
    assert.throws(() => canonicalJson([undefined]), /\$\[0\]: a undefined/);
    assert.throws(() => canonicalJson({ when: new Date(0) }), /\$\.when: only plain objects.*Date/);
    assert.throws(() => canonicalJson({ f: () => 1 }), /function/);
    assert.throws(() => canonicalJson(10n), /bigint/);
  });
});

describe("contentHash", () => {
  it("is the sha256 hex of the canonical JSON", () => {
    const expected = createHash("sha256").update('{"a":1,"b":[2]}').digest("hex");
    assert.equal(contentHash({ b: [2], a: 1 }), expected);
  });

  it("separates configs that differ in a value or in array order", () => {
    const base = contentHash({ seeds: [1, 2], lr: 0.1 });
    assert.notEqual(contentHash({ seeds: [2, 1], lr: 0.1 }), base);
    assert.notEqual(contentHash({ seeds: [1, 2], lr: 0.10000001 }), base);
    assert.notEqual(contentHash({ seeds: [1, 2], lr: "0.1" }), base);
  });
});
