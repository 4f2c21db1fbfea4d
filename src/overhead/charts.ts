// Vega-Lite specs of the overhead figures, in the layout of the paper's
// Figure 9 (a) (ratio against kernel size, MediumCNN), 9 (b) (ratio per
// network) and Figure 8 (top operators, default and deterministic side by side).
import type { TopLevelSpec } from "vega-lite";
import type { ModelOverhead, OverheadResult } from "./run.js";
import type { Chart } from "../document/charts.js";

export type OverheadChart = Chart<"fig9a" | "fig9b" | "fig8">;

type Row = Record<string, string | number>;

/** One bar per configuration other than the default: its ratio to the default with the 95% interval. */
function ratioRows(models: readonly ModelOverhead[], key: (m: ModelOverhead) => string | number): Row[] {
  return models.flatMap((m) =>
    m.configs
      .filter((c) => c.ratioToDefault !== null)
      .map((c) => ({ model: m.id, x: key(m), configuration: c.label, ratio: c.ratioToDefault!.median, low: c.ratioToDefault!.interval[0], high: c.ratioToDefault!.interval[1] })),
  );
}

/** `labelAngle`: 0 for short x labels (kernel sizes); network names are rotated so that they do not overlap. */
function ratioSpec(rows: Row[], xTitle: string, xOrder: (string | number)[], configurations: string[], labelAngle: number): TopLevelSpec {
  const x = { field: "x", type: "ordinal" as const, sort: xOrder, title: xTitle, axis: { labelAngle } };
  const xOffset = { field: "configuration", type: "nominal" as const, sort: configurations };
  return {
    data: { values: rows },
    width: Math.max(240, xOrder.length * configurations.length * 16),
    height: 220,
    layer: [
      {
        mark: "bar",
        encoding: {
          x,
          xOffset,
          y: { field: "ratio", type: "quantitative", title: "step time ÷ default" },
          color: { field: "configuration", type: "nominal", sort: configurations, title: "configuration", legend: { labelLimit: 320 } },
        },
      },
      { mark: { type: "rule", color: "#222" }, encoding: { x, xOffset, y: { field: "low", type: "quantitative" }, y2: { field: "high" } } },
      { mark: { type: "rule", strokeDash: [4, 3], color: "#444" }, encoding: { y: { datum: 1 } } },
    ],
  };
}

function configurationOrder(result: OverheadResult): string[] {
  return result.configs.filter((c) => c.id !== "default").map((c) => c.label);
}

function fig9a(result: OverheadResult): OverheadChart | null {
  const models = result.models.filter((m) => m.kernelSize !== null);
  const rows = ratioRows(models, (m) => `${m.kernelSize}×${m.kernelSize}`);
  if (rows.length === 0) return null;
  const kernels = [...new Set(models.map((m) => m.kernelSize!))].sort((a, b) => a - b).map((k) => `${k}×${k}`);
  return {
    id: "fig9a",
    title: "Cost of determinism against kernel size, MediumCNN (paper Fig. 9 a)",
    caption: `Median over rounds of each configuration's step time divided by the default configuration's in the same round, with bootstrap 95% intervals; the dashed line is no cost. ${result.environment.device}, batch ${result.environment.batch}.`,
    spec: ratioSpec(rows, "kernel size", kernels, configurationOrder(result), 0),
  };
}

function fig9b(result: OverheadResult): OverheadChart | null {
  const models = result.models.filter((m) => m.kernelSize === null);
  const rows = ratioRows(models, (m) => m.id);
  if (rows.length === 0) return null;
  return {
    id: "fig9b",
    title: "Cost of determinism per network (paper Fig. 9 b)",
    caption: `As Fig. 9 (a), per network at its input size. A network whose deterministic configurations libtorch refused (an op without a deterministic implementation) has only the switches that ran. ${result.environment.device}, batch ${result.environment.batch}.`,
    spec: ratioSpec(rows, "network", models.map((m) => m.id), configurationOrder(result), -45),
  };
}

/** Kernels where libtorch recorded them (CUDA with Kineto), else host operators. */
function fig8(result: OverheadResult): OverheadChart | null {
  const modes = ["default", "deterministic"];
  const kernels = result.models.some((m) => (m.kernels ?? []).length > 0);
  const rows: Row[] = result.models.flatMap((m) =>
    ((kernels ? m.kernels : m.operators) ?? []).flatMap((op) => [
      { model: m.id, operator: op.name, rank: op.rank, mode: modes[0], ms: op.defaultMs },
      { model: m.id, operator: op.name, rank: op.rank, mode: modes[1], ms: op.deterministicMs },
    ]),
  );
  if (rows.length === 0) return null;
  return {
    id: "fig8",
    title: `Top-20 ${kernels ? "CUDA kernels" : "operators"} by time per step, default vs deterministic (paper Fig. 8)`,
    caption: kernels
      ? "GPU time per training step of the 20 kernels (and copies and memsets) with the most time in either configuration, from libtorch's profiler (Kineto/CUPTI)."
      : "Inclusive host time per training step of the 20 operators (and autograd nodes) with the most time in either configuration, from libtorch's profiler. Inclusive times nest (aten::conv2d contains aten::convolution), so they do not add up to the step time. On CUDA these are dispatch and launch times, not kernel times.",
    spec: {
      data: { values: rows },
      facet: { row: { field: "model", type: "nominal", title: "model" } },
      spec: {
        width: 360,
        // A step per bar, two bars per operator.
        height: { step: 9 },
        mark: "bar",
        encoding: {
          y: { field: "operator", type: "nominal", sort: { field: "rank", order: "ascending" }, title: null, axis: { labelLimit: 420 } },
          yOffset: { field: "mode", type: "nominal", sort: modes },
          x: { field: "ms", type: "quantitative", title: kernels ? "GPU ms per step" : "ms per step (inclusive)" },
          color: { field: "mode", type: "nominal", sort: modes, title: "configuration" },
        },
      },
      resolve: { scale: { x: "independent", y: "independent" } },
    },
  };
}

/** The figures the result has data for. */
export function overheadCharts(result: OverheadResult): OverheadChart[] {
  return [fig9a(result), fig9b(result), fig8(result)].filter((c): c is OverheadChart => c !== null);
}
