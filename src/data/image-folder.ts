/**
 * torchvision-style image folders: `root/<class>/**.{png,jpg,jpeg}`, class
 * indices in sorted order of the class folder names. Either `root/train` and
 * `root/test` (or `root/val`, as ImageNet) each hold such a layout, or `root` does and is split with a
 * seeded, class-stratified split. Images may have any size: each is resized
 * to `imageSize` (default: the first image's size) when it is decoded.
 */
import { basename, join, relative, sep } from "node:path";
import { InputError } from "../errors.js";
import { readAttributeFile, matchAttributes } from "./attributes.js";
import type { CategoricalAttribute, DatasetSplits, ImageFileDataset } from "./dataset.js";
import { isDirectory, listDirectory, requireDirectory } from "./files.js";
import type { ImageChannels } from "./image-decode.js";
import { checkImageHeaders, checkImageSize, readImageFileHeader } from "./image-files.js";
import type { Seed } from "../random.js";
import { seededSplit } from "./split.js";

const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg"];

export interface ImageFolderOptions {
  /** Dataset name; defaults to the root folder's name. */
  name?: string;
  /** 1 or 3; defaults to the first image's: 1 if it is greyscale, else 3. */
  channels?: ImageChannels;
  /** [height, width] every image is resized to; defaults to the first image's size. */
  imageSize?: [number, number];
  /** CSV or CelebA-layout attribute file giving sub-groups (see attributes.ts). */
  attributes?: string;
  /** Fraction held out for testing when there are no train/ and test/ sub-folders; default 0.2. */
  testFraction?: number;
  /** Seed of that split; default 0. */
  seed?: Seed;
}

interface ImageEntry {
  path: string;
  label: number;
  /** Names the attribute file may use for this image, most specific first. */
  candidateNames: string[];
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isVisible(name: string): boolean {
  return !name.startsWith(".");
}

function toPosix(path: string): string {
  return path.split(sep).join("/");
}

/** Image files under `dir`, recursively, in sorted order. */
function imageFilesUnder(dir: string): string[] {
  const files: string[] = [];
  const entries = listDirectory(dir)
    .filter((entry) => isVisible(entry.name))
    .sort((a, b) => byName(a.name, b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      files.push(...imageFilesUnder(path));
    } else if (IMAGE_EXTENSIONS.some((extension) => entry.name.toLowerCase().endsWith(extension))) {
      files.push(path);
    }
  }
  return files;
}

/** Sorted names of the class folders directly under `root` (hidden folders are skipped). */
function classFolders(root: string): string[] {
  const names = listDirectory(root)
    .filter((entry) => entry.isDirectory() && isVisible(entry.name))
    .map((entry) => entry.name)
    .sort(byName);
  if (names.length === 0) throw new InputError(`${root}: no class sub-folders`);
  return names;
}

/** The images of one split root; its classes must all be among `classNames`. */
function scanSplitRoot(datasetRoot: string, splitRoot: string, classNames: string[]): ImageEntry[] {
  const entries: ImageEntry[] = [];
  for (const className of classFolders(splitRoot)) {
    const label = classNames.indexOf(className);
    if (label < 0) throw new InputError(`${join(splitRoot, className)}: class "${className}" is not a training class`);
    const files = imageFilesUnder(join(splitRoot, className));
    if (files.length === 0) throw new InputError(`${join(splitRoot, className)}: no PNG or JPEG images`);
    for (const path of files) {
      const names = [toPosix(relative(datasetRoot, path)), toPosix(relative(splitRoot, path)), basename(path)];
      entries.push({ path, label, candidateNames: [...new Set(names)] });
    }
  }
  return entries;
}

function fileDataset(name: string, entries: ImageEntry[], classNames: string[], example: [c: number, h: number, w: number]): ImageFileDataset {
  return {
    name,
    files: entries.map((entry) => entry.path),
    shape: [entries.length, ...example],
    labels: Int32Array.from(entries, (entry) => entry.label),
    numClasses: classNames.length,
    classNames,
  };
}

function sliceAttributes(attributes: Record<string, CategoricalAttribute>, start: number, end: number): Record<string, CategoricalAttribute> {
  return Object.fromEntries(
    Object.entries(attributes).map(([key, { values, codes }]) => [key, { values, codes: codes.slice(start, end) }]),
  );
}

/** Opens an image folder (see the module comment), with optional attributes; no image is decoded yet. */
export function openImageFolder(dir: string, options: ImageFolderOptions = {}): DatasetSplits<ImageFileDataset> {
  requireDirectory(dir);
  if (options.channels !== undefined && options.channels !== 1 && options.channels !== 3) {
    throw new InputError(`image folder ${dir}: channels must be 1 or 3, got ${String(options.channels)}`);
  }
  if (options.imageSize !== undefined) checkImageSize(options.imageSize, `image folder ${dir}`);
  const name = options.name ?? basename(dir);
  const trainRoot = join(dir, "train");
  // ImageNet's archives name the held-out part val/.
  const testRoot = isDirectory(join(dir, "test")) ? join(dir, "test") : join(dir, "val");
  const hasSplitRoots = isDirectory(trainRoot) && isDirectory(testRoot);
  const classNames = classFolders(hasSplitRoots ? trainRoot : dir);
  const parts = hasSplitRoots
    ? [scanSplitRoot(dir, trainRoot, classNames), scanSplitRoot(dir, testRoot, classNames)]
    : [scanSplitRoot(dir, dir, classNames)];
  const allEntries = parts.flat();

  // Attributes are matched before any image is decoded, so that a bad file fails fast.
  const attributes = options.attributes
    ? matchAttributes(readAttributeFile(options.attributes), allEntries.map((entry) => entry.candidateNames))
    : undefined;

  const first = readImageFileHeader(allEntries[0].path);
  const [height, width] = options.imageSize ?? [first.height, first.width];
  const example: [number, number, number] = [options.channels ?? first.naturalChannels, height, width];
  let start = 0;
  const datasets = parts.map((entries) => {
    const dataset = fileDataset(name, entries, classNames, example);
    if (attributes) dataset.attributes = sliceAttributes(attributes, start, start + entries.length);
    start += entries.length;
    checkImageHeaders(dataset);
    return dataset;
  });
  if (hasSplitRoots) return { train: datasets[0], test: datasets[1] };
  return seededSplit(datasets[0], options.testFraction ?? 0.2, options.seed ?? 0);
}
