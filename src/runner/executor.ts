import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { RunStore } from "../store/run-store.js";
import { CLAIM_RENEW_MS } from "../store/run-store.js";
import { contentHash } from "../run-unit/hash.js";
import type { AllocatorName } from "../environment/allocator.js";
import { resolveProcesses } from "./parallelism.js";
import { unitThreads } from "./placement.js";
import type { ProgressSnapshot, RunningUnit } from "./progress.js";
import type { RunUnit } from "../run-unit/unit.js";
import type { WorkerProcess } from "./worker-process.js";
import { startWorker, workerOutcome } from "./worker-process.js";

export { PARENT_PID_ENV, progressFraction } from "./worker-process.js";

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
  /** Runs still in the queue or the job array when a detached or interrupted batch returned. */
  left?: number;
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

/** The signals on which every executor stops waiting (a second one kills the local pool's workers at once). */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const SIGINT_SETTLE_MS = 200;

/** Runs each unit in its own child process, at most `processes` at a time. */
export class LocalPoolExecutor implements Executor {
  constructor(private readonly options: LocalPoolExecutorOptions) {}

  async run(units: readonly RunUnit[], store: RunStore): Promise<RunSummary> {
    const workerScript = resolve(this.options.workerScript);
    if (!existsSync(workerScript)) throw new Error(`worker script ${workerScript} does not exist`);
    const { pending, summary, total } = planBatch(units, store);
    const threads = Math.max(1, ...pending.map(([unit]) => unitThreads(unit.config)));
    const processes = resolveProcesses(this.options.processes, threads, pending.length);
    const batch = new PoolBatch(store, workerScript, this.options, processes, summary, pending, total);
    return batch.execute();
  }
}

/** A batch's runs that still need training, and the summary so far: done runs with whole artifacts are linked and counted skipped. */
export interface BatchPlan {
  /** One group per distinct key still to train; a group's units share the key (one per experiment). */
  pending: RunUnit[][];
  summary: RunSummary;
  /** Distinct keys in the batch. */
  total: number;
}

/**
 * Checks the units, links and counts the runs that are done with whole artifacts, and demotes done
 * runs with damaged artifacts so they are trained again. Every executor starts a batch with this.
 */
export function planBatch(units: readonly RunUnit[], store: RunStore): BatchPlan {
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
  return { pending, summary, total: groups.length };
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
  worker: WorkerProcess;
  killTimer?: NodeJS.Timeout;
}

type StopReason = { kind: "signal"; signal: NodeJS.Signals } | { kind: "abort" } | { kind: "error"; error: unknown };

/** How often a lane looks again at runs that another process is training. */
const HELD_POLL_MS = 250;

/** State of one `LocalPoolExecutor.run` call. */
class PoolBatch {
  private readonly running = new Map<string, ActiveWorker>();
  private readonly completedSeconds: number[] = [];
  private readonly startedAtMs = Date.now();
  /** Runs that another process on the store had claimed when their turn came. */
  private readonly held: RunUnit[][] = [];
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
    const renewal = setInterval(() => {
      try {
        this.store.renewClaims();
      } catch (error) {
        this.stop({ kind: "error", error });
      }
    }, CLAIM_RENEW_MS);
    try {
      if (this.options.signal?.aborted) this.stop({ kind: "abort" });
      this.emit();
      const lanes = Array.from({ length: Math.min(this.processes, this.queue.length) }, () => this.lane());
      await Promise.all(lanes);
    } finally {
      clearInterval(renewal);
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
      let group: RunUnit[] | null | undefined;
      try {
        group = this.queue.length > 0 ? this.claimNext() : await this.nextReleased();
      } catch (error) {
        this.stop({ kind: "error", error });
        return;
      }
      if (group === null) continue;
      if (group === undefined) return;
      try {
        await this.runUnit(group);
      } catch (error) {
        // The store failed (disk full, database locked): no point starting more runs.
        this.stop({ kind: "error", error });
      } finally {
        try {
          this.store.releaseClaim(group[0].key);
        } catch {
          // The store's failure has stopped the batch already.
        }
      }
    }
  }

  /** The next queued run, claimed; null when it turned out done or held by another process (set aside). */
  private claimNext(): RunUnit[] | null {
    const group = this.queue.shift() as RunUnit[];
    const claim = this.store.claimRun(group[0].key);
    if (claim === "claimed") return group;
    if (claim === "done") this.doneElsewhere(group);
    else this.held.push(group);
    this.emit();
    return null;
  }

  /**
   * Waits for a run that another process holds: returns it once its claim is free and it is not
   * done (that process stopped without finishing it), or undefined when none is left to wait for.
   */
  private async nextReleased(): Promise<RunUnit[] | undefined> {
    while (this.held.length > 0 && !this.stopReason) {
      for (let i = 0; i < this.held.length; i++) {
        const group = this.held[i];
        const claim = this.store.claimRun(group[0].key);
        if (claim === "held") continue;
        this.held.splice(i--, 1);
        if (claim === "done") {
          this.doneElsewhere(group);
          continue;
        }
        const run = this.store.getRun(group[0].key);
        if (run?.status === "failed" && Date.parse(run.finishedAt) >= this.startedAtMs) {
          // The other process's attempt failed during this batch: that is this batch's outcome too.
          this.store.releaseClaim(group[0].key);
          for (const unit of group) this.store.linkRun(unit);
          this.summary.failed++;
          this.summary.failures.push({ key: group[0].key, label: group[0].label, error: run.error ?? "failed" });
          this.emit();
          continue;
        }
        return group;
      }
      this.emit();
      if (this.held.length > 0) await new Promise((done) => setTimeout(done, HELD_POLL_MS));
    }
    return undefined;
  }

  /** Another process on the store trained this run while it waited in this batch. */
  private doneElsewhere(group: RunUnit[]): void {
    for (const unit of group) this.store.linkRun(unit);
    this.summary.skipped++;
  }

  /** Stop starting units and ask running workers to exit; a second stop kills them. */
  private stop(reason: StopReason): void {
    if (this.stopReason) {
      for (const active of this.running.values()) active.worker.child.kill("SIGKILL");
      return;
    }
    this.stopReason = reason;
    const graceMs = this.options.killGraceMs ?? 5000;
    for (const active of this.running.values()) {
      active.worker.child.kill("SIGTERM");
      active.killTimer = setTimeout(() => active.worker.child.kill("SIGKILL"), graceMs);
    }
  }

  private async runUnit(group: RunUnit[]): Promise<void> {
    const [unit, ...sameRun] = group;
    const staging = this.store.createStaging(unit.key);
    const active: ActiveWorker = { key: unit.key, label: unit.label, startedAtMs: Date.now(), fraction: null, worker: undefined as unknown as WorkerProcess };
    active.worker = startWorker({
      workerScript: this.workerScript,
      stagingDir: staging,
      unit,
      allocator: this.options.allocator,
      env: this.options.env,
      onProgress: (fraction) => {
        active.fraction = fraction;
        this.emit();
      },
    });
    this.running.set(unit.key, active);
    this.emit();
    const exit = await active.worker.exited;
    clearTimeout(active.killTimer);
    this.running.delete(unit.key);
    const timing = { startedAt: exit.startedAt, finishedAt: exit.finishedAt, wallSeconds: exit.wallSeconds };

    let outcome;
    try {
      outcome = workerOutcome(exit, staging);
      if (outcome.result) {
        this.store.commitRun(unit, staging, outcome.result, timing);
        for (const other of sameRun) this.store.linkRun(other);
        this.summary.done++;
        this.completedSeconds.push(timing.wallSeconds);
        this.emit();
        return;
      }
    } catch (err) {
      this.store.discardStaging(staging);
      throw err;
    }
    let error = outcome.error;
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

  private emit(): void {
    this.options.onProgress?.({
      total: this.total,
      skipped: this.summary.skipped,
      done: this.summary.done,
      failed: this.summary.failed,
      queued: this.stopReason ? 0 : this.queue.length + this.held.length,
      processes: this.processes,
      startedAtMs: this.startedAtMs,
      running: [...this.running.values()].map(({ key, label, startedAtMs, fraction }) => ({ key, label, startedAtMs, fraction })),
      completedSeconds: [...this.completedSeconds],
    });
  }
}
