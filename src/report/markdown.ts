import type { FigureLink } from "../document/markdown.js";
import { renderMarkdownBlocks } from "../document/markdown.js";
import type { ExperimentReport } from "./build.js";
import { reportDocument } from "./document.js";

/**
 * The report as Markdown: the paper's Table 2 layout first, then control check, figures (links to
 * `figures`, the chart files written next to it, if any), comparisons, sub-groups, per-class, environment, failures.
 */
export function renderMarkdown(report: ExperimentReport, figures: readonly FigureLink[] = []): string {
  return renderMarkdownBlocks(reportDocument(report), figures);
}
