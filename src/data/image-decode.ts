/**
 * Decoding of PNG and JPEG files to 8-bit pixels, with the file's natural
 * channel count (1 for greyscale, 3 for colour) so that an image folder can
 * pick its channel count from its first image.
 */
import { decode as decodeJpeg } from "jpeg-js";
import { PNG } from "pngjs";
import { InputError } from "../errors.js";

export type ImageChannels = 1 | 3;

export interface DecodedImage {
  width: number;
  height: number;
  /** 1 if the file stores greyscale (with or without alpha), 3 if colour (RGB, RGBA or palette). */
  naturalChannels: ImageChannels;
  /** Interleaved 8-bit RGBA, width × height × 4. */
  rgba: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((byte, i) => bytes[i] === byte);
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * The number of colour components in a JPEG's start-of-frame header, which
 * jpeg-js does not report (it always returns RGB(A)); null if not found.
 */
function jpegComponentCount(bytes: Uint8Array): number | null {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isStartOfFrame) return offset + 9 < bytes.length ? bytes[offset + 9] : null;
    offset += 2 + length;
  }
  return null;
}

/** Decodes a PNG or JPEG (recognised by content, not extension); `path` is for messages. */
export function decodeImage(bytes: Uint8Array, path: string): DecodedImage {
  try {
    if (isPng(bytes)) {
      const png = PNG.sync.read(bytes);
      const grey = png.colorType === 0 || png.colorType === 4;
      return { width: png.width, height: png.height, naturalChannels: grey ? 1 : 3, rgba: png.data };
    }
    if (isJpeg(bytes)) {
      const jpeg = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true });
      const grey = jpegComponentCount(bytes) === 1;
      return { width: jpeg.width, height: jpeg.height, naturalChannels: grey ? 1 : 3, rgba: jpeg.data };
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(`${path}: unreadable image: ${reason.split("\n")[0]}`);
  }
  throw new InputError(`${path}: unreadable image: neither PNG nor JPEG`);
}

/**
 * Writes `image` into `target` at `offset` as planar C×H×W with `channels`
 * channels: alpha is dropped, grey is replicated to RGB, and RGB is reduced to
 * grey with the ITU-R 601 luma weights (as PIL's `convert("L")`).
 */
export function writePlanar(image: DecodedImage, channels: ImageChannels, target: Uint8Array, offset: number): void {
  const plane = image.width * image.height;
  const { rgba } = image;
  if (channels === 3) {
    for (let p = 0; p < plane; p++) {
      target[offset + p] = rgba[4 * p];
      target[offset + plane + p] = rgba[4 * p + 1];
      target[offset + 2 * plane + p] = rgba[4 * p + 2];
    }
    return;
  }
  for (let p = 0; p < plane; p++) {
    target[offset + p] = (rgba[4 * p] * 19595 + rgba[4 * p + 1] * 38470 + rgba[4 * p + 2] * 7471 + 0x8000) >> 16;
  }
}
