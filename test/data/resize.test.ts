// Bilinear resizing equals Pillow's byte for byte (fixture: scripts/make_resize_fixtures.py).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { resizeBilinear } from "../../src/data/resize.js";

interface ResizeCase {
  width: number;
  height: number;
  outWidth: number;
  outHeight: number;
  expected: number[];
}

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL("../../../test/fixtures/data/resize.json", import.meta.url)), "utf8")) as { cases: ResizeCase[] };

/** The fixture script's `pixel(x, y, w)`. */
function pixel(x: number, y: number, w: number): number {
  return (Math.floor((x * 255) / Math.max(w - 1, 1)) + 37 * ((x * 7 + y * 13) % 5) + 3 * y) % 256;
}

for (const c of fixture.cases) {
  test(`resizes ${c.width}×${c.height} to ${c.outWidth}×${c.outHeight} exactly as Pillow's BILINEAR`, () => {
    const source = Uint8Array.from({ length: c.width * c.height }, (_, i) => pixel(i % c.width, Math.floor(i / c.width), c.width));
    // Two channels: the second plane is the first inverted, and must come out as its own resize.
    const planes = new Uint8Array(2 * source.length);
    planes.set(source);
    planes.set(source.map((v) => 255 - v), source.length);
    const out = new Uint8Array(3 + 2 * c.outWidth * c.outHeight);
    resizeBilinear(planes, 2, c.height, c.width, c.outHeight, c.outWidth, out, 3);
    const first = Array.from(out.subarray(3, 3 + c.outWidth * c.outHeight));
    assert.deepEqual(first, c.expected);
    assert.deepEqual(Array.from(out.subarray(0, 3)), [0, 0, 0], "writes nothing before the offset");
  });
}

test("the same size is a copy", () => {
  const source = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  const out = new Uint8Array(6);
  resizeBilinear(source, 1, 2, 3, 2, 3, out, 0);
  assert.deepEqual(Array.from(out), [1, 2, 3, 4, 5, 6]);
});
