// noiselab import: a bundle's runs into a store. Everything is checked before anything is written:
// the bundle (sizes, hashes, manifest, spec, rows) and each run against the store (same run again,
// or a conflict). Then each run goes through the store's commit path, as a trained run does.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.js";
import type { PlannedRun } from "../experiment/plan.js";
import { planRuns } from "../experiment/plan.js";
import { parseSpec } from "../experiment/spec.js";
import { canonicalJson, contentHash } from "../run-unit/hash.js";
import type { RunUnit } from "../run-unit/unit.js";
import { isRecord, readWorkerResult, RESULT_FILE, UNIT_FILE } from "../run-unit/unit.js";
import { RunStore } from "../store/run-store.js";
import type { BundleExperiment, BundleRun } from "./format.js";
import { EXPERIMENT_MEMBER, RUNS_MEMBER, parseRunMember, runMember } from "./format.js";
import { mergeSpecs, renameRunEnvironment, renameSpecEnvironments } from "./machine.js";
import type { BundleContents } from "./read.js";
import { readBundle } from "./read.js";

/** Written by every run (issue 11): `toolchain` is the hash of what can change its numerics. */
const FINGERPRINT_FILE = "fingerprint.json";
/** A run's outputs that say whether two runs are the same: its predictions and scores per saved epoch. */
const OUTPUT_FILE = /^(predictions|probabilities)-e\d+\.npy$/;

export interface ImportOptions {
  /** Import the runs as environments `<name>@<machine>`, next to the store's own. */
  machine?: string;
}

export interface ImportSummary {
  experiment: string;
  /** Labels of the runs committed to the store. */
  imported: string[];
  /** Labels of the runs the store had already, with the same content and tool chain. */
  skipped: string[];
}

interface IncomingRun {
  row: BundleRun;
  /** The run as the store keys it (renamed with --machine). */
  unit: RunUnit;
}

/** Imports the bundle `file` into the store in `storeDir` (created when missing); see docs/bundles.md. */
export async function importBundle(file: string, storeDir: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const contents = await readBundle(file, { keep: keptMember });
  const { experiment, runs } = checkContents(file, contents);
  const incomingSpec = options.machine === undefined ? experiment.spec : renameSpecEnvironments(experiment.spec, options.machine);
  const configs = runs.map((row) => (options.machine === undefined ? row.config : renameRunEnvironment(row.config, options.machine, row.label)));

  const store = RunStore.open(storeDir);
  try {
    const local = store.getExperiment(experiment.name);
    const spec = local === undefined ? incomingSpec : mergeSpecs(experiment.name, local.spec, incomingSpec);
    const planned = planByKey(spec, `bundle ${file}: the experiment's spec in this store`);
    const incoming: IncomingRun[] = runs.map((row, i) => {
      const key = contentHash(configs[i]);
      const plan = planned.get(key);
      if (plan === undefined) throw new InputError(`bundle ${file}: run ${row.label}${options.machine === undefined ? "" : `, renamed for --machine ${options.machine},`} is not a run of the experiment's spec in this store`);
      return { row, unit: { key, experiment: experiment.name, label: plan.label, config: configs[i] } };
    });
    const skipped: IncomingRun[] = [];
    const conflicts: string[] = [];
    for (const run of incoming) {
      const verdict = compareWithStore(store, run, contents);
      if (verdict === "new") continue;
      if (verdict === "same") skipped.push(run);
      else conflicts.push(`run ${run.unit.label} (key ${run.unit.key.slice(0, 12)}…) is in the store already ${verdict}`);
    }
    if (conflicts.length > 0) {
      const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more run(s))` : "";
      throw new InputError(`bundle ${file}: ${conflicts[0]}${more}; nothing imported. Import with --machine NAME to keep the bundle's runs as environments of their own`);
    }
    const fresh = incoming.filter((run) => !skipped.includes(run));
    const staging = new Map<string, string>();
    try {
      for (const run of fresh) staging.set(run.row.key, store.createStaging(run.unit.key));
      await readBundle(file, {
        expectManifest: contents.manifestText,
        target: (name) => {
          const member = parseRunMember(name);
          const dir = member && staging.get(member.key);
          return dir === undefined ? undefined : join(dir, ...member!.file.split("/"));
        },
      });
      if (local === undefined) store.defineExperiment(experiment.name, spec);
      else if (canonicalJson(spec) !== canonicalJson(local.spec)) {
        store.replaceExperimentSpec(experiment.name, spec);
        // More environments can change the labels of the runs already here (they gain their environment's name).
        const members = new Set(store.runsOf(experiment.name).map((r) => r.key));
        for (const run of planned.values()) if (members.has(run.key)) store.linkRun(run);
      }
      for (const run of fresh) {
        const dir = staging.get(run.row.key)!;
        if (run.unit.key !== run.row.key || run.unit.label !== run.row.label) rewriteUnit(dir, run.unit);
        const result = readWorkerResult(dir);
        store.commitRun(run.unit, dir, result, {
          startedAt: new Date(run.row.startedAt),
          finishedAt: new Date(run.row.finishedAt),
          wallSeconds: run.row.wallSeconds,
        });
        staging.delete(run.row.key);
      }
    } finally {
      for (const dir of staging.values()) store.discardStaging(dir);
    }
    for (const run of skipped) store.linkRun(run.unit);
    return { experiment: experiment.name, imported: fresh.map((r) => r.unit.label), skipped: skipped.map((r) => r.unit.label) };
  } finally {
    store.close();
  }
}

/** The members the checks read: the spec, the rows, and each run's unit, result and fingerprint. */
function keptMember(name: string): boolean {
  if (name === EXPERIMENT_MEMBER || name === RUNS_MEMBER) return true;
  const member = parseRunMember(name);
  return member !== undefined && [UNIT_FILE, RESULT_FILE, FINGERPRINT_FILE].includes(member.file);
}

/** The bundle's experiment and runs, once they agree with each other and with the spec; else an InputError naming the member. */
function checkContents(file: string, contents: BundleContents): { experiment: BundleExperiment; runs: BundleRun[] } {
  const fail = (member: string, what: string): never => {
    throw new InputError(`bundle ${file}: member ${member}${what.startsWith(":") ? "" : " "}${what}`);
  };
  const json = (member: string): unknown => {
    try {
      return JSON.parse(contents.kept.get(member)!.toString("utf8"));
    } catch (err) {
      return fail(member, `is not JSON (${(err as Error).message})`);
    }
  };
  const experiment = json(EXPERIMENT_MEMBER);
  if (!isRecord(experiment) || experiment.name !== contents.manifest.experiment || !isRecord(experiment.spec)) {
    fail(EXPERIMENT_MEMBER, `must hold the experiment "${contents.manifest.experiment}" and its spec`);
  }
  const { name, spec } = experiment as unknown as BundleExperiment;
  const planned = planByKey(spec, `bundle ${file}: member ${EXPERIMENT_MEMBER}: spec`);
  const rows = json(RUNS_MEMBER);
  if (!Array.isArray(rows)) return fail(RUNS_MEMBER, "must hold a list of runs");
  const keys = new Set<string>();
  for (const [i, row] of rows.entries()) {
    if (!isRecord(row) || typeof row.key !== "string" || typeof row.label !== "string" || !isRecord(row.metrics)) fail(RUNS_MEMBER, `: runs[${i}] must have a key, a label, a config and metrics`);
    const run = row as unknown as BundleRun;
    if (typeof run.startedAt !== "string" || Number.isNaN(Date.parse(run.startedAt)) || typeof run.finishedAt !== "string" || Number.isNaN(Date.parse(run.finishedAt)) || typeof run.wallSeconds !== "number") {
      fail(RUNS_MEMBER, `: run ${run.label} must have its start and finish times and wall seconds`);
    }
    if (keys.has(run.key)) fail(RUNS_MEMBER, `lists run ${run.key} twice`);
    keys.add(run.key);
    let key: string;
    try {
      key = contentHash(run.config);
    } catch (err) {
      return fail(RUNS_MEMBER, `: run ${run.label}: config ${(err as Error).message}`);
    }
    if (key !== run.key) fail(RUNS_MEMBER, `: run ${run.label}: its key is not the hash of its config (edited?)`);
    if (planned.get(key)?.label !== run.label) fail(RUNS_MEMBER, `: run ${run.label} is not a run of the bundle's spec`);
    for (const required of [UNIT_FILE, RESULT_FILE]) {
      if (!contents.kept.has(runMember(key, required))) fail(runMember(key, required), `is missing from ${RUNS_MEMBER}'s run ${run.label}`);
    }
    const unit = json(runMember(key, UNIT_FILE));
    if (!isRecord(unit) || unit.key !== key || unit.experiment !== name || canonicalJson(unit.config) !== canonicalJson(run.config)) {
      fail(runMember(key, UNIT_FILE), `does not match run ${run.label} in ${RUNS_MEMBER}`);
    }
    const result = json(runMember(key, RESULT_FILE));
    if (!isRecord(result) || canonicalJson(result.metrics) !== canonicalJson(run.metrics)) fail(runMember(key, RESULT_FILE), `does not match the metrics of run ${run.label} in ${RUNS_MEMBER}`);
  }
  for (const member of contents.manifest.members) {
    const run = parseRunMember(member.name);
    if (run !== undefined && !keys.has(run.key)) fail(member.name, `belongs to no run in ${RUNS_MEMBER}`);
  }
  return { experiment: { name, spec }, runs: rows as BundleRun[] };
}

/** The planned runs of a spec given as JSON, by key. */
function planByKey(spec: unknown, source: string): Map<string, PlannedRun> {
  return new Map(planRuns(parseSpec(spec, source)).map((run) => [run.key, run]));
}

/**
 * "new" when the store has no done run with the incoming run's key; "same" when it has this run already
 * (same weights hash and outputs, same tool chain); else how the two differ. A run without
 * fingerprint.json has an unknown tool chain: the same as another such run only if it is that very
 * run (same start and finish), imported before or exported from this store.
 */
function compareWithStore(store: RunStore, run: IncomingRun, contents: BundleContents): "new" | "same" | string {
  const local = store.getRun(run.unit.key);
  if (local?.status !== "done" || local.artifactDir === null) return "new";
  if (store.metricsOf(run.unit.key).weightsHash !== run.row.metrics.weightsHash) return "with other weights (the weights hash differs)";
  const incomingOutputs: Record<string, string> = {};
  for (const m of contents.manifest.members) {
    const member = parseRunMember(m.name);
    if (member?.key === run.row.key && OUTPUT_FILE.test(member.file)) incomingOutputs[member.file] = m.sha256;
  }
  const localOutputs = Object.fromEntries(readdirSync(local.artifactDir).filter((f) => OUTPUT_FILE.test(f)).map((f) => [f, sha256(join(local.artifactDir!, f))]));
  if (canonicalJson(localOutputs) !== canonicalJson(incomingOutputs)) return "with other predictions";
  const localChain = toolchainOf(parseJson(readFileOrUndefined(join(local.artifactDir, FINGERPRINT_FILE))));
  const incomingChain = toolchainOf(parseJson(contents.kept.get(runMember(run.row.key, FINGERPRINT_FILE))));
  if (localChain !== undefined && incomingChain !== undefined) return localChain === incomingChain ? "same" : "from another tool chain (fingerprint.json's toolchain differs)";
  if (localChain !== undefined || incomingChain !== undefined) return `from an unknown tool chain (no fingerprint.json ${localChain === undefined ? "in the store" : "in the bundle"})`;
  return local.startedAt === run.row.startedAt && local.finishedAt === run.row.finishedAt ? "same" : "from an unknown tool chain (neither run has a fingerprint.json)";
}

function toolchainOf(fingerprint: unknown): string | undefined {
  return isRecord(fingerprint) && typeof fingerprint.toolchain === "string" ? fingerprint.toolchain : undefined;
}

function readFileOrUndefined(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function parseJson(data: Buffer | undefined): unknown {
  try {
    return data === undefined ? undefined : JSON.parse(data.toString("utf8"));
  } catch {
    return undefined;
  }
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** The renamed run's unit.json: its new key, label and config, so that the store can recover it. */
function rewriteUnit(dir: string, unit: RunUnit): void {
  const path = join(dir, UNIT_FILE);
  const written = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  writeFileSync(path, `${JSON.stringify({ ...written, ...unit })}\n`);
}
