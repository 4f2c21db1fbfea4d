// What the benchmark scripts share: writing their section of docs/benchmarks.md, and the
// "median (min–max)" form their tables use.
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../src/io/files.js";
import { median } from "../src/metrics/stats.js";

const DOC = "docs/benchmarks.md";

/**
 * Replaces the section between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` in
 * docs/benchmarks.md (relative to the working directory) with `section`, which carries those
 * markers itself; appends it where the markers are missing.
 */
export function writeBenchmarkSection(name: string, section: string): void {
  const doc = existsSync(DOC) ? readFileSync(DOC, "utf8") : "# Benchmarks\n";
  const marked = new RegExp(`<!-- bench:${name}:start -->[\\s\\S]*<!-- bench:${name}:end -->`);
  // A function replacement, so that a "$" in the section is not read as a pattern.
  writeFileAtomic(DOC, marked.test(doc) ? doc.replace(marked, () => section) : `${doc.trimEnd()}\n\n${section}\n`);
}

/** `median (min–max)` of `values`, each with `digits` decimals. */
export function medianRange(values: number[], digits = 1): string {
  return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}
