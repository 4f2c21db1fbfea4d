/** Tiny dataset files written on the fly into temporary folders. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { encode as encodeJpeg } from "jpeg-js";
import { PNG } from "pngjs";
import type { DatasetSplits } from "../../src/data/dataset.js";
import { materialize } from "../../src/data/image-files.js";
import { openImageFolder } from "../../src/data/image-folder.js";
import type { ImageFolderOptions } from "../../src/data/image-folder.js";
import { InputError } from "../../src/errors.js";

/** Runs `body` with a fresh temporary folder, removed afterwards. */
export function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "noiselab-data-"));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `withTempDir` for an async body: the folder is removed when its promise settles. */
export async function withTempDirAsync<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "noiselab-data-"));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function writeFile(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** An unsigned-byte IDX file: magic 0x0000 08 <rank>, big-endian sizes, then `data`. */
export function idxBytes(dims: number[], data: Uint8Array, magic = 0x00000800 | dims.length): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((dim, i) => header.writeUInt32BE(dim, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

export interface IdxFixture {
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

/** Images whose pixel p of example i is (i * 7 + p) mod 256; labels i mod 10. */
export function writeIdxFixture(dir: string, { train = 12, test = 5, side = 4, gzip = false } = {}): IdxFixture {
  const make = (n: number) => ({
    images: Uint8Array.from({ length: n * side * side }, (_, k) => (Math.floor(k / (side * side)) * 7 + (k % (side * side))) % 256),
    labels: Uint8Array.from({ length: n }, (_, i) => i % 10),
  });
  const parts = { train: make(train), t10k: make(test) };
  const suffix = gzip ? ".gz" : "";
  const pack = (bytes: Uint8Array) => (gzip ? gzipSync(bytes) : bytes);
  for (const [prefix, { images, labels }] of Object.entries(parts)) {
    const n = labels.length;
    writeFile(join(dir, `${prefix}-images-idx3-ubyte${suffix}`), pack(idxBytes([n, side, side], images)));
    writeFile(join(dir, `${prefix}-labels-idx1-ubyte${suffix}`), pack(idxBytes([n], labels)));
  }
  return { trainImages: parts.train.images, trainLabels: parts.train.labels, testImages: parts.t10k.images, testLabels: parts.t10k.labels };
}

/** Interleaved pixels of a `width`×`height` image with `channels` per pixel, from `value(x, y, c)`. */
export function pixels(width: number, height: number, channels: number, value: (x: number, y: number, c: number) => number): Uint8Array {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = value(x, y, c);
    }
  }
  return data;
}

/** PNG bytes; `channels` is 1 (grey), 3 (RGB) or 4 (RGBA), matching `data`. */
export function pngBytes(width: number, height: number, channels: 1 | 3 | 4, data: Uint8Array): Buffer {
  const colorType = ({ 1: 0, 3: 2, 4: 6 } as const)[channels];
  return PNG.sync.write({ width, height, data }, { colorType, inputColorType: colorType, inputHasAlpha: channels === 4 });
}

/** A colour (YCbCr) JPEG from RGBA pixels, at the highest quality. */
export function jpegBytes(width: number, height: number, rgba: Uint8Array): Buffer {
  return encodeJpeg({ width, height, data: rgba }, 100).data;
}

/**
 * A hand-built 8×8 single-component (greyscale) baseline JPEG whose pixels
 * are all 128: jpeg-js can only encode colour JPEGs. One quantisation table
 * of ones, one-symbol Huffman tables (DC category 0, AC end-of-block), and one
 * block coded as the bits "00".
 */
export function greyJpegBytes(): Uint8Array {
  const huffmanTable = (classAndId: number) => [0xff, 0xc4, 0x00, 0x14, classAndId, 1, ...new Array(15).fill(0), 0x00];
  return Uint8Array.from([
    0xff, 0xd8,
    0xff, 0xdb, 0x00, 0x43, 0x00, ...new Array(64).fill(1),
    0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00,
    ...huffmanTable(0x00),
    ...huffmanTable(0x10),
    0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00,
    0x3f,
    0xff, 0xd9,
  ]);
}

/** Asserts that `body` throws an InputError whose message contains every one of `fragments`. */
export function assertInputError(body: () => unknown, ...fragments: string[]): void {
  assert.throws(body, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    for (const fragment of fragments) {
      assert.ok(error.message.includes(fragment), `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(fragment)}`);
    }
    assert.ok(!error.message.includes("\n"), "message must be one line");
    return true;
  });
}

/** A `width`×`height` RGB PNG whose pixel (x, y) is ((seed + 3x) mod 256, (seed + 5y) mod 256, seed mod 256). */
export function patternPng(width: number, height: number, seed: number): Buffer {
  return pngBytes(width, height, 3, pixels(width, height, 3, (x, y, c) => [(seed + 3 * x) % 256, (seed + 5 * y) % 256, seed % 256][c]));
}

export const CELEBA_ATTRIBUTES = ["Smiling", "Male", "Young"];

export interface CelebaFixture {
  /** Per image, in file order: its file name, partition and attribute values (±1, in the attribute order). */
  names: string[];
  partitions: number[];
  values: number[][];
}

/**
 * CelebA's published layout with `count` images of varying size (JPEG and
 * PNG content under .jpg names, as the decoder goes by content): image i is
 * in partition i mod 3 and has attribute k = +1 when bit (k mod 6) of i is set.
 */
export function writeCelebaFixture(dir: string, count = 12, attributes = CELEBA_ATTRIBUTES): CelebaFixture {
  const names = Array.from({ length: count }, (_, i) => `${String(i + 1).padStart(6, "0")}.jpg`);
  const partitions = names.map((_, i) => i % 3);
  const values = names.map((_, i) => attributes.map((_, k) => ((i >> (k % 6)) & 1 ? 1 : -1)));
  names.forEach((name, i) => {
    const [w, h] = [10 + (i % 4), 12 + (i % 3)];
    const rgba = pixels(w, h, 4, (x, y, c) => (c === 3 ? 255 : (i * 20 + x * 7 + y * 3 + c * 50) % 256));
    writeFile(join(dir, "img_align_celeba", name), i % 2 === 0 ? jpegBytes(w, h, rgba) : patternPng(w, h, i));
  });
  const attributeLines = [String(count), attributes.join(" "), ...names.map((name, i) => `${name} ${values[i].map((v) => String(v).padStart(2)).join(" ")}`)];
  writeFile(join(dir, "list_attr_celeba.txt"), attributeLines.join("\n") + "\n");
  writeFile(join(dir, "list_eval_partition.txt"), names.map((name, i) => `${name} ${partitions[i]}`).join("\n") + "\n");
  return { names, partitions, values };
}

/** An image folder opened and decoded into memory, as `loadDataset` does. */
export function loadImageFolder(dir: string, options?: ImageFolderOptions): DatasetSplits {
  const { train, test } = openImageFolder(dir, options);
  return { train: materialize(train), test: materialize(test) };
}
