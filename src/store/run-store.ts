import Database from "better-sqlite3";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { InputError } from "../errors.js";
import { canonicalJson, contentHash } from "../run-unit/hash.js";
import type { MetricValue, RunUnit, WorkerResult } from "../run-unit/unit.js";
import { isRecord, readWorkerResult, RECORD_FILE, RESULT_FILE, UNIT_FILE, WorkerResultError } from "../run-unit/unit.js";
import { migrate, SCHEMA_VERSION } from "./schema.js";

const DB_FILE = "noiselab.sqlite";
const RUNS_DIR = "runs";
const STAGING_DIR = "staging";

export type RunStatus = "done" | "failed";

export interface ExperimentRecord {
  name: string;
  spec: unknown;
  created: string;
  /** Runs of this experiment by status. */
  done: number;
  failed: number;
}

export interface RunMembership {
  experiment: string;
  label: string;
}

export interface RunRecord {
  key: string;
  config: unknown;
  status: RunStatus;
  error: string | null;
  /** ISO 8601 times of the latest attempt. */
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  attempts: number;
  /** Absolute path of the artifacts; null unless done. */
  artifactDir: string | null;
  memberships: RunMembership[];
}

/** A run as seen from one experiment: with its label there. */
export interface ExperimentRun extends RunRecord {
  label: string;
}

export interface RunTiming {
  startedAt: Date;
  finishedAt: Date;
  wallSeconds: number;
}

/** What opening the store found and repaired after an earlier process died. */
export interface RecoveryReport {
  /** Staging dirs of dead processes, removed. */
  removedStaging: string[];
  /** Keys whose run dir was renamed into place but not recorded, then validated and recorded. */
  adopted: string[];
  /** Keys whose unrecorded run dir failed validation, removed (the run is redone). */
  removedRunDirs: string[];
  /** Keys recorded done whose run dir is gone, demoted to failed (the run is redone). */
  missingArtifacts: string[];
}

/** Contents of run.json, written into the run dir just before it is renamed into place. */
interface CommitRecord {
  key: string;
  /** The committing process: a pid means something only on its host. */
  host?: string;
  pid: number;
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  /** Size in bytes of every other file of the run dir, by path relative to it. */
  files?: Record<string, number>;
}

/** What `claimRun` found: the run is now ours to train, done already, or being trained by another live process. */
export type ClaimOutcome = "claimed" | "done" | "held";

/** How long a claim lasts without renewal; holders renew it every CLAIM_RENEW_MS (see renewClaims). */
export const CLAIM_LEASE_MS = 60_000;
export const CLAIM_RENEW_MS = 15_000;

export interface OpenOptions {
  /** Create the store when it does not exist (default true). Readers (ls, report) pass false. */
  create?: boolean;
  /**
   * Open without writing anything (noiselab serve): the database read-only, no recovery, no
   * directory created. Implies `create: false`; every method that writes fails.
   */
  readOnly?: boolean;
}

/** `defineExperiment` found the name in use by another spec; `differences` names the fields that differ. */
export class ExperimentConflictError extends InputError {
  override name = "ExperimentConflictError";
  constructor(
    readonly experiment: string,
    readonly differences: string[],
  ) {
    super(`experiment "${experiment}" is already in this store with another spec (differs in ${differences.join(", ")})`);
  }
}

interface RunRow {
  key: string;
  config: string;
  status: RunStatus;
  error: string | null;
  started: string;
  finished: string;
  wall_seconds: number;
  artifact_dir: string | null;
  attempts: number;
}

/** Staging dirs this process is using, across every RunStore it opened. */
const activeStaging = new Set<string>();

const STAGING_NAME = /^([0-9a-f]{64})\.(\d+)$/;
const KEY = /^[0-9a-f]{64}$/;

/**
 * The run store: an SQLite database (WAL mode) plus one artifact directory per done run.
 *
 * A run is committed by renaming its staging dir to runs/<key> and then writing its row
 * in one transaction. Opening the store repairs what a killed process left behind; see
 * RecoveryReport and docs/runner.md.
 */
export class RunStore {
  readonly dir: string;
  readonly dbPath: string;
  readonly recovery: RecoveryReport;
  private readonly db: Database.Database;

  private constructor(dir: string, create: boolean, readOnly: boolean) {
    this.dir = resolve(dir);
    this.dbPath = join(this.dir, DB_FILE);
    const kind = statKind(this.dir);
    if (kind === "other") throw new InputError(`store ${dir}: not a directory`);
    if (!create && kind === "missing") throw new InputError(`no store at ${dir} (noiselab run creates one; see --store)`);
    if (!create && statKind(this.dbPath) === "missing") throw new InputError(`${dir} is not a noiselab store (it has no ${DB_FILE})`);
    if (readOnly) {
      this.db = openDatabaseReadOnly(this.dbPath);
      this.recovery = { removedStaging: [], adopted: [], removedRunDirs: [], missingArtifacts: [] };
      return;
    }
    for (const sub of [RUNS_DIR, STAGING_DIR]) fsGuard(join(this.dir, sub), () => mkdirSync(join(this.dir, sub), { recursive: true }));
    this.db = openDatabase(this.dbPath, create);
    try {
      this.recovery = this.guard(() => this.recover());
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /**
   * Opens the store in `dir`, creating it unless `create` is false. Every problem with the store
   * (missing, not a directory, damaged, locked, read-only) is an InputError of one line.
   */
  static open(dir: string, options: OpenOptions = {}): RunStore {
    const readOnly = options.readOnly ?? false;
    return new RunStore(dir, !readOnly && (options.create ?? true), readOnly);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Create an experiment, or keep it when it exists with an equal spec. A name in use by another
   * spec is refused (ExperimentConflictError): redefining it would change what its runs mean.
   */
  defineExperiment(name: string, spec: unknown): void {
    if (name === "") throw new InputError("experiment name must not be empty");
    const json = canonicalJson(spec);
    this.guard(() =>
      this.db.transaction(() => {
        const existing = this.db.prepare("SELECT spec FROM experiments WHERE name = ?").pluck().get(name) as string | undefined;
        if (existing === undefined) {
          this.db.prepare("INSERT INTO experiments (name, spec, created) VALUES (?, ?, ?)").run(name, json, new Date().toISOString());
        } else if (existing !== json) {
          throw new ExperimentConflictError(name, differences(JSON.parse(existing), spec, ""));
        }
      }).immediate(),
    );
  }

  /**
   * Replace the spec of an existing experiment. Only for changes that keep what its runs mean:
   * `noiselab import` adds the environments of imported runs (src/bundle/machine.ts).
   */
  replaceExperimentSpec(name: string, spec: unknown): void {
    const changed = this.guard(() => this.db.prepare("UPDATE experiments SET spec = ? WHERE name = ?").run(canonicalJson(spec), name).changes);
    if (changed === 0) throw new InputError(`no experiment "${name}" in the store`);
  }

  getExperiment(name: string): ExperimentRecord | undefined {
    return this.guard(() => this.queryExperiments("WHERE e.name = ?", name)[0]);
  }

  listExperiments(): ExperimentRecord[] {
    return this.guard(() => this.queryExperiments(""));
  }

  /** Runs recorded for an experiment (done or failed), ordered by label. */
  runsOf(experiment: string): ExperimentRun[] {
    return this.guard(() => this.queryRunsOf(experiment));
  }

  private queryRunsOf(experiment: string): ExperimentRun[] {
    const rows = this.db
      .prepare(
        `SELECT r.*, m.label FROM experiment_runs m JOIN runs r ON r.key = m.run_key
         WHERE m.experiment = ? ORDER BY m.label, r.key`,
      )
      .all(experiment) as (RunRow & { label: string })[];
    return rows.map((row) => ({ ...this.toRecord(row), label: row.label }));
  }

  /**
   * A number that changes whenever another connection (another process, or another RunStore) has
   * committed a change to the database since the last call: SQLite's `PRAGMA data_version`.
   */
  dataVersion(): number {
    return this.guard(() => this.db.pragma("data_version", { simple: true }) as number);
  }

  /** Key, status and latest attempt of each run recorded for an experiment: one query, for readers that poll. */
  runStatesOf(experiment: string): { key: string; status: RunStatus; finishedAt: string; attempts: number }[] {
    return this.guard(
      () =>
        this.db
          .prepare(`SELECT r.key, r.status, r.finished AS finishedAt, r.attempts FROM experiment_runs m JOIN runs r ON r.key = m.run_key WHERE m.experiment = ?`)
          .all(experiment) as { key: string; status: RunStatus; finishedAt: string; attempts: number }[],
    );
  }

  getRun(key: string): RunRecord | undefined {
    return this.guard(() => {
      const row = this.db.prepare("SELECT * FROM runs WHERE key = ?").get(key) as RunRow | undefined;
      return row && this.toRecord(row);
    });
  }

  isDone(key: string): boolean {
    return this.guard(() => this.db.prepare("SELECT 1 FROM runs WHERE key = ? AND status = 'done'").get(key) !== undefined);
  }

  /**
   * Why the artifacts of a done run cannot be trusted, or undefined when every file that
   * run.json lists is there with its size.
   */
  checkArtifacts(key: string): string | undefined {
    const dir = this.artifactDir(key);
    const record = readJson(join(dir, RECORD_FILE));
    if (!isRecord(record)) return `${join(RUNS_DIR, key, RECORD_FILE)} is missing or unreadable`;
    // Stores written before run.json listed the files: the worker's result is the least to expect.
    return filesProblem(dir, join(RUNS_DIR, key), isRecord(record.files) ? record.files : { [RESULT_FILE]: null });
  }

  /** Demote a done run whose artifacts are damaged to failed, with `reason`, and delete its dir; it is then redone. */
  invalidateRun(key: string, reason: string): void {
    this.guard(() => this.demote(key, reason));
    fsGuard(this.artifactDir(key), () => rmSync(this.artifactDir(key), { recursive: true, force: true }));
  }

  /** Turn a done run into a failed one with `reason`, without its metrics. */
  private demote(key: string, reason: string): void {
    this.db.transaction(() => {
      this.db.prepare("UPDATE runs SET status = 'failed', error = ?, artifact_dir = NULL WHERE key = ?").run(reason, key);
      this.db.prepare("DELETE FROM metrics WHERE run_key = ?").run(key);
    })();
  }

  /** Metrics of a done run by name; empty for runs that are not done. */
  metricsOf(key: string): Record<string, MetricValue> {
    const rows = this.guard(() => this.db.prepare("SELECT name, value, kind FROM metrics WHERE run_key = ? ORDER BY name").all(key)) as {
      name: string;
      value: number | string | null;
      kind: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.name, r.kind === "boolean" ? r.value === 1 : r.value]));
  }

  /**
   * The runs being trained now: those with a staging dir of a live process on this host, as their
   * unit.json names them. (A process on another host looks dead here; its run counts as not started.)
   */
  runningUnits(): { key: string; experiment: string; label: string }[] {
    let names: string[];
    try {
      names = readdirSync(join(this.dir, STAGING_DIR));
    } catch {
      return [];
    }
    const units: { key: string; experiment: string; label: string }[] = [];
    for (const name of names) {
      const match = STAGING_NAME.exec(name);
      if (!match || !isProcessAlive(Number(match[2]))) continue;
      // The runner writes unit.json before it starts the worker; until then the run is not yet running.
      const unit = readJson(join(this.dir, STAGING_DIR, name, UNIT_FILE));
      if (isRecord(unit) && typeof unit.experiment === "string" && typeof unit.label === "string") units.push({ key: match[1], experiment: unit.experiment, label: unit.label });
    }
    return units;
  }

  /** Where a run's artifacts live once it is done. */
  artifactDir(key: string): string {
    return join(this.dir, RUNS_DIR, checkKey(key));
  }

  /** Path of one artifact file of a run; the name must stay inside the run dir. */
  artifactPath(key: string, name: string): string {
    const dir = this.artifactDir(key);
    const path = resolve(dir, name);
    const inside = relative(dir, path);
    if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) {
      throw new InputError(`artifact name "${name}" leaves the run directory`);
    }
    return path;
  }

  /** A fresh, empty staging dir for one attempt at `key`: <store>/staging/<key>.<pid>. */
  createStaging(key: string): string {
    const dir = join(this.dir, STAGING_DIR, `${checkKey(key)}.${process.pid}`);
    if (activeStaging.has(dir)) throw new Error(`run ${key} is already being executed by this process`);
    fsGuard(dir, () => {
      // Anything here is left over from an earlier process that had our pid.
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
    });
    activeStaging.add(dir);
    return dir;
  }

  discardStaging(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    activeStaging.delete(dir);
  }

  /**
   * Commit a finished attempt: rename the staging dir to runs/<key>, then record the run,
   * its metrics and its experiment in one transaction. If another process committed the
   * same key first, this attempt is discarded and only the membership is recorded.
   */
  commitRun(unit: RunUnit, stagingDir: string, result: WorkerResult, timing: RunTiming): RunRecord {
    const target = this.artifactDir(unit.key);
    const record: CommitRecord = {
      key: unit.key,
      host: hostname(),
      pid: process.pid,
      startedAt: timing.startedAt.toISOString(),
      finishedAt: timing.finishedAt.toISOString(),
      wallSeconds: timing.wallSeconds,
      files: fileSizes(stagingDir),
    };
    fsGuard(stagingDir, () => writeFileSync(join(stagingDir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`));
    // The rename happens under the database's write lock, so that two processes committing the same
    // key at once are serialised: the second finds it done and discards its attempt.
    const committed = this.guard(() =>
      this.db.transaction(() => {
        this.dropClaim(unit.key);
        if (this.isDone(unit.key)) return false;
        fsGuard(target, () => {
          // No done row, so a dir here is an unrecorded leftover that open() could not judge yet.
          rmSync(target, { recursive: true, force: true });
          renameSync(stagingDir, target);
        });
        this.recordDone(unit.config, result, record);
        return true;
      }).immediate(),
    );
    if (committed) activeStaging.delete(stagingDir);
    else this.discardStaging(stagingDir);
    this.linkRun(unit);
    return this.getRun(unit.key) as RunRecord;
  }

  /** Record a failed attempt; a run already done (by another process) stays done. */
  recordFailure(unit: RunUnit, error: string, timing: RunTiming): void {
    this.guard(() => this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO runs (key, config, status, error, started, finished, wall_seconds, artifact_dir, attempts)
           VALUES (?, ?, 'failed', ?, ?, ?, ?, NULL, 1)
           ON CONFLICT (key) DO UPDATE SET status = 'failed', error = excluded.error, started = excluded.started,
             finished = excluded.finished, wall_seconds = excluded.wall_seconds, attempts = attempts + 1
           WHERE status <> 'done'`,
        )
        .run(
          unit.key,
          canonicalJson(unit.config),
          error,
          timing.startedAt.toISOString(),
          timing.finishedAt.toISOString(),
          timing.wallSeconds,
        );
      this.dropClaim(unit.key);
      this.linkRun(unit);
    })());
  }

  /**
   * Claim `key` for this process before training it, so that no other coordinator on this store
   * trains it too. A claim whose holder is dead (a pid on this host that no longer runs) or whose
   * lease expired (any host) is taken over. commitRun and recordFailure end the claim.
   */
  claimRun(key: string): ClaimOutcome {
    const host = hostname();
    const now = Date.now();
    return this.guard(() =>
      this.db.transaction((): ClaimOutcome => {
        if (this.isDone(key)) return "done";
        const holder = this.db.prepare("SELECT host, pid, expires_ms FROM claims WHERE run_key = ?").get(key) as
          | { host: string; pid: number; expires_ms: number }
          | undefined;
        const ours = holder !== undefined && holder.host === host && holder.pid === process.pid;
        if (holder && !ours && holder.expires_ms > now && !(holder.host === host && !isProcessAlive(holder.pid))) return "held";
        this.db
          .prepare(
            `INSERT INTO claims (run_key, host, pid, expires_ms) VALUES (?, ?, ?, ?)
             ON CONFLICT (run_key) DO UPDATE SET host = excluded.host, pid = excluded.pid, expires_ms = excluded.expires_ms`,
          )
          .run(key, host, process.pid, now + CLAIM_LEASE_MS);
        return "claimed";
      }).immediate(),
    );
  }

  /** Extend the lease of every claim this process holds (call it every CLAIM_RENEW_MS while training). */
  renewClaims(): void {
    this.guard(() =>
      this.db.prepare("UPDATE claims SET expires_ms = ? WHERE host = ? AND pid = ?").run(Date.now() + CLAIM_LEASE_MS, hostname(), process.pid),
    );
  }

  /** Give up this process's claim on `key` without recording anything (an interrupted attempt). */
  releaseClaim(key: string): void {
    this.guard(() => this.dropClaim(key));
  }

  private dropClaim(key: string): void {
    this.db.prepare("DELETE FROM claims WHERE run_key = ? AND host = ? AND pid = ?").run(key, hostname(), process.pid);
  }

  /** Record that `unit.experiment` uses the (already recorded) run `unit.key` as `unit.label`. */
  linkRun(unit: RunUnit): void {
    this.guard(() =>
      this.db
        .prepare(
          `INSERT INTO experiment_runs (experiment, run_key, label) VALUES (?, ?, ?)
           ON CONFLICT (experiment, run_key) DO UPDATE SET label = excluded.label`,
        )
        .run(unit.experiment, unit.key, unit.label),
    );
  }

  /** Runs `fn`, turning the database's errors into one-line InputErrors that name the store. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw storeError(err, this.dbPath);
    }
  }

  private queryExperiments(where: string, ...params: string[]): ExperimentRecord[] {
    const rows = this.db
      .prepare(
        `SELECT e.name, e.spec, e.created,
                count(CASE WHEN r.status = 'done' THEN 1 END) AS done,
                count(CASE WHEN r.status = 'failed' THEN 1 END) AS failed
         FROM experiments e
         LEFT JOIN experiment_runs m ON m.experiment = e.name
         LEFT JOIN runs r ON r.key = m.run_key
         ${where}
         GROUP BY e.name ORDER BY e.created, e.name`,
      )
      .all(...params) as { name: string; spec: string; created: string; done: number; failed: number }[];
    return rows.map((r) => ({ ...r, spec: JSON.parse(r.spec) }));
  }

  private recordDone(config: unknown, result: WorkerResult, record: CommitRecord): void {
    const metricRows = Object.entries(result.metrics).map(([name, value]) => toMetricRow(name, value));
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO runs (key, config, status, error, started, finished, wall_seconds, artifact_dir, attempts)
           VALUES (?, ?, 'done', NULL, ?, ?, ?, ?, 1)
           ON CONFLICT (key) DO UPDATE SET status = 'done', error = NULL, started = excluded.started,
             finished = excluded.finished, wall_seconds = excluded.wall_seconds,
             artifact_dir = excluded.artifact_dir, attempts = attempts + 1`,
        )
        .run(
          record.key,
          canonicalJson(config),
          record.startedAt,
          record.finishedAt,
          record.wallSeconds,
          join(RUNS_DIR, record.key),
        );
      this.db.prepare("DELETE FROM metrics WHERE run_key = ?").run(record.key);
      const insert = this.db.prepare("INSERT INTO metrics (run_key, name, value, kind) VALUES (?, ?, ?, ?)");
      for (const m of metricRows) insert.run(record.key, m.name, m.value, m.kind);
    })();
  }

  private recover(): RecoveryReport {
    const report: RecoveryReport = { removedStaging: [], adopted: [], removedRunDirs: [], missingArtifacts: [] };
    const stagingRoot = join(this.dir, STAGING_DIR);
    for (const name of readdirSync(stagingRoot)) {
      const match = STAGING_NAME.exec(name);
      if (!match) continue;
      const path = join(stagingRoot, name);
      const pid = Number(match[2]);
      const stale = pid === process.pid ? !activeStaging.has(path) : !isProcessAlive(pid);
      if (stale) {
        rmSync(path, { recursive: true, force: true });
        report.removedStaging.push(name);
      }
    }

    const doneDirs = new Map(
      (this.db.prepare("SELECT key, artifact_dir FROM runs WHERE status = 'done'").all() as { key: string; artifact_dir: string }[]).map(
        (r) => [r.key, r.artifact_dir],
      ),
    );
    for (const name of readdirSync(join(this.dir, RUNS_DIR))) {
      if (!KEY.test(name) || doneDirs.has(name)) continue;
      this.recoverRunDir(name, report);
    }
    for (const [key, dir] of doneDirs) {
      if (existsSync(join(this.dir, dir))) continue;
      this.demote(key, `artifact directory ${dir} is missing`);
      report.missingArtifacts.push(key);
    }
    return report;
  }

  /**
   * A runs/<key> dir with no done row: the committing process died between the rename
   * and the transaction. Adopt it if it is complete and consistent, else delete it.
   */
  private recoverRunDir(key: string, report: RecoveryReport): void {
    const dir = join(this.dir, RUNS_DIR, key);
    const record = readJson(join(dir, RECORD_FILE));
    const sameHost = !isRecord(record) || record.host === undefined || record.host === hostname();
    if (isRecord(record) && typeof record.pid === "number" && record.pid !== process.pid && sameHost && isProcessAlive(record.pid)) {
      return; // its process is alive and about to write the row
    }
    const adoptable = this.validateRunDir(key, dir, record);
    if (adoptable) {
      this.recordDone(adoptable.unit.config, adoptable.result, adoptable.record);
      if (this.getExperiment(adoptable.unit.experiment)) this.linkRun(adoptable.unit);
      report.adopted.push(key);
    } else {
      rmSync(dir, { recursive: true, force: true });
      report.removedRunDirs.push(key);
    }
  }

  private validateRunDir(key: string, dir: string, record: unknown): { unit: RunUnit; result: WorkerResult; record: CommitRecord } | undefined {
    const unit = readJson(join(dir, UNIT_FILE));
    if (!isRecord(record) || record.key !== key || typeof record.startedAt !== "string" || typeof record.finishedAt !== "string") return undefined;
    if (typeof record.wallSeconds !== "number") return undefined;
    if (isRecord(record.files) && filesProblem(dir, dir, record.files) !== undefined) return undefined;
    if (!isRecord(unit) || unit.key !== key || typeof unit.experiment !== "string" || typeof unit.label !== "string") return undefined;
    try {
      if (contentHash(unit.config) !== key) return undefined;
      const result = readWorkerResult(dir);
      return { unit: unit as unknown as RunUnit, result, record: record as unknown as CommitRecord };
    } catch (err) {
      if (err instanceof WorkerResultError || err instanceof TypeError) return undefined;
      throw err;
    }
  }

  private toRecord(row: RunRow): RunRecord {
    const memberships = this.db
      .prepare("SELECT experiment, label FROM experiment_runs WHERE run_key = ? ORDER BY experiment")
      .all(row.key) as RunMembership[];
    return {
      key: row.key,
      config: JSON.parse(row.config),
      status: row.status,
      error: row.error,
      startedAt: row.started,
      finishedAt: row.finished,
      wallSeconds: row.wall_seconds,
      attempts: row.attempts,
      artifactDir: row.artifact_dir === null ? null : join(this.dir, row.artifact_dir),
      memberships,
    };
  }
}

function checkKey(key: string): string {
  if (!KEY.test(key)) throw new InputError(`"${key}" is not a run key (64 hex digits)`);
  return key;
}

function openDatabase(path: string, create: boolean): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: !create });
  } catch (err) {
    throw storeError(err, path);
  }
  try {
    // The busy timeout first, so that processes opening a new store at once wait for each other.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Before anything that writes: a database that is not a store must be left as it is.
    migrate(db, path, create);
    enableWal(db);
    db.pragma("foreign_keys = ON");
    db.pragma("synchronous = NORMAL");
    return db;
  } catch (err) {
    db.close();
    throw storeError(err, path);
  }
}

/** The store's database opened read-only; its schema must be this noiselab's (a reader cannot migrate it). */
function openDatabaseReadOnly(path: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw storeError(err, path);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version !== SCHEMA_VERSION) {
      throw new InputError(`${path}: store schema version ${version}, this noiselab reads version ${SCHEMA_VERSION} (${version < SCHEMA_VERSION ? "noiselab run upgrades the store" : "upgrade noiselab"})`);
    }
    return db;
  } catch (err) {
    db.close();
    throw storeError(err, path);
  }
}

const BUSY_TIMEOUT_MS = 5000;
const BUSY_RETRY_MS = 20;

/**
 * Puts the store in WAL mode (a no-op once it is). The switch needs the only lock on the file, and
 * SQLite refuses it at once, without its busy wait, when another process that opens a new store at
 * the same moment holds the write lock for its migration (waiting could deadlock). So wait here,
 * as the busy timeout would.
 */
function enableWal(db: Database.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== "SQLITE_BUSY" || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, BUSY_RETRY_MS);
    }
  }
}

/**
 * An SQLite or file-system error as a one-line InputError naming the store; other errors as they are.
 * The store's problems are the user's to fix (a damaged, locked or read-only store), never a crash.
 */
function storeError(err: unknown, path: string): unknown {
  if (err instanceof InputError) return err;
  const code = (err as { code?: unknown }).code;
  const message = (err as Error).message;
  if (typeof code !== "string") return err;
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) {
    return new InputError(`${path}: the store's database is damaged (${message}); restore it from a backup or use a new --store`);
  }
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new InputError(`${path}: the store's database is locked by another process (waited ${BUSY_TIMEOUT_MS / 1000} s); try again when it is done`);
  }
  if (code.startsWith("SQLITE_READONLY")) return new InputError(`${path}: the store is read-only (${message})`);
  if (code.startsWith("SQLITE_CANTOPEN")) return new InputError(`${path}: cannot open the store's database (${message}); is its directory readable and writable?`);
  if (code === "SQLITE_ERROR" && /no such (table|column)/.test(message)) {
    return new InputError(`${path}: the store's database lacks part of its schema (${message}); restore it from a backup or use a new --store`);
  }
  if (code.startsWith("SQLITE_")) return new InputError(`${path}: ${message} (${code})`);
  if (["EACCES", "EPERM", "EROFS", "ENOSPC", "ENOTDIR", "EEXIST", "EISDIR", "EDQUOT", "EIO"].includes(code)) {
    return new InputError(`${path}: ${message.replace(/^\w+: /, "")}`);
  }
  return err;
}

/** Runs a file-system step of the store, turning its errors into one-line InputErrors naming `path`. */
function fsGuard<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw storeError(err, path);
  }
}

function statKind(path: string): "missing" | "dir" | "other" {
  try {
    return statSync(path).isDirectory() ? "dir" : "other";
  } catch {
    return "missing";
  }
}

/** Sizes of the files under `dir`, by path relative to it. */
function fileSizes(dir: string): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    sizes[relative(dir, path)] = statSync(path).size;
  }
  return sizes;
}

/** The first file of `files` (name → bytes, or null for any size) that is missing from `dir` or has another size. */
function filesProblem(dir: string, shown: string, files: Record<string, unknown>): string | undefined {
  for (const [name, bytes] of Object.entries(files)) {
    let size: number;
    try {
      size = statSync(join(dir, name)).size;
    } catch {
      return `artifact ${join(shown, name)} is missing`;
    }
    if (typeof bytes === "number" && size !== bytes) return `artifact ${join(shown, name)} has ${size} bytes, ${bytes} when committed`;
  }
  return undefined;
}

/** Paths of the fields in which two JSON values differ, e.g. ["replicates", "training.epochs"]. */
function differences(a: unknown, b: unknown, path: string): string[] {
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differences(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return canonicalJson(a ?? null) === canonicalJson(b ?? null) ? [] : [path || "(the whole spec)"];
}

function toMetricRow(name: string, value: MetricValue): { name: string; value: number | string | null; kind: string } {
  if (value === null) return { name, value: null, kind: "null" };
  if (typeof value === "boolean") return { name, value: value ? 1 : 0, kind: "boolean" };
  return { name, value, kind: typeof value };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

/** Signal 0 probes a pid: ESRCH means no such process; EPERM means it exists (another user's). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
