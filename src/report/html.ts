import { renderHtmlPage } from "../document/html.js";
import type { ExperimentReport } from "./build.js";
import { allReportCharts } from "./charts.js";
import { reportDocument } from "./document.js";

/** The report as a self-contained HTML page with the Markdown report's tables and every chart of `allReportCharts`. */
export async function renderHtml(report: ExperimentReport): Promise<string> {
  return renderHtmlPage(`noiselab report: ${report.name}`, reportDocument(report), allReportCharts(report));
}
