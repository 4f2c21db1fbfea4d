import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { classCounts } from "../../src/data/dataset.js";
import { openImageFolder } from "../../src/data/image-folder.js";
import { assertInputError, greyJpegBytes, jpegBytes, loadImageFolder, pixels, pngBytes, withTempDir, writeFile } from "./fixtures.js";

/** A 3×2 RGB PNG whose pixel (x, y) is (base + x, base + 10y, 200 − base). */
function rgbPng(base: number): Buffer {
  return pngBytes(3, 2, 3, pixels(3, 2, 3, (x, y, c) => [base + x, base + 10 * y, 200 - base][c]));
}

test("loads an RGB PNG folder with sorted class names, planar pixels and a seeded split", () => {
  withTempDir((dir) => {
    for (let i = 0; i < 5; i++) {
      writeFile(join(dir, "zebra", `img${i}.png`), rgbPng(i));
      writeFile(join(dir, "ant", `img${i}.png`), rgbPng(50 + i));
    }
    writeFile(join(dir, "ant", "notes.txt"), "ignored");
    writeFile(join(dir, ".ipynb_checkpoints", "x.png"), rgbPng(0));
    const { train, test: held } = loadImageFolder(dir, { testFraction: 0.4, seed: 3 });
    assert.deepEqual(train.classNames, ["ant", "zebra"]);
    assert.deepEqual(train.shape, [6, 3, 2, 3]);
    assert.deepEqual(held.shape, [4, 3, 2, 3]);
    assert.deepEqual(classCounts(held), [2, 2]);
    // Whatever the split, every test example is one of ours in planar layout.
    const first = Array.from(held.images.subarray(0, 18));
    const base = first[0];
    assert.deepEqual(first, [base, base + 1, base + 2, base, base + 1, base + 2, base, base, base, base + 10, base + 10, base + 10, 200 - base, 200 - base, 200 - base, 200 - base, 200 - base, 200 - base]);
    const again = loadImageFolder(dir, { testFraction: 0.4, seed: 3 });
    assert.deepEqual(again.test.images, held.images);
  });
});

test("uses train/ and test/ sub-roots when both exist", () => {
  withTempDir((dir) => {
    writeFile(join(dir, "train", "cat", "a.png"), rgbPng(1));
    writeFile(join(dir, "train", "dog", "b.png"), rgbPng(2));
    writeFile(join(dir, "train", "dog", "nested", "c.png"), rgbPng(3));
    writeFile(join(dir, "test", "dog", "d.png"), rgbPng(4));
    const { train, test: held } = loadImageFolder(dir, { name: "pets" });
    assert.equal(train.name, "pets");
    assert.deepEqual(Array.from(train.labels), [0, 1, 1]);
    assert.deepEqual(Array.from(held.labels), [1]);
    assert.equal(held.images[0], 4);
  });
});

test("val/ serves as the test root when there is no test/, as in ImageNet's layout", () => {
  withTempDir((dir) => {
    writeFile(join(dir, "train", "n01440764", "a.JPEG"), jpegBytes(6, 5, new Uint8Array(120).fill(30)));
    writeFile(join(dir, "train", "n01443537", "b.JPEG"), jpegBytes(9, 4, new Uint8Array(144).fill(60)));
    writeFile(join(dir, "val", "n01443537", "c.JPEG"), jpegBytes(3, 3, new Uint8Array(36).fill(90)));
    const { train, test: held } = loadImageFolder(dir, { imageSize: [4, 4] });
    assert.deepEqual(train.classNames, ["n01440764", "n01443537"]);
    assert.deepEqual([train.shape, held.shape], [[2, 3, 4, 4], [1, 3, 4, 4]]);
    assert.deepEqual(Array.from(held.labels), [1]);
  });
});

test("a test class that is not a training class is an input error", () => {
  withTempDir((dir) => {
    writeFile(join(dir, "train", "cat", "a.png"), rgbPng(1));
    writeFile(join(dir, "test", "cow", "b.png"), rgbPng(2));
    assertInputError(() => loadImageFolder(dir), join(dir, "test", "cow"), "not a training class");
  });
});

test("greyscale PNGs give one channel; RGB can be reduced to grey with luma weights", () => {
  withTempDir((dir) => {
    writeFile(join(dir, "a", "0.png"), pngBytes(2, 2, 1, Uint8Array.from([0, 50, 100, 255])));
    writeFile(join(dir, "b", "1.png"), pngBytes(2, 2, 3, pixels(2, 2, 3, (_x, _y, c) => [255, 0, 0][c])));
    const { train, test: held } = loadImageFolder(dir, { testFraction: 0.5, seed: 0 });
    const all = [train, held].sort((p, q) => p.labels[0] - q.labels[0]);
    assert.deepEqual(all[0].shape, [1, 1, 2, 2]);
    assert.deepEqual(Array.from(all[0].images), [0, 50, 100, 255]);
    assert.deepEqual(Array.from(all[1].images), [76, 76, 76, 76], "pure red has luma round(0.299 × 255)");
  });
});

test("RGBA drops alpha; grey images are replicated when three channels are asked for", () => {
  withTempDir((dir) => {
    writeFile(join(dir, "a", "0.png"), pngBytes(1, 2, 4, Uint8Array.from([10, 20, 30, 0, 40, 50, 60, 128])));
    writeFile(join(dir, "b", "1.png"), pngBytes(1, 2, 1, Uint8Array.from([7, 9])));
    const { train, test: held } = loadImageFolder(dir, { testFraction: 0.5, seed: 0 });
    const [a, b] = [train, held].sort((p, q) => p.labels[0] - q.labels[0]);
    assert.deepEqual(a.shape, [1, 3, 2, 1], "RGBA is colour: three channels");
    assert.deepEqual(Array.from(a.images), [10, 40, 20, 50, 30, 60]);
    assert.deepEqual(Array.from(b.images), [7, 9, 7, 9, 7, 9]);
  });
});

test("decodes colour and greyscale JPEGs, taking the channel count from the first image", () => {
  withTempDir((dir) => {
    writeFile(join(dir, "a", "grey.jpg"), greyJpegBytes());
    const rgba = pixels(8, 8, 4, (_x, _y, c) => [200, 100, 50, 255][c]);
    writeFile(join(dir, "b", "colour.JPEG"), jpegBytes(8, 8, rgba));
    const greyFirst = loadImageFolder(dir, { testFraction: 0.5, seed: 0 });
    for (const part of [greyFirst.train, greyFirst.test]) assert.equal(part.shape[1], 1);
    const asRgb = loadImageFolder(dir, { testFraction: 0.5, seed: 0, channels: 3 });
    const [grey, colour] = [asRgb.train, asRgb.test].sort((p, q) => p.labels[0] - q.labels[0]);
    assert.deepEqual(grey.shape, [1, 3, 8, 8]);
    assert.ok(grey.images.every((v) => v === 128));
    for (const [channel, expected] of [200, 100, 50].entries()) {
      const plane = colour.images.subarray(channel * 64, (channel + 1) * 64);
      assert.ok(plane.every((v) => Math.abs(v - expected) <= 3), `channel ${channel} near ${expected}`);
    }
  });
});

test("images of any size are resized to the first image's size, or to imageSize", () => {
  withTempDir((dir) => {
    writeFile(join(dir, "a", "0.png"), pngBytes(2, 2, 1, Uint8Array.from([10, 20, 30, 40])));
    writeFile(join(dir, "a", "1.png"), pngBytes(4, 4, 1, new Uint8Array(16).fill(90)));
    writeFile(join(dir, "b", "2.jpg"), jpegBytes(5, 3, new Uint8Array(60).fill(200)));
    const { train, test: held } = loadImageFolder(dir, { testFraction: 0.34, seed: 0 });
    assert.deepEqual([train.shape.slice(1), held.shape.slice(1)], [[1, 2, 2], [1, 2, 2]], "the first image is grey and 2×2");
    const all = [...train.images, ...held.images];
    assert.ok(all.includes(10) && all.includes(40), "the first image is kept as it is");
    assert.deepEqual(all.filter((v) => v === 90).length, 4, "a uniform image stays uniform when shrunk");
    const sized = loadImageFolder(dir, { testFraction: 0.34, seed: 0, imageSize: [3, 7] });
    assert.deepEqual(sized.train.shape.slice(1), [1, 3, 7]);
    assertInputError(() => loadImageFolder(dir, { imageSize: [0, 7] }), "imageSize", "[height, width]");
  });
});

test("an unreadable image is an input error naming it", () => {
  withTempDir((dir) => {
    writeFile(join(dir, "a", "0.png"), rgbPng(0));
    writeFile(join(dir, "a", "1.png"), "this is not a PNG");
    assertInputError(() => openImageFolder(dir), join(dir, "a", "1.png"), "unreadable image", "neither PNG nor JPEG");
    assertInputError(() => loadImageFolder(dir), join(dir, "a", "1.png"), "unreadable image");
    const truncated = rgbPng(0).subarray(0, 40);
    writeFile(join(dir, "a", "1.png"), truncated);
    assertInputError(() => loadImageFolder(dir), join(dir, "a", "1.png"), "unreadable image");
  });
});

test("a folder without class folders, or a class without images, is an input error", () => {
  withTempDir((dir) => {
    writeFile(join(dir, "loose.png"), rgbPng(0));
    assertInputError(() => loadImageFolder(dir), dir, "no class sub-folders");
    writeFile(join(dir, "empty", "readme.txt"), "");
    assertInputError(() => openImageFolder(dir), join(dir, "empty"), "no PNG or JPEG images");
  });
});

test("a bad channel count is an input error", () => {
  withTempDir((dir) => {
    writeFile(join(dir, "a", "0.png"), rgbPng(0));
    assertInputError(() => loadImageFolder(dir, { channels: 2 as 1 }), "channels must be 1 or 3");
  });
});
