// noiselab export: an experiment's spec, done runs and their files into one bundle file.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, openSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { pack as tarPack } from "tar-stream";
import type { Pack } from "tar-stream";
import { InputError } from "../errors.js";
import { RECORD_FILE } from "../run-unit/unit.js";
import type { RunStore } from "../store/run-store.js";
import type { BundleExperiment, BundleRun, Manifest, ManifestMember } from "./format.js";
import { BUNDLE_FORMAT, BUNDLE_VERSION, EXPERIMENT_MEMBER, MANIFEST_MEMBER, RUNS_MEMBER, runMember } from "./format.js";

export interface ExportSummary {
  runs: number;
  /** Failed runs of the experiment, which have no files and are left out (the importing store redoes them). */
  leftOut: number;
  bytes: number;
}

type Source = { name: string; data: Buffer } | { name: string; path: string };

/**
 * Writes experiment `name` of `store` to the bundle `outFile` (atomically: a temporary file renamed into
 * place). Every done run must have its files as committed; a damaged run is refused, naming it.
 */
export async function exportExperiment(store: RunStore, name: string, outFile: string): Promise<ExportSummary> {
  const experiment = store.getExperiment(name);
  if (!experiment) throw new InputError(`no experiment "${name}" in the store (see noiselab ls)`);
  const all = store.runsOf(name);
  const done = all.filter((r) => r.status === "done");
  if (done.length === 0) throw new InputError(`experiment "${name}" has no done runs to export`);
  const rows: BundleRun[] = [];
  const files: Source[] = [];
  for (const run of done) {
    const problem = store.checkArtifacts(run.key);
    if (problem !== undefined) throw new InputError(`run ${run.label}: ${problem}; noiselab run redoes it, then export again`);
    rows.push({ key: run.key, label: run.label, config: run.config, startedAt: run.startedAt, finishedAt: run.finishedAt, wallSeconds: run.wallSeconds, metrics: store.metricsOf(run.key) });
    const dir = store.artifactDir(run.key);
    // run.json is the store's record of its commit; the importing store writes its own.
    for (const file of runFiles(dir)) if (file !== RECORD_FILE) files.push({ name: runMember(run.key, file), path: join(dir, file) });
  }
  const spec: BundleExperiment = { name, spec: experiment.spec };
  const sources: Source[] = [
    { name: EXPERIMENT_MEMBER, data: Buffer.from(`${JSON.stringify(spec, null, 1)}\n`) },
    { name: RUNS_MEMBER, data: Buffer.from(`${JSON.stringify(rows, null, 1)}\n`) },
    ...files,
  ];
  const created = new Date();
  const members: ManifestMember[] = [];
  for (const source of sources) members.push({ name: source.name, ...(await digest(source)) });
  const manifest: Manifest = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, experiment: name, created: created.toISOString(), members };

  const temp = `${outFile}.${process.pid}.tmp`;
  try {
    const fd = openSync(temp, "wx");
    const pack = tarPack();
    const written = pipeline(pack, createWriteStream(temp, { fd }));
    await addEntry(pack, { name: MANIFEST_MEMBER, data: Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`) }, created);
    for (const [i, source] of sources.entries()) await addEntry(pack, source, created, members[i].size);
    pack.finalize();
    await written;
    renameSync(temp, outFile);
  } catch (err) {
    rmSync(temp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new InputError(`--out ${outFile}: cannot write the bundle (${code})`);
  }
  return { runs: done.length, leftOut: all.length - done.length, bytes: statSync(outFile).size };
}

/** Files under `dir`, by path relative to it with "/" separators, sorted. */
function runFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

async function digest(source: Source): Promise<{ size: number; sha256: string }> {
  if ("data" in source) return { size: source.data.length, sha256: createHash("sha256").update(source.data).digest("hex") };
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(source.path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest("hex") };
}

/** Adds one member; a file must still have the size it was hashed with (tar-stream refuses another). */
function addEntry(pack: Pack, source: Source, mtime: Date, size?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const header = { name: source.name, mtime, mode: 0o644 };
    if ("data" in source) {
      pack.entry(header, source.data, (err) => (err ? reject(err) : resolve())).on("error", reject);
      return;
    }
    const entry = pack.entry({ ...header, size }, (err) => (err ? reject(err) : resolve()));
    entry.on("error", reject);
    const input = createReadStream(source.path);
    input.on("error", (err) => {
      entry.destroy(err);
      reject(err);
    });
    input.pipe(entry);
  });
}
