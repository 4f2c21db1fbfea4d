/**
 * Datasets of image files (image folders, CelebA): the examples are decoded,
 * converted to the dataset's channel count and resized to its size only when
 * needed, by `decodeExamples` — on the calling thread, or in the worker
 * threads of a `DecodePool` (stream.ts) during training.
 */
import { closeSync, readSync } from "node:fs";
import { InputError } from "../errors.js";
import { isImageFileDataset } from "./dataset.js";
import type { AnyDataset, Dataset, DatasetInfo, ImageFileDataset } from "./dataset.js";
import { openInputFile, readInputFile } from "./files.js";
import { decodeImage, readImageHeader, writePlanar } from "./image-decode.js";
import type { ImageChannels, ImageHeader } from "./image-decode.js";
import { resizeBilinear } from "./resize.js";

/** Enough of a file for its image header (JPEG headers may follow up to 64 KiB of metadata). */
const HEADER_BYTES = 1 << 16;
/** Reused for every header read: opening CelebA reads 200,000 of them. */
const headerBuffer = Buffer.alloc(HEADER_BYTES);

/** The header of the image file at `path`, read from its first bytes only. */
export function readImageFileHeader(path: string): ImageHeader {
  const fd = openInputFile(path);
  try {
    const length = readSync(fd, headerBuffer, 0, HEADER_BYTES, 0);
    return readImageHeader(headerBuffer.subarray(0, length), path);
  } finally {
    closeSync(fd);
  }
}

/** The geometry every example of a file dataset is decoded to. */
export interface ExampleFormat {
  channels: ImageChannels;
  height: number;
  width: number;
}

export function exampleFormat(ds: DatasetInfo): ExampleFormat {
  return { channels: ds.shape[1] as ImageChannels, height: ds.shape[2], width: ds.shape[3] };
}

/** Decodes the images at `paths` into consecutive C×H×W uint8 examples of `format`. */
export function decodeExamples(paths: readonly string[], format: ExampleFormat): Uint8Array {
  const { channels, height, width } = format;
  const size = channels * height * width;
  const out = new Uint8Array(paths.length * size);
  paths.forEach((path, i) => {
    const image = decodeImage(readInputFile(path), path);
    if (image.width === width && image.height === height) {
      writePlanar(image, channels, out, i * size);
      return;
    }
    const planar = new Uint8Array(channels * image.height * image.width);
    writePlanar(image, channels, planar, 0);
    resizeBilinear(planar, channels, image.height, image.width, height, width, out, i * size);
  });
  return out;
}

/** Checks that every file of `ds` starts like an image (reading headers only); a file that is none names itself. */
export function checkImageHeaders(ds: ImageFileDataset): void {
  for (const path of ds.files) readImageFileHeader(path);
}

/** The dataset in memory: image files are decoded here, on this thread; in-memory datasets are returned as they are. */
export function materialize(ds: AnyDataset): Dataset {
  if (!isImageFileDataset(ds)) return ds;
  const { files, ...info } = ds;
  return { ...info, images: decodeExamples(files, exampleFormat(ds)) };
}

/** Checks an `imageSize` option: two positive integers [height, width]; `owner` names the dataset for messages. */
export function checkImageSize(size: unknown, owner: string): void {
  const valid = Array.isArray(size) && size.length === 2 && size.every((d) => Number.isInteger(d) && d >= 1 && d <= 4096);
  if (!valid) throw new InputError(`${owner}: imageSize must be two integers [height, width] in 1..4096, got ${JSON.stringify(size)}`);
}
