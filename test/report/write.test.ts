import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { ExperimentReport } from "../../src/report/index.js";
import { buildReport, renderHtml, renderJson, renderMarkdown, writeReport } from "../../src/report/index.js";
import { syntheticResults } from "./synthetic.js";

const dir = mkdtempSync(join(tmpdir(), "noiselab-report-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const report = buildReport(syntheticResults(), { resamples: 100, permutations: 200 });

test("writeReport writes every format with the renderers' output", async () => {
  // The directory does not exist yet: writeReport creates it.
  const prefix = join(dir, "ok", "table2");
  const written = await writeReport(report, prefix, ["md", "html", "json"]);
  assert.deepEqual(written, [`${prefix}.md`, `${prefix}.html`, `${prefix}.json`]);
  assert.equal(readFileSync(`${prefix}.md`, "utf8"), renderMarkdown(report));
  assert.equal(readFileSync(`${prefix}.html`, "utf8"), await renderHtml(report));
  assert.equal(readFileSync(`${prefix}.json`, "utf8"), renderJson(report));
  assert.deepEqual(readdirSync(join(dir, "ok")).sort(), ["table2.html", "table2.json", "table2.md"], "no temporary files left");
});

test("a rendering failure leaves no files", async () => {
  mkdirSync(join(dir, "render"));
  // JSON is rendered last: a report whose serialisation throws fails after Markdown and HTML were rendered.
  const poisoned = { ...report, toJSON: () => { throw new Error("injected failure"); } } as ExperimentReport;
  await assert.rejects(writeReport(poisoned, join(dir, "render", "r"), ["md", "html", "json"]), /injected failure/);
  assert.deepEqual(readdirSync(join(dir, "render")), []);
});

test("a failed write removes the files the same call already wrote", async () => {
  mkdirSync(join(dir, "write"));
  const prefix = join(dir, "write", "r");
  // A directory where the JSON file should go: renaming the finished temporary file onto it fails.
  mkdirSync(`${prefix}.json`);
  await assert.rejects(writeReport(report, prefix, ["md", "html", "json"]));
  assert.equal(existsSync(`${prefix}.md`), false);
  assert.equal(existsSync(`${prefix}.html`), false);
  assert.deepEqual(readdirSync(join(dir, "write")), ["r.json"], "only the blocking directory, no temporary files");
});
