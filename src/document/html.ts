/**
 * A page as one self-contained HTML file: inline CSS, charts inlined as SVG
 * rendered in Node (Vega-Lite → Vega → SVG), no script and no network
 * reference, so it opens anywhere, offline, and can be mailed or archived.
 */
import type { Block, Table } from "./blocks.js";
import type { Chart } from "./charts.js";
import { renderChartSvg } from "./charts.js";

/** Text as HTML text or attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/**
 * The SVG of a chart for inlining in HTML: the namespace declarations are
 * dropped, since an inline `<svg>` gets its namespace from the HTML parser,
 * and without them the page contains no URL at all, which makes "needs no
 * network" easy to audit.
 */
function inlineSvg(svg: string): string {
  return svg.replace(/\s+xmlns(:\w+)?="[^"]*"/g, "");
}

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; } h3 { font-size: 1.05rem; }
table { border-collapse: collapse; margin: .6rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d6d6d6; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; white-space: nowrap; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
figure { margin: 1.2rem 0; overflow-x: auto; } figcaption { color: #444; margin-top: .3rem; max-width: 900px; }
`;

function renderTable(table: Table): string {
  const head = table.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const rows = table.rows.map((row) => `<tr>${row.map((c, i) => (table.numeric[i] ? `<td class="num">` : "<td>") + `${escapeHtml(c)}</td>`).join("")}</tr>`);
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows.join("\n")}\n</tbody>\n</table>`;
}

function renderFigures(charts: Chart[], svgs: string[]): string {
  if (charts.length === 0) return "";
  const figures = charts.map(
    (c, i) => `<figure id="${escapeHtml(c.id)}">\n<h3>${escapeHtml(c.title)}</h3>\n${svgs[i]}\n<figcaption>${escapeHtml(c.caption)}</figcaption>\n</figure>`,
  );
  return `<h2>Figures</h2>\n${figures.join("\n")}`;
}

function renderBlock(block: Block, figures: string): string {
  switch (block.kind) {
    case "heading":
      return `<h${block.level}>${escapeHtml(block.text)}</h${block.level}>`;
    case "paragraph":
      return `<p>${escapeHtml(block.text)}</p>`;
    case "list":
      return `<ul>\n${block.items.map((item) => `<li>${escapeHtml(item)}</li>`).join("\n")}\n</ul>`;
    case "table":
      return renderTable(block.table);
    case "preformatted":
      return `<pre>${escapeHtml(block.text)}</pre>`;
    case "figures":
      return figures;
  }
}

/**
 * A self-contained HTML page of `blocks`, with `charts` rendered to SVG where
 * the blocks hold a `figures` block. Shared by every noiselab HTML output.
 */
export async function renderHtmlPage(title: string, blocks: Block[], charts: Chart[]): Promise<string> {
  // One at a time: each render is CPU-bound, so parallel renders gain nothing.
  const svgs: string[] = [];
  for (const chart of charts) svgs.push(inlineSvg(await renderChartSvg(chart)));
  const figures = renderFigures(charts, svgs);
  const body = blocks.map((b) => renderBlock(b, figures)).filter((s) => s !== "");
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
