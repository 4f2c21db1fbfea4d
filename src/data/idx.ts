/**
 * MNIST-style IDX files (MNIST, Fashion-MNIST), gzipped or not.
 *
 * An IDX file is a big-endian header — two zero bytes, a type code (0x08 =
 * unsigned byte), the number of dimensions d — then d 32-bit sizes, then the
 * data. Images are 0x00000803 (n × rows × cols), labels 0x00000801 (n).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.js";
import { checkLabels } from "./dataset.js";
import type { Dataset, DatasetSplits } from "./dataset.js";
import { readMaybeGzipped, requireDirectory } from "./files.js";

/** Where Debian's `dataset-fashion-mnist` package installs the data. */
export const DEFAULT_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

export const FASHION_MNIST_CLASS_NAMES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

export const MNIST_CLASS_NAMES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

const IDX_IMAGES_MAGIC = 0x00000803;
const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxArray {
  dims: number[];
  /** The payload: a plain Uint8Array view into the file's bytes (no copy, and not a Buffer, whose `slice` does not copy). */
  data: Uint8Array;
}

/** Parses an unsigned-byte IDX file, checking its magic and that its size matches its dimensions. */
export function parseIdx(bytes: Uint8Array, expectedMagic: number, path: string): IdxArray {
  if (bytes.length < 4) throw new InputError(`${path}: too short for an IDX header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== expectedMagic) {
    throw new InputError(
      `${path}: bad IDX magic 0x${magic.toString(16).padStart(8, "0")}, expected 0x${expectedMagic.toString(16).padStart(8, "0")}`,
    );
  }
  const rank = magic & 0xff;
  const headerSize = 4 + 4 * rank;
  if (bytes.length < headerSize) throw new InputError(`${path}: truncated IDX header`);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  const payload = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== headerSize + payload) {
    throw new InputError(
      `${path}: dimensions ${dims.join("×")} need ${headerSize + payload} bytes but the file has ${bytes.length}`,
    );
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerSize, payload) };
}

/** `dir/base`, or `dir/base.gz` when only the gzipped file exists. */
function locate(dir: string, base: string): string {
  const plain = join(dir, base);
  if (existsSync(plain)) return plain;
  const gzipped = `${plain}.gz`;
  if (existsSync(gzipped)) return gzipped;
  throw new InputError(`${plain}[.gz]: missing file`);
}

function loadIdxPart(dir: string, prefix: "train" | "t10k", name: string, classNames: string[]): Dataset {
  const imagesPath = locate(dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = locate(dir, `${prefix}-labels-idx1-ubyte`);
  const images = parseIdx(readMaybeGzipped(imagesPath), IDX_IMAGES_MAGIC, imagesPath);
  const labelBytes = parseIdx(readMaybeGzipped(labelsPath), IDX_LABELS_MAGIC, labelsPath);
  const [n, h, w] = images.dims;
  if (labelBytes.dims[0] !== n) {
    throw new InputError(`${labelsPath}: ${labelBytes.dims[0]} labels but ${imagesPath} has ${n} images`);
  }
  const labels = Int32Array.from(labelBytes.data);
  checkLabels(labels, classNames.length, labelsPath);
  return {
    name,
    images: images.data,
    shape: [n, 1, h, w],
    labels,
    numClasses: classNames.length,
    classNames,
  };
}

export interface IdxDatasetOptions {
  /** Dataset name, e.g. "fashion-mnist". */
  name: string;
  /** Defaults to the Fashion-MNIST classes. */
  classNames?: string[];
}

/**
 * Loads `train-{images-idx3,labels-idx1}-ubyte[.gz]` and
 * `t10k-{images-idx3,labels-idx1}-ubyte[.gz]` from `dir`.
 */
export function loadIdxDataset(dir: string, options: IdxDatasetOptions): DatasetSplits {
  requireDirectory(dir);
  const classNames = options.classNames ?? FASHION_MNIST_CLASS_NAMES;
  return {
    train: loadIdxPart(dir, "train", options.name, classNames),
    test: loadIdxPart(dir, "t10k", options.name, classNames),
  };
}
