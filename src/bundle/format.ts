// The bundle: one tar file that carries an experiment's spec, its done runs' rows and every file of
// those runs from one store to another (docs/bundles.md). Its first member is the manifest, which
// lists every other member with its size and sha256.
import type { MetricValue } from "../run-unit/unit.js";
import { isRecord } from "../run-unit/unit.js";

export const BUNDLE_FORMAT = "noiselab-bundle";
export const BUNDLE_VERSION = 1;

/** Member names. The manifest comes first; a run's files live under runs/<key>/. */
export const MANIFEST_MEMBER = "manifest.json";
export const EXPERIMENT_MEMBER = "experiment.json";
export const RUNS_MEMBER = "runs.json";
const RUN_PREFIX = "runs/";

/** JSON members (manifest, experiment, runs, a run's small JSON files) are read into memory up to this size. */
export const MAX_JSON_BYTES = 256 * 1024 * 1024;

export interface ManifestMember {
  name: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  version: number;
  experiment: string;
  /** ISO 8601 time of the export. */
  created: string;
  /** Every other member of the bundle, in the bundle's order. */
  members: ManifestMember[];
}

export interface BundleExperiment {
  name: string;
  spec: unknown;
}

/** A done run as exported: its store row and its metrics. */
export interface BundleRun {
  key: string;
  label: string;
  config: unknown;
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  metrics: Record<string, MetricValue>;
}

/** The member name of a run's file, e.g. runs/<key>/weights.safetensors. */
export function runMember(key: string, file: string): string {
  return `${RUN_PREFIX}${key}/${file}`;
}

const SEGMENT = /^[A-Za-z0-9_+=-][A-Za-z0-9._+=-]*$/;
const RUN_MEMBER = /^runs\/([0-9a-f]{64})\/(.+)$/;

/** The run key and file of a run member, or undefined when `name` is not one (or would leave its run dir). */
export function parseRunMember(name: string): { key: string; file: string } | undefined {
  const match = RUN_MEMBER.exec(name);
  if (!match) return undefined;
  const file = match[2];
  if (!file.split("/").every((segment) => SEGMENT.test(segment) && segment !== "." && segment !== "..")) return undefined;
  return { key: match[1], file };
}

/** Why `value` is not a manifest, or undefined. */
export function manifestProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return "is not a JSON object";
  if (value.format !== BUNDLE_FORMAT) return `is not a noiselab bundle's manifest (format ${JSON.stringify(value.format)})`;
  if (value.version !== BUNDLE_VERSION) return `has format version ${JSON.stringify(value.version)}; this noiselab reads version ${BUNDLE_VERSION}`;
  if (typeof value.experiment !== "string" || value.experiment === "") return "has no experiment name";
  if (!Array.isArray(value.members)) return "has no member list";
  const seen = new Set<string>();
  for (const [i, m] of (value.members as unknown[]).entries()) {
    if (!isRecord(m) || typeof m.name !== "string" || !Number.isSafeInteger(m.size) || (m.size as number) < 0 || typeof m.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(m.sha256)) {
      return `members[${i}] must have a name, a size and a sha256`;
    }
    if (m.name !== EXPERIMENT_MEMBER && m.name !== RUNS_MEMBER && parseRunMember(m.name) === undefined) return `members[${i}]: "${m.name}" is not a bundle member's name`;
    if (seen.has(m.name)) return `lists "${m.name}" twice`;
    seen.add(m.name);
  }
  for (const name of [EXPERIMENT_MEMBER, RUNS_MEMBER]) if (!seen.has(name)) return `does not list ${name}`;
  return undefined;
}
