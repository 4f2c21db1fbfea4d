/**
 * The HTML report's charts as Vega-Lite specs, one per figure of the paper
 * plus training curves and the per-example disagreement histogram. A chart
 * is listed only when the report has data for it.
 */
import type { TopLevelSpec } from "vega-lite";
import type { Chart } from "../document/charts.js";
import { magnitudeScale } from "../document/charts.js";
import { determinismCharts } from "./determinism.js";
import { batchSizeChart } from "./batch-size.js";
import type { ExperimentReport, GroupSummary } from "./build.js";

export type ChartId = "fig2" | "fig3" | "fig4" | "fig5" | "fig6" | "environments" | "batch-size" | "curves" | "disagreement";

export type ReportChart = Chart<ChartId>;

type Row = Record<string, string | number>;

const FIG2_METRICS = ["Accuracy std (%)", "Churn (%)", "L2 of unit weights"];

function analysed(report: ExperimentReport): GroupSummary[] {
  return report.groups.filter((g) => g.analysis !== null);
}

/** A group's model as its charts name it: with the environment when the report spans several. */
function panelModel(g: GroupSummary): string {
  return g.environment === undefined ? g.model : `${g.model} · ${g.environment}`;
}

/** Variants in report order (the paper's first), for a stable colour and bar order. */
function variantOrder(report: ExperimentReport): string[] {
  return [...new Set(report.groups.map((g) => g.variant))];
}

/** One panel per model (rows) × variant (columns, in report order). */
function modelByVariantFacet(report: ExperimentReport) {
  return { row: { field: "model", type: "nominal", title: "model" }, column: { field: "variant", type: "nominal", sort: variantOrder(report), title: "variant" } } as const;
}

function stabilityRows(groups: GroupSummary[]): Row[] {
  return groups.flatMap((g) => {
    const a = g.analysis!;
    const values: [string, number | null][] = [
      [FIG2_METRICS[0], a.accuracy.top1.std === null ? null : a.accuracy.top1.std * 100],
      [FIG2_METRICS[1], a.churn.mean === null ? null : a.churn.mean * 100],
      [FIG2_METRICS[2], a.weights?.unitL2.mean ?? null],
    ];
    return values
      .filter((v): v is [string, number] => v[1] !== null)
      .map(([metric, value]) => ({ model: panelModel(g), variant: g.variant, ...(g.environment === undefined ? {} : { environment: g.environment }), metric, value }));
  });
}

/** Pixels per bar of the Fig. 2 and Fig. 3 panels: room for the value written along the bar. */
const BAR_WIDTH = 24;

/**
 * One panel per measure (each with its own scale: symlog with a tick per
 * power of ten where the values span orders of magnitude, so that a small
 * IMPL value is not a sliver), bars at `x` split by `offset`, each bar labelled
 * with its value so that a 0 (CONTROL) is visible too.
 */
function measurePanels(rows: Row[], x: { field: string; sort: string[]; title: string }, offset: { field: string; sort: string[] }, colour: Record<string, unknown>): TopLevelSpec {
  const barsPerPanel = x.sort.length * offset.sort.length;
  // Slant the x labels when the longest would not fit under its group of bars (about 7 px per character).
  const labelAngle = Math.max(...x.sort.map((l) => l.length)) * 7 > offset.sort.length * BAR_WIDTH ? -30 : 0;
  return {
    data: { values: rows },
    hconcat: FIG2_METRICS.filter((metric) => rows.some((r) => r.metric === metric)).map((metric) => {
      const { scale, axis } = magnitudeScale(rows.filter((r) => r.metric === metric).map((r) => r.value as number));
      const encoding = {
        x: { field: x.field, type: "nominal", sort: x.sort, title: x.title, axis: { labelAngle } },
        xOffset: { field: offset.field, type: "nominal", sort: offset.sort },
        y: { field: "value", type: "quantitative", title: metric, scale, axis },
      };
      return {
        transform: [{ filter: { field: "metric", equal: metric } }],
        width: Math.max(180, barsPerPanel * BAR_WIDTH),
        height: 220,
        layer: [
          { mark: "bar", encoding: { ...encoding, color: colour } },
          {
            mark: { type: "text", angle: -90, align: "left", baseline: "middle", dx: 3 },
            encoding: { ...encoding, text: { field: "value", type: "quantitative", format: ".3~g" } },
          },
        ],
      };
    }),
  } as TopLevelSpec;
}

function fig2(report: ExperimentReport): ReportChart | null {
  const groups = analysed(report);
  const rows = stabilityRows(groups);
  if (rows.length === 0) return null;
  const variants = variantOrder(report);
  return {
    id: "fig2",
    title: "Instability per variant (paper Fig. 2)",
    caption:
      "Std of top-1 accuracy across replicates, mean pairwise churn, and mean pairwise L2 distance of unit-normalised weights, per noise variant, grouped by model. " +
      "Each bar is labelled with its value; where a measure spans orders of magnitude its axis is symlog (logarithmic, with 0 drawn at the base).",
    spec: measurePanels(rows, { field: "model", sort: [...new Set(groups.map(panelModel))], title: "model" }, { field: "variant", sort: variants }, { field: "variant", type: "nominal", sort: variants, title: "variant" }),
  };
}

const WITH_BN = "with BatchNorm";
const WITHOUT_BN = "without BatchNorm";

/** The BN contrast: per pair and variant, the Fig. 2 measures of the model with BatchNorm next to the one without. */
function fig3(report: ExperimentReport): ReportChart | null {
  const byModel = new Map(analysed(report).map((g) => [`${g.model}\u0000${g.variant}\u0000${g.environment ?? ""}`, g]));
  const variants = variantOrder(report);
  const environments = [...new Set(report.groups.map((g) => g.environment ?? ""))];
  const rows: Row[] = report.batchNormPairs.flatMap((pair) =>
    environments.flatMap((environment) => variants.flatMap((variant) => {
      const withBn = byModel.get(`${pair.withBatchNorm}\u0000${variant}\u0000${environment}`);
      const withoutBn = byModel.get(`${pair.withoutBatchNorm}\u0000${variant}\u0000${environment}`);
      if (!withBn || !withoutBn) return [];
      const label = `${pair.withBatchNorm} vs ${pair.withoutBatchNorm}${environment === "" || environments.length === 1 ? "" : ` (${environment})`}`;
      return [
        ...stabilityRows([withBn]).map((r) => ({ ...r, pair: label, batchNorm: WITH_BN })),
        ...stabilityRows([withoutBn]).map((r) => ({ ...r, pair: label, batchNorm: WITHOUT_BN })),
      ];
    })),
  );
  if (rows.length === 0) return null;
  const pairs = [...new Set(rows.map((r) => r.pair as string))];
  const pairVariants = variants.filter((v) => rows.some((r) => r.variant === v));
  const colour = { field: "batchNorm", type: "nominal", sort: [WITH_BN, WITHOUT_BN], title: null, scale: { domain: [WITH_BN, WITHOUT_BN], range: ["#1f5f99", "#e8a33d"] } };
  const panels = (pair: string) => ({
    ...measurePanels(rows.filter((r) => r.pair === pair), { field: "variant", sort: pairVariants, title: "variant" }, { field: "batchNorm", sort: [WITH_BN, WITHOUT_BN] }, colour),
    title: pair,
  });
  return {
    id: "fig3",
    title: "With and without BatchNorm (paper Fig. 3)",
    caption: `The Fig. 2 measures per variant for each model with BatchNorm (dark) next to the same model without it (light): ${pairs.join("; ")}.`,
    spec: (pairs.length === 1 ? panels(pairs[0]) : { vconcat: pairs.map(panels) }) as TopLevelSpec,
  };
}

function fig4(report: ExperimentReport): ReportChart | null {
  const groups = analysed(report);
  const name = (c: number): string => report.classNames[c] ?? `class ${c}`;
  const rows: Row[] = groups.flatMap((g) =>
    g.analysis!.perClass.classes.filter((c) => c.std !== null).map((c) => ({ model: panelModel(g), variant: g.variant, class: name(c.class!), std: c.std! * 100 })),
  );
  if (rows.length === 0) return null;
  const classes = [...new Set(rows.map((r) => r.class as string))];
  const variants = variantOrder(report);
  return {
    id: "fig4",
    title: "Per-class accuracy std (paper Fig. 4)",
    caption: "Std across replicates of each class's accuracy, per variant. Single classes can be far less stable than overall accuracy.",
    spec: {
      data: { values: rows },
      facet: { row: { field: "model", type: "nominal", title: "model" } },
      spec: {
        width: Math.min(1100, Math.max(240, classes.length * variants.length * 6)),
        height: 160,
        mark: "bar",
        encoding: {
          x: { field: "class", type: "nominal", sort: classes, title: "class" },
          xOffset: { field: "variant", type: "nominal", sort: variants },
          y: { field: "std", type: "quantitative", title: "accuracy std (%)" },
          color: { field: "variant", type: "nominal", sort: variants, title: "variant" },
        },
      },
    },
  };
}

function fig5(report: ExperimentReport): ReportChart | null {
  const rows: Row[] = [];
  for (const g of analysed(report)) {
    for (const sub of g.analysis!.subgroups?.groups ?? []) {
      const metrics: [string, number | null | undefined][] = [
        ["accuracy", sub.accuracy.stdRatio],
        ["FPR", sub.fpr?.stdRatio],
        ["FNR", sub.fnr?.stdRatio],
      ];
      for (const [metric, ratio] of metrics) {
        if (ratio !== null && ratio !== undefined) rows.push({ model: panelModel(g), variant: g.variant, group: sub.key, metric, ratio });
      }
    }
  }
  if (rows.length === 0) return null;
  const metricOrder = ["accuracy", "FPR", "FNR"];
  return {
    id: "fig5",
    title: "Sub-group std relative to overall std (paper Fig. 5 / Table 5)",
    caption: "For each sub-group, the std across replicates of its accuracy, FPR and FNR divided by the std of the same metric on the whole test set; the dashed line is 1 (as unstable as the whole).",
    spec: {
      data: { values: rows },
      facet: modelByVariantFacet(report),
      spec: {
        width: Math.max(160, new Set(rows.map((r) => r.group)).size * 36),
        height: 160,
        layer: [
          {
            mark: "bar",
            encoding: {
              x: { field: "group", type: "nominal", title: "sub-group" },
              xOffset: { field: "metric", type: "nominal", sort: metricOrder },
              y: { field: "ratio", type: "quantitative", title: "std ÷ overall std" },
              color: { field: "metric", type: "nominal", sort: metricOrder, title: "metric" },
            },
          },
          { mark: { type: "rule", strokeDash: [4, 3], color: "#444" }, encoding: { y: { datum: 1 } } },
        ],
      },
    },
  };
}

function curves(report: ExperimentReport): ReportChart | null {
  const rows: Row[] = report.groups.flatMap((g) =>
    g.runs.flatMap((run) =>
      run.curve
        .filter((e) => e.epoch !== null && e.testAccuracy !== null)
        .map((e) => ({ model: panelModel(g), variant: g.variant, replicate: run.replicate, epoch: e.epoch!, accuracy: e.testAccuracy! * 100 })),
    ),
  );
  if (rows.length === 0) return null;
  return {
    id: "curves",
    title: "Training curves",
    caption: "Test accuracy after each epoch, one line per replicate. Lines that coincide are bitwise-reproducible replicates.",
    spec: {
      data: { values: rows },
      facet: modelByVariantFacet(report),
      spec: {
        width: 180,
        height: 140,
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "epoch", type: "quantitative", title: "epoch", axis: { format: "d", tickMinStep: 1 } },
          y: { field: "accuracy", type: "quantitative", title: "test accuracy (%)", scale: { zero: false } },
          color: { field: "replicate", type: "nominal", title: "replicate" },
        },
      },
    },
  };
}

function disagreement(report: ExperimentReport): ReportChart | null {
  const rows: Row[] = analysed(report).flatMap((g) =>
    g.analysis!.churn.disagreementHistogram.map((count, i) => ({
      model: panelModel(g),
      variant: g.variant,
      bin: i === 9 ? "0.9–1.0" : `${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}`,
      count: count ?? 0,
    })),
  );
  if (rows.length === 0) return null;
  const bins = [...new Set(rows.map((r) => r.bin as string))];
  return {
    id: "disagreement",
    title: "Per-example disagreement",
    caption: "Histogram of d(x), the share of replicate pairs that disagree on a test example (its mean is the mean churn). Symlog count axis where the counts span orders of magnitude: most examples have d(x) = 0.",
    spec: {
      data: { values: rows },
      facet: modelByVariantFacet(report),
      spec: {
        width: 240,
        height: 120,
        mark: "bar",
        encoding: {
          x: { field: "bin", type: "ordinal", sort: bins, title: "d(x)" },
          y: { field: "count", type: "quantitative", title: "examples", ...magnitudeScale(rows.map((r) => r.count as number)) },
        },
      },
    },
  };
}

/** The paper's Fig. 6: the Fig. 2 measures per environment (x) and variant (bars), one row of panels per model. */
function fig6(report: ExperimentReport): ReportChart | null {
  if (!report.tooling) return null;
  const groups = analysed(report);
  if (stabilityRows(groups).length === 0) return null;
  const environments = report.tooling.environments.map((e) => e.label);
  const variants = variantOrder(report);
  const models = [...new Set(groups.map((g) => g.model))].filter((m) => stabilityRows(groups.filter((g) => g.model === m)).length > 0);
  const colour = { field: "variant", type: "nominal", sort: variants, title: "variant" };
  const panels = (model: string) => ({
    ...measurePanels(
      stabilityRows(groups.filter((g) => g.model === model)),
      { field: "environment", sort: environments, title: "environment" },
      { field: "variant", sort: variants },
      colour,
    ),
    title: model,
  });
  return {
    id: "fig6",
    title: "Instability per environment (paper Fig. 6)",
    caption:
      "Std of top-1 accuracy, mean pairwise churn and mean pairwise L2 of unit-normalised weights between replicates within each environment, per variant. " +
      "Each bar is labelled with its value; where a measure spans orders of magnitude its axis is symlog.",
    spec: (models.length === 1 ? panels(models[0]) : { vconcat: models.map(panels) }) as TopLevelSpec,
  };
}

/** Heatmap of mean same-seed churn between environments, per model (rows) and variant (columns). */
function environmentMatrix(report: ExperimentReport): ReportChart | null {
  if (!report.tooling) return null;
  const rows: Row[] = report.tooling.matrix
    .filter((c) => c.churn !== null)
    .map((c) => ({ model: c.model, variant: c.variant, a: c.a, b: c.b, churn: c.churn! * 100, label: `${c.identicalPairs === c.pairs ? "≡ " : ""}${(c.churn! * 100).toFixed(2)}` }));
  if (rows.length === 0) return null;
  const environments = report.tooling.environments.map((e) => e.label);
  const x = { field: "b", type: "nominal", sort: environments, title: "environment" } as const;
  const y = { field: "a", type: "nominal", sort: environments, title: "environment" } as const;
  const side = Math.max(120, environments.length * 56);
  const dark = Math.max(...rows.map((r) => r.churn as number)) / 2;
  return {
    id: "environments",
    title: "Same-seed churn between environments",
    caption:
      "Mean churn (%) between runs with the same seeds in the row's and the column's environment; ≡: every such pair has identical weights (bitwise interchangeable). " +
      "The diagonal compares replicates of one environment whose recorded seeds are all equal (CONTROL); it is empty for variants whose replicates draw their own seeds.",
    spec: {
      data: { values: rows },
      facet: { row: { field: "model", type: "nominal", title: "model" }, column: { field: "variant", type: "nominal", sort: variantOrder(report), title: "variant" } },
      spec: {
        width: side,
        height: side,
        layer: [
          { mark: "rect", encoding: { x, y, color: { field: "churn", type: "quantitative", title: "churn (%)", scale: { scheme: "blues", zero: true } } } },
          { mark: { type: "text", fontSize: 10 }, encoding: { x, y, text: { field: "label", type: "nominal" }, color: { condition: { test: `datum.churn > ${dark}`, value: "white" }, value: "black" } } },
        ],
      },
    },
  };
}

/** Every chart of the report itself and of the determinism evidence given to it (`--check`, `--overhead`), in reading order. */
export function allReportCharts(report: ExperimentReport): Chart[] {
  return [...reportCharts(report), ...(report.determinism ? determinismCharts(report.determinism) : [])];
}

/** Every chart the report has data for, in reading order. */
export function reportCharts(report: ExperimentReport): ReportChart[] {
  return [fig2(report), fig3(report), fig6(report), environmentMatrix(report), fig4(report), fig5(report), batchSizeChart(report.batchSizes), curves(report), disagreement(report)].filter(
    (c): c is ReportChart => c !== null,
  );
}
