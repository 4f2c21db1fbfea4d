// The data-order experiment (the paper's Figure 7, "Figure 8" in its text):
// churn against batch size, for specs whose model entries train the same
// network at several batch sizes (`models[].training.batchSize`).
import type { GroupSummary } from "./build.js";
import type { Block } from "../document/blocks.js";
import { MISSING } from "../document/blocks.js";
import type { Chart } from "../document/charts.js";
import { magnitudeScale } from "../document/charts.js";
import { isRecord } from "../run-unit/unit.js";
import { percent } from "./format.js";

export interface BatchSizePoint {
  /** The model entry's label. */
  model: string;
  variant: string;
  batchSize: number;
  /** Mean pairwise churn across the replicates; null without an analysis (fewer than 2 runs). */
  churn: number | null;
  accuracyStd: number | null;
}

/** Each model label's batch size: its entry's `training.batchSize`, else the spec's `training.batchSize`. */
function batchSizesOf(spec: unknown): Map<string, number> {
  const sizes = new Map<string, number>();
  if (!isRecord(spec) || !Array.isArray(spec.models)) return sizes;
  const common = isRecord(spec.training) && typeof spec.training.batchSize === "number" ? spec.training.batchSize : null;
  for (const m of spec.models.filter(isRecord)) {
    const own = isRecord(m.training) && typeof m.training.batchSize === "number" ? m.training.batchSize : common;
    if (own !== null) sizes.set(String(m.label ?? m.name), own);
  }
  return sizes;
}

/** One point per group when the spec trains at two or more batch sizes; otherwise none. */
export function batchSizePoints(spec: unknown, groups: GroupSummary[]): BatchSizePoint[] {
  const sizes = batchSizesOf(spec);
  if (new Set(sizes.values()).size < 2) return [];
  return groups
    .filter((g) => sizes.has(g.model))
    .map((g) => ({ model: g.model, variant: g.variant, batchSize: sizes.get(g.model)!, churn: g.analysis?.churn.mean ?? null, accuracyStd: g.accuracy.std }))
    .sort((a, b) => a.variant.localeCompare(b.variant) || a.batchSize - b.batchSize);
}

/** Churn (%) against batch size on a log axis, one line per variant. */
export function batchSizeChart(points: BatchSizePoint[]): Chart<"batch-size"> | null {
  const rows = points.filter((p) => p.churn !== null).map((p) => ({ variant: p.variant, batchSize: p.batchSize, churn: p.churn! * 100 }));
  if (rows.length === 0) return null;
  return {
    id: "batch-size",
    title: "Churn against batch size (paper Fig. 7)",
    caption:
      "Mean pairwise churn between replicates at each batch size. With only the data order free and one batch holding the whole training set, the replicates compute the same sums in another order: any churn left there is implementation noise.",
    spec: {
      data: { values: rows },
      width: 360,
      height: 200,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "batchSize", type: "quantitative", scale: { type: "log" }, title: "batch size" },
        y: { field: "churn", type: "quantitative", title: "churn (%)", ...magnitudeScale(rows.map((r) => r.churn)) },
        color: { field: "variant", type: "nominal", title: "variant" },
      },
    },
  };
}

/** The same numbers as a table, for the Markdown report. */
export function batchSizeSection(points: BatchSizePoint[]): Block[] {
  if (points.length === 0) return [];
  return [
    { kind: "heading", level: 2, text: "Churn against batch size (paper Fig. 7)" },
    {
      kind: "table",
      table: {
        headers: ["Model", "Variant", "Batch size", "Churn %", "Accuracy std %"],
        rows: points.map((p) => [p.model, p.variant, String(p.batchSize), p.churn === null ? MISSING : percent(p.churn, 2), p.accuracyStd === null ? MISSING : percent(p.accuracyStd, 3)]),
        numeric: [false, false, true, true, true],
      },
    },
  ];
}
