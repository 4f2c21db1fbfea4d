// Blocks as Markdown.
import type { Block, Table } from "./blocks.js";

/** A figure written as a file next to the Markdown: its title and its path relative to the Markdown file. */
export interface FigureLink {
  title: string;
  file: string;
}

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

function renderBlock(block: Block, figures: readonly FigureLink[]): string | null {
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
      return figures.length === 0 ? null : figures.map((f) => `![${escapeMarkdown(f.title)}](${encodeURI(f.file)})`).join("\n\n");
  }
}

/** Blocks as Markdown; a `figures` block becomes image links to `figures` (left out when there are none). */
export function renderMarkdownBlocks(blocks: Block[], figures: readonly FigureLink[] = []): string {
  const parts = blocks.map((b) => renderBlock(b, figures)).filter((part): part is string => part !== null);
  return `${parts.join("\n\n")}\n`;
}
