import assert from "node:assert/strict";
import { test } from "node:test";
import { noiselab } from "../e2e/cli.js";

test("bench train --json prints imagesPerSecond and the settings; bad input exits 2", () => {
  const r = noiselab(["bench", "train", "--model", "smallcnn", "--batch", "8", "--steps", "2", "--warmup", "0", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { imagesPerSecond: number; stepSeconds: number[]; batch: number; threads: number; model: string };
  assert.ok(result.imagesPerSecond > 0);
  assert.equal(result.stepSeconds.length, 2);
  assert.deepEqual([result.model, result.batch, result.threads], ["smallcnn", 8, 1]);
  const bad = noiselab(["bench", "train", "--model", "alexnet"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown model "alexnet"/);
  assert.equal(noiselab(["bench", "infer"]).status, 2);
});
