import type { Job } from "bullmq";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { deviceKind, unitDevice } from "../runner/placement.js";
import type { Executor, RunSummary } from "../runner/executor.js";
import { planBatch, RunInterruptedError, STOP_SIGNALS } from "../runner/executor.js";
import type { ProgressSnapshot } from "../runner/progress.js";
import type { RunStore, RunTiming } from "../store/run-store.js";
import type { RunUnit } from "../run-unit/unit.js";
import { readWorkerResult, WorkerResultError } from "../run-unit/unit.js";
import type { RedisTarget } from "./connection.js";
import { connect, connectChecked, KEY_PREFIX, queueName } from "./connection.js";
import { asShipment, dropShipment, receiveDir, TransferError } from "./transfer.js";
import type { UnitJobData, UnitJobResult } from "./worker.js";

export interface QueueExecutorOptions {
  target: RedisTarget;
  /** Enqueue, collect what is finished already, and return without waiting for the rest. */
  detach?: boolean;
  onProgress?: (snapshot: ProgressSnapshot) => void;
  /** One line per event worth telling the user (enqueued, no worker for a device kind). */
  log?: (line: string) => void;
  /** How often the queue is looked at (default 500 ms). */
  pollMs?: number;
  /** Stop waiting on SIGINT/SIGTERM/SIGHUP (default true); the queue keeps its jobs. */
  handleSignals?: boolean;
}

interface Outstanding {
  group: RunUnit[];
  queue: Queue<UnitJobData, UnitJobResult>;
}

/**
 * Runs units on whichever machines run `noiselab worker` against the same Redis (BullMQ). Each
 * run is one job whose id is the run's key, so enqueuing a run twice adds nothing; jobs wait in
 * one queue per device kind. This process stays the only writer of the store: it downloads each
 * finished run dir from Redis and commits it, then deletes the job and its data. Jobs that are
 * not collected stay in Redis, and the next batch (or a detached one) collects them.
 */
export class QueueExecutor implements Executor {
  constructor(private readonly options: QueueExecutorOptions) {}

  async run(units: readonly RunUnit[], store: RunStore): Promise<RunSummary> {
    const { pending, summary, total } = planBatch(units, store);
    const redis = await connectChecked(this.options.target);
    const queues = new Map<string, Queue<UnitJobData, UnitJobResult>>();
    const connections = [redis];
    const outstanding = new Map<string, Outstanding>();
    const completedSeconds: number[] = [];
    const startedAtMs = Date.now();
    let stopSignal: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => (stopSignal = signal);
    if (this.options.handleSignals !== false) for (const s of STOP_SIGNALS) process.on(s, onSignal);
    try {
      for (const group of pending) {
        const kind = deviceKind(unitDevice(group[0].config));
        let queue = queues.get(kind);
        if (!queue) {
          const connection = connect(this.options.target);
          connections.push(connection);
          queue = new Queue<UnitJobData, UnitJobResult>(queueName(kind), { connection, prefix: KEY_PREFIX });
          queues.set(kind, queue);
        }
        outstanding.set(group[0].key, { group, queue });
      }
      for (const [kind, queue] of queues) {
        const groups = [...outstanding.values()].filter((o) => o.queue === queue).map((o) => o.group);
        // A run that failed in an earlier batch is tried again: its old job must go for the new one to be added.
        for (const group of groups) if ((await queue.getJobState(group[0].key)) === "failed") await (await queue.getJob(group[0].key))?.remove();
        await queue.addBulk(
          groups.map((group) => ({ name: group[0].label, data: { unit: group[0] }, opts: { jobId: group[0].key, attempts: 1, removeOnComplete: false, removeOnFail: false } })),
        );
        // CLIENT LIST is server-wide: count only the workers on this queue's database.
        const workers = (await queue.getWorkers()).filter((w) => Number(w.db) === (redis.options.db ?? 0)).length;
        this.options.log?.(`${groups.length} run(s) in queue ${queueName(kind)}; ${workers === 0 ? `no worker serves it yet (start one with: noiselab worker --queue URL${kind === "cpu" ? "" : ` --device ${kind}`})` : `${workers} worker(s) serve it`}`);
      }
      const emit = (active: Job<UnitJobData, UnitJobResult>[]) => {
        const running = active
          .filter((job) => job.id !== undefined && outstanding.has(job.id))
          .map((job) => ({ key: job.id as string, label: job.name, startedAtMs: job.processedOn ?? Date.now(), fraction: typeof job.progress === "number" ? job.progress : null }));
        this.options.onProgress?.({
          total,
          skipped: summary.skipped,
          done: summary.done,
          failed: summary.failed,
          queued: outstanding.size - running.length,
          processes: Math.max(1, running.length),
          startedAtMs,
          running,
          completedSeconds: [...completedSeconds],
        });
      };
      emit([]);
      for (;;) {
        const active: Job<UnitJobData, UnitJobResult>[] = [];
        for (const queue of queues.values()) {
          const [completed, failed, busy] = await Promise.all([queue.getJobs(["completed"]), queue.getJobs(["failed"]), queue.getJobs(["active"])]);
          for (const job of completed) {
            const entry = job.id === undefined ? undefined : outstanding.get(job.id);
            if (!entry) continue;
            const seconds = await collect(store, redis, entry.group, job, summary);
            if (seconds !== undefined) completedSeconds.push(seconds);
            outstanding.delete(entry.group[0].key);
          }
          for (const job of failed) {
            const entry = job.id === undefined ? undefined : outstanding.get(job.id);
            if (!entry) continue;
            recordFailedJob(store, entry.group, job, summary);
            await job.remove();
            outstanding.delete(entry.group[0].key);
          }
          active.push(...busy);
        }
        emit(active);
        if (outstanding.size === 0 || this.options.detach || stopSignal) break;
        await new Promise((done) => setTimeout(done, this.options.pollMs ?? 500));
      }
      summary.left = outstanding.size;
      if (stopSignal && outstanding.size > 0) throw new RunInterruptedError(stopSignal, summary);
      return summary;
    } finally {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      // BullMQ leaves connections it was given open.
      for (const connection of connections) connection.disconnect();
    }
  }
}

/**
 * Downloads a finished job's run dir into a staging dir and commits it, then deletes the job and its
 * data. A run that is done already (another coordinator collected it) is only linked. Returns the
 * run's wall seconds when this call committed it.
 */
async function collect(store: RunStore, redis: Redis, group: RunUnit[], job: Job<UnitJobData, UnitJobResult>, summary: RunSummary): Promise<number | undefined> {
  const [unit] = group;
  const value = job.returnvalue as UnitJobResult | null;
  const shipment = asShipment(value?.shipment);
  let committed: number | undefined;
  if (store.isDone(unit.key)) {
    summary.skipped++;
  } else if (!shipment || !value) {
    fail(store, group, "the worker's job result carries no run directory", jobTiming(job), summary);
  } else {
    const timing: RunTiming = { startedAt: new Date(value.startedAt), finishedAt: new Date(value.finishedAt), wallSeconds: value.wallSeconds };
    const staging = store.createStaging(unit.key);
    try {
      await receiveDir(redis, shipment, staging);
      store.commitRun(unit, staging, readWorkerResult(staging), timing);
      summary.done++;
      committed = timing.wallSeconds;
    } catch (err) {
      store.discardStaging(staging);
      if (!(err instanceof TransferError || err instanceof WorkerResultError)) throw err;
      if (store.isDone(unit.key)) summary.skipped++;
      else fail(store, group, `the run's files from worker ${value.worker} did not arrive whole: ${err.message}`, timing, summary);
    }
  }
  for (const other of group) store.linkRun(other);
  if (shipment) await dropShipment(redis, shipment);
  await job.remove();
  return committed;
}

function recordFailedJob(store: RunStore, group: RunUnit[], job: Job<UnitJobData, UnitJobResult>, summary: RunSummary): void {
  if (store.isDone(group[0].key)) {
    for (const unit of group) store.linkRun(unit);
    summary.skipped++;
    return;
  }
  fail(store, group, job.failedReason || "the job failed without a reason", jobTiming(job), summary);
}

function fail(store: RunStore, group: RunUnit[], error: string, timing: RunTiming, summary: RunSummary): void {
  const [unit, ...sameRun] = group;
  store.recordFailure(unit, error, timing);
  for (const other of sameRun) store.linkRun(other);
  summary.failed++;
  summary.failures.push({ key: unit.key, label: unit.label, error });
}

function jobTiming(job: Job): RunTiming {
  const startedAt = new Date(job.processedOn ?? job.timestamp);
  const finishedAt = new Date(job.finishedOn ?? Date.now());
  return { startedAt, finishedAt, wallSeconds: Math.max(0, (finishedAt.getTime() - startedAt.getTime()) / 1000) };
}
