// Streaming of image-file datasets: worker threads decode the batches, and
// what comes out depends only on the batch plan (the seeds), not on threads.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { materialize } from "../../src/data/image-files.js";
import { openImageFolder } from "../../src/data/image-folder.js";
import { DecodePool } from "../../src/data/stream.js";
import type { ImageFileDataset } from "../../src/data/dataset.js";
import { InputError } from "../../src/errors.js";
import { Generator, tidy } from "../../src/torch/index.js";
import { epochBatches } from "../../src/train/batches.js";
import { jpegBytes, patternPng, pixels, withTempDirAsync, writeFile } from "./fixtures.js";

/** 30 images of varying size in 3 classes, JPEG and PNG. */
function writeFolder(dir: string): void {
  for (let i = 0; i < 30; i++) {
    const [w, h] = [8 + (i % 7), 6 + (i % 5)];
    const path = join(dir, `class${i % 3}`, `${String(i).padStart(3, "0")}.${i % 2 ? "png" : "jpg"}`);
    writeFile(path, i % 2 ? patternPng(w, h, i) : jpegBytes(w, h, pixels(w, h, 4, (x, y, c) => (c === 3 ? 255 : (i * 11 + x * 9 + y * 5 + c * 70) % 256))));
  }
}

/** Two epochs of training batches, as training draws them from its shuffle and batch-order seeds. */
function twoEpochs(count: number, batchSize: number): number[][] {
  return tidy(() => {
    const shuffle = new Generator(11);
    const batchOrder = new Generator(12);
    return [1, 2].flatMap(() => epochBatches(count, batchSize, shuffle, batchOrder).map((b) => b.toArray()));
  });
}

async function streamAll(pool: DecodePool, ds: ImageFileDataset, batches: number[][], prefetch?: number): Promise<Uint8Array[]> {
  const stream = pool.stream(ds, batches, prefetch);
  const out: Uint8Array[] = [];
  for (let i = 0; i < batches.length; i++) out.push(await stream.next());
  return out;
}

async function withPool<T>(threads: number, body: (pool: DecodePool) => Promise<T>): Promise<T> {
  const pool = new DecodePool(threads);
  try {
    return await body(pool);
  } finally {
    await pool.close();
  }
}

describe("decoding streams", () => {
  test("with 1 and with 4 decoding threads, two epochs give the same example order and the same bytes", async () => {
    await withTempDirAsync(async (dir) => {
      writeFolder(dir);
      const { train } = openImageFolder(dir, { testFraction: 0.2, seed: 0, imageSize: [8, 10] });
      const batches = twoEpochs(train.shape[0], 5);
      const size = 3 * 8 * 10;
      const one = await withPool(1, (pool) => streamAll(pool, train, batches));
      const [four, fourShallow] = await withPool(4, async (pool) => [await streamAll(pool, train, batches), await streamAll(pool, train, batches, 1)]);
      assert.equal(one.length, 2 * Math.ceil(train.shape[0] / 5));
      assert.deepEqual(four, one, "4 threads deliver what 1 thread does");
      assert.deepEqual(fourShallow, one, "whatever the prefetch depth");
      // And what they deliver is each batch's examples in the plan's order, decoded as on the main thread.
      const all = materialize(train).images;
      batches.forEach((batch, b) => {
        assert.equal(one[b].length, batch.length * size);
        batch.forEach((example, k) => assert.deepEqual(one[b].subarray(k * size, (k + 1) * size), all.subarray(example * size, (example + 1) * size), `batch ${b}, example ${k}`));
      });
      const firstEpoch = batches.slice(0, batches.length / 2).flat();
      const secondEpoch = batches.slice(batches.length / 2).flat();
      assert.notDeepEqual(firstEpoch, secondEpoch, "each epoch has its own order");
      assert.deepEqual([...firstEpoch].sort((a, b) => a - b), [...secondEpoch].sort((a, b) => a - b));
    });
  });

  test("decodes at most `prefetch` batches ahead of the one consumed", async () => {
    await withTempDirAsync(async (dir) => {
      // Batch j's image is written only just before it may be read; a pool that read further ahead would fail on a missing file.
      const files = Array.from({ length: 8 }, (_, j) => join(dir, `${j}.png`));
      const ds: ImageFileDataset = { name: "lazy", files, shape: [8, 3, 4, 4], labels: new Int32Array(8), numClasses: 1, classNames: ["x"] };
      const prefetch = 2;
      await withPool(3, async (pool) => {
        const stream = pool.stream(ds, files.map((_, j) => [j]), prefetch);
        for (let k = 0; k < files.length; k++) {
          // Call k hands out batch k, after which the pool tops up to batch k + prefetch.
          for (let j = 0; j <= Math.min(k + prefetch, files.length - 1); j++) writeFile(files[j], patternPng(4, 4, j));
          const pixels = await stream.next();
          assert.equal(pixels[2 * 16], k % 256, `batch ${k} is image ${k}: its blue plane is its seed`);
        }
      });
    });
  });

  test("an image that will not decode fails the batch that holds it with an input error naming the file", async () => {
    await withTempDirAsync(async (dir) => {
      writeFolder(dir);
      const bad = join(dir, "class0", "000.jpg");
      // A valid JPEG header followed by garbage: it passes the header check, then fails to decode.
      writeFile(bad, Buffer.concat([jpegBytes(8, 6, new Uint8Array(8 * 6 * 4)).subarray(0, 200), Buffer.alloc(50, 7)]));
      const { train } = openImageFolder(dir, { testFraction: 0.5, seed: 0, imageSize: [8, 10] });
      const index = train.files.indexOf(bad);
      const ds = index >= 0 ? train : openImageFolder(dir, { testFraction: 0.5, seed: 0, imageSize: [8, 10] }).test;
      const position = ds.files.indexOf(bad);
      await assert.rejects(withPool(2, (pool) => streamAll(pool, ds, [[position === 0 ? 1 : 0], [position]])), (error: unknown) => {
        assert.ok(error instanceof InputError, String(error));
        assert.match(error.message, /000\.jpg: unreadable image/);
        return true;
      });
    });
  });
});
