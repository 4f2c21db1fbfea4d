// The subgroups preset (the paper's Table 5) end to end, shortened: its
// report gives FPR and FNR std for every sub-group with their ratios to the
// whole test set's std, on the synthetic binary task.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { presetSpec } from "../../src/experiment/presets.js";
import { noiselab, tempDir, writeSpec } from "./cli.js";

test("the subgroups preset, run small, reports numeric FPR and FNR std and ratios for every sub-group", () => {
  const dir = tempDir("subgroups");
  const store = join(dir, "store");
  // The preset as it is, with fewer replicates, epochs and examples (the synthetic set is generated at its size).
  const spec = presetSpec("subgroups", { replicates: 2, epochs: 2 });
  assert.ok(spec.dataset.kind === "synthetic");
  const path = writeSpec(dir, { ...spec, dataset: { ...spec.dataset, trainSize: 800, testSize: 500 } });
  const run = noiselab(["run", path, "--store", store, "--processes", "2", "--threads", "1"]);
  assert.equal(run.status, 0, run.stderr);
  const prefix = join(dir, "report");
  const report = noiselab(["report", "subgroups", "--store", store, "--out", prefix, "--format", "md"]);
  assert.equal(report.status, 0, report.stderr);
  const md = readFileSync(`${prefix}.md`, "utf8");
  assert.match(md, /## Sub-groups \(paper Table 5\)/);
  const number = String.raw`\d+\.\d{3}`;
  const withRatio = new RegExp(`^${number} \\(×\\d+\\.\\d+\\)$`);
  // The variants whose replicates differ have a non-zero std on the whole test set, hence a ratio.
  for (const variant of ["ALGO+IMPL", "ALGO"]) {
    const section = md.slice(md.indexOf(`### smallcnn / ${variant}\n`));
    assert.match(section, new RegExp(`^Positive class: class\\\\_1\\. Whole test set: accuracy std ${number}%, FPR std ${number}%, FNR std ${number}%\\.$`, "m"), variant);
    const rows = section.split("\n\n")[2].split("\n").slice(2).map((line) => line.split(" | ").map((cell) => cell.replace(/^\| |\s*\|$/g, "")));
    assert.deepEqual(rows.map((r) => r[0]), ["group=majority", "group=minority"], variant);
    for (const row of rows) {
      assert.match(row[4], withRatio, `${variant} ${row[0]} FPR`);
      assert.match(row[5], withRatio, `${variant} ${row[0]} FNR`);
    }
  }
});
