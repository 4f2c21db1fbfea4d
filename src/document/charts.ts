/**
 * Charts of every noiselab page: a Vega-Lite spec with its title and caption,
 * rendered without a browser (Vega-Lite → Vega → SVG in Node, SVG → PNG with
 * resvg). One house style is applied to every chart here, so that a chart
 * added anywhere gets it: legible fonts, legends that are not cut off, one
 * tick format on quantitative axes, and one fixed colour per noise variant.
 */
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import type { Config, TopLevelSpec } from "vega-lite";
import { compile } from "vega-lite";

/** A figure of a page: a Vega-Lite spec with its title and caption. */
export interface Chart<Id extends string = string> {
  id: Id;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

/** Fonts in order of preference; DejaVu Sans ships with most Linux systems, the rest elsewhere. */
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";

/** The number format of every quantitative axis: significant digits in fixed notation (never "9e+1"), no trailing zeros. */
export const AXIS_FORMAT = "~r";

const CONFIG: Config = {
  font: FONT,
  background: "white",
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: "normal", labelLimit: 240 },
  axisQuantitative: { format: AXIS_FORMAT },
  // Category labels slanted, not vertical: readable, and they take less height.
  axisBand: { labelAngle: -35 },
  legend: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: "normal", labelLimit: 0, symbolSize: 120 },
  header: { labelFontSize: 13, titleFontSize: 13, titleFontWeight: "normal", labelLimit: 0 },
  title: { fontSize: 14, fontWeight: "normal" },
  text: { fontSize: 11 },
};

/**
 * One colour per noise variant, the same in every report and every chart:
 * the paper's four variants and the single-source ablations (`only:<source>`)
 * have their own; any other variant name always gets the same colour of the
 * rest of the palette (chosen by a hash of the name).
 */
const VARIANT_COLOURS: Record<string, string> = {
  "ALGO+IMPL": "#4c78a8",
  ALGO: "#f58518",
  IMPL: "#54a24b",
  CONTROL: "#3b3b3b",
  "only:init": "#e45756",
  "only:shuffle": "#72b7b2",
  "only:augment": "#b279a2",
  "only:dropout": "#eeca3b",
  "only:kernels": "#9d755d",
  "only:batchOrder": "#ff9da6",
};
const OTHER_COLOURS = ["#8cd17d", "#bab0ac", "#d37295", "#a0cbe8", "#ffbe7d", "#86bcb6", "#b6992d", "#499894", "#d4a6c8", "#79706e"];

export function variantColour(variant: string): string {
  const fixed = Object.hasOwn(VARIANT_COLOURS, variant) ? VARIANT_COLOURS[variant] : undefined;
  if (fixed !== undefined) return fixed;
  let hash = 0;
  for (const ch of variant) hash = (Math.imul(hash, 31) + ch.codePointAt(0)!) >>> 0;
  return OTHER_COLOURS[hash % OTHER_COLOURS.length];
}

/** A colour scale for a `variant` field over these variants. */
export function variantScale(variants: readonly string[]): { domain: string[]; range: string[] } {
  return { domain: [...variants], range: variants.map(variantColour) };
}

/**
 * A y (or x) scale and axis for values that may span orders of magnitude:
 * linear from 0 when they lie within one order of magnitude, else symlog
 * (logarithmic above the smallest positive value, linear below it, so that 0
 * stays drawable) with a tick at each power of ten.
 */
export function magnitudeScale(values: readonly number[]): { scale: Record<string, unknown>; axis: Record<string, unknown> } {
  const positive = values.filter((v) => v > 0);
  const max = Math.max(0, ...values);
  if (positive.length === 0 || max / Math.min(...positive) < 10) return { scale: { type: "linear", zero: true }, axis: {} };
  const lo = Math.floor(Math.log10(Math.min(...positive)));
  const hi = Math.ceil(Math.log10(max));
  const ticks = [0, ...Array.from({ length: hi - lo + 1 }, (_, i) => Number(`1e${lo + i}`))];
  // labelExpr: Vega formats ticks of log-like scales its own way ("1e+1"), not in AXIS_FORMAT.
  return {
    scale: { type: "symlog", constant: Math.min(...positive), domain: [0, ticks[ticks.length - 1]] },
    axis: { values: ticks, labelExpr: `format(datum.value, '${AXIS_FORMAT}')` },
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The distinct values of `field` in the inline data of `spec` (top level and nested views). */
function fieldValues(spec: unknown, field: string, out = new Set<string>()): Set<string> {
  if (Array.isArray(spec)) for (const s of spec) fieldValues(s, field, out);
  else if (isObject(spec)) {
    const data = spec.data;
    if (isObject(data) && Array.isArray(data.values)) {
      for (const row of data.values) if (isObject(row) && row[field] !== undefined) out.add(String(row[field]));
    }
    for (const [k, v] of Object.entries(spec)) if (k !== "data") fieldValues(v, field, out);
  }
  return out;
}

/** Gives every colour encoding of the `variant` field without a scale the fixed variant colours. */
function colourVariants(node: unknown, variants: string[]): unknown {
  if (Array.isArray(node)) return node.map((n) => colourVariants(n, variants));
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === "color" || k === "fill" || k === "stroke") && isObject(v) && v.field === "variant" && v.scale === undefined) {
      const order = Array.isArray(v.sort) ? (v.sort as string[]) : variants;
      out[k] = { ...v, scale: variantScale(order) };
    } else out[k] = k === "data" ? v : colourVariants(v, variants);
  }
  return out;
}

/** The chart's spec with the house style: the config above (the chart's own config wins) and the variant colours. */
export function styledSpec(chart: Chart): TopLevelSpec {
  const variants = [...fieldValues(chart.spec, "variant")];
  const spec = colourVariants(chart.spec, variants) as TopLevelSpec;
  return { ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
}

/**
 * A chart as a standalone SVG document (with the SVG namespace, so that it
 * opens in a browser and in Inkscape), in the house style.
 */
export async function renderChartSvg(chart: Chart): Promise<string> {
  const view = new vega.View(vega.parse(compile(styledSpec(chart)).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** An SVG (as `renderChartSvg` makes it) as PNG at `scale` × its size (2: sharp on paper and on high-DPI screens). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}
