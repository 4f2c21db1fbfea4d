/**
 * Resizing of 8-bit planar images with Pillow's bilinear filter
 * (`Image.resize(size, Image.BILINEAR)`, torchvision's default): a triangle
 * filter widened by the scale factor when shrinking (so it averages, not
 * aliases), applied horizontally then vertically, with Pillow's 22-bit
 * fixed-point weights and rounding so that the bytes equal Pillow's.
 */

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);

interface Coefficients {
  /** Per output pixel: first input pixel and number of input pixels used. */
  starts: Int32Array;
  counts: Int32Array;
  /** Per output pixel, `size` fixed-point weights. */
  weights: Int32Array;
  size: number;
}

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Pillow's precompute_coeffs and normalize_coeffs_8bpc for the bilinear filter (support 1). */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Int32Array(outSize * size);
  const exact = new Float64Array(size);
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    const start = Math.max(0, Math.trunc(center - support + 0.5));
    const end = Math.min(inSize, Math.trunc(center + support + 0.5));
    let total = 0;
    for (let k = 0; k < end - start; k++) {
      exact[k] = triangle((k + start - center + 0.5) / filterScale);
      total += exact[k];
    }
    for (let k = 0; k < end - start; k++) {
      const w = total !== 0 ? exact[k] / total : exact[k];
      weights[out * size + k] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
    }
    starts[out] = start;
    counts[out] = end - start;
  }
  return { starts, counts, weights, size };
}

function clip8(value: number): number {
  const shifted = value >> PRECISION_BITS;
  return shifted < 0 ? 0 : shifted > 255 ? 255 : shifted;
}

/**
 * Resizes `source` (`channels` planes of height×width, uint8) to outHeight×outWidth
 * and writes the planes into `target` at `offset`.
 */
export function resizeBilinear(
  source: Uint8Array,
  channels: number,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
  target: Uint8Array,
  offset: number,
): void {
  if (height === outHeight && width === outWidth) {
    target.set(source.subarray(0, channels * height * width), offset);
    return;
  }
  // Pillow skips a pass whose size does not change.
  const horizontal = width === outWidth ? null : coefficients(width, outWidth);
  const vertical = height === outHeight ? null : coefficients(height, outHeight);
  const rows = new Uint8Array(height * outWidth);
  for (let c = 0; c < channels; c++) {
    const plane = source.subarray(c * height * width, (c + 1) * height * width);
    if (horizontal) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < outWidth; x++) {
          let sum = HALF;
          const start = horizontal.starts[x];
          const base = x * horizontal.size;
          for (let k = 0; k < horizontal.counts[x]; k++) sum += plane[y * width + start + k] * horizontal.weights[base + k];
          rows[y * outWidth + x] = clip8(sum);
        }
      }
    } else {
      rows.set(plane);
    }
    const out = target.subarray(offset + c * outHeight * outWidth, offset + (c + 1) * outHeight * outWidth);
    if (!vertical) {
      out.set(rows);
      continue;
    }
    for (let y = 0; y < outHeight; y++) {
      const start = vertical.starts[y];
      const base = y * vertical.size;
      for (let x = 0; x < outWidth; x++) {
        let sum = HALF;
        for (let k = 0; k < vertical.counts[y]; k++) sum += rows[(start + k) * outWidth + x] * vertical.weights[base + k];
        out[y * outWidth + x] = clip8(sum);
      }
    }
  }
}
