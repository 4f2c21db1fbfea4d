/**
 * A small synthetic image dataset with an under-represented sub-group, for
 * the sub-group experiment and for fast end-to-end tests.
 *
 * Generative model (documented in docs/datasets.md):
 * - each class k has a majority pattern T_k and a minority pattern
 *   M_k = (1 − s)·T_k + s·V_k, where V_k is an independent pattern and s is
 *   `minorityShift`; every pattern is blocky Gaussian noise (a coarse grid of
 *   N(0, 1) cells, upsampled) rescaled to unit root-mean-square;
 * - an example of class k is a·P + σ·ε with P = T_k (majority) or M_k
 *   (minority), a ~ U(0.75, 1.25) a per-example contrast, ε i.i.d. N(0, 1)
 *   per pixel and σ = `noise`.
 * The minority is rarer (exactly round(minorityFraction·n) examples, spread
 * over the classes in proportion) and, for s > 0, follows patterns that the
 * majority does not teach, so its accuracy is lower and varies more between
 * training runs. Everything is drawn from streams derived from `seed`:
 * the patterns from "patterns" (shared by train and test), the examples
 * from the stream named by the split.
 */
import { InputError } from "../errors.js";
import type { Dataset, DatasetSplits } from "./dataset.js";
import { Rng, deriveSeed } from "../random.js";
import type { Seed } from "../random.js";
import { apportion } from "./split.js";

export const SYNTHETIC_GROUP_VALUES = ["majority", "minority"];

export interface SyntheticOptions {
  /** Default 10. */
  numClasses?: number;
  /** [c, h, w]; default [1, 12, 12]. */
  imageSize?: [c: number, h: number, w: number];
  /** Fraction of examples in the minority group, in [0, 1]; default 0.1. */
  minorityFraction?: number;
  /** How far minority patterns move from the majority's, in [0, 1]; default 0.8. */
  minorityShift?: number;
  /** Standard deviation of the pixel noise, relative to unit-RMS patterns; default 3. */
  noise?: number;
  /** Default 0. */
  seed?: Seed;
}

export interface SyntheticSplitOptions extends SyntheticOptions {
  trainSize: number;
  testSize: number;
}

interface ResolvedOptions {
  numClasses: number;
  imageSize: [number, number, number];
  minorityFraction: number;
  minorityShift: number;
  noise: number;
  seed: Seed;
}

function resolve(options: SyntheticOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    numClasses: options.numClasses ?? 10,
    imageSize: options.imageSize ?? [1, 12, 12],
    minorityFraction: options.minorityFraction ?? 0.1,
    minorityShift: options.minorityShift ?? 0.8,
    noise: options.noise ?? 3,
    seed: options.seed ?? 0,
  };
  const { numClasses, imageSize, minorityFraction, minorityShift, noise } = resolved;
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new InputError(`synthetic dataset: numClasses must be an integer ≥ 2, got ${numClasses}`);
  if (imageSize.length !== 3 || !imageSize.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new InputError(`synthetic dataset: imageSize must be three positive integers [c, h, w], got [${imageSize.join(", ")}]`);
  }
  if (!(minorityFraction >= 0 && minorityFraction <= 1)) throw new InputError(`synthetic dataset: minorityFraction must be in [0, 1], got ${minorityFraction}`);
  if (!(minorityShift >= 0 && minorityShift <= 1)) throw new InputError(`synthetic dataset: minorityShift must be in [0, 1], got ${minorityShift}`);
  if (!(noise >= 0 && Number.isFinite(noise))) throw new InputError(`synthetic dataset: noise must be a finite number ≥ 0, got ${noise}`);
  return resolved;
}

/** Side of the square cells of a pattern: about a quarter of the image, so patterns are coarse shapes a small CNN picks up. */
function cellSide(h: number, w: number): number {
  return Math.max(1, Math.round(Math.min(h, w) / 4));
}

function blockyPattern(rng: Rng, [c, h, w]: [number, number, number]): Float64Array {
  const side = cellSide(h, w);
  const rows = Math.ceil(h / side);
  const cols = Math.ceil(w / side);
  const cells = Float64Array.from({ length: c * rows * cols }, () => rng.nextNormal());
  const pattern = new Float64Array(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        pattern[(ch * h + y) * w + x] = cells[(ch * rows + Math.floor(y / side)) * cols + Math.floor(x / side)];
      }
    }
  }
  return toUnitRms(pattern);
}

function toUnitRms(pattern: Float64Array): Float64Array {
  const rms = Math.sqrt(pattern.reduce((sum, v) => sum + v * v, 0) / pattern.length);
  return rms > 0 ? pattern.map((v) => v / rms) : pattern;
}

interface Patterns {
  majority: Float64Array[];
  minority: Float64Array[];
}

function makePatterns(options: ResolvedOptions): Patterns {
  const rng = new Rng(deriveSeed(options.seed, "patterns"));
  const majority: Float64Array[] = [];
  const minority: Float64Array[] = [];
  const s = options.minorityShift;
  for (let k = 0; k < options.numClasses; k++) {
    const base = blockyPattern(rng, options.imageSize);
    const other = blockyPattern(rng, options.imageSize);
    majority.push(base);
    minority.push(toUnitRms(base.map((v, i) => (1 - s) * v + s * other[i])));
  }
  return { majority, minority };
}

function generate(options: ResolvedOptions, patterns: Patterns, n: number, stream: string): Dataset {
  if (!Number.isInteger(n) || n < 0) throw new InputError(`synthetic dataset: size must be a non-negative integer, got ${n}`);
  const { numClasses, imageSize, noise } = options;
  const rng = new Rng(deriveSeed(options.seed, stream));
  const perClass = apportion(n, new Array<number>(numClasses).fill(1));
  const minorityPerClass = apportion(Math.round(n * options.minorityFraction), perClass);
  const examples: { label: number; minority: boolean }[] = [];
  perClass.forEach((count, label) => {
    for (let i = 0; i < count; i++) examples.push({ label, minority: i < minorityPerClass[label] });
  });
  rng.shuffle(examples);

  const size = imageSize[0] * imageSize[1] * imageSize[2];
  const images = new Float32Array(n * size);
  const labels = new Int32Array(n);
  const groups = new Int32Array(n);
  examples.forEach(({ label, minority }, i) => {
    const pattern = (minority ? patterns.minority : patterns.majority)[label];
    const contrast = 0.75 + 0.5 * rng.nextFloat();
    for (let p = 0; p < size; p++) images[i * size + p] = contrast * pattern[p] + noise * rng.nextNormal();
    labels[i] = label;
    groups[i] = minority ? 1 : 0;
  });
  return {
    name: "synthetic",
    images,
    shape: [n, imageSize[0], imageSize[1], imageSize[2]],
    labels,
    numClasses,
    classNames: Array.from({ length: numClasses }, (_, k) => `class_${k}`),
    attributes: { group: { values: SYNTHETIC_GROUP_VALUES, codes: groups } },
  };
}

/** `n` examples from the stream `stream` ("train", "test", …) of the synthetic model. */
export function makeSyntheticDataset(options: SyntheticOptions & { n: number; stream?: string }): Dataset {
  const resolved = resolve(options);
  return generate(resolved, makePatterns(resolved), options.n, options.stream ?? "train");
}

/** Train and test sets from the same patterns and independent example streams. */
export function makeSyntheticSplits(options: SyntheticSplitOptions): DatasetSplits {
  const resolved = resolve(options);
  const patterns = makePatterns(resolved);
  return {
    train: generate(resolved, patterns, options.trainSize, "train"),
    test: generate(resolved, patterns, options.testSize, "test"),
  };
}
