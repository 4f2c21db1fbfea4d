/**
 * The tooling-noise sections of a report whose runs span several
 * environments: same-seed pairs across environments, which environments are
 * bitwise interchangeable, the environment × environment churn matrix, and
 * the paper's Fig. 6 numbers (instability per environment and variant).
 */
import type { Block } from "../document/blocks.js";
import { MISSING } from "../document/blocks.js";
import type { ExperimentReport, GroupSummary } from "./build.js";
import { distance, interval, percent, plusMinus, shortHash } from "./format.js";
import type { EnvironmentPair, Interchangeability, PairMeasure, ToolingReport } from "./tooling.js";

const heading = (level: 2 | 3, text: string): Block => ({ kind: "heading", level, text });
const paragraph = (text: string): Block => ({ kind: "paragraph", text });
const table = (headers: string[], rows: string[][], numeric: boolean[]): Block => ({ kind: "table", table: { headers, rows, numeric } });

const meanStd = (m: PairMeasure | null, format: (x: number | null) => string): string => (m === null ? MISSING : plusMinus(format(m.mean), format(m.std)));
const ci = (m: PairMeasure | null, format: (x: number | null) => string): string => (m === null ? MISSING : interval(m.meanCi95, format));
const pct2 = (x: number | null): string => percent(x, 2);
const l2 = (x: number | null): string => distance(x);

/** One sentence: are the two environments bitwise interchangeable, judged on their same-seed pairs? */
export function describeInterchangeability(x: Interchangeability, pairs: EnvironmentPair[]): string {
  const names = `${x.a} and ${x.b}`;
  if (x.pairs === 0) return `${names}: no same-seed pairs to compare.`;
  const deterministic = pairs.some((p) => p.a === x.a && p.b === x.b && p.kernelsFixed);
  const over = `${x.pairs} same-seed pair${x.pairs === 1 ? "" : "s"} of ${x.variants.join(", ")}${deterministic ? "" : " (no variant fixes the kernels, so these pairs may differ within one environment too)"}`;
  if (x.interchangeable) return `${names} are bitwise interchangeable: all ${over} have identical final weights.`;
  const differ = x.pairs - x.identicalPairs;
  return (
    `${names} are NOT bitwise interchangeable: ${differ} of ${over} end with different weights` +
    (x.identicalPairs > 0 ? ` (${x.identicalPairs} identical)` : "") +
    `; the largest churn between such a pair is ${percent(x.maxChurn, 2)}%` +
    (x.maxUnitL2 === null ? "." : ` and the largest unit-weight L2 ${distance(x.maxUnitL2)}.`)
  );
}

function environmentsTable(t: ToolingReport): Block {
  return table(
    ["Environment", "Tool chain (sha256)", "Completed runs"],
    t.environments.map((e) => [e.label, e.toolchain === null ? "not recorded" : shortHash(e.toolchain), String(e.runs)]),
    [false, false, true],
  );
}

function pairsTable(t: ToolingReport): Block {
  return table(
    ["Model", "Variant", "A", "B", "Same-seed pairs", "Identical weights", "Churn % (mean ± std)", "Churn 95% CI %", "L2 unit weights (mean ± std)", "Accuracy A − B (pp, mean ± std)", "Accuracy A − B 95% CI"],
    t.pairs.map((p) => [
      p.model,
      p.variant,
      p.a,
      p.b,
      String(p.pairs),
      `${p.identicalPairs}/${p.pairs}`,
      meanStd(p.churn, pct2),
      ci(p.churn, pct2),
      meanStd(p.unitL2, l2),
      meanStd(p.accuracyDifference, (x) => percent(x, 3)),
      ci(p.accuracyDifference, (x) => percent(x, 3)),
    ]),
    [false, false, false, false, true, true, true, true, true, true, true],
  );
}

/**
 * Per model and pair of environments: churn from algorithmic noise (ALGO) and
 * implementation noise (IMPL) within each environment, next to the tooling
 * noise between them (same-seed pairs of the all-fixed variant).
 */
function noiseByKind(report: ExperimentReport, t: ToolingReport): Block[] {
  const churnOf = (model: string, variant: string, env: string): string =>
    percent(report.groups.find((g) => g.model === model && g.variant === variant && g.environment === env)?.analysis?.churn.mean, 2);
  const control = (model: string): GroupSummary | undefined =>
    report.groups.find((g) => g.model === model && g.variant === "CONTROL" && g.allSourcesFixed) ?? report.groups.find((g) => g.model === model && g.allSourcesFixed);
  const rows = t.pairs.flatMap((p) => {
    if (p.variant !== control(p.model)?.variant) return [];
    const both = (variant: string): string => `${churnOf(p.model, variant, p.a)} / ${churnOf(p.model, variant, p.b)}`;
    return [[p.model, `${p.a} vs ${p.b}`, both("ALGO"), both("IMPL"), `${meanStd(p.churn, pct2)} (${p.variant})`]];
  });
  if (rows.length === 0) return [];
  return [
    paragraph(
      "Noise by kind, as churn %: algorithmic (ALGO) and implementation (IMPL) noise between replicates within each environment (A / B), and tooling noise between same-seed runs of the all-fixed variant in A and in B.",
    ),
    table(["Model", "Environments", "Algorithmic: ALGO churn % (A / B)", "Implementation: IMPL churn % (A / B)", "Tooling: same-seed churn % A vs B"], rows, [false, false, true, true, true]),
  ];
}

function matrixSection(t: ToolingReport): Block[] {
  const envs = t.environments.map((e) => e.label);
  const blocks: Block[] = [
    heading(2, "Same-seed churn between environments"),
    paragraph(
      "Mean churn % between runs with the same seeds in the row's and the column's environment; ≡ marks cells where every pair has identical weights. " +
        "On the diagonal: between replicates of one environment whose recorded seeds are all equal (CONTROL, where every source is fixed), else —.",
    ),
  ];
  const keys = [...new Map(t.matrix.map((c) => [`${c.model}\u0000${c.variant}`, c] as const)).values()];
  for (const { model, variant } of keys) {
    const cell = (a: string, b: string): string => {
      const c = t.matrix.find((m) => m.model === model && m.variant === variant && m.a === a && m.b === b);
      if (!c || c.churn === null) return MISSING;
      return `${c.identicalPairs === c.pairs ? "≡ " : ""}${percent(c.churn, 2)}`;
    };
    blocks.push(heading(3, `${model} / ${variant}`), table(["", ...envs], envs.map((a) => [a, ...envs.map((b) => cell(a, b))]), [false, ...envs.map(() => true)]));
  }
  return blocks;
}

/** The paper's Fig. 6 as a table: per environment and variant, the std of accuracy, churn and L2 between replicates. */
function fig6Section(report: ExperimentReport): Block[] {
  return [
    heading(2, "Instability per environment and variant (paper Fig. 6)"),
    paragraph("Between replicates within one environment: std of top-1 accuracy, mean pairwise churn and mean pairwise L2 of unit-normalised weights, as in Table 2."),
    table(
      ["Model", "Environment", "Variant", "Runs", "Accuracy std %", "Churn %", "L2 unit weights"],
      report.groups.map((g) => [
        g.model,
        g.environment ?? MISSING,
        g.variant,
        String(g.replicatesCompleted),
        percent(g.accuracy.std, 3),
        percent(g.analysis?.churn.mean, 2),
        distance(g.analysis?.weights?.unitL2.mean),
      ]),
      [false, false, false, true, true, true, true],
    ),
  ];
}

export function toolingBlocks(report: ExperimentReport, t: ToolingReport): Block[] {
  return [
    heading(2, "Tooling noise: the same seeds in different environments"),
    paragraph(
      "Runs of one model and variant with the same replicate number and seeds, trained in two environments, form same-seed pairs: what differs between them, the environment caused (device, threads, precision, libraries, machine). " +
        "Churn: share of test examples the two runs predict differently. L2: distance between their unit-normalised trainable weights. Accuracy A − B in percentage points. " +
        `Mean ± sample std over pairs; the CI is a percentile-bootstrap 95% interval of the mean over pairs (${report.settings.bootstrapResamples} resamples, seed ${report.settings.seed}). ` +
        "An environment is a spec environment; one that ran on several tool chains (e.g. runs imported from another machine) counts once per tool chain.",
    ),
    environmentsTable(t),
    heading(3, "Which environments are interchangeable"),
    paragraph("Judged on the same-seed pairs of variants that fix the kernels source (deterministic within one environment): interchangeable means identical final weights on every such pair."),
    { kind: "list", items: t.interchangeability.map((x) => describeInterchangeability(x, t.pairs)) },
    heading(3, "Same-seed pairs"),
    t.pairs.length > 0 ? pairsTable(t) : paragraph("No model and variant has runs with the same seeds in two environments."),
    ...noiseByKind(report, t),
    ...matrixSection(t),
    ...fig6Section(report),
  ];
}
