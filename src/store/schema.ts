import type Database from "better-sqlite3";
import { InputError } from "../errors.js";

/**
 * Schema of the store, one SQL script per version: MIGRATIONS[i] takes a database
 * from version i to i+1. The version lives in SQLite's `user_version` header field.
 * Add a script to change the schema; never edit a released one.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE experiments (
    name    TEXT PRIMARY KEY,
    spec    TEXT NOT NULL,          -- JSON, as given to defineExperiment
    created TEXT NOT NULL           -- ISO 8601
  );

  -- One row per distinct config: the key is the content hash of the config, so a run
  -- shared by several experiments is trained and stored once.
  CREATE TABLE runs (
    key          TEXT PRIMARY KEY,
    config       TEXT NOT NULL,     -- canonical JSON
    status       TEXT NOT NULL CHECK (status IN ('done', 'failed')),
    error        TEXT,              -- NULL when done
    started      TEXT NOT NULL,     -- ISO 8601, of the latest attempt
    finished     TEXT NOT NULL,
    wall_seconds REAL NOT NULL,
    artifact_dir TEXT,              -- relative to the store directory; NULL unless done
    attempts     INTEGER NOT NULL
  );

  -- Which experiments asked for which run, and under which label.
  CREATE TABLE experiment_runs (
    experiment TEXT NOT NULL REFERENCES experiments(name) ON DELETE CASCADE,
    run_key    TEXT NOT NULL REFERENCES runs(key) ON DELETE CASCADE,
    label      TEXT NOT NULL,
    PRIMARY KEY (experiment, run_key)
  );
  CREATE INDEX experiment_runs_by_run ON experiment_runs(run_key);

  -- value has no declared type so SQLite keeps what it is given (a declared type would
  -- coerce "1.5" to 1.5); kind restores booleans, which SQLite stores as 0/1.
  CREATE TABLE metrics (
    run_key TEXT NOT NULL REFERENCES runs(key) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    value,
    kind    TEXT NOT NULL CHECK (kind IN ('number', 'string', 'boolean', 'null')),
    PRIMARY KEY (run_key, name)
  );
  `,
  `
  -- A coordinator's claim on a run it is about to train, so that two coordinators on one store
  -- never train the same run. A claim is free once its holder (host, pid) is known dead or once
  -- its lease has expired; the holder renews the lease while it trains.
  CREATE TABLE claims (
    run_key    TEXT PRIMARY KEY,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL     -- Unix time in ms
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Bring `db` (the file at `path`) up to SCHEMA_VERSION, refusing files that are not ours. The version
 * is read and the scripts run in one IMMEDIATE transaction, so that processes opening a new store at
 * once never both create the tables. Without `create`, an empty database is refused, not initialised.
 */
export function migrate(db: Database.Database, path: string, create = true): void {
  const check = (version: number) => {
    if (version > SCHEMA_VERSION) {
      throw new InputError(`${path}: store schema version ${version} is newer than this noiselab's (${SCHEMA_VERSION}); upgrade noiselab`);
    }
    if (version === 0) {
      const tables = db.prepare("SELECT count(*) FROM sqlite_master").pluck().get() as number;
      if (tables > 0) throw new InputError(`${path}: an SQLite database that is not a noiselab store`);
      if (!create) throw new InputError(`${path}: an empty database, not a noiselab store`);
    }
  };
  // Reading first spares readers the write lock when the schema is current, as it nearly always is.
  // Anything else is checked inside the transaction: outside it, the version and the table count are two
  // reads, between which another process may commit a new store's schema.
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current === SCHEMA_VERSION) return;
  if (current > SCHEMA_VERSION) check(current);
  db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    check(version);
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
