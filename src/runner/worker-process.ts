import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";
import type { WriteStream } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import type { AllocatorName } from "../environment/allocator.js";
import { allocatorEnv, defaultAllocator } from "../environment/allocator.js";
import type { RunUnit, WorkerInput, WorkerResult } from "../run-unit/unit.js";
import { isRecord, readWorkerError, readWorkerResult, STDERR_LOG, STDOUT_LOG, UNIT_FILE, WorkerResultError } from "../run-unit/unit.js";

/** Env var through which a worker's orphan guard learns its parent's pid. */
export const PARENT_PID_ENV = "NOISELAB_PARENT_PID";

import { unitThreads } from "./placement.js";

const GUARD_URL = new URL("./orphan-guard.js", import.meta.url).href;
const STDERR_TAIL_LINES = 20;
const STDERR_TAIL_BYTES = 16 * 1024;

/** One worker process to start on a unit, the same way for every executor (docs/runner.md, "The worker contract"). */
export interface WorkerLaunch {
  /** Script run as `node <workerScript> <stagingDir>`. */
  workerScript: string;
  /** An empty directory for the worker's files; unit.json is written into it first. */
  stagingDir: string;
  /** Its worker uses exactly the unit's threads (`config.environment.threads`): no executor changes them. */
  unit: RunUnit;
  /** Memory allocator of the worker (default: defaultAllocator()). */
  allocator?: AllocatorName;
  /** Extra environment, over this process's. */
  env?: Record<string, string>;
  /** Called with each `{"progress": f}` line of the worker. */
  onProgress?: (fraction: number) => void;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
  logError?: Error;
  /** The last lines of the worker's stderr. */
  stderrTail: string;
  startedAt: Date;
  finishedAt: Date;
  wallSeconds: number;
}

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<WorkerExit>;
}

/** The worker's result, or why the attempt failed: the cause first, then how it ended (no stderr tail). */
export type WorkerOutcome = { result: WorkerResult; error?: undefined } | { result?: undefined; error: string };

/** Writes unit.json and starts the worker; stdout and stderr go to the staging dir's logs. */
export function startWorker(launch: WorkerLaunch): WorkerProcess {
  const { stagingDir, unit } = launch;
  const input: WorkerInput = { ...unit, threads: unitThreads(unit.config) };
  writeFileSync(join(stagingDir, UNIT_FILE), `${JSON.stringify(input, null, 2)}\n`);
  const threads = String(input.threads);
  const startedAt = new Date();
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", GUARD_URL, launch.workerScript, stagingDir], {
    env: {
      ...allocatorEnv(launch.allocator ?? defaultAllocator()),
      OMP_NUM_THREADS: threads,
      ...launch.env,
      NOISELAB_THREADS: threads,
      [PARENT_PID_ENV]: String(process.pid),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdoutLog = createWriteStream(join(stagingDir, STDOUT_LOG));
  const stderrLog = createWriteStream(join(stagingDir, STDERR_LOG));
  let stderrTail = "";
  let logError: Error | undefined;
  for (const log of [stdoutLog, stderrLog]) log.on("error", (err) => (logError ??= err));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    const fraction = progressFraction(line);
    if (fraction === undefined) stdoutLog.write(`${line}\n`);
    else launch.onProgress?.(fraction);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderrLog.write(chunk);
    stderrTail = (stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
  });
  const exited = new Promise<WorkerExit>((resolveExit) => {
    let spawnError: Error | undefined;
    let finished = false;
    const finish = async (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      const finishedAt = new Date();
      const wallSeconds = (performance.now() - t0) / 1000;
      await Promise.all([closeStream(stdoutLog), closeStream(stderrLog)]);
      resolveExit({ code, signal, spawnError, logError, stderrTail: lastLines(stderrTail, STDERR_TAIL_LINES), startedAt, finishedAt, wallSeconds });
    };
    child.on("error", (err) => {
      spawnError = err;
      // A child that never started emits no "close".
      if (child.pid === undefined) void finish(null, null);
    });
    child.on("close", (code, signal) => void finish(code, signal));
  });
  return { child, exited };
}

/**
 * What a finished worker left: its valid result.json after exit 0, or the error of the attempt,
 * whose first line is the cause (the worker's error.json when it left one, else how it ended).
 */
export function workerOutcome(exit: WorkerExit, stagingDir: string): WorkerOutcome {
  if (exit.logError) return { error: `could not write the worker's log: ${exit.logError.message}` };
  if (exit.spawnError) return { error: `could not start the worker: ${exit.spawnError.message}` };
  if (exit.code === 0) {
    try {
      return { result: readWorkerResult(stagingDir) };
    } catch (err) {
      if (!(err instanceof WorkerResultError)) throw err;
      return { error: `worker exited 0 but ${err.message}` };
    }
  }
  const how = exit.signal ? `worker killed by ${exit.signal}` : `worker exited with code ${exit.code}`;
  // The worker's own account of the cause comes first: the stderr tail ends in the runtime's footer.
  const cause = readWorkerError(stagingDir);
  return { error: cause === undefined ? how : `${cause}\n(${how})` };
}

/** The fraction of a `{"progress": f}` line, clamped to [0, 1]; undefined for any other line. */
export function progressFraction(line: string): number | undefined {
  if (!line.startsWith("{")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || typeof parsed.progress !== "number" || !Number.isFinite(parsed.progress)) return undefined;
  return Math.min(1, Math.max(0, parsed.progress));
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}

/** Resolves once the stream is flushed or has failed (its error listener records why). */
function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((done) => {
    stream.once("error", () => done());
    stream.end(() => done());
  });
}
