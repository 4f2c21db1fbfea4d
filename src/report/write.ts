import { mkdirSync, rmSync } from "node:fs";
import { basename, dirname } from "node:path";
import { renderChartSvg, svgToPng } from "../document/charts.js";
import type { FigureLink } from "../document/markdown.js";
import { formatCsv } from "../io/csv.js";
import { writeFileAtomic } from "../io/files.js";
import type { ExperimentReport } from "./build.js";
import { allReportCharts } from "./charts.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { pairsTable, runsTable, slicesTable } from "./tidy.js";

/** The report as pretty JSON (2-space indent, trailing newline); the same report always gives the same bytes. */
export function renderJson(report: ExperimentReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * md, html, json: one file each. svg, png: one file per chart. csv: the tidy
 * tables of `runsTable` and `slicesTable`, and `pairsTable` when the runs span several environments.
 */
export const REPORT_FORMATS = ["md", "html", "json", "svg", "png", "csv"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
/** The formats that are one file, and so can go to stdout. */
export const SINGLE_FILE_FORMATS = ["md", "html", "json"] as const;

/** The report in one single-file format (md without figure links). */
export async function renderReport(report: ExperimentReport, format: (typeof SINGLE_FILE_FORMATS)[number]): Promise<string> {
  return format === "md" ? renderMarkdown(report) : format === "html" ? await renderHtml(report) : renderJson(report);
}

/**
 * Writes the report under `outPrefix`: `<outPrefix>.md`, `.html`, `.json`;
 * `<outPrefix>-<chart>.svg` and `.png` per chart (the Markdown links to
 * them, PNG first); `<outPrefix>-runs.csv` and `<outPrefix>-slices.csv`
 * (and `<outPrefix>-pairs.csv` with several environments).
 * Creates the directory of `outPrefix` if needed. Every file is rendered
 * before anything is written, so a rendering failure leaves no file; each
 * file is written atomically, and if a later write fails the files this
 * call already wrote are removed, so the set on disk is never partial.
 * Returns the paths written.
 */
export async function writeReport(report: ExperimentReport, outPrefix: string, formats: readonly ReportFormat[] = REPORT_FORMATS): Promise<string[]> {
  const wanted = new Set(formats);
  const rendered: [string, string | Uint8Array][] = [];
  const charts = wanted.has("svg") || wanted.has("png") ? allReportCharts(report) : [];
  const figures: FigureLink[] = [];
  for (const chart of charts) {
    const svg = await renderChartSvg(chart);
    const file = (ext: string): string => `${outPrefix}-${chart.id}.${ext}`;
    if (wanted.has("svg")) rendered.push([file("svg"), svg]);
    if (wanted.has("png")) rendered.push([file("png"), svgToPng(svg)]);
    figures.push({ title: chart.title, file: basename(file(wanted.has("png") ? "png" : "svg")) });
  }
  for (const format of SINGLE_FILE_FORMATS) {
    if (!wanted.has(format)) continue;
    rendered.push([`${outPrefix}.${format}`, format === "md" ? renderMarkdown(report, figures) : await renderReport(report, format)]);
  }
  if (wanted.has("csv")) {
    const tables = [["runs", runsTable(report)], ["slices", slicesTable(report)], ...(report.tooling ? [["pairs", pairsTable(report)] as const] : [])] as const;
    for (const [name, table] of tables) {
      rendered.push([`${outPrefix}-${name}.csv`, formatCsv(table.header, table.rows)]);
    }
  }
  mkdirSync(dirname(outPrefix), { recursive: true });
  const written: string[] = [];
  try {
    for (const [path, contents] of rendered) {
      writeFileAtomic(path, contents);
      written.push(path);
    }
  } catch (err) {
    for (const path of written) rmSync(path, { force: true });
    throw err;
  }
  return written;
}
