/**
 * Sub-group metrics across replicates, shaped like Fairlearn's MetricFrame
 * with an extra replicate axis.
 *
 * Groups are every value of every sensitive attribute, and (with two or more
 * attributes) every observed combination of values of all attributes.
 * Combinations with no examples are not listed (MetricFrame would show NaN).
 *
 * For binary tasks (numClasses = 2) class 1 is the positive class and
 *   FPR = FP / (FP + TN),  FNR = FN / (FN + TP).
 * (The paper's public code computed FNR as FN / (FP + TN).) A rate whose
 * denominator is 0 in a group, e.g. FPR in a group with no negatives, is
 * undefined: NaN per replicate and null in reports.
 */
import { InputError } from "../errors.js";
import type { ReplicateSet } from "./replicates.js";
import { mean, std } from "./stats.js";

/** Sensitive attributes: name → one value per example. */
export type Attributes = Record<string, ArrayLike<string>>;

export type GroupMetricName = "accuracy" | "errorRate" | "fpr" | "fnr";

export interface GroupMetric {
  perReplicate: number[];
  mean: number;
  /** Sample std (ddof=1) across replicates. */
  std: number;
  /** This std divided by the std of the same metric on the whole test set (the paper's Table 5); null if that is 0 or undefined. */
  stdRatio: number | null;
}

export interface GroupReport {
  /** Attribute → value defining the group. */
  attributes: Record<string, string>;
  /** "sex=F" or "sex=F & age=old". */
  key: string;
  count: number;
  accuracy: GroupMetric;
  errorRate: GroupMetric;
  /** Only for binary tasks, and only when the group has negatives (FPR) or positives (FNR). */
  fpr: GroupMetric | null;
  fnr: GroupMetric | null;
}

export interface OverallMetric {
  perReplicate: number[];
  mean: number;
  std: number;
}

export interface Disparity {
  /** An attribute name, or names joined by " & " for intersections. */
  grouping: string;
  metric: GroupMetricName;
  /** Per replicate max − min over the grouping's groups, then mean and std (ddof=1) across replicates. */
  difference: { mean: number; std: number };
  /** Per replicate min / max over the groups, then mean and std across replicates. */
  ratio: { mean: number; std: number };
}

export interface SubgroupReport {
  attributes: string[];
  binary: boolean;
  overall: Record<GroupMetricName, OverallMetric | null>;
  groups: GroupReport[];
  disparities: Disparity[];
}

interface Grouping {
  name: string;
  attributes: string[];
  /** Group id per example. */
  ids: Int32Array;
  /** Values per group id, one per attribute. */
  values: string[][];
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function makeGrouping(attributeNames: string[], attributes: Attributes, n: number): Grouping {
  const keyOf = (x: number): string => attributeNames.map((a) => attributes[a][x]).join("\u0000");
  const keys = new Set<string>();
  for (let x = 0; x < n; x++) keys.add(keyOf(x));
  const sorted = [...keys].sort((a, b) => {
    const va = a.split("\u0000");
    const vb = b.split("\u0000");
    for (let i = 0; i < va.length; i++) {
      const c = compareStrings(va[i], vb[i]);
      if (c !== 0) return c;
    }
    return 0;
  });
  const idOf = new Map(sorted.map((k, i) => [k, i]));
  const ids = new Int32Array(n);
  for (let x = 0; x < n; x++) ids[x] = idOf.get(keyOf(x)) as number;
  return { name: attributeNames.join(" & "), attributes: attributeNames, ids, values: sorted.map((k) => k.split("\u0000")) };
}

/** Per group and replicate: [count, correct, TP, FP, TN, FN]. */
const FIELDS = 6;

function confusion(set: ReplicateSet, ids: Int32Array, groups: number): Float64Array[] {
  const { labels } = set;
  return set.predictions.map((p) => {
    const c = new Float64Array(groups * FIELDS);
    for (let x = 0; x < labels.length; x++) {
      const o = ids[x] * FIELDS;
      const y = labels[x];
      const yhat = p[x];
      c[o]++;
      if (yhat === y) c[o + 1]++;
      if (y === 1) c[o + (yhat === 1 ? 2 : 5)]++;
      else c[o + (yhat === 1 ? 3 : 4)]++;
    }
    return c;
  });
}

function metricValue(c: Float64Array, o: number, metric: GroupMetricName): number {
  const [count, correct, tp, fp, tn, fn] = [c[o], c[o + 1], c[o + 2], c[o + 3], c[o + 4], c[o + 5]];
  switch (metric) {
    case "accuracy":
      return correct / count;
    case "errorRate":
      return 1 - correct / count;
    case "fpr":
      return fp + tn > 0 ? fp / (fp + tn) : NaN;
    case "fnr":
      return fn + tp > 0 ? fn / (fn + tp) : NaN;
  }
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * Sub-group report. Every attribute must give a non-empty value for every
 * example: an empty value would silently form a group of its own.
 */
export function subgroupReport(set: ReplicateSet, attributes: Attributes): SubgroupReport {
  const n = set.labels.length;
  const names = Object.keys(attributes);
  if (names.length === 0) throw new InputError("no sensitive attributes given");
  for (const a of names) {
    const values = attributes[a];
    if (values.length !== n) throw new InputError(`attribute "${a}" has ${values.length} values, but there are ${n} examples`);
    for (let x = 0; x < n; x++) {
      if (values[x] === "") throw new InputError(`attribute "${a}" is empty at example ${x}: every example needs a group`);
    }
  }
  const binary = set.numClasses === 2;
  const metrics: GroupMetricName[] = binary ? ["accuracy", "errorRate", "fpr", "fnr"] : ["accuracy", "errorRate"];

  const whole = confusion(set, new Int32Array(n), 1);
  const overall: Record<GroupMetricName, OverallMetric | null> = { accuracy: null, errorRate: null, fpr: null, fnr: null };
  for (const m of metrics) {
    const perReplicate = whole.map((c) => metricValue(c, 0, m));
    overall[m] = { perReplicate, mean: mean(perReplicate), std: std(perReplicate, 1) };
  }

  const groupings = names.map((a) => makeGrouping([a], attributes, n));
  if (names.length > 1) groupings.push(makeGrouping(names, attributes, n));

  const groups: GroupReport[] = [];
  const disparities: Disparity[] = [];
  for (const g of groupings) {
    const counts = confusion(set, g.ids, g.values.length);
    g.values.forEach((values, id) => {
      const metric = (m: GroupMetricName): GroupMetric | null => {
        if (!metrics.includes(m)) return null;
        const perReplicate = counts.map((c) => metricValue(c, id * FIELDS, m));
        if (perReplicate.some((v) => Number.isNaN(v))) return null;
        const s = std(perReplicate, 1);
        const overallStd = (overall[m] as OverallMetric).std;
        return { perReplicate, mean: mean(perReplicate), std: s, stdRatio: overallStd > 0 ? finiteOrNull(s / overallStd) : null };
      };
      const attrs = Object.fromEntries(g.attributes.map((a, i) => [a, values[i]]));
      groups.push({
        attributes: attrs,
        key: g.attributes.map((a, i) => `${a}=${values[i]}`).join(" & "),
        count: counts[0][id * FIELDS],
        accuracy: metric("accuracy") as GroupMetric,
        errorRate: metric("errorRate") as GroupMetric,
        fpr: metric("fpr"),
        fnr: metric("fnr"),
      });
    });
    for (const m of metrics) {
      const differences: number[] = [];
      const ratios: number[] = [];
      for (const c of counts) {
        const values = g.values.map((_, id) => metricValue(c, id * FIELDS, m)).filter((v) => !Number.isNaN(v));
        const hi = Math.max(...values);
        const lo = Math.min(...values);
        differences.push(hi - lo);
        ratios.push(hi > 0 ? lo / hi : NaN);
      }
      disparities.push({
        grouping: g.name,
        metric: m,
        difference: { mean: mean(differences), std: std(differences, 1) },
        ratio: { mean: mean(ratios), std: std(ratios, 1) },
      });
    }
  }
  return { attributes: names, binary, overall, groups, disparities };
}
