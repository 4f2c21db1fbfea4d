import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { writeFileAtomic } from "../io/files.js";
import type { ExperimentReport } from "./build.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";

/** The report as pretty JSON (2-space indent, trailing newline); the same report always gives the same bytes. */
export function renderJson(report: ExperimentReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export const REPORT_FORMATS = ["md", "html", "json"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * Writes `<outPrefix>.md`, `.html` and/or `.json`, creating the directory
 * of `outPrefix` if needed. Every format is rendered
 * before anything is written, so a rendering failure leaves no file; each
 * file is written atomically, and if a later write fails the files this
 * call already wrote are removed, so the set on disk is never partial.
 * Returns the paths written.
 */
export async function writeReport(report: ExperimentReport, outPrefix: string, formats: readonly ReportFormat[] = REPORT_FORMATS): Promise<string[]> {
  const rendered: [string, string][] = [];
  for (const format of new Set(formats)) {
    const text = format === "md" ? renderMarkdown(report) : format === "html" ? await renderHtml(report) : renderJson(report);
    rendered.push([`${outPrefix}.${format}`, text]);
  }
  mkdirSync(dirname(outPrefix), { recursive: true });
  const written: string[] = [];
  try {
    for (const [path, text] of rendered) {
      writeFileAtomic(path, text);
      written.push(path);
    }
  } catch (err) {
    for (const path of written) rmSync(path, { force: true });
    throw err;
  }
  return written;
}
