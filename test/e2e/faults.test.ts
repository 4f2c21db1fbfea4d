// Faults a user meets through the CLI: a changed spec under a used name, a deleted or damaged
// artifact, a store directory that is a file. Each gives one line and exit 2, or is repaired.
import assert from "node:assert/strict";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { listRuns, noiselab, tempDir, tinySpec, writeSpec } from "./cli.js";

describe("noiselab run and report under faults", () => {
  const dir = tempDir("faults");
  const store = join(dir, "store");
  const spec = writeSpec(dir, tinySpec("tiny", { variants: ["CONTROL"], replicates: 2, training: { epochs: 1, batchSize: 32 } }));

  test("the first run trains both replicates", () => {
    const r = noiselab(["run", spec, "--store", store, "--processes", "2", "--threads", "1"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /2 trained, 0 already done, 0 failed/);
  });

  test("running the experiment again with other flags is refused, and --name keeps the new one apart", () => {
    const r = noiselab(["run", spec, "--store", store, "--replicates", "3"]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^noiselab run: experiment "tiny" is already in this store with another spec \(differs in replicates\); to run this spec as well, give it another name \(--name tiny-2\), or use another --store$/m);
    assert.equal(listRuns(store, "tiny").length, 2, "the stored experiment is unchanged");

    const apart = noiselab(["run", spec, "--store", store, "--replicates", "3", "--name", "tiny-3", "--processes", "1", "--threads", "1"]);
    assert.equal(apart.status, 0, apart.stderr);
    assert.match(apart.stderr, /1 trained, 2 already done, 0 failed/);
    assert.equal(listRuns(store, "tiny").length, 2);
    assert.equal(listRuns(store, "tiny-3").length, 3);
  });

  test("a deleted artifact of a done run is found by the next run, which trains that run again", () => {
    const [first] = listRuns(store, "tiny");
    const predictions = readdirSync(join(store, "runs", first.key)).find((n) => n.startsWith("predictions-"));
    assert.ok(predictions);
    rmSync(join(store, "runs", first.key, predictions));
    const r = noiselab(["run", spec, "--store", store, "--processes", "1", "--threads", "1"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`redone ${first.label.replace("/", "\\/")}: artifact runs/${first.key}/${predictions} is missing`));
    assert.match(r.stderr, /1 trained, 1 already done, 0 failed/);
    const report = noiselab(["report", "tiny", "--store", store, "--out", join(dir, "report"), "--format", "md"]);
    assert.equal(report.status, 0, report.stderr);
  });

  test("a garbled result.json: report says which file, in one line, with exit 2", () => {
    const [first] = listRuns(store, "tiny");
    writeFileSync(join(store, "runs", first.key, "result.json"), "{ garbled");
    const r = noiselab(["report", "tiny", "--store", store, "--out", join(dir, "garbled"), "--format", "md"]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^noiselab report: .*runs/${first.key}/result\\.json: the stored run's file is damaged`));
  });

  test("--store pointing at a file: one line, exit 2", () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    for (const args of [["ls"], ["report", "tiny"], ["run", spec]]) {
      const r = noiselab([...args, "--store", file]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^noiselab \w+: store .*a-file: not a directory\n$/);
    }
  });
});
