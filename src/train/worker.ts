// Worker process of the run executors: `node dist/src/train/worker.js <stagingDir>`.
// Reads unit.json, trains, writes artifacts and finally result.json (the
// runner's contract, docs/runner.md). Progress goes to stdout as JSON lines.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RESULT_FILE, UNIT_FILE } from "../runner/unit.js";
import type { WorkerInput, WorkerResult } from "../runner/unit.js";
import type { RunConfig } from "./config.js";
import { trainRun } from "./train.js";

const stagingDir = process.argv[2];
if (!stagingDir) {
  console.error("usage: worker.js <stagingDir>");
  process.exit(2);
}
const unit = JSON.parse(readFileSync(join(stagingDir, UNIT_FILE), "utf8")) as WorkerInput;
let reported = 0;
const outcome = await trainRun(unit.config as RunConfig, stagingDir, {
  threads: unit.threads,
  onProgress: (fraction) => {
    // A line per percent at most: progress is for humans.
    if (fraction - reported >= 0.01 || fraction === 1) {
      reported = fraction;
      process.stdout.write(`${JSON.stringify({ progress: fraction })}\n`);
    }
  },
});
const result: WorkerResult = { metrics: outcome.metrics, evalEpochs: outcome.evalEpochs, metadata: outcome.metadata };
writeFileSync(join(stagingDir, RESULT_FILE), JSON.stringify(result, null, 1));
