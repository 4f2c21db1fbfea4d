/**
 * The dashboard's HTML pages: one shell per page kind, which the browser
 * script (public/app.js) fills from the JSON API. Every script and style is
 * served by this server; a page references no other host.
 */
import { escapeHtml } from "../document/html.js";

export type PageKind = "experiments" | "experiment" | "unstable" | "run" | "determinism";

/** The page shell: navigation, a title, and what the script needs to know (the page kind and its subject). */
export function pageHtml(kind: PageKind, title: string, subject: Record<string, string> = {}): string {
  const data = Object.entries({ page: kind, ...subject })
    .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
    .join("");
  const charts = kind === "experiment" || kind === "run" || kind === "determinism";
  const scripts = [...(charts ? ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js"] : []), "app.js"];
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)} · noiselab</title>`,
    '<link rel="icon" href="data:,">',
    '<link rel="stylesheet" href="/static/style.css">',
    ...scripts.map((s) => `<script src="/static/${s}" defer></script>`),
    "</head>",
    `<body${data}>`,
    '<nav><a href="/" class="brand">noiselab</a> <a href="/">Experiments</a> <a href="/determinism">Determinism</a> <span id="live" class="live" title="updates while runs are added"></span></nav>',
    `<main><h1>${escapeHtml(title)}</h1><div id="content"><p class="muted">Loading…</p></div></main>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
