/**
 * A page's text content as format-neutral blocks of plain text, so that a
 * Markdown and an HTML rendering show the same tables and sentences and each
 * renderer does its own escaping. Every noiselab page (report, analyze,
 * overhead) is a list of blocks.
 */

export interface Table {
  headers: string[];
  rows: string[][];
  /** Per column: right-align (numbers). */
  numeric: boolean[];
}

export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "list"; items: string[] }
  | { kind: "table"; table: Table }
  | { kind: "preformatted"; text: string }
  /** Where the page's charts go: inline in HTML, as links to the figure files in Markdown. */
  | { kind: "figures" };

/** Placeholder for a value that is undefined (fewer than 2 runs, a zero denominator). */
export const MISSING = "—";
