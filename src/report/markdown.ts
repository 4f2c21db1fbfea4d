import type { ExperimentReport } from "./build.js";
import type { Block, Table } from "./document.js";
import { reportDocument } from "./document.js";

/**
 * Plain text as Markdown text: characters Markdown would read as markup are
 * backslash-escaped, and `<`, `>`, `&` become entities so that text from a
 * spec or an error message can never turn into raw HTML.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_[\]|~#]/g, (c) => `\\${c}`)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/** A table cell: escaped, on one line. */
function cell(text: string): string {
  return escapeMarkdown(text.replace(/\s*\n\s*/g, " "));
}

function renderTable(table: Table): string {
  const line = (cells: string[]): string => `| ${cells.map(cell).join(" | ")} |`;
  const rule = `|${table.numeric.map((n) => (n ? "---:" : "---")).join("|")}|`;
  return [line(table.headers), rule, ...table.rows.map(line)].join("\n");
}

/** A fenced block whose fence is longer than any backtick run inside, so the text cannot close it. */
function renderPreformatted(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text.replace(/\n+$/, "")}\n${fence}`;
}

function renderBlock(block: Block): string | null {
  switch (block.kind) {
    case "heading":
      return `${"#".repeat(block.level)} ${escapeMarkdown(block.text)}`;
    case "paragraph":
      return escapeMarkdown(block.text);
    case "list":
      return block.items.map((item) => `- ${escapeMarkdown(item)}`).join("\n");
    case "table":
      return renderTable(block.table);
    case "preformatted":
      return renderPreformatted(block.text);
    case "figures":
      // Charts are in the HTML report only.
      return null;
  }
}

/** Blocks as Markdown; a `figures` block is left out (charts are in the HTML page only). */
export function renderMarkdownBlocks(blocks: Block[]): string {
  const parts = blocks.map(renderBlock).filter((part): part is string => part !== null);
  return `${parts.join("\n\n")}\n`;
}

/** The report as Markdown: the paper's Table 2 layout first, then control check, comparisons, sub-groups, environment, failures. */
export function renderMarkdown(report: ExperimentReport): string {
  return renderMarkdownBlocks(reportDocument(report));
}
