/**
 * Tooling noise (the paper's Fig. 6): the same runs, with the same seeds,
 * trained in several environments (tool chains). Runs of one model and
 * variant with the same replicate number and seeds in two environments form a
 * same-seed pair; their churn, weight distance and accuracy difference are
 * what the environment alone changes.
 *
 * An environment is a group's `environment`: a spec environment's name, or,
 * where runs of one name were made on several tool chains (runs imported from
 * another machine), `NAME@` and the tool chain's first hex digits, which
 * collect gives a group of its own because such runs are never replicates of
 * each other.
 */
import type { ReplicateRun, VariantGroup } from "../experiment/results.js";
import type { PairedSummary } from "../metrics/paired.js";
import { pairedReport } from "../metrics/paired.js";
import { churn } from "../metrics/churn.js";
import { mean } from "../metrics/stats.js";
import { isRecord } from "../run-unit/unit.js";

/** The environment name of groups that do not say (results from before environments existed). */
const UNNAMED = "default";

export interface ToolingEnvironment {
  /** The groups' `environment`. */
  label: string;
  /** The first run's toolchain hash; null when the runs recorded none. */
  toolchain: string | null;
  runs: number;
}

/** A measure over same-seed pairs; null where undefined (a std of one pair). */
export interface PairMeasure {
  mean: number | null;
  std: number | null;
  meanCi95: [number | null, number | null];
}

export interface SameSeedPair {
  replicate: number;
  runA: string;
  runB: string;
  /** Equal final-weight sha256: the two environments computed the very same model. */
  identical: boolean;
  churn: number;
  unitL2: number | null;
  /** Top-1 accuracy in environment a minus that in b. */
  accuracyDifference: number;
}

/** Tooling noise of one model and variant between two environments. */
export interface EnvironmentPair {
  model: string;
  variant: string;
  a: string;
  b: string;
  /** Whether the variant fixes the kernels source, so that within one environment its same-seed runs are deterministic. */
  kernelsFixed: boolean;
  pairs: number;
  identicalPairs: number;
  churn: PairMeasure;
  unitL2: PairMeasure | null;
  accuracyDifference: PairMeasure;
  perPair: SameSeedPair[];
}

/** One cell of the environment × environment matrix of same-seed churn, per model and variant. */
export interface MatrixCell {
  model: string;
  variant: string;
  a: string;
  b: string;
  /**
   * Same-seed pairs behind the cell. On the diagonal: pairs of replicates in
   * one environment whose recorded seeds are all equal (CONTROL), so that it
   * shows what the environment does alone.
   */
  pairs: number;
  identicalPairs: number;
  /** Mean churn over those pairs; null without pairs. */
  churn: number | null;
}

/** Whether two environments compute the same models, judged on every same-seed pair of the listed variants. */
export interface Interchangeability {
  a: string;
  b: string;
  /** The variants judged: those that fix the kernels source, or every variant when none does. */
  variants: string[];
  pairs: number;
  identicalPairs: number;
  /** Every judged pair has identical weights (and there is at least one pair). */
  interchangeable: boolean;
  /** The largest churn of a judged pair; null without pairs. */
  maxChurn: number | null;
  /** The largest unit-weight L2 distance of a judged pair; null without pairs or weights. */
  maxUnitL2: number | null;
}

export interface ToolingReport {
  environments: ToolingEnvironment[];
  pairs: EnvironmentPair[];
  matrix: MatrixCell[];
  interchangeability: Interchangeability[];
}

/** A group's environment; results without environments have one, "default". */
export function environmentOf(group: VariantGroup): string {
  return group.environment ?? UNNAMED;
}

/** The environments' labels in first-appearance order; a report has tooling noise when there are two or more. */
export function environmentLabels(groups: VariantGroup[]): string[] {
  return [...new Set(groups.map(environmentOf))];
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function measure(s: PairedSummary): PairMeasure {
  return { mean: finite(s.mean), std: finite(s.std), meanCi95: [finite(s.meanCi95[0]), finite(s.meanCi95[1])] };
}

function seedsKey(run: ReplicateRun): string | null {
  const seeds = run.metadata.seeds;
  if (!isRecord(seeds)) return null;
  return JSON.stringify(Object.entries(seeds).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function sameLabels(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((y, i) => y === b[i]);
}

/** Indices into `a.runs` and `b.runs` of the runs with the same replicate number and (where recorded) the same seeds. */
function sameSeedIndices(a: VariantGroup, b: VariantGroup): [number, number][] {
  const out: [number, number][] = [];
  a.runs.forEach((run, i) => {
    const j = b.runs.findIndex((other) => other.replicate === run.replicate);
    if (j < 0) return;
    const [ka, kb] = [seedsKey(run), seedsKey(b.runs[j])];
    if (ka !== null && kb !== null && ka !== kb) return;
    out.push([i, j]);
  });
  return out.sort(([i], [j]) => a.runs[i].replicate - a.runs[j].replicate);
}

function environmentPair(a: VariantGroup, b: VariantGroup, options: { seed: number; resamples: number }): EnvironmentPair | null {
  const matched = sameSeedIndices(a, b);
  if (matched.length === 0 || !sameLabels(a.set.labels, b.set.labels)) return null;
  const weights = (g: VariantGroup, k: 0 | 1) => (g.weights.length === g.runs.length ? matched.map((m) => g.weights[m[k]]) : undefined);
  const report = pairedReport(
    { predictions: matched.map(([i]) => a.set.predictions[i]), weights: weights(a, 0) },
    { predictions: matched.map(([, j]) => b.set.predictions[j]), weights: weights(b, 1) },
    a.set.labels,
    { seed: options.seed, resamples: options.resamples, names: [`${a.model}/${a.variant}/${environmentOf(a)}`, `${b.model}/${b.variant}/${environmentOf(b)}`] },
  );
  const perPair = matched.map(([i, j], p): SameSeedPair => ({
    replicate: a.runs[i].replicate,
    runA: a.runs[i].label,
    runB: b.runs[j].label,
    identical: a.runs[i].weightsHash === b.runs[j].weightsHash,
    churn: report.churn.perPair[p],
    unitL2: report.unitL2 ? finite(report.unitL2.perPair[p]) : null,
    accuracyDifference: report.accuracyDifference.perPair[p],
  }));
  return {
    model: a.model,
    variant: a.variant,
    a: environmentOf(a),
    b: environmentOf(b),
    kernelsFixed: !a.noise.kernels,
    pairs: perPair.length,
    identicalPairs: perPair.filter((p) => p.identical).length,
    churn: measure(report.churn),
    unitL2: report.unitL2 ? measure(report.unitL2) : null,
    accuracyDifference: measure(report.accuracyDifference),
    perPair,
  };
}

/** Pairs of replicates within one group whose seeds are all recorded and equal. */
function withinEnvironmentCell(g: VariantGroup): MatrixCell {
  const values: number[] = [];
  let identical = 0;
  for (let i = 0; i < g.runs.length; i++) {
    for (let j = i + 1; j < g.runs.length; j++) {
      const key = seedsKey(g.runs[i]);
      if (key === null || key !== seedsKey(g.runs[j])) continue;
      values.push(churn(g.set.predictions[i], g.set.predictions[j]));
      if (g.runs[i].weightsHash === g.runs[j].weightsHash) identical++;
    }
  }
  return { model: g.model, variant: g.variant, a: environmentOf(g), b: environmentOf(g), pairs: values.length, identicalPairs: identical, churn: values.length > 0 ? mean(values) : null };
}

function interchangeability(a: string, b: string, pairs: EnvironmentPair[]): Interchangeability {
  const mine = pairs.filter((p) => p.a === a && p.b === b);
  const judged = mine.some((p) => p.kernelsFixed) ? mine.filter((p) => p.kernelsFixed) : mine;
  const count = judged.reduce((s, p) => s + p.pairs, 0);
  const identical = judged.reduce((s, p) => s + p.identicalPairs, 0);
  const churns = judged.flatMap((p) => p.perPair.map((x) => x.churn));
  const distances = judged.flatMap((p) => p.perPair.flatMap((x) => (x.unitL2 === null ? [] : [x.unitL2])));
  return {
    a,
    b,
    variants: [...new Set(judged.map((p) => p.variant))],
    pairs: count,
    identicalPairs: identical,
    interchangeable: count > 0 && identical === count,
    maxChurn: churns.length > 0 ? Math.max(...churns) : null,
    maxUnitL2: distances.length > 0 ? Math.max(...distances) : null,
  };
}

/** Tooling noise across the environments of `groups` (in report order); null with a single environment. */
export function toolingReport(groups: VariantGroup[], options: { seed: number; resamples: number }): ToolingReport | null {
  const labels = environmentLabels(groups);
  if (labels.length < 2) return null;
  const find = (model: string, variant: string, env: string) => groups.find((g) => g.model === model && g.variant === variant && environmentOf(g) === env);
  const modelVariants = [...new Map(groups.map((g) => [`${g.model}\u0000${g.variant}`, g] as const)).values()];
  const pairs: EnvironmentPair[] = [];
  const matrix: MatrixCell[] = [];
  for (const { model, variant } of modelVariants) {
    labels.forEach((a, i) => {
      labels.slice(i + 1).forEach((b) => {
        const ga = find(model, variant, a);
        const gb = find(model, variant, b);
        const pair = ga && gb ? environmentPair(ga, gb, options) : null;
        if (pair) pairs.push(pair);
      });
    });
    for (const a of labels) {
      for (const b of labels) {
        if (a === b) {
          const g = find(model, variant, a);
          if (g) matrix.push(withinEnvironmentCell(g));
          continue;
        }
        const pair = pairs.find((p) => p.model === model && p.variant === variant && ((p.a === a && p.b === b) || (p.a === b && p.b === a)));
        matrix.push({ model, variant, a, b, pairs: pair?.pairs ?? 0, identicalPairs: pair?.identicalPairs ?? 0, churn: pair?.churn.mean ?? null });
      }
    }
  }
  return {
    environments: labels.map((label) => {
      const mine = groups.filter((g) => environmentOf(g) === label);
      const runs = mine.flatMap((g) => g.runs);
      return { label, toolchain: runs[0]?.toolchain ?? null, runs: runs.length };
    }),
    pairs,
    matrix,
    interchangeability: labels.flatMap((a, i) => labels.slice(i + 1).map((b) => interchangeability(a, b, pairs))),
  };
}
