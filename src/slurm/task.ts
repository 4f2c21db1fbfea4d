// One array task of `noiselab run --slurm`: `node task.js <batchDir> <index>`. Trains unit <index>
// of the batch through the same worker process as the local pool, then renames its run dir into
// results/ whole (or writes failed/<key>.json). It never opens the store.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startWorker, workerOutcome } from "../runner/worker-process.js";
import type { TaskTiming } from "./batch.js";
import { FAILED_DIR, readUnits, RESULTS_DIR } from "./batch.js";

const [batchDir, index] = process.argv.slice(2);
const unit = readUnits(batchDir)[Number(index)];
if (!unit) {
  console.error(`noiselab slurm task: no unit ${index} in ${batchDir}`);
  process.exit(2);
}
const result = join(batchDir, RESULTS_DIR, unit.key);
if (existsSync(result)) process.exit(0); // a requeued task whose first attempt finished
const staging = join(batchDir, RESULTS_DIR, `.${unit.key}.${hostname()}.${process.pid}`);
mkdirSync(staging, { recursive: true });
const worker = startWorker({ workerScript: fileURLToPath(new URL("../train/worker.js", import.meta.url)), stagingDir: staging, unit });
// scancel and preemption send SIGTERM: pass it on, and leave nothing that looks finished.
process.on("SIGTERM", () => worker.child.kill("SIGTERM"));
const exit = await worker.exited;
const timing: TaskTiming = { startedAt: exit.startedAt.toISOString(), finishedAt: exit.finishedAt.toISOString(), wallSeconds: exit.wallSeconds, host: hostname() };
const outcome = workerOutcome(exit, staging);
console.error(`noiselab slurm task ${index}: ${unit.label} ${outcome.error === undefined ? "done" : `failed: ${outcome.error.split("\n")[0]}`} in ${exit.wallSeconds.toFixed(1)} s`);
if (outcome.error !== undefined) {
  if (exit.signal !== "SIGTERM") {
    const error = exit.stderrTail ? `${outcome.error}\n${exit.stderrTail}` : outcome.error;
    writeFileSync(join(batchDir, FAILED_DIR, `${unit.key}.json`), `${JSON.stringify({ error, ...timing })}\n`);
  }
  rmSync(staging, { recursive: true, force: true });
  process.exit(1);
}
writeFileSync(`${result}.json`, `${JSON.stringify(timing)}\n`);
renameSync(staging, result);
