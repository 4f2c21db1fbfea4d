/**
 * CelebA in its published layout:
 *
 *     root/img_align_celeba/000001.jpg …
 *     root/list_attr_celeba.txt       (count line, 40 names, "000001.jpg -1 1 …" rows)
 *     root/list_eval_partition.txt    ("000001.jpg 0" rows: 0 train, 1 validation, 2 test)
 *
 * Training uses partition 0 and testing partition 2, as the paper (162,770 /
 * 19,962 images). As in the paper's code, the task is multi-label: one
 * sigmoid output per attribute of the file (40), all trained at once. `target`
 * (default Smiling) is the attribute whose accuracy, FPR and FNR are analysed;
 * the `groups` attributes (default Male and Young, the paper's sub-groups)
 * are kept for sub-group analysis. Images are resized to `imageSize` (default
 * 128×128).
 */
import { join } from "node:path";
import { InputError } from "../errors.js";
import { readAttributeFile } from "./attributes.js";
import type { AttributeTable } from "./attributes.js";
import type { CategoricalAttribute, DatasetSplits, ImageFileDataset } from "./dataset.js";
import { readTextFile, requireDirectory } from "./files.js";
import { checkImageHeaders, checkImageSize } from "./image-files.js";

export interface CelebaOptions {
  /** The attribute to analyse (all are trained); default "Smiling". */
  target?: string;
  /** Attributes kept per example for sub-group analysis; default ["Male", "Young"]. */
  groups?: string[];
  /** [height, width]; default [128, 128]. */
  imageSize?: [number, number];
}

const IMAGE_DIR = "img_align_celeba";
const ATTRIBUTE_FILE = "list_attr_celeba.txt";
const PARTITION_FILE = "list_eval_partition.txt";
const TRAIN_PARTITION = "0";
const TEST_PARTITION = "2";

/** Partition ("0", "1" or "2") per image file name. */
function readPartitions(path: string): Map<string, string> {
  const partitions = new Map<string, string>();
  readTextFile(path)
    .split(/\r?\n/)
    .forEach((line, i) => {
      const tokens = line.trim().split(/\s+/);
      if (tokens[0] === "") return;
      if (tokens.length !== 2) throw new InputError(`${path}: line ${i + 1}: ${tokens.length} fields, expected 2 (file name and partition)`);
      if (!["0", "1", "2"].includes(tokens[1])) throw new InputError(`${path}: line ${i + 1}: partition "${tokens[1]}" is not 0, 1 or 2`);
      if (partitions.has(tokens[0])) throw new InputError(`${path}: line ${i + 1}: "${tokens[0]}" is listed twice`);
      partitions.set(tokens[0], tokens[1]);
    });
  return partitions;
}

function column(table: AttributeTable, name: string): number {
  const k = table.attributeNames.indexOf(name);
  if (k < 0) throw new InputError(`${table.path}: no attribute "${name}" (attributes: ${table.attributeNames.join(", ")})`);
  return k;
}

/** Codes 0 (value -1, absent) and 1 (present) of attribute column `k` for the rows `rows`. */
function codes(table: AttributeTable, k: number, rows: number[]): Int32Array {
  return Int32Array.from(rows, (row) => (table.rawValues[k][row] === "1" ? 1 : 0));
}

/** Every attribute's 0/1 value per row: n×K in C order. */
function allCodes(table: AttributeTable, rows: number[]): Uint8Array {
  const k = table.attributeNames.length;
  const values = new Uint8Array(rows.length * k);
  rows.forEach((row, i) => {
    for (let a = 0; a < k; a++) values[i * k + a] = table.rawValues[a][row] === "1" ? 1 : 0;
  });
  return values;
}

function part(root: string, table: AttributeTable, rows: number[], options: Required<CelebaOptions>): ImageFileDataset {
  const target = column(table, options.target);
  const attributes: Record<string, CategoricalAttribute> = {};
  for (const group of options.groups) attributes[group] = { values: ["-1", "1"], codes: codes(table, column(table, group), rows) };
  return {
    name: "celeba",
    files: rows.map((row) => join(root, IMAGE_DIR, table.fileNames[row])),
    shape: [rows.length, 3, options.imageSize[0], options.imageSize[1]],
    labels: codes(table, target, rows),
    numClasses: 2,
    classNames: [`not ${options.target}`, options.target],
    attributes,
    multiLabel: { names: table.attributeNames, values: allCodes(table, rows), analysed: target },
  };
}

/** Opens CelebA at `root` (see the module comment); no image is decoded yet, but every image's header is checked. */
export function openCeleba(root: string, options: CelebaOptions): DatasetSplits<ImageFileDataset> {
  requireDirectory(root);
  requireDirectory(join(root, IMAGE_DIR));
  if (options.target !== undefined && (typeof options.target !== "string" || options.target === "")) throw new InputError(`dataset celeba: "target" (the attribute to analyse) must be an attribute name`);
  const resolved: Required<CelebaOptions> = { target: "Smiling", groups: ["Male", "Young"], imageSize: [128, 128], ...options };
  checkImageSize(resolved.imageSize, "dataset celeba");
  const table = readAttributeFile(join(root, ATTRIBUTE_FILE));
  const partitionPath = join(root, PARTITION_FILE);
  const partitions = readPartitions(partitionPath);
  const train: number[] = [];
  const test: number[] = [];
  table.fileNames.forEach((name, row) => {
    const partition = partitions.get(name);
    if (partition === undefined) throw new InputError(`${partitionPath}: no partition for ${name} (${table.path}, line ${table.lineNumbers[row]})`);
    if (partition === TRAIN_PARTITION) train.push(row);
    else if (partition === TEST_PARTITION) test.push(row);
  });
  if (train.length === 0 || test.length === 0) throw new InputError(`${partitionPath}: needs images in partition 0 (train) and 2 (test)`);
  const splits = { train: part(root, table, train, resolved), test: part(root, table, test, resolved) };
  checkImageHeaders(splits.train);
  checkImageHeaders(splits.test);
  return splits;
}
