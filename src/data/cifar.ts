/**
 * CIFAR-10 and CIFAR-100 in their standard binary format ("binary version"
 * on the CIFAR page). Each record is the label byte(s) followed by 3072
 * pixel bytes: the 32×32 red plane, then green, then blue — already C×H×W.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.js";
import type { CategoricalAttribute, Dataset, DatasetSplits } from "./dataset.js";
import { isDirectory, readInputFile, readTextFile, requireDirectory } from "./files.js";

const CIFAR_CHANNELS = 3;
const CIFAR_SIDE = 32;
const CIFAR_PIXELS = CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE;

export const CIFAR10_CLASS_NAMES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const CIFAR10_TEST_FILES = ["test_batch.bin"];
const CIFAR100_TRAIN_FILES = ["train.bin"];
const CIFAR100_TEST_FILES = ["test.bin"];

/**
 * The directory holding the batch files: `dir` itself, or the folder the
 * official archive extracts to (`cifar-10-batches-bin`, `cifar-100-binary`).
 */
function resolveBatchDir(dir: string, firstFile: string, archiveFolder: string): string {
  requireDirectory(dir);
  const nested = join(dir, archiveFolder);
  if (!existsSync(join(dir, firstFile)) && isDirectory(nested)) return nested;
  return dir;
}

/** Class names from a one-name-per-line file if present, else `fallback`. */
function readClassNames(path: string, count: number, fallback: () => string[]): string[] {
  if (!existsSync(path)) return fallback();
  const names = readTextFile(path)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (names.length !== count) throw new InputError(`${path}: expected ${count} class names, found ${names.length}`);
  return names;
}

interface CifarRecords {
  images: Uint8Array;
  /** One label array per label byte in the record (CIFAR-100: coarse, fine). */
  labelColumns: Int32Array[];
}

/** Reads records with `labelLimits.length` label bytes each; label byte k must be below `labelLimits[k]`. */
function readRecords(paths: string[], labelLimits: number[]): CifarRecords {
  const labelBytes = labelLimits.length;
  const recordSize = labelBytes + CIFAR_PIXELS;
  const files = paths.map((path) => {
    const bytes = readInputFile(path);
    if (bytes.length === 0 || bytes.length % recordSize !== 0) {
      throw new InputError(
        `${path}: truncated CIFAR record: size ${bytes.length} is not a positive multiple of the ${recordSize}-byte record`,
      );
    }
    return bytes;
  });
  const n = files.reduce((total, bytes) => total + bytes.length / recordSize, 0);
  const images = new Uint8Array(n * CIFAR_PIXELS);
  const labelColumns = Array.from({ length: labelBytes }, () => new Int32Array(n));
  let example = 0;
  files.forEach((bytes, file) => {
    for (let offset = 0; offset < bytes.length; offset += recordSize, example++) {
      for (let k = 0; k < labelBytes; k++) {
        const label = bytes[offset + k];
        if (label >= labelLimits[k]) {
          throw new InputError(
            `${paths[file]}: label ${label} of record ${offset / recordSize} is out of range 0..${labelLimits[k] - 1}`,
          );
        }
        labelColumns[k][example] = label;
      }
      images.set(bytes.subarray(offset + labelBytes, offset + recordSize), example * CIFAR_PIXELS);
    }
  });
  return { images, labelColumns };
}

function cifarDataset(name: string, images: Uint8Array, labels: Int32Array, classNames: string[]): Dataset {
  return {
    name,
    images,
    shape: [labels.length, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE],
    labels,
    numClasses: classNames.length,
    classNames,
  };
}

function loadCifar10Part(dir: string, files: string[], classNames: string[]): Dataset {
  const paths = files.map((file) => join(dir, file));
  const { images, labelColumns } = readRecords(paths, [classNames.length]);
  return cifarDataset("cifar10", images, labelColumns[0], classNames);
}

/** Loads CIFAR-10 from `data_batch_1..5.bin` and `test_batch.bin`, with names from `batches.meta.txt` if present. */
export function loadCifar10(dir: string): DatasetSplits {
  const batchDir = resolveBatchDir(dir, CIFAR10_TRAIN_FILES[0], "cifar-10-batches-bin");
  const classNames = readClassNames(join(batchDir, "batches.meta.txt"), 10, () => CIFAR10_CLASS_NAMES);
  return {
    train: loadCifar10Part(batchDir, CIFAR10_TRAIN_FILES, classNames),
    test: loadCifar10Part(batchDir, CIFAR10_TEST_FILES, classNames),
  };
}

export type Cifar100LabelKind = "fine" | "coarse";

const CIFAR100_LABEL_SPACES = {
  coarse: { column: 0, count: 20, namesFile: "coarse_label_names.txt" },
  fine: { column: 1, count: 100, namesFile: "fine_label_names.txt" },
} as const;

function numberedNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

function loadCifar100Part(dir: string, files: string[], label: Cifar100LabelKind, names: Record<Cifar100LabelKind, string[]>): Dataset {
  const paths = files.map((file) => join(dir, file));
  // Record layout: coarse label byte, fine label byte, pixels.
  const { images, labelColumns } = readRecords(paths, [CIFAR100_LABEL_SPACES.coarse.count, CIFAR100_LABEL_SPACES.fine.count]);
  const other: Cifar100LabelKind = label === "fine" ? "coarse" : "fine";
  const dataset = cifarDataset("cifar100", images, labelColumns[CIFAR100_LABEL_SPACES[label].column], names[label]);
  // The label not used as the target is kept as an attribute: sub-groups within (or across) classes.
  const otherAttribute: CategoricalAttribute = {
    values: names[other],
    codes: labelColumns[CIFAR100_LABEL_SPACES[other].column],
  };
  dataset.attributes = { [other]: otherAttribute };
  return dataset;
}

/**
 * Loads CIFAR-100 from `train.bin` and `test.bin` (records: coarse byte,
 * fine byte, pixels). The target is the fine label by default; the other
 * label is provided as the attribute `coarse` (or `fine`).
 */
export function loadCifar100(dir: string, label: Cifar100LabelKind = "fine"): DatasetSplits {
  const batchDir = resolveBatchDir(dir, CIFAR100_TRAIN_FILES[0], "cifar-100-binary");
  const names = {
    coarse: readClassNames(join(batchDir, CIFAR100_LABEL_SPACES.coarse.namesFile), 20, () => numberedNames("coarse_", 20)),
    fine: readClassNames(join(batchDir, CIFAR100_LABEL_SPACES.fine.namesFile), 100, () => numberedNames("class_", 100)),
  };
  return {
    train: loadCifar100Part(batchDir, CIFAR100_TRAIN_FILES, label, names),
    test: loadCifar100Part(batchDir, CIFAR100_TEST_FILES, label, names),
  };
}
