export * from "./build.js";
export * from "./charts.js";
export { escapeHtml, renderChartSvg, renderHtml, renderHtmlPage } from "./html.js";
export { escapeMarkdown, renderMarkdown, renderMarkdownBlocks } from "./markdown.js";
export * from "./write.js";
