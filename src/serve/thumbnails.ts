/**
 * Test examples as PNG thumbnails, made from the dataset's own pixels (read
 * with src/data, as training read them), so that the dashboard can show which
 * images the replicates disagree on.
 */
import { PNG } from "pngjs";
import type { AnyDataset, DatasetSpec } from "../data/index.js";
import { decodeExamples, exampleFormat, exampleSize, isImageFileDataset, openDataset } from "../data/index.js";
import { InputError } from "../errors.js";
import { canonicalJson } from "../run-unit/hash.js";
import { NotFoundError } from "./errors.js";

/** Thumbnails are scaled up (nearest neighbour) to at least this many pixels on their longer side. */
const MIN_SIDE = 96;
/** Test sets kept open, by dataset spec. */
const DATASETS_KEPT = 4;

export class Thumbnails {
  private readonly datasets = new Map<string, AnyDataset>();
  private readonly pngs = new Map<string, Buffer>();

  private testSet(spec: DatasetSpec): AnyDataset {
    const id = canonicalJson(spec);
    let test = this.datasets.get(id);
    if (!test) {
      // The same split and subset as training: openDataset with the run's own dataset spec.
      test = openDataset(spec).test;
      this.datasets.set(id, test);
      while (this.datasets.size > DATASETS_KEPT) this.datasets.delete(this.datasets.keys().next().value!);
    }
    return test;
  }

  /** Test example `index` of the dataset `spec` as a PNG. */
  png(spec: DatasetSpec, index: number): Buffer {
    const cacheKey = `${canonicalJson(spec)}#${index}`;
    const cached = this.pngs.get(cacheKey);
    if (cached) return cached;
    let test: AnyDataset;
    try {
      test = this.testSet(spec);
    } catch (err) {
      if (err instanceof InputError) throw new NotFoundError(`the dataset cannot be read here: ${err.message}`);
      throw err;
    }
    const n = test.labels.length;
    if (index >= n) throw new NotFoundError(`the test set has ${n} examples; there is no example ${index}`);
    const [, channels, height, width] = test.shape;
    const pixels = isImageFileDataset(test)
      ? decodeExamples([test.files[index]], exampleFormat(test))
      : test.images.subarray(index * exampleSize(test), (index + 1) * exampleSize(test));
    const png = encodePng(toBytes(pixels), channels, height, width);
    this.pngs.set(cacheKey, png);
    if (this.pngs.size > 4096) this.pngs.delete(this.pngs.keys().next().value!);
    return png;
  }
}

/** uint8 pixels as they are; float pixels (synthetic data) stretched from their range to 0..255. */
function toBytes(pixels: Uint8Array | Float32Array): Uint8Array {
  if (pixels instanceof Uint8Array) return pixels;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of pixels) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  return Uint8Array.from(pixels, (v) => Math.round((v - lo) * scale));
}

/** One C×H×W example (grey, RGB, or the first channel of anything else) as an RGBA PNG, scaled up by a whole factor. */
export function encodePng(planar: Uint8Array, channels: number, height: number, width: number): Buffer {
  const factor = Math.max(1, Math.ceil(MIN_SIDE / Math.max(height, width)));
  const w = width * factor;
  const h = height * factor;
  const data = Buffer.alloc(w * h * 4);
  const plane = height * width;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = Math.floor(y / factor) * width + Math.floor(x / factor);
      const out = (y * w + x) * 4;
      const rgb = channels === 3 ? [planar[src], planar[plane + src], planar[2 * plane + src]] : [planar[src], planar[src], planar[src]];
      data[out] = rgb[0];
      data[out + 1] = rgb[1];
      data[out + 2] = rgb[2];
      data[out + 3] = 255;
    }
  }
  return PNG.sync.write({ width: w, height: h, data });
}
