/**
 * From experiment results to an `ExperimentReport`: a plain JSON value (no
 * typed arrays, no NaN or Infinity, camelCase keys) that every renderer and
 * any machine reader works from. Building it is pure and deterministic: the
 * same results and options give the same report, byte for byte once rendered.
 */
import { InputError } from "../errors.js";
import type { ExperimentResults, ReplicateRun, VariantGroup } from "../experiment/results.js";
import { top1Accuracy } from "../metrics/accuracy.js";
import type { AnalysisReport } from "../metrics/analyze.js";
import { analyzeReplicates } from "../metrics/analyze.js";
import type { VariantComparison } from "../metrics/compare.js";
import { compareVariants } from "../metrics/compare.js";
import { mean, std } from "../metrics/stats.js";
import type { NoiseSetting, NoiseSource } from "../noise/index.js";
import { NOISE_SOURCES, PAPER_VARIANTS } from "../noise/index.js";
import type { BatchSizePoint } from "./batch-size.js";
import { batchSizePoints } from "./batch-size.js";
import type { DeterminismEvidence } from "./determinism.js";
import type { ToolingReport } from "./tooling.js";
import { environmentLabels, environmentOf, toolingReport } from "./tooling.js";
import type { EpochRecord } from "../train/train.js";

/**
 * `T` as it survives JSON: every number may be null, because the metrics
 * use NaN for "undefined here" (a rate with an empty denominator, a ratio to
 * a zero std) and Infinity for a test statistic with zero within-group
 * spread, and JSON has neither. Converting them to null up front makes the
 * report equal to its own JSON round trip.
 */
export type JsonSafe<T> = T extends number
  ? number | null
  : T extends string | boolean | null
    ? T
    : T extends ArrayLike<number>
      ? T extends unknown[]
        ? { [K in keyof T]: JsonSafe<T[K]> }
        : (number | null)[]
      : { [K in keyof T]: JsonSafe<T[K]> };

export interface ReportOptions {
  /** How many of the most unstable examples to list per group (default 10). */
  topK?: number;
  /** Seed of every bootstrap interval and permutation test (default 0). */
  seed?: number;
  /** Bootstrap resamples per interval (default 2000). */
  resamples?: number;
  /** Permutations per variant-comparison test (default 10000). */
  permutations?: number;
}

export interface RunSummary {
  label: string;
  replicate: number;
  key: string;
  /** Final test accuracy as the run recorded it (the last epoch; the analysed epoch may be earlier). */
  testAccuracy: number | null;
  weightsHash: string;
  wallSeconds: number | null;
  /** The worker process's peak resident memory, as the run recorded it (null for runs made before it did). */
  peakRssBytes: number | null;
  /** Every seed the run used, from its metadata, so that it can be reproduced alone. */
  seeds: Record<string, number> | null;
  /** The run's tool-chain hash (reports of several environments only). */
  toolchain?: string | null;
  curve: JsonSafe<EpochRecord>[];
}

export interface GroupSummary {
  model: string;
  variant: string;
  /** The environment the runs trained in (reports of several environments only; see `tooling`). */
  environment?: string;
  noise: NoiseSetting;
  /** The sources that vary across this group's replicates. */
  freeSources: NoiseSource[];
  /** Every source fixed: the replicates must be bitwise identical (see `controlChecks`). */
  allSourcesFixed: boolean;
  replicatesPlanned: number;
  replicatesCompleted: number;
  replicatesFailed: number;
  /** How many different final-weight hashes the completed runs have. */
  distinctWeightHashes: number;
  /**
   * Top-1 accuracy of each completed run at the analysed epoch, with mean and
   * sample std (ddof=1). Present even when `analysis` is not (std needs 2 runs).
   */
  accuracy: { perReplicate: number[]; mean: number | null; std: number | null };
  /** Every stability metric (`analyzeReplicates`); null with fewer than 2 completed runs. */
  analysis: JsonSafe<AnalysisReport> | null;
  /** Why `analysis` is null; null when it is present. */
  analysisSkipped: string | null;
  runs: RunSummary[];
}

export interface HashGroup {
  hash: string;
  /** Labels of the runs with this hash, in replicate order. */
  runs: string[];
}

/**
 * The control check of one group with every noise source fixed: its
 * replicates must have bitwise-identical final weights.
 */
export interface ControlCheck {
  model: string;
  variant: string;
  environment?: string;
  completedRuns: number;
  /** True when at least 2 runs completed and all have the same weights hash. */
  bitwiseIdentical: boolean;
  /** The hash most runs share; on a tie, the one of the earliest replicate. Null without completed runs. */
  referenceHash: string | null;
  /** Whether another hash has as many runs as `referenceHash` (then "which run broke it" is ambiguous). */
  referenceTied: boolean;
  /** Every distinct hash, most common first (ties: earliest replicate first). */
  hashes: HashGroup[];
  /** Runs whose hash differs from `referenceHash`. */
  offendingRuns: { label: string; replicate: number; weightsHash: string }[];
}

export interface ComparisonSummary {
  model: string;
  /** Both variants' environment (reports of several environments only). */
  environment?: string;
  a: string;
  b: string;
  /** "ALGO vs IMPL", or a variant against the model's all-fixed control. */
  kind: "algo-vs-impl" | "vs-control";
  result: JsonSafe<VariantComparison> | null;
  /** Why `result` is null; null when it is present. */
  skipped: string | null;
}

export interface FailedRunSummary {
  model: string;
  variant: string;
  environment?: string;
  label: string;
  key: string;
  error: string;
}

/** One environment setting and the values the runs recorded for it. */
export interface EnvironmentEntry {
  /** A metadata field: "device", "threads", "torchVersion", …, "determinism.<flag>". */
  setting: string;
  values: { value: string; runs: number; variants: string[] }[];
}

/** Models of the spec that are the same network with and without BatchNorm (the paper's Fig. 3). */
export interface BatchNormPair {
  withBatchNorm: string;
  withoutBatchNorm: string;
}

export interface ExperimentReport {
  format: "noiselab-report";
  formatVersion: 1;
  name: string;
  /** The epoch whose predictions were analysed. */
  epoch: number;
  classNames: string[];
  settings: { seed: number; bootstrapResamples: number; permutations: number; topK: number };
  /** Models first-appearance order, variants in the paper's order, then the rest in input order. */
  groups: GroupSummary[];
  controlChecks: ControlCheck[];
  comparisons: ComparisonSummary[];
  failedRuns: FailedRunSummary[];
  environment: EnvironmentEntry[];
  batchNormPairs: BatchNormPair[];
  /** Churn per batch size, when the spec trains the same network at several (the data-order experiment). */
  batchSizes: BatchSizePoint[];
  /** Results of noiselab check and noiselab overhead given to the report, if any. */
  determinism?: DeterminismEvidence;
  /** Same-seed runs compared across environments (tooling noise, paper Fig. 6); only when the runs span two or more. */
  tooling?: ToolingReport;
}

/** Replaces NaN and ±Infinity by null and typed arrays by arrays, at every depth. */
function jsonSafe<T>(value: T): JsonSafe<T> {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v))) as JsonSafe<T>;
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function variantOrder(variant: string): number {
  const i = (PAPER_VARIANTS as readonly string[]).indexOf(variant);
  return i >= 0 ? i : PAPER_VARIANTS.length;
}

/** By model, then environment (both in first-appearance order), then variant. */
function orderGroups(groups: VariantGroup[]): VariantGroup[] {
  const models = [...new Set(groups.map((g) => g.model))];
  const environments = environmentLabels(groups);
  const environment = (g: VariantGroup): number => environments.indexOf(environmentOf(g));
  return groups
    .map((group, index) => ({ group, index }))
    .sort(
      (x, y) =>
        models.indexOf(x.group.model) - models.indexOf(y.group.model) ||
        environment(x.group) - environment(y.group) ||
        variantOrder(x.group.variant) - variantOrder(y.group.variant) ||
        x.index - y.index,
    )
    .map((x) => x.group);
}

function runSeeds(run: ReplicateRun): Record<string, number> | null {
  const seeds = run.metadata.seeds;
  if (!isRecord(seeds)) return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(seeds)) if (typeof v === "number") out[k] = v;
  return out;
}

function summarizeRun(run: ReplicateRun, multiEnvironment: boolean): RunSummary {
  return {
    label: run.label,
    replicate: run.replicate,
    key: run.key,
    testAccuracy: finiteOrNull(run.testAccuracy),
    weightsHash: run.weightsHash,
    wallSeconds: finiteOrNull(run.wallSeconds),
    peakRssBytes: typeof run.metadata.peakRssBytes === "number" ? run.metadata.peakRssBytes : null,
    seeds: runSeeds(run),
    ...(multiEnvironment ? { toolchain: run.toolchain ?? null } : {}),
    curve: jsonSafe(run.curve),
  };
}

/** Distinct hashes, most common first; ties by the earliest replicate that has the hash. */
function hashGroups(runs: ReplicateRun[]): HashGroup[] {
  const byHash = new Map<string, { runs: string[]; first: number }>();
  for (const run of [...runs].sort((a, b) => a.replicate - b.replicate)) {
    const entry = byHash.get(run.weightsHash);
    if (entry) entry.runs.push(run.label);
    else byHash.set(run.weightsHash, { runs: [run.label], first: run.replicate });
  }
  return [...byHash.entries()]
    .sort(([, a], [, b]) => b.runs.length - a.runs.length || a.first - b.first)
    .map(([hash, entry]) => ({ hash, runs: entry.runs }));
}

/** The group's environment, for the summaries of a report that spans several. */
function environmentField(group: VariantGroup, multiEnvironment: boolean): { environment?: string } {
  return multiEnvironment ? { environment: environmentOf(group) } : {};
}

function controlCheck(group: VariantGroup, multiEnvironment: boolean): ControlCheck {
  const hashes = hashGroups(group.runs);
  const reference = hashes[0];
  const referenceHash = reference?.hash ?? null;
  return {
    model: group.model,
    variant: group.variant,
    ...environmentField(group, multiEnvironment),
    completedRuns: group.runs.length,
    bitwiseIdentical: group.runs.length >= 2 && hashes.length === 1,
    referenceHash,
    referenceTied: hashes.length > 1 && hashes[1].runs.length === reference.runs.length,
    hashes,
    offendingRuns: group.runs
      .filter((r) => r.weightsHash !== referenceHash)
      .sort((a, b) => a.replicate - b.replicate)
      .map((r) => ({ label: r.label, replicate: r.replicate, weightsHash: r.weightsHash })),
  };
}

function summarizeGroup(group: VariantGroup, options: Required<ReportOptions>, multiEnvironment: boolean): GroupSummary {
  const { set } = group;
  if (set.predictions.length !== group.runs.length) {
    throw new Error(`${group.model}/${group.variant}: ${group.runs.length} completed runs but ${set.predictions.length} prediction sets`);
  }
  const perReplicate = set.predictions.map((p) => top1Accuracy(p, set.labels));
  const completed = group.runs.length;
  let analysis: JsonSafe<AnalysisReport> | null = null;
  let analysisSkipped: string | null = null;
  if (completed < 2) {
    analysisSkipped = `only ${completed} completed run${completed === 1 ? "" : "s"}; churn, stds and weight distances need at least 2`;
  } else {
    try {
      analysis = jsonSafe(
        analyzeReplicates(set, {
          attributes: group.attributes,
          // Weight distances need two replicates' weights; fewer (weights not loaded) means no distances, not an error.
          weights: group.weights.length >= 2 ? group.weights : undefined,
          weightNames: group.runs.map((r) => r.label),
          names: { labels: "test labels", replicates: group.runs.map((r) => r.label) },
          topK: options.topK,
          seed: options.seed,
          resamples: options.resamples,
        }),
      );
    } catch (err) {
      if (err instanceof InputError) throw new InputError(`${group.model}/${group.variant}: ${err.message}`);
      throw err;
    }
  }
  return {
    model: group.model,
    variant: group.variant,
    ...environmentField(group, multiEnvironment),
    noise: { ...group.noise },
    freeSources: NOISE_SOURCES.filter((s) => group.noise[s]),
    allSourcesFixed: NOISE_SOURCES.every((s) => !group.noise[s]),
    replicatesPlanned: group.replicatesPlanned,
    replicatesCompleted: completed,
    replicatesFailed: group.failed.length,
    distinctWeightHashes: new Set(group.runs.map((r) => r.weightsHash)).size,
    accuracy: {
      perReplicate,
      mean: perReplicate.length > 0 ? mean(perReplicate) : null,
      std: perReplicate.length > 1 ? std(perReplicate, 1) : null,
    },
    analysis,
    analysisSkipped,
    runs: [...group.runs].sort((a, b) => a.replicate - b.replicate).map((run) => summarizeRun(run, multiEnvironment)),
  };
}

function sameExamples(a: VariantGroup, b: VariantGroup): boolean {
  const la = a.set.labels;
  const lb = b.set.labels;
  if (la.length !== lb.length) return false;
  for (let i = 0; i < la.length; i++) if (la[i] !== lb[i]) return false;
  return true;
}

function compare(a: VariantGroup, b: VariantGroup, kind: ComparisonSummary["kind"], options: Required<ReportOptions>, multiEnvironment: boolean): ComparisonSummary {
  const base = { model: a.model, ...environmentField(a, multiEnvironment), a: a.variant, b: b.variant, kind };
  const short = [a, b].find((g) => g.runs.length < 2);
  if (short) return { ...base, result: null, skipped: `${short.variant} has ${short.runs.length} completed run(s); the tests need at least 2 per variant` };
  if (!sameExamples(a, b)) return { ...base, result: null, skipped: "the two variants were evaluated on different test examples" };
  return { ...base, result: jsonSafe(compareVariants(a.set, b.set, { resamples: options.permutations, seed: options.seed })), skipped: null };
}

const isAllFixed = (g: VariantGroup): boolean => NOISE_SOURCES.every((s) => !g.noise[s]);

/**
 * Per model (and environment): ALGO vs IMPL, and every other variant against
 * the model's control (CONTROL, else its first all-fixed variant).
 */
function comparisons(groups: VariantGroup[], options: Required<ReportOptions>, multiEnvironment: boolean): ComparisonSummary[] {
  const out: ComparisonSummary[] = [];
  for (const first of [...new Map(groups.map((g) => [`${g.model}\u0000${environmentOf(g)}`, g] as const)).values()]) {
    const mine = groups.filter((g) => g.model === first.model && environmentOf(g) === environmentOf(first));
    const algo = mine.find((g) => g.variant === "ALGO");
    const impl = mine.find((g) => g.variant === "IMPL");
    if (algo && impl) out.push(compare(algo, impl, "algo-vs-impl", options, multiEnvironment));
    const control = mine.find((g) => g.variant === "CONTROL" && isAllFixed(g)) ?? mine.find(isAllFixed);
    if (control) for (const g of mine) if (g !== control) out.push(compare(g, control, "vs-control", options, multiEnvironment));
  }
  return out;
}

function describeValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

const ENVIRONMENT_FIELDS = ["device", "threads", "allocator", "torchVersion", "cudnnVersion", "node", "host"] as const;

/** Each environment setting's values across runs (determinism flags one by one, since variants set them differently). */
function environment(groups: VariantGroup[]): EnvironmentEntry[] {
  const table = new Map<string, Map<string, { runs: number; variants: Set<string> }>>();
  const record = (setting: string, value: unknown, variant: string): void => {
    if (value === undefined) return;
    let values = table.get(setting);
    if (!values) table.set(setting, (values = new Map()));
    const key = describeValue(value);
    const entry = values.get(key) ?? { runs: 0, variants: new Set<string>() };
    entry.runs++;
    entry.variants.add(variant);
    values.set(key, entry);
  };
  for (const group of groups) {
    for (const run of group.runs) {
      for (const field of ENVIRONMENT_FIELDS) record(field, run.metadata[field], group.variant);
      // Rounded up to 100 MiB: the bound, not every run's own value (that is in the JSON's runs).
      const rss = run.metadata.peakRssBytes;
      if (typeof rss === "number") record("peak RSS", `≤ ${Math.ceil(rss / (100 * 2 ** 20)) * 100} MiB`, group.variant);
      const determinism = run.metadata.determinism;
      if (isRecord(determinism)) for (const [flag, v] of Object.entries(determinism)) record(`determinism.${flag}`, v, group.variant);
    }
  }
  const order = (s: string): number => {
    const i = (ENVIRONMENT_FIELDS as readonly string[]).indexOf(s);
    return i >= 0 ? i : ENVIRONMENT_FIELDS.length;
  };
  return [...table.entries()]
    .sort(([a], [b]) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([setting, values]) => ({
      setting,
      values: [...values.entries()]
        .sort(([va, a], [vb, b]) => b.runs - a.runs || (va < vb ? -1 : va > vb ? 1 : 0))
        .map(([value, e]) => ({ value, runs: e.runs, variants: [...e.variants] })),
    }));
}

/**
 * Model entries of the spec (`{ name, label, options }`, as `src/experiment/spec.ts` stores them)
 * that are the same zoo model with the same options except `batchNorm`.
 */
function batchNormPairs(spec: unknown, modelsWithResults: Set<string>): BatchNormPair[] {
  if (!isRecord(spec) || !Array.isArray(spec.models)) return [];
  const entries = spec.models.filter(isRecord).map((m) => {
    const options = isRecord(m.options) ? m.options : {};
    const { batchNorm, ...rest } = options;
    const sortedRest = Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return { label: String(m.label ?? m.name), batchNorm: batchNorm === true, base: `${String(m.name)} ${JSON.stringify(sortedRest)}` };
  });
  const pairs: BatchNormPair[] = [];
  for (const withBn of entries) {
    if (!withBn.batchNorm || !modelsWithResults.has(withBn.label)) continue;
    const without = entries.find((e) => !e.batchNorm && e.base === withBn.base && modelsWithResults.has(e.label));
    if (without) pairs.push({ withBatchNorm: withBn.label, withoutBatchNorm: without.label });
  }
  return pairs;
}

/** The report of an experiment: metrics per group, control checks, comparisons, failures and environment. */
export function buildReport(results: ExperimentResults, options: ReportOptions = {}): ExperimentReport {
  const settings: Required<ReportOptions> = {
    topK: options.topK ?? 10,
    seed: options.seed ?? 0,
    resamples: options.resamples ?? 2000,
    permutations: options.permutations ?? 10000,
  };
  const groups = orderGroups(results.groups);
  const multiEnvironment = environmentLabels(groups).length > 1;
  const summaries = groups.map((g) => summarizeGroup(g, settings, multiEnvironment));
  const tooling = toolingReport(groups, settings);
  return {
    format: "noiselab-report",
    formatVersion: 1,
    name: results.name,
    epoch: results.epoch,
    classNames: [...results.classNames],
    settings: { seed: settings.seed, bootstrapResamples: settings.resamples, permutations: settings.permutations, topK: settings.topK },
    groups: summaries,
    controlChecks: groups.filter(isAllFixed).map((g) => controlCheck(g, multiEnvironment)),
    comparisons: comparisons(groups, settings, multiEnvironment),
    failedRuns: groups.flatMap((g) => g.failed.map((f) => ({ model: g.model, variant: g.variant, ...environmentField(g, multiEnvironment), label: f.label, key: f.key, error: f.error }))),
    environment: environment(groups),
    batchNormPairs: batchNormPairs(results.spec, new Set(groups.map((g) => g.model))),
    batchSizes: batchSizePoints(results.spec, summaries),
    ...(tooling ? { tooling } : {}),
  };
}
