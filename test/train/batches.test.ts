import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { augmentBatch, epochBatches } from "../../src/train/batches.js";
import { Generator, tensor, tidy } from "../../src/torch/index.js";

describe("epoch batches", () => {
  test("cover every example once; the batch-order generator reorders inside batches only", () =>
    tidy(() => {
      const a = epochBatches(10, 4, new Generator(1), new Generator(7)).map((b) => b.toArray());
      const b = epochBatches(10, 4, new Generator(1), new Generator(8)).map((b) => b.toArray());
      assert.deepEqual(a.map((x) => x.length), [4, 4, 2]);
      assert.deepEqual(a.flat().sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const sorted = (batches: number[][]) => batches.map((x) => [...x].sort((p, q) => p - q));
      assert.deepEqual(sorted(a), sorted(b), "same examples in each batch");
      assert.notDeepEqual(a, b, "in another order");
      assert.deepEqual(epochBatches(10, 4, new Generator(1), new Generator(7)).map((x) => x.toArray()), a, "reproducible");
    }));
});

describe("augmentation", () => {
  test("each image is a crop of its zero-padded self, possibly flipped, drawn from the generator", () =>
    tidy(() => {
      const n = 16;
      const values = Array.from({ length: n * 9 }, (_, i) => 1 + (i % 97));
      const images = tensor(values, [n, 1, 3, 3]);
      const out = augmentBatch(images, new Generator(3), 1);
      assert.deepEqual(out.shape, [n, 1, 3, 3]);
      const result = out.toArray();
      const pixel = (img: number, y: number, x: number) => (y < 0 || y > 2 || x < 0 || x > 2 ? 0 : values[img * 9 + y * 3 + x]);
      let flipped = 0;
      for (let img = 0; img < n; img++) {
        const got = result.slice(img * 9, img * 9 + 9);
        const candidates: number[][] = [];
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const crop = Array.from({ length: 9 }, (_, k) => pixel(img, Math.floor(k / 3) + dy, (k % 3) + dx));
            candidates.push(crop, Array.from({ length: 9 }, (_, k) => crop[Math.floor(k / 3) * 3 + 2 - (k % 3)]));
          }
        }
        const match = candidates.findIndex((c) => c.every((v, k) => v === got[k]));
        assert.ok(match >= 0, `image ${img} is no crop of its padded self: ${got}`);
        if (match % 2 === 1) flipped++;
      }
      assert.ok(flipped > 0 && flipped < n, `flips: ${flipped}/${n}`);
      assert.deepEqual(augmentBatch(images, new Generator(3), 1).toArray(), result, "same generator seed, same augmentation");
    }));
});
