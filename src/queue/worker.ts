import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Job } from "bullmq";
import { Worker } from "bullmq";
import type { AllocatorName } from "../environment/allocator.js";
import type { WorkerProcess } from "../runner/worker-process.js";
import { startWorker, workerOutcome } from "../runner/worker-process.js";
import type { RunUnit } from "../run-unit/unit.js";
import type { RedisTarget } from "./connection.js";
import { connect, connectChecked, KEY_PREFIX, queueName } from "./connection.js";
import type { Shipment } from "./transfer.js";
import { shipDir } from "./transfer.js";

/** What a job carries: the unit, exactly as the local pool would run it. */
export interface UnitJobData {
  unit: RunUnit;
}

/** A finished job's return value: the run dir, shipped through Redis, and the attempt's timing. */
export interface UnitJobResult {
  shipment: Shipment;
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  /** The worker that trained it: host/pid. */
  worker: string;
}

export interface QueueWorkerOptions {
  target: RedisTarget;
  /** Script run as `node <workerScript> <stagingDir>` for each unit. */
  workerScript: string;
  /** Device kinds this machine offers (e.g. ["cpu"] or ["cuda"]); it listens on those queues only. */
  devices: string[];
  /** Units trained at once. */
  concurrency: number;
  allocator?: AllocatorName;
  /** Where staging dirs go (a local temporary directory: no store, no shared file system). */
  workDir: string;
  /** Seconds a unit stays with a worker that stopped answering before it is handed to another. */
  leaseSeconds: number;
  /** Called with one line per event worth a log line. */
  log: (line: string) => void;
  /** Resolves the returned promise (after the running units are stopped) when this aborts. */
  signal: AbortSignal;
}

/** Times BullMQ may find a unit's worker gone before it fails the unit; a crash of the unit itself fails it at once. */
const MAX_STALLS = 5;

/**
 * Takes units from the queues of this machine's device kinds and trains each through the same
 * worker process as the local pool, in a staging dir under `workDir`. A finished run dir is
 * shipped through Redis (chunked, checksummed) and its manifest returned as the job's result; a
 * failed attempt fails the job with the error the local pool would record.
 */
export async function serveQueue(options: QueueWorkerOptions): Promise<void> {
  const probe = await connectChecked(options.target);
  probe.disconnect();
  mkdirSync(options.workDir, { recursive: true });
  const running = new Set<WorkerProcess>();
  const shipper = connect(options.target);
  const id = `${hostname()}/${process.pid}`;
  const processUnit = async (job: Job<UnitJobData>): Promise<UnitJobResult> => {
    const { unit } = job.data;
    const staging = mkdtempSync(join(options.workDir, `${unit.key}.`));
    options.log(`start ${unit.label} (${unit.key.slice(0, 12)})`);
    try {
      let reported = 0;
      const worker = startWorker({
        workerScript: options.workerScript,
        stagingDir: staging,
        unit,
        allocator: options.allocator,
        onProgress: (fraction) => {
          if (fraction - reported < 0.05 && fraction < 1) return;
          reported = fraction;
          job.updateProgress(fraction).catch(() => {});
        },
      });
      running.add(worker);
      const exit = await worker.exited;
      running.delete(worker);
      if (options.signal.aborted) {
        // Stopped by us: neither a result nor a failure. The job keeps its lock until the lease runs
        // out and then goes to another worker, so this attempt must never settle.
        rmSync(staging, { recursive: true, force: true });
        await new Promise(() => {});
      }
      const outcome = workerOutcome(exit, staging);
      if (outcome.error !== undefined) {
        options.log(`failed ${unit.label}: ${outcome.error.split("\n")[0]}`);
        throw new Error(exit.stderrTail ? `${outcome.error}\n${exit.stderrTail}` : outcome.error);
      }
      const shipment = await shipDir(shipper, staging);
      options.log(`done ${unit.label} in ${exit.wallSeconds.toFixed(1)} s`);
      return { shipment, startedAt: exit.startedAt.toISOString(), finishedAt: exit.finishedAt.toISOString(), wallSeconds: exit.wallSeconds, worker: id };
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  };
  const connections = [shipper];
  const workers = options.devices.map((kind) => {
    const connection = connect(options.target);
    connections.push(connection);
    return new Worker<UnitJobData, UnitJobResult>(queueName(kind), processUnit, {
        connection,
        prefix: KEY_PREFIX,
        // Shown by `CLIENT LIST` and Queue.getWorkers(): the machine and what it offers.
        name: `${hostname()}-${process.pid}-${kind}-x${options.concurrency}`,
        concurrency: options.concurrency,
        lockDuration: options.leaseSeconds * 1000,
        stalledInterval: Math.max(1000, (options.leaseSeconds * 1000) / 2),
        maxStalledCount: MAX_STALLS,
      });
  });
  for (const worker of workers) worker.on("error", (err) => options.log(`queue error: ${err.message}`));
  options.log(`worker ${id} serving ${options.devices.map(queueName).join(", ")} on ${options.target.shown}, ${options.concurrency} at a time (each with its run's threads)`);
  await new Promise<void>((done) => {
    if (options.signal.aborted) done();
    else options.signal.addEventListener("abort", () => done(), { once: true });
  });
  // Units in progress are abandoned: their jobs stall and go to another worker after the lease.
  for (const worker of running) worker.child.kill("SIGTERM");
  await Promise.all(workers.map((worker) => worker.close(true)));
  // BullMQ leaves connections it was given open.
  for (const connection of connections) connection.disconnect();
}
