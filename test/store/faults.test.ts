// The store under faults: damaged, missing, locked or shared databases give one-line InputErrors,
// readers never create or initialise a store, and concurrent openers all succeed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { InputError } from "../../src/errors.js";
import { RunStore } from "../../src/store/run-store.js";
import { SCHEMA_VERSION } from "../../src/store/schema.js";
import { tempDir } from "../runner/helpers.js";

const STORE_MODULE = pathToFileURL(resolve("dist/src/store/run-store.js")).href;

/** A store with enough rows to span several pages, closed (so everything is in the main file). */
function populatedStore(): string {
  const dir = join(tempDir("faults"), "store");
  const store = RunStore.open(dir);
  for (let i = 0; i < 40; i++) store.defineExperiment(`exp${i}`, { name: `exp${i}`, padding: "x".repeat(2000) });
  store.close();
  return dir;
}

function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof InputError, `an InputError, not ${err.name}: ${err.message}`);
    assert.doesNotMatch(err.message, /\n/);
    assert.match(err.message, message);
    return true;
  });
}

/** Opens the store and lists it, as `noiselab ls` does. */
const list = (dir: string) => () => {
  const store = RunStore.open(dir, { create: false });
  try {
    return store.listExperiments();
  } finally {
    store.close();
  }
};

function runNode(code: string, options: { uid?: number; gid?: number } = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "ignore", "pipe"], ...options });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (exitCode) => done({ code: exitCode, stderr }));
  });
}

describe("opening a store for reading never creates one", () => {
  it("refuses a missing directory and creates nothing", () => {
    const dir = join(tempDir("missing"), "nowhere");
    refused(list(dir), /^no store at .*nowhere/);
    assert.equal(existsSync(dir), false);
  });

  it("refuses a directory without a database and creates nothing in it", () => {
    const dir = tempDir("nodb");
    refused(list(dir), /is not a noiselab store \(it has no noiselab\.sqlite\)/);
    assert.equal(existsSync(join(dir, "noiselab.sqlite")), false);
  });

  it("refuses a 0-byte database and leaves it as it is", () => {
    const dir = tempDir("empty");
    writeFileSync(join(dir, "noiselab.sqlite"), "");
    refused(list(dir), /noiselab\.sqlite: an empty database, not a noiselab store/);
    assert.equal(statSync(join(dir, "noiselab.sqlite")).size, 0);
  });

  it("refuses a --store that is a file, when reading and when creating", () => {
    const file = join(tempDir("file"), "store.txt");
    writeFileSync(file, "not a store");
    refused(list(file), /store .*store\.txt: not a directory/);
    refused(() => RunStore.open(file), /store .*store\.txt: not a directory/);
  });
});

describe("a damaged store gives one line, never a stack trace", () => {
  it("a truncated database", () => {
    const dir = populatedStore();
    const db = join(dir, "noiselab.sqlite");
    truncateSync(db, Math.floor(statSync(db).size / 2));
    refused(list(dir), /noiselab\.sqlite: the store's database is damaged \(database disk image is malformed\)/);
  });

  it("a garbled database", () => {
    const dir = populatedStore();
    const db = join(dir, "noiselab.sqlite");
    const bytes = readFileSync(db);
    for (let i = 200; i < bytes.length; i += 7) bytes[i] ^= 0x5a;
    writeFileSync(db, bytes);
    refused(list(dir), /noiselab\.sqlite: the store's database is damaged/);
  });

  it("a dropped table", () => {
    const dir = populatedStore();
    const db = new Database(join(dir, "noiselab.sqlite"));
    db.exec("DROP TABLE experiment_runs");
    db.close();
    refused(list(dir), /noiselab\.sqlite: the store's database lacks part of its schema \(no such table: experiment_runs\)/);
  });

  it("a database locked by another writer", { timeout: 30_000 }, async () => {
    const dir = populatedStore();
    const holder = spawn(
      process.execPath,
      ["-e", `const db = new (require("better-sqlite3"))(${JSON.stringify(join(dir, "noiselab.sqlite"))}); db.exec("BEGIN EXCLUSIVE"); console.log("locked"); setTimeout(() => {}, 60000);`],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise((done) => holder.stdout.once("data", done));
      const store = RunStore.open(dir, { create: false });
      try {
        refused(() => store.defineExperiment("new", { name: "new" }), /noiselab\.sqlite: the store's database is locked by another process/);
      } finally {
        store.close();
      }
    } finally {
      holder.kill("SIGKILL");
    }
  });

  it("a read-only store directory", async () => {
    const dir = populatedStore();
    chmodSync(dirname(dir), 0o755);
    for (const name of readdirSync(dir)) chmodSync(join(dir, name), name.endsWith(".sqlite") ? 0o444 : 0o555);
    chmodSync(dir, 0o555);
    // Root writes anywhere: the opener runs as nobody then.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = await runNode(
      `const { RunStore } = await import(${JSON.stringify(STORE_MODULE)});
       try { RunStore.open(${JSON.stringify(dir)}).defineExperiment("new", {}); } catch (err) { console.error(err.name + ": " + err.message); process.exit(2); }`,
      asNobody,
    );
    chmodSync(dir, 0o755); // so that the temporary directory can be removed
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^InputError: .*noiselab\.sqlite: the store is read-only \(attempt to write a readonly database\)\n$/);
  });
});

describe("concurrent start-up", () => {
  it("many processes opening a new store at once all succeed, and the schema is created once", { timeout: 60_000 }, async () => {
    const dir = join(tempDir("concurrent"), "store");
    // Every process loads the module first, then all open the store at the same instant.
    const startAt = Date.now() + 3000;
    const code = `const { RunStore } = await import(${JSON.stringify(STORE_MODULE)});
      while (Date.now() < ${startAt});
      const store = RunStore.open(${JSON.stringify(dir)});
      store.defineExperiment("exp", { name: "exp" });
      store.close();`;
    const results = await Promise.all(Array.from({ length: 12 }, () => runNode(code)));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const db = new Database(join(dir, "noiselab.sqlite"), { readonly: true });
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    assert.equal(db.prepare("SELECT count(*) FROM experiments").pluck().get(), 1);
    db.close();
  });
});
