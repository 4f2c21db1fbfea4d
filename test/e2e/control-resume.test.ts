// Issue 11: a run's thread count is part of its environment, so resuming or
// adding replicates must not give the new runs the spare cores as threads.
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { listRuns, noiselab, tempDir, tinySpec, writeSpec } from "./cli.js";

test("adding replicates to a CONTROL spec keeps it bitwise identical (the new run does not get the spare cores)", { skip: availableParallelism() < 2 && "needs at least 2 cores" }, () => {
  const dir = tempDir("control-resume");
  const store = join(dir, "store");
  // Big enough images and batches that libtorch splits its kernels over 2 threads.
  const spec = writeSpec(
    dir,
    tinySpec("control-resume", {
      dataset: { kind: "synthetic", trainSize: 256, testSize: 64, imageSize: [3, 32, 32], numClasses: 4, noise: 2 },
      variants: ["CONTROL"],
      replicates: 2,
      training: { epochs: 1, batchSize: 128 },
    }),
  );
  const first = noiselab(["run", spec, "--store", store]);
  assert.equal(first.status, 0, first.stderr);
  // A changed spec needs its own name; runs with the same config are shared, so r0 and r1 are not trained again.
  const more = noiselab(["run", spec, "--store", store, "--replicates", "3", "--name", "control-resume-3"]);
  assert.equal(more.status, 0, more.stderr);
  assert.match(more.stderr, /1 trained, 2 already done, 0 failed/);
  const runs = listRuns(store, "control-resume-3");
  assert.equal(runs.length, 3);
  assert.equal(new Set(runs.map((r) => r.weightsHash)).size, 1, `CONTROL replicates must share one weights hash: ${runs.map((r) => `${r.label} ${r.weightsHash}`).join(", ")}`);
});
