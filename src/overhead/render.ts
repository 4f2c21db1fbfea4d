// The overhead result as Markdown (also the terminal output), as a
// self-contained HTML page with the charts inlined as SVG, and as JSON; and
// what other pages (the experiment report) show of it. This is the module
// through which the rest of noiselab reads and shows overhead results.
import type { Block } from "../document/blocks.js";
import { renderHtmlPage } from "../document/html.js";
import { renderMarkdownBlocks } from "../document/markdown.js";
import { InputError } from "../errors.js";
import { readJsonInput } from "../io/files.js";
import { overheadCharts } from "./charts.js";
import { configurationTable, overheadDocument, summaryTable } from "./document.js";
import type { OverheadResult } from "./run.js";

export type { OverheadResult };
export { overheadCharts };

/** The Figure 9 numbers and the per-switch table, for a page that includes an overhead result. */
export function overheadSummaryBlocks(result: OverheadResult): Block[] {
  return [
    { kind: "table", table: summaryTable(result) },
    { kind: "heading", level: 3, text: "Per determinism switch" },
    { kind: "table", table: configurationTable(result) },
  ];
}

export function renderOverheadMarkdown(result: OverheadResult): string {
  return renderMarkdownBlocks(overheadDocument(result));
}

export function renderOverheadJson(result: OverheadResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** One HTML file: inline CSS and SVG, no script, no network reference. */
export async function renderOverheadHtml(result: OverheadResult): Promise<string> {
  return renderHtmlPage("noiselab overhead", overheadDocument(result), overheadCharts(result));
}

/** Reads back what `noiselab overhead --out PREFIX` wrote to PREFIX.json. */
export function readOverheadResult(path: string): OverheadResult {
  const value = readJsonInput(path, "an overhead result");
  const result = value as Partial<OverheadResult>;
  if (typeof value !== "object" || value === null || !Array.isArray(result.models) || !Array.isArray(result.configs) || typeof result.environment !== "object") {
    throw new InputError(`${path}: not the JSON of noiselab overhead --out`);
  }
  return value as OverheadResult;
}
