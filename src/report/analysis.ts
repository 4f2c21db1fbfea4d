/**
 * The document of `noiselab analyze`: its metrics as titled tables (blocks
 * shared by the Markdown and HTML renderers) and two charts.
 */
import type { AnalysisReport } from "../metrics/analyze.js";
import type { VariantComparison } from "../metrics/compare.js";
import type { Block, Table } from "../document/blocks.js";
import { MISSING } from "../document/blocks.js";
import type { Chart } from "../document/charts.js";
import { magnitudeScale } from "../document/charts.js";
import { BROWN_FORSYTHE_UNDEFINED } from "./format.js";

/** What `noiselab analyze` outputs: the report plus the input files it came from. */
export interface AnalyzeOutput extends AnalysisReport {
  inputs: { predictions: string[]; labels: string; groups: string | null; weights: string[] | null; compare: string[] | null };
  /** `--pred` (A) against `--compare` (B), when given. */
  comparison: VariantComparison | null;
}

function num(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return MISSING;
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

function interval(ci: [number, number]): string {
  return `[${num(ci[0])}, ${num(ci[1])}]`;
}

/** A titled table; columns after the first are right-aligned. */
function section(title: string, headers: string[], rows: string[][], note?: string): Block[] {
  const table: Table = { headers, rows, numeric: headers.map((_, i) => i > 0) };
  return [{ kind: "heading", level: 2, text: title }, ...(note ? [{ kind: "paragraph", text: note } as Block] : []), { kind: "table", table }];
}

export function analysisDocument(o: AnalyzeOutput): Block[] {
  const blocks: Block[] = [
    { kind: "heading", level: 1, text: "noiselab analyze" },
    { kind: "paragraph", text: `Predictions: ${o.inputs.predictions.join(", ")}; labels: ${o.inputs.labels}.` },
    ...section("Inputs", ["replicates", "examples", "classes", "predictions", "seed"], [[String(o.replicates), String(o.examples), String(o.classes), o.predictionKind, String(o.seed)]]),
  ];
  const acc = [["top-1", o.accuracy.top1] as const, ...(o.accuracy.top5 ? [["top-5", o.accuracy.top5] as const] : [])];
  blocks.push(
    ...section(
      "Accuracy across replicates",
      ["metric", "mean", "std", "std (ddof=0)", "mean 95% CI", "std 95% CI", "min", "max"],
      acc.map(([name, s]) => [name, num(s.mean), num(s.std), num(s.stdPopulation), interval(s.meanCi95), interval(s.stdCi95), num(Math.min(...s.perReplicate)), num(Math.max(...s.perReplicate))]),
      `std is the sample std (ddof=1); intervals are percentile bootstraps over replicates (${o.bootstrapResamples} resamples).`,
    ),
    ...section(
      "Churn",
      ["pairs", "mean churn", "std", "min", "max", "mean 95% CI", "agreement", "ambiguity", "discrepancy", "ensemble gain"],
      [
        [
          String(o.churn.pairs),
          num(o.churn.mean),
          num(o.churn.std),
          num(o.churn.min),
          num(o.churn.max),
          interval(o.churn.meanCi95),
          num(o.churn.agreement),
          num(o.churn.ambiguity),
          `${num(o.churn.discrepancy)} (replicate ${o.churn.discrepancyReplicate})`,
          num(o.ensemble.gain),
        ],
      ],
      "churn = share of test examples on which two replicates' top-1 predictions differ, over all pairs; the interval resamples test examples.",
    ),
    { kind: "figures" },
    ...section(
      "Most unstable examples",
      ["example", "label", "d(x)", "votes (class: count)"],
      o.churn.unstableExamples.map((e) => [String(e.index), String(e.label), num(e.disagreement), Object.entries(e.votes).map(([c, k]) => `${c}: ${k}`).join(", ")]),
    ),
  );
  const byStd = [...o.perClass.classes].sort((a, b) => b.std - a.std).slice(0, 10);
  blocks.push(
    ...section(
      "Per-class accuracy (10 least stable classes)",
      ["class", "examples", "mean accuracy", "std"],
      byStd.map((c) => [String(c.class), String(c.count), num(c.mean), num(c.std)]),
      `largest per-class std ${num(o.perClass.maxStd)} (class ${o.perClass.maxStdClass}) = ${num(o.perClass.maxStdRatio)}× the overall top-1 std.`,
    ),
  );
  if (o.subgroups) {
    const sg = o.subgroups;
    const cell = (m: { mean: number; std: number; stdRatio: number | null } | null): string => (m === null ? MISSING : `${num(m.mean)} ± ${num(m.std)} (${num(m.stdRatio)}×)`);
    blocks.push(
      ...section(
        "Sub-groups",
        ["group", "examples", "accuracy", ...(sg.binary ? ["FPR", "FNR"] : [])],
        sg.groups.map((g) => [g.key, String(g.count), cell(g.accuracy), ...(sg.binary ? [cell(g.fpr), cell(g.fnr)] : [])]),
        "mean ± std across replicates (std as a multiple of the whole test set's std of the same metric)" + (sg.binary ? "; positive class 1." : "."),
      ),
      ...section(
        "Disparities between groups",
        ["grouping", "metric", "difference", "ratio"],
        sg.disparities.map((d) => [d.grouping, d.metric, `${num(d.difference.mean)} ± ${num(d.difference.std)}`, `${num(d.ratio.mean)} ± ${num(d.ratio.std)}`]),
        "per replicate max − min and min / max over a grouping's groups; mean ± std across replicates.",
      ),
    );
  }
  if (o.comparison) {
    const c = o.comparison;
    const p = (x: number) => (x < 0.001 ? "< 0.001" : num(x));
    blocks.push(
      ...section(
        "Comparison: --pred (A) vs --compare (B)",
        ["accuracy std A", "accuracy std B", "variance: Brown–Forsythe p", "variance: permutation p", "mean churn A", "mean churn B", "churn: permutation p"],
        [[num(c.accuracyStd.a), num(c.accuracyStd.b), p(c.accuracyVarianceBrownForsythe.pValue), p(c.accuracyVariancePermutation.pValue), num(c.churnMean.a), num(c.churnMean.b), p(c.churnPermutation.pValue)]],
        "Two-sided p-values. The churn test permutes replicate pairs, which share replicates, so read it as approximate." +
          (Number.isNaN(c.accuracyVarianceBrownForsythe.pValue) ? ` ${BROWN_FORSYTHE_UNDEFINED}` : ""),
      ),
    );
  }
  if (o.weights) {
    const w = o.weights;
    blocks.push(
      ...section(
        "Weight distance",
        ["replicates", "tensors", "parameters", "unit L2 mean", "unit L2 std", "raw L2 mean", "raw L2 std"],
        [[String(w.replicates), String(w.tensors), String(w.parameters), num(w.unitL2.mean), num(w.unitL2.std), num(w.rawL2.mean), num(w.rawL2.std)]],
        `unit L2 = |a/|a| − b/|b||, the paper's definition, in [0, 2]; ${w.includesBuffers ? "parameters and buffers" : "trainable parameters only"}.`,
      ),
      ...section(
        "Weight distance per tensor",
        ["tensor", "shape", "size", "unit L2", "raw L2"],
        w.perTensor.map((t) => [t.name, `[${t.shape.join(", ")}]`, String(t.size), num(t.unitL2), num(t.rawL2)]),
      ),
    );
  }
  return blocks;
}

/** Top-1 accuracy per replicate, and the histogram of per-example disagreement. */
export function analysisCharts(o: AnalyzeOutput): Chart[] {
  const bins = o.churn.disagreementHistogram.map((count, i) => ({ bin: `${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}`, count: count ?? 0 }));
  return [
    {
      id: "accuracy",
      title: "Top-1 accuracy per replicate",
      caption: "Each replicate's test accuracy; their spread is the accuracy std above.",
      spec: {
        data: { values: o.accuracy.top1.perReplicate.map((accuracy, replicate) => ({ replicate: String(replicate), accuracy })) },
        width: 420,
        mark: "bar",
        encoding: {
          y: { field: "replicate", type: "nominal", sort: null, title: "replicate" },
          x: { field: "accuracy", type: "quantitative", title: "top-1 accuracy", scale: { zero: false } },
        },
      },
    },
    {
      id: "disagreement",
      title: "Per-example disagreement",
      caption: "Test examples by d(x), the share of replicate pairs that disagree on x, in tenths; its mean is the mean churn.",
      spec: {
        data: { values: bins },
        width: 420,
        mark: "bar",
        encoding: {
          x: { field: "bin", type: "ordinal", sort: null, title: "d(x)" },
          y: { field: "count", type: "quantitative", title: "examples", ...magnitudeScale(bins.map((b) => b.count)) },
        },
      },
    },
  ];
}
