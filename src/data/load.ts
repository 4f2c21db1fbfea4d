/** One entry point for every dataset kind, driven by a serialisable spec. */
import { InputError } from "../errors.js";
import { loadCifar10, loadCifar100 } from "./cifar.js";
import type { Cifar100LabelKind } from "./cifar.js";
import { openCeleba } from "./celeba.js";
import type { AnyDataset, DatasetSplits } from "./dataset.js";
import { materialize } from "./image-files.js";
import { openImageFolder } from "./image-folder.js";
import type { ImageChannels } from "./image-decode.js";
import { DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_CLASS_NAMES, MNIST_CLASS_NAMES, loadIdxDataset } from "./idx.js";
import { deriveSeed } from "../random.js";
import type { Seed } from "../random.js";
import { seededSubset } from "./split.js";
import { makeSyntheticSplits } from "./synthetic.js";
import type { SyntheticSplitOptions } from "./synthetic.js";

/** Optional class-stratified subsets of the loaded splits. */
export interface SubsetOptions {
  trainSubset?: number;
  testSubset?: number;
  /** Seed of both subsets (each split draws from its own derived stream); default 0. */
  subsetSeed?: Seed;
}

export type DatasetSpec = SubsetOptions &
  (
    | { kind: "fashion-mnist"; dir?: string }
    | { kind: "mnist"; dir: string }
    | { kind: "cifar10"; dir: string }
    | { kind: "cifar100"; dir: string; label?: Cifar100LabelKind }
    | {
        kind: "image-folder";
        dir: string;
        name?: string;
        attributes?: string;
        channels?: ImageChannels;
        imageSize?: [number, number];
        testFraction?: number;
        seed?: Seed;
      }
    | { kind: "celeba"; dir: string; target?: string; groups?: string[]; imageSize?: [number, number] }
    | ({ kind: "synthetic" } & SyntheticSplitOptions)
  );

export type DatasetKind = DatasetSpec["kind"];

export const DATASET_KINDS: readonly DatasetKind[] = ["fashion-mnist", "mnist", "cifar10", "cifar100", "image-folder", "celeba", "synthetic"];

function requireDir(spec: { kind: string; dir?: string }): string {
  if (typeof spec.dir !== "string" || spec.dir === "") throw new InputError(`dataset ${spec.kind}: "dir" is required`);
  return spec.dir;
}

function openFull(spec: DatasetSpec): DatasetSplits<AnyDataset> {
  switch (spec.kind) {
    case "fashion-mnist":
      return loadIdxDataset(spec.dir ?? DEFAULT_FASHION_MNIST_DIR, { name: "fashion-mnist", classNames: FASHION_MNIST_CLASS_NAMES });
    case "mnist":
      return loadIdxDataset(requireDir(spec), { name: "mnist", classNames: MNIST_CLASS_NAMES });
    case "cifar10":
      return loadCifar10(requireDir(spec));
    case "cifar100":
      if (spec.label !== undefined && spec.label !== "fine" && spec.label !== "coarse") {
        throw new InputError(`dataset cifar100: label must be "fine" or "coarse", got "${String(spec.label)}"`);
      }
      return loadCifar100(requireDir(spec), spec.label);
    case "image-folder":
      return openImageFolder(requireDir(spec), spec);
    case "celeba":
      return openCeleba(requireDir(spec), spec);
    case "synthetic":
      return makeSyntheticSplits(spec);
    default: {
      const kind = (spec as { kind: unknown }).kind;
      throw new InputError(`unknown dataset kind "${String(kind)}" (known: ${DATASET_KINDS.join(", ")})`);
    }
  }
}

/**
 * Opens the dataset `spec` describes and takes the requested seeded subsets.
 * Image files (image folders, CelebA) are not decoded: their splits are
 * `ImageFileDataset`s, which training streams (stream.ts); the other kinds are
 * read into memory.
 */
export function openDataset(spec: DatasetSpec): DatasetSplits<AnyDataset> {
  const { train, test } = openFull(spec);
  const seed = spec.subsetSeed ?? 0;
  return {
    train: spec.trainSubset === undefined ? train : seededSubset(train, spec.trainSubset, deriveSeed(seed, "train")),
    test: spec.testSubset === undefined ? test : seededSubset(test, spec.testSubset, deriveSeed(seed, "test")),
  };
}

/** `openDataset`, with image files decoded into memory (only those of the subsets, when subsets are asked for). */
export function loadDataset(spec: DatasetSpec): DatasetSplits {
  const { train, test } = openDataset(spec);
  return { train: materialize(train), test: materialize(test) };
}
