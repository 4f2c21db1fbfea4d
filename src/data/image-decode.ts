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

/** What a file's header says about the image, without decoding its pixels. */
export interface ImageHeader {
  width: number;
  height: number;
  naturalChannels: ImageChannels;
}

/**
 * A JPEG's start-of-frame header (size and number of colour components),
 * which also tells the component count jpeg-js does not report; null if the
 * marker segments end before one is found.
 */
function jpegFrame(bytes: Uint8Array): { width: number; height: number; components: number } | null {
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
    if (isStartOfFrame) {
      if (offset + 9 >= bytes.length) return null;
      return {
        height: (bytes[offset + 5] << 8) | bytes[offset + 6],
        width: (bytes[offset + 7] << 8) | bytes[offset + 8],
        components: bytes[offset + 9],
      };
    }
    offset += 2 + length;
  }
  return null;
}

/**
 * Reads the size and channel count from the first bytes of a PNG or JPEG
 * (`bytes` may be a prefix of the file); `path` is for messages. Catches files
 * that are no image at all without decoding them.
 */
export function readImageHeader(bytes: Uint8Array, path: string): ImageHeader {
  if (isPng(bytes)) {
    const ihdr = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 26 || ihdr.toString("latin1", 12, 16) !== "IHDR") throw new InputError(`${path}: unreadable image: PNG without an IHDR header`);
    const width = ihdr.readUInt32BE(16);
    const height = ihdr.readUInt32BE(20);
    if (width === 0 || height === 0) throw new InputError(`${path}: unreadable image: PNG of size ${width}×${height}`);
    const colorType = bytes[25];
    return { width, height, naturalChannels: colorType === 0 || colorType === 4 ? 1 : 3 };
  }
  if (isJpeg(bytes)) {
    const frame = jpegFrame(bytes);
    if (!frame || frame.width === 0 || frame.height === 0) throw new InputError(`${path}: unreadable image: JPEG without a readable frame header`);
    return { width: frame.width, height: frame.height, naturalChannels: frame.components === 1 ? 1 : 3 };
  }
  throw new InputError(`${path}: unreadable image: neither PNG nor JPEG`);
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
      const grey = jpegFrame(bytes)?.components === 1;
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
