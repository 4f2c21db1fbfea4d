import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, writeFileSync } from "node:fs";
import type { WriteStream } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import type { RunStore, RunTiming } from "../store/run-store.js";
import { contentHash } from "../run-unit/hash.js";
import type { AllocatorName } from "../environment/allocator.js";
import { allocatorEnv, defaultAllocator } from "../environment/allocator.js";
import { resolveProcesses, unitThreads } from "./parallelism.js";
import type { ProgressSnapshot, RunningUnit } from "./progress.js";
import type { RunUnit, WorkerInput } from "../run-unit/unit.js";
import { isRecord, readWorkerError, readWorkerResult, STDERR_LOG, STDOUT_LOG, UNIT_FILE, WorkerResultError } from "../run-unit/unit.js";

export interface RunFailure {
  key: string;
  label: string;
  error: string;
}

/** Outcome of one batch; counts are of distinct run keys. */
export interface RunSummary {
  /** Completed in this batch. */
  done: number;
  /** Already done in the store, with their artifacts whole. */
  skipped: number;
  failed: number;
  failures: RunFailure[];
  /** Done in the store but with damaged artifacts (`error` says which): run again in this batch. */
  redone: RunFailure[];
}

/**
 * Runs units and records their outcomes in a store. Implementations differ in where the
 * workers run (a local pool now; a job queue or a job array later, see docs/runner.md),
 * not in the unit contract.
 */
export interface Executor {
  run(units: readonly RunUnit[], store: RunStore): Promise<RunSummary>;
}

/**
 * The batch was stopped by a signal or an AbortSignal before it finished. Runs completed
 * before the stop are recorded; the others left nothing behind. The caller should close
 * the store and exit with `exitCode`.
 */
export class RunInterruptedError extends Error {
  override name = "RunInterruptedError";
  constructor(
    readonly signal: NodeJS.Signals | null,
    readonly summary: RunSummary,
  ) {
    super(`interrupted${signal ? ` by ${signal}` : ""}: ${summary.done} runs completed, ${summary.failed} failed before the stop`);
  }

  /** 128 + signal number, as shells report a death by that signal. */
  get exitCode(): number {
    if (this.signal === "SIGHUP") return 129;
    if (this.signal === "SIGINT") return 130;
    if (this.signal === "SIGTERM") return 143;
    return 1;
  }
}

export interface LocalPoolExecutorOptions {
  /** Script run as `node <workerScript> <stagingDir>` for each unit. */
  workerScript: string;
  /**
   * Default: floor(cores / the most threads a pending unit asks for), at most the runs still to do.
   * Each worker uses exactly its unit's threads (`config.environment.threads`).
   */
  processes?: number;
  /** Memory allocator of the workers (default: defaultAllocator()). */
  allocator?: AllocatorName;
  /** Extra environment for workers, over this process's. */
  env?: Record<string, string>;
  onProgress?: (snapshot: ProgressSnapshot) => void;
  /** Time a worker gets between SIGTERM and SIGKILL when the batch stops. Default 5000 ms. */
  killGraceMs?: number;
  /** Stop the batch when this aborts, as SIGINT would. */
  signal?: AbortSignal;
  /** Stop the batch on SIGINT/SIGTERM/SIGHUP to this process (default true). A second signal kills the workers at once. */
  handleSignals?: boolean;
}

const GUARD_URL = new URL("./orphan-guard.js", import.meta.url).href;
const STDERR_TAIL_LINES = 20;
const STDERR_TAIL_BYTES = 16 * 1024;
const STOP_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
/** Env var through which a worker's orphan guard learns its parent's pid. */
export const PARENT_PID_ENV = "NOISELAB_PARENT_PID";
const SIGINT_SETTLE_MS = 200;

/** Runs each unit in its own child process, at most `processes` at a time. */
export class LocalPoolExecutor implements Executor {
  constructor(private readonly options: LocalPoolExecutorOptions) {}

  async run(units: readonly RunUnit[], store: RunStore): Promise<RunSummary> {
    const workerScript = resolve(this.options.workerScript);
    if (!existsSync(workerScript)) throw new Error(`worker script ${workerScript} does not exist`);
    const groups = groupByKey(units, store);
    const summary: RunSummary = { done: 0, skipped: 0, failed: 0, failures: [], redone: [] };
    const pending: RunUnit[][] = [];
    for (const group of groups) {
      const [first] = group;
      if (store.isDone(first.key)) {
        const damage = store.checkArtifacts(first.key);
        if (damage === undefined) {
          for (const unit of group) store.linkRun(unit);
          summary.skipped++;
          continue;
        }
        store.invalidateRun(first.key, damage);
        summary.redone.push({ key: first.key, label: first.label, error: damage });
      }
      pending.push(group);
    }
    const threads = Math.max(1, ...pending.map(([unit]) => unitThreads(unit.config)));
    const processes = resolveProcesses(this.options.processes, threads, pending.length);
    const batch = new PoolBatch(store, workerScript, this.options, processes, summary, pending, groups.length);
    return batch.execute();
  }
}

/** One unit per distinct key, in order; checks the contract before anything runs. */
function groupByKey(units: readonly RunUnit[], store: RunStore): RunUnit[][] {
  const groups = new Map<string, RunUnit[]>();
  const defined = new Set<string>();
  for (const unit of units) {
    if (contentHash(unit.config) !== unit.key) throw new Error(`run unit "${unit.label}": key is not the content hash of its config`);
    if (!defined.has(unit.experiment)) {
      if (!store.getExperiment(unit.experiment)) {
        throw new Error(`run unit "${unit.label}": experiment "${unit.experiment}" is not defined in the store (defineExperiment first)`);
      }
      defined.add(unit.experiment);
    }
    const group = groups.get(unit.key);
    if (group) group.push(unit);
    else groups.set(unit.key, [unit]);
  }
  return [...groups.values()];
}

interface ActiveWorker extends RunningUnit {
  child: ChildProcess;
  killTimer?: NodeJS.Timeout;
}

interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
  logError?: Error;
  stderrTail: string;
}

type StopReason = { kind: "signal"; signal: NodeJS.Signals } | { kind: "abort" } | { kind: "error"; error: unknown };

/** State of one `LocalPoolExecutor.run` call. */
class PoolBatch {
  private readonly running = new Map<string, ActiveWorker>();
  private readonly completedSeconds: number[] = [];
  private readonly startedAtMs = Date.now();
  private stopReason: StopReason | undefined;

  constructor(
    private readonly store: RunStore,
    private readonly workerScript: string,
    private readonly options: LocalPoolExecutorOptions,
    private readonly processes: number,
    private readonly summary: RunSummary,
    private readonly queue: RunUnit[][],
    private readonly total: number,
  ) {}

  async execute(): Promise<RunSummary> {
    const onSignal = (signal: NodeJS.Signals) => this.stop({ kind: "signal", signal });
    const onAbort = () => this.stop({ kind: "abort" });
    if (this.options.handleSignals !== false) for (const s of STOP_SIGNALS) process.on(s, onSignal);
    this.options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      if (this.options.signal?.aborted) this.stop({ kind: "abort" });
      this.emit();
      const lanes = Array.from({ length: Math.min(this.processes, this.queue.length) }, () => this.lane());
      await Promise.all(lanes);
    } finally {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      this.options.signal?.removeEventListener("abort", onAbort);
    }
    this.emit();
    const reason = this.stopReason;
    if (reason?.kind === "error") throw reason.error;
    if (reason) throw new RunInterruptedError(reason.kind === "signal" ? reason.signal : null, this.summary);
    return this.summary;
  }

  private async lane(): Promise<void> {
    while (!this.stopReason) {
      const group = this.queue.shift();
      if (!group) return;
      try {
        await this.runUnit(group);
      } catch (error) {
        // The store failed (disk full, database locked): no point starting more runs.
        this.stop({ kind: "error", error });
      }
    }
  }

  /** Stop starting units and ask running workers to exit; a second stop kills them. */
  private stop(reason: StopReason): void {
    if (this.stopReason) {
      for (const worker of this.running.values()) worker.child.kill("SIGKILL");
      return;
    }
    this.stopReason = reason;
    const graceMs = this.options.killGraceMs ?? 5000;
    for (const worker of this.running.values()) {
      worker.child.kill("SIGTERM");
      worker.killTimer = setTimeout(() => worker.child.kill("SIGKILL"), graceMs);
    }
  }

  private async runUnit(group: RunUnit[]): Promise<void> {
    const [unit, ...sameRun] = group;
    const staging = this.store.createStaging(unit.key);
    const input: WorkerInput = { ...unit, threads: unitThreads(unit.config) };
    writeFileSync(join(staging, UNIT_FILE), `${JSON.stringify(input, null, 2)}\n`);
    const startedAt = new Date();
    const t0 = performance.now();
    const exit = await this.spawnWorker(unit, staging);
    const timing: RunTiming = { startedAt, finishedAt: new Date(), wallSeconds: (performance.now() - t0) / 1000 };

    let error: string;
    if (exit.logError) {
      error = `could not write the worker's log: ${exit.logError.message}`;
    } else if (exit.code === 0) {
      try {
        const result = readWorkerResult(staging);
        this.store.commitRun(unit, staging, result, timing);
        for (const other of sameRun) this.store.linkRun(other);
        this.summary.done++;
        this.completedSeconds.push(timing.wallSeconds);
        this.emit();
        return;
      } catch (err) {
        if (!(err instanceof WorkerResultError)) {
          this.store.discardStaging(staging);
          throw err;
        }
        error = `worker exited 0 but ${err.message}`;
      }
    } else if (exit.spawnError) {
      error = `could not start the worker: ${exit.spawnError.message}`;
    } else {
      const how = exit.signal ? `worker killed by ${exit.signal}` : `worker exited with code ${exit.code}`;
      // The worker's own account of the cause comes first: the stderr tail ends in the runtime's footer.
      const cause = readWorkerError(staging);
      error = cause === undefined ? how : `${cause}\n(${how})`;
    }
    this.store.discardStaging(staging);
    // Ctrl-C in a terminal sends SIGINT to the workers as well as to us, and their deaths
    // may be seen before our own signal handler runs: give it the chance to run first.
    if (exit.signal === "SIGINT" && !this.stopReason) await new Promise((done) => setTimeout(done, SIGINT_SETTLE_MS));
    // A worker that fails while we stop it is a casualty of the stop, not a failed run.
    if (this.stopReason) {
      this.emit();
      return;
    }
    if (exit.stderrTail) error += `\n${exit.stderrTail}`;
    this.store.recordFailure(unit, error, timing);
    for (const other of sameRun) this.store.linkRun(other);
    this.summary.failed++;
    this.summary.failures.push({ key: unit.key, label: unit.label, error });
    this.emit();
  }

  private spawnWorker(unit: RunUnit, staging: string): Promise<WorkerExit> {
    const threads = String(unitThreads(unit.config));
    const child = spawn(process.execPath, ["--import", GUARD_URL, this.workerScript, staging], {
      env: { ...allocatorEnv(this.options.allocator ?? defaultAllocator()), OMP_NUM_THREADS: threads, ...this.options.env, NOISELAB_THREADS: threads, [PARENT_PID_ENV]: String(process.pid) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const worker: ActiveWorker = { key: unit.key, label: unit.label, startedAtMs: Date.now(), fraction: null, child };
    this.running.set(unit.key, worker);
    this.emit();

    const stdoutLog = createWriteStream(join(staging, STDOUT_LOG));
    const stderrLog = createWriteStream(join(staging, STDERR_LOG));
    let stderrTail = "";
    let logError: Error | undefined;
    for (const log of [stdoutLog, stderrLog]) log.on("error", (err) => (logError ??= err));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const fraction = progressFraction(line);
      if (fraction === undefined) {
        stdoutLog.write(`${line}\n`);
      } else {
        worker.fraction = fraction;
        this.emit();
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderrLog.write(chunk);
      stderrTail = (stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
    });

    return new Promise((resolveExit) => {
      let spawnError: Error | undefined;
      let finished = false;
      const finish = async (code: number | null, signal: NodeJS.Signals | null) => {
        if (finished) return;
        finished = true;
        clearTimeout(worker.killTimer);
        this.running.delete(unit.key);
        await Promise.all([closeStream(stdoutLog), closeStream(stderrLog)]);
        resolveExit({ code, signal, spawnError, logError, stderrTail: lastLines(stderrTail, STDERR_TAIL_LINES) });
      };
      child.on("error", (err) => {
        spawnError = err;
        // A child that never started emits no "close".
        if (child.pid === undefined) void finish(null, null);
      });
      child.on("close", (code, signal) => void finish(code, signal));
    });
  }

  private emit(): void {
    this.options.onProgress?.({
      total: this.total,
      skipped: this.summary.skipped,
      done: this.summary.done,
      failed: this.summary.failed,
      queued: this.stopReason ? 0 : this.queue.length,
      processes: this.processes,
      startedAtMs: this.startedAtMs,
      running: [...this.running.values()].map(({ key, label, startedAtMs, fraction }) => ({ key, label, startedAtMs, fraction })),
      completedSeconds: [...this.completedSeconds],
    });
  }
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
