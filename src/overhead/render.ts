// The overhead result as Markdown (also the terminal output), as a
// self-contained HTML page with the charts inlined as SVG, and as JSON.
import * as vega from "vega";
import { compile } from "vega-lite";
import type { Block, Table } from "../report/document.js";
import { escapeHtml } from "../report/html.js";
import { escapeMarkdown } from "../report/markdown.js";
import type { OverheadChart } from "./charts.js";
import { overheadCharts } from "./charts.js";
import { overheadDocument } from "./document.js";
import type { OverheadResult } from "./run.js";

function markdownTable(table: Table): string {
  const line = (cells: string[]): string => `| ${cells.map((c) => escapeMarkdown(c.replace(/\s*\n\s*/g, " "))).join(" | ")} |`;
  return [line(table.headers), `|${table.numeric.map((n) => (n ? "---:" : "---")).join("|")}|`, ...table.rows.map(line)].join("\n");
}

function markdownBlock(block: Block): string | null {
  switch (block.kind) {
    case "heading":
      return `${"#".repeat(block.level)} ${escapeMarkdown(block.text)}`;
    case "paragraph":
      return escapeMarkdown(block.text);
    case "list":
      return block.items.map((item) => `- ${escapeMarkdown(item)}`).join("\n");
    case "table":
      return markdownTable(block.table);
    case "preformatted":
      return `\`\`\`text\n${block.text}\n\`\`\``;
    case "figures":
      return null;
  }
}

export function renderOverheadMarkdown(result: OverheadResult): string {
  const blocks = overheadDocument(result, { figures: false }).map(markdownBlock);
  return `${blocks.filter((b): b is string => b !== null).join("\n\n")}\n`;
}

export function renderOverheadJson(result: OverheadResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/**
 * A Vega-Lite spec as SVG, rendered in Node with no browser. Namespace
 * attributes are dropped as in the experiment report (inline SVG in HTML
 * needs none), so the page holds no URL. (report/html.ts's renderChartSvg
 * does the same but is typed to the experiment report's chart ids.)
 */
async function chartSvg(chart: OverheadChart): Promise<string> {
  const view = new vega.View(vega.parse(compile(chart.spec).spec), { renderer: "none" });
  try {
    return (await view.toSVG()).replace(/\s+xmlns(:\w+)?="[^"]*"/g, "");
  } finally {
    view.finalize();
  }
}

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; } h3 { font-size: 1.05rem; }
table { border-collapse: collapse; margin: .6rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d6d6d6; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; white-space: nowrap; }
figure { margin: 1.2rem 0; overflow-x: auto; } figcaption { color: #444; margin-top: .3rem; max-width: 900px; }
`;

function htmlTable(table: Table): string {
  const head = table.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const rows = table.rows.map((row) => `<tr>${row.map((c, i) => `${table.numeric[i] ? '<td class="num">' : "<td>"}${escapeHtml(c)}</td>`).join("")}</tr>`);
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows.join("\n")}\n</tbody>\n</table>`;
}

function htmlBlock(block: Block, figures: string): string {
  switch (block.kind) {
    case "heading":
      return `<h${block.level}>${escapeHtml(block.text)}</h${block.level}>`;
    case "paragraph":
      return `<p>${escapeHtml(block.text)}</p>`;
    case "list":
      return `<ul>\n${block.items.map((item) => `<li>${escapeHtml(item)}</li>`).join("\n")}\n</ul>`;
    case "table":
      return htmlTable(block.table);
    case "preformatted":
      return `<pre>${escapeHtml(block.text)}</pre>`;
    case "figures":
      return figures;
  }
}

/** One HTML file: inline CSS and SVG, no script, no network reference. */
export async function renderOverheadHtml(result: OverheadResult): Promise<string> {
  const charts = overheadCharts(result);
  const figures: string[] = [];
  // One at a time: each render is CPU-bound.
  for (const chart of charts) {
    figures.push(`<figure id="${chart.id}">\n<h3>${escapeHtml(chart.title)}</h3>\n${await chartSvg(chart)}\n<figcaption>${escapeHtml(chart.caption)}</figcaption>\n</figure>`);
  }
  const body = overheadDocument(result, { figures: true }).map((b) => htmlBlock(b, figures.length > 0 ? `<h2>Figures</h2>\n${figures.join("\n")}` : ""));
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>noiselab overhead</title>",
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    ...body.filter((s) => s !== ""),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
