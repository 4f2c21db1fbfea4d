export * from "./build.js";
export * from "./charts.js";
export { renderHtml } from "./html.js";
export { renderMarkdown } from "./markdown.js";
export * from "./write.js";
export * from "./tidy.js";
