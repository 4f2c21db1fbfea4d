import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * One training run, self-contained: everything a worker needs is in `config`,
 * so any executor (local pool, job queue, job array) can run it.
 */
export interface RunUnit {
  /** `contentHash(config)`: the same config is the same run, in every experiment. */
  key: string;
  /** Name of the experiment that asked for this run. */
  experiment: string;
  /** Human-readable name of the run within its experiment, e.g. "ALGO/smallcnn/r3". */
  label: string;
  /** The full run configuration, JSON data. */
  config: unknown;
}

/** What the parent writes to `<stagingDir>/unit.json` before starting the worker. */
export interface WorkerInput extends RunUnit {
  /** Threads the worker uses: its config's `environment.threads` (1 without one); also in env `NOISELAB_THREADS`. */
  threads: number;
}

export type MetricValue = number | string | boolean | null;

/** What the worker writes to `<stagingDir>/result.json` as its last act. */
export interface WorkerResult {
  metrics: Record<string, MetricValue>;
  [extra: string]: unknown;
}

/** Files in a run directory that belong to the runner, not to the worker's artifacts. */
export const UNIT_FILE = "unit.json";
export const RESULT_FILE = "result.json";
/** Written by the store just before a run is committed: timing and the committing pid. */
export const RECORD_FILE = "run.json";
/** What a failing worker writes before it exits non-zero: `{ "error": "the cause, one line" }`. */
export const ERROR_FILE = "error.json";
/** stdout lines of the worker that were not progress reports. */
export const STDOUT_LOG = "stdout.log";
export const STDERR_LOG = "stderr.log";

/** A worker exited 0 but left no usable result.json. The run counts as failed. */
export class WorkerResultError extends Error {
  override name = "WorkerResultError";
}

/** Read and validate `<dir>/result.json`. Throws WorkerResultError naming the bad field. */
export function readWorkerResult(dir: string): WorkerResult {
  const path = join(dir, RESULT_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new WorkerResultError(`${RESULT_FILE} is missing`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new WorkerResultError(`${RESULT_FILE} is not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(parsed)) throw new WorkerResultError(`${RESULT_FILE} must hold a JSON object`);
  const metrics = parsed.metrics;
  if (!isRecord(metrics)) throw new WorkerResultError(`${RESULT_FILE}: "metrics" must be an object`);
  for (const [name, value] of Object.entries(metrics)) {
    if (name === "") throw new WorkerResultError(`${RESULT_FILE}: metrics has an empty name`);
    if (value !== null && !["number", "string", "boolean"].includes(typeof value)) {
      throw new WorkerResultError(`${RESULT_FILE}: metrics.${name} must be a number, string, boolean or null`);
    }
  }
  return parsed as WorkerResult;
}

/** The cause a failed worker reported in `<dir>/error.json`, or undefined when it left none (or garbage). */
export function readWorkerError(dir: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(dir, ERROR_FILE), "utf8"));
    return isRecord(parsed) && typeof parsed.error === "string" && parsed.error.trim() !== "" ? parsed.error.trim().split("\n")[0] : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `<dir>/error.json` for the parent to read: the first line of the error's message. */
export function writeWorkerError(dir: string, err: unknown): void {
  const message = err instanceof Error ? `${err.message.split("\n")[0]}` : String(err);
  writeFileSync(join(dir, ERROR_FILE), `${JSON.stringify({ error: message })}\n`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
