import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Executor, RunSummary } from "../runner/executor.js";
import { planBatch, RunInterruptedError, STOP_SIGNALS } from "../runner/executor.js";
import type { ProgressSnapshot } from "../runner/progress.js";
import type { RunStore } from "../store/run-store.js";
import type { RunUnit } from "../run-unit/unit.js";
import { isRecord, readWorkerResult, WorkerResultError } from "../run-unit/unit.js";
import type { SbatchOptions } from "./batch.js";
import { FAILED_DIR, LOGS_DIR, liveTasks, readJobId, readUnits, RESULTS_DIR, submit, submittedBatches, writeBatch } from "./batch.js";

/** What one look at a store's Slurm batches did. */
export interface SlurmCollection {
  /** Keys whose run dir this call committed. */
  committed: Set<string>;
  /** Keys recorded failed by this call, with the error. */
  failed: Map<string, string>;
  /** Keys whose array task Slurm still has (pending or running). */
  live: Set<string>;
}

/**
 * Commits the run dirs that finished array tasks left in the store's Slurm batches, records the
 * failed tasks and the tasks that vanished without a result (scancel, preemption, time limit, node
 * failure) as failed runs, so that the next `run` resubmits them, and deletes a batch once Slurm has
 * none of its tasks left. Completed runs are never trained again. Called by `run` and `report`.
 */
export function collectSlurm(store: RunStore): SlurmCollection {
  const collection: SlurmCollection = { committed: new Set(), failed: new Map(), live: new Set() };
  for (const batchDir of submittedBatches(store.dir)) {
    const jobId = readJobId(batchDir) as string;
    // squeue first: a task it no longer lists has written everything it will write.
    const live = liveTasks(jobId);
    let pending = false;
    for (const [index, unit] of readUnits(batchDir).entries()) {
      const resultDir = join(batchDir, RESULTS_DIR, unit.key);
      const failedFile = join(batchDir, FAILED_DIR, `${unit.key}.json`);
      if (existsSync(resultDir)) {
        commitResult(store, unit, resultDir, collection);
      } else if (existsSync(failedFile)) {
        const record = readJson(failedFile);
        const error = isRecord(record) && typeof record.error === "string" ? record.error : `Slurm task ${jobId}_${index} failed`;
        fail(store, unit, error, record, collection);
        rmSync(failedFile, { force: true });
      } else if (live === undefined || live.has(index)) {
        collection.live.add(unit.key);
        pending = true;
      } else if (!store.isDone(unit.key)) {
        const log = join(batchDir, LOGS_DIR, `${index}.out`);
        fail(store, unit, `Slurm task ${jobId}_${index} ended without a result (cancelled, preempted, out of time or its node failed)${tail(log)}`, undefined, collection);
      }
    }
    if (!pending) rmSync(batchDir, { recursive: true, force: true });
  }
  return collection;
}

function commitResult(store: RunStore, unit: RunUnit, resultDir: string, collection: SlurmCollection): void {
  const timing = readJson(`${resultDir}.json`);
  try {
    const result = readWorkerResult(resultDir);
    store.commitRun(unit, resultDir, result, taskTiming(timing));
    collection.committed.add(unit.key);
  } catch (err) {
    if (!(err instanceof WorkerResultError)) throw err;
    fail(store, unit, `worker exited 0 but ${err.message}`, timing, collection);
    rmSync(resultDir, { recursive: true, force: true });
  }
  rmSync(`${resultDir}.json`, { force: true });
}

function fail(store: RunStore, unit: RunUnit, error: string, timing: unknown, collection: SlurmCollection): void {
  if (store.isDone(unit.key)) return;
  store.recordFailure(unit, error, taskTiming(timing));
  collection.failed.set(unit.key, error);
}

function taskTiming(value: unknown): { startedAt: Date; finishedAt: Date; wallSeconds: number } {
  const now = new Date();
  if (!isRecord(value) || typeof value.startedAt !== "string" || typeof value.finishedAt !== "string" || typeof value.wallSeconds !== "number") {
    return { startedAt: now, finishedAt: now, wallSeconds: 0 };
  }
  return { startedAt: new Date(value.startedAt), finishedAt: new Date(value.finishedAt), wallSeconds: value.wallSeconds };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

/** The last lines of a task's log, as lines after the cause. */
function tail(log: string): string {
  try {
    const lines = readFileSync(log, "utf8").trimEnd().split("\n").slice(-20).join("\n");
    return lines === "" ? "" : `\n${lines}`;
  } catch {
    return "";
  }
}

export interface SlurmExecutorOptions {
  sbatch: SbatchOptions;
  /** Submit (and collect what is finished) and return without waiting for the job. */
  detach?: boolean;
  onProgress?: (snapshot: ProgressSnapshot) => void;
  log?: (line: string) => void;
  /** How often squeue is asked (default 2000 ms). */
  pollMs?: number;
  /** Stop waiting on SIGINT/SIGTERM/SIGHUP (default true); the job keeps running. */
  handleSignals?: boolean;
}

/**
 * Runs units as one Slurm job array: one task per unit, writing into the store's directory on the
 * shared file system; this process commits what the tasks leave (collectSlurm) while polling squeue.
 * Runs whose task is still queued or running from an earlier submission are waited for, not resubmitted.
 */
export class SlurmExecutor implements Executor {
  constructor(private readonly options: SlurmExecutorOptions) {}

  async run(units: readonly RunUnit[], store: RunStore): Promise<RunSummary> {
    const first = collectSlurm(store);
    const { pending, summary, total } = planBatch(units, store);
    const outstanding = new Map(pending.map((group) => [group[0].key, group]));
    const toSubmit = pending.filter((group) => !first.live.has(group[0].key)).map((group) => group[0]);
    if (pending.length > toSubmit.length) this.options.log?.(`${pending.length - toSubmit.length} run(s) are still in an earlier job; waiting for them`);
    if (toSubmit.length > 0) {
      const batchDir = writeBatch(store.dir, toSubmit, this.options.sbatch);
      const jobId = submit(batchDir);
      this.options.log?.(`submitted job ${jobId}: ${toSubmit.length} array task(s), script ${join(batchDir, "job.sh")}`);
    }
    const startedAtMs = Date.now();
    const completedSeconds: number[] = [];
    let stopSignal: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => (stopSignal = signal);
    if (this.options.handleSignals !== false) for (const s of STOP_SIGNALS) process.on(s, onSignal);
    const emit = () =>
      this.options.onProgress?.({ total, skipped: summary.skipped, done: summary.done, failed: summary.failed, queued: outstanding.size, processes: 1, startedAtMs, running: [], completedSeconds: [...completedSeconds] });
    try {
      emit();
      while (outstanding.size > 0 && !this.options.detach && !stopSignal) {
        await new Promise((done) => setTimeout(done, this.options.pollMs ?? 2000));
        const collection = collectSlurm(store);
        for (const [key, group] of outstanding) {
          const error = collection.failed.get(key);
          if (collection.committed.has(key)) {
            summary.done++;
            const run = store.getRun(key);
            if (run) completedSeconds.push(run.wallSeconds);
          } else if (error !== undefined) {
            summary.failed++;
            summary.failures.push({ key, label: group[0].label, error });
          } else if (store.isDone(key)) {
            summary.skipped++;
          } else {
            continue;
          }
          for (const unit of group) store.linkRun(unit);
          outstanding.delete(key);
        }
        emit();
      }
    } finally {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    }
    summary.left = outstanding.size;
    if (stopSignal && outstanding.size > 0) throw new RunInterruptedError(stopSignal, summary);
    return summary;
  }
}
