// Commands that only read files must work without the native engine, e.g. on a
// laptop analysing predictions made elsewhere: they are run here with the addon
// path pointing nowhere.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { writeNpy } from "../../src/io/npy.js";
import { RunStore } from "../../src/store/run-store.js";
import { BIN, tempDir } from "../e2e/cli.js";

function withoutEngine(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, NOISELAB_ADDON: "/nonexistent/noiselab.node" } });
  return { status: r.status, stderr: r.stderr };
}

test("analyze, ls, report and run's planning do not load the native engine", () => {
  const dir = tempDir("engine-free");
  const labels = Int32Array.from([0, 1, 2, 1, 0, 2]);
  writeNpy(join(dir, "y.npy"), { dtype: "i4", shape: [6], data: labels });
  writeNpy(join(dir, "r0.npy"), { dtype: "i4", shape: [6], data: Int32Array.from([0, 1, 2, 1, 0, 1]) });
  writeNpy(join(dir, "r1.npy"), { dtype: "i4", shape: [6], data: Int32Array.from([0, 1, 1, 1, 0, 2]) });
  for (const format of ["json", "md", "html"]) {
    const r = withoutEngine(["analyze", "--pred", join(dir, "r0.npy"), join(dir, "r1.npy"), "--labels", join(dir, "y.npy"), "--format", format, "--out", join(dir, `a.${format}`)]);
    assert.equal(r.status, 0, r.stderr);
  }
  RunStore.open(join(dir, "store")).close();
  assert.equal(withoutEngine(["ls", "--store", join(dir, "store")]).status, 0);
  const report = withoutEngine(["report", "nothing", "--store", join(dir, "store")]);
  assert.equal(report.status, 2, report.stderr);
  assert.match(report.stderr, /no experiment "nothing" in the store/);
  // run: what only plans, and argument errors, do not wait for the engine either.
  assert.equal(withoutEngine(["run", "table2", "--print-spec"]).status, 0);
  assert.equal(withoutEngine(["run", "table2", "--dry-run"]).status, 0);
  assert.equal(withoutEngine(["run", "table2", "--processes", "0"]).status, 2);
  // The engine really is unavailable in this environment:
  const run = withoutEngine(["check", "smallcnn", "--steps", "1"]);
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /cannot load the noiselab native addon/);
});
