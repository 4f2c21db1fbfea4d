// Worker process of the run executors: `node dist/src/train/worker.js <stagingDir>`.
// Reads unit.json, trains, writes artifacts and finally result.json (the
// runner's contract, docs/runner.md). Progress goes to stdout as JSON lines.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isCommandConfig } from "../command/config.js";
import { ScriptError, runCommandUnit, runTimeoutFromEnv } from "../command/run.js";
import { activeAllocator } from "../environment/allocator.js";
import { FINGERPRINT_FILE, collectFingerprint } from "../environment/fingerprint.js";
import { RESULT_FILE, UNIT_FILE, writeWorkerError } from "../run-unit/unit.js";
import type { WorkerInput, WorkerResult } from "../run-unit/unit.js";
import type { RunConfig } from "./config.js";

const stagingDir = process.argv[2];
if (!stagingDir) {
  console.error("usage: worker.js <stagingDir>");
  process.exit(2);
}
// A failure's cause goes to error.json for the parent to record as the run's error; the stack to stderr.log.
process.on("uncaughtException", (err) => {
  writeWorkerError(stagingDir, err);
  // A failed script's stderr tells its story; the worker's stack would push it out of the logged tail.
  if (!(err instanceof ScriptError)) console.error(err);
  process.exit(1);
});
const unit = JSON.parse(readFileSync(join(stagingDir, UNIT_FILE), "utf8")) as WorkerInput;
let reported = 0;
const outcome = isCommandConfig(unit.config)
  ? await runCommandUnit(unit.config, stagingDir, { timeoutSeconds: runTimeoutFromEnv(process.env) })
  : // Loaded here, so that a command's worker never loads the engine.
    await (await import("./train.js")).trainRun(unit.config as RunConfig, stagingDir, {
      onProgress: (fraction) => {
        // A line per percent at most: progress is for humans.
        if (fraction - reported >= 0.01 || fraction === 1) {
          reported = fraction;
          process.stdout.write(`${JSON.stringify({ progress: fraction })}\n`);
        }
      },
    });
// The allocator is recorded with the environment, not in the run's config: it does not change numerics.
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
// A script's libtorch is the one its Python loads, as the package reported it; without a report, the run has no fingerprint.
const libtorch = "libtorch" in outcome ? outcome.libtorch : (await import("../torch/index.js")).buildInfo();
const fingerprint = libtorch && collectFingerprint(libtorch, (unit.config as RunConfig).environment.device, activeAllocator());
if (fingerprint) writeFileSync(join(stagingDir, FINGERPRINT_FILE), `${JSON.stringify(fingerprint, null, 1)}\n`);
const result: WorkerResult = {
  metrics: { ...outcome.metrics, peakRssBytes },
  evalEpochs: outcome.evalEpochs,
  metadata: { ...outcome.metadata, allocator: activeAllocator(), peakRssBytes, ...(fingerprint && { toolchain: fingerprint.toolchain }) },
};
writeFileSync(join(stagingDir, RESULT_FILE), JSON.stringify(result, null, 1));
