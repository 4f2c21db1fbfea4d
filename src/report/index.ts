export * from "./build.js";
export * from "./charts.js";
export { escapeHtml, renderChartSvg, renderHtml } from "./html.js";
export { escapeMarkdown, renderMarkdown } from "./markdown.js";
export * from "./write.js";
