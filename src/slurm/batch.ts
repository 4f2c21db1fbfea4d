import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.js";
import type { RunUnit } from "../run-unit/unit.js";
import { isRecord } from "../run-unit/unit.js";

/**
 * One submitted job array, in `<store>/slurm/<id>/`:
 *
 *   job.sh                 the sbatch script (readable; submit it again by hand if you like)
 *   units.jsonl            line i: the unit of array task i
 *   job.json               { "jobId": "123" } once submitted
 *   logs/<i>.out           stdout and stderr of task i
 *   results/<key>/         a finished run dir, renamed into place whole by its task
 *   results/<key>.json     that attempt's timing, written before the rename
 *   failed/<key>.json      { "error": ... } of a task whose worker failed
 *
 * Tasks write only there (a shared file system, no SQLite); the coordinator commits.
 */
export const SLURM_DIR = "slurm";
export const UNITS_FILE = "units.jsonl";
export const JOB_SCRIPT = "job.sh";
export const JOB_FILE = "job.json";
export const RESULTS_DIR = "results";
export const FAILED_DIR = "failed";
export const LOGS_DIR = "logs";

/** Timing of a task's attempt, next to its result dir. */
export interface TaskTiming {
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  host: string;
}

export interface SbatchOptions {
  partition?: string;
  gres?: string;
  time?: string;
  /** At most this many tasks at once (`--array=0-N%P`). */
  arrayParallel?: number;
  cpusPerTask: number;
  /** Further `#SBATCH` arguments, as given. */
  extra: string[];
}

export function readUnits(batchDir: string): RunUnit[] {
  return readFileSync(join(batchDir, UNITS_FILE), "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as RunUnit);
}

/** The job id of a submitted batch, or undefined before submission. */
export function readJobId(batchDir: string): string | undefined {
  try {
    const job: unknown = JSON.parse(readFileSync(join(batchDir, JOB_FILE), "utf8"));
    return isRecord(job) && typeof job.jobId === "string" ? job.jobId : undefined;
  } catch {
    return undefined;
  }
}

/** Batch dirs of a store that were submitted, oldest first. */
export function submittedBatches(storeDir: string): string[] {
  const root = join(storeDir, SLURM_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort()
    .map((name) => join(root, name))
    .filter((dir) => readJobId(dir) !== undefined);
}

/** The sbatch script of an array over `count` units, one per task. */
export function jobScript(batchDir: string, experiment: string, count: number, options: SbatchOptions): string {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const task = new URL("./task.js", import.meta.url).pathname;
  const lines = [
    "#!/bin/bash",
    `# noiselab: ${count} run(s) of experiment "${experiment}", one per array task (written by noiselab run --slurm).`,
    "# Each task trains its unit (line $SLURM_ARRAY_TASK_ID of units.jsonl) and leaves the run dir in results/;",
    "# the next `noiselab run` or `noiselab report` on this store commits it.",
    `#SBATCH --job-name=${`noiselab-${experiment}`.replace(/[^\w.-]/g, "_")}`,
    `#SBATCH --array=0-${count - 1}${options.arrayParallel ? `%${options.arrayParallel}` : ""}`,
    `#SBATCH --output=${join(batchDir, LOGS_DIR, "%a.out")}`,
    `#SBATCH --cpus-per-task=${options.cpusPerTask}`,
    ...(options.partition ? [`#SBATCH --partition=${options.partition}`] : []),
    ...(options.gres ? [`#SBATCH --gres=${options.gres}`] : []),
    ...(options.time ? [`#SBATCH --time=${options.time}`] : []),
    ...options.extra.map((arg) => `#SBATCH ${arg}`),
    `exec ${quote(process.execPath)} ${quote(task)} ${quote(batchDir)} "$SLURM_ARRAY_TASK_ID"`,
    "",
  ];
  return lines.join("\n");
}

/** Writes a new batch dir for `units` and its script; returns the dir. */
export function writeBatch(storeDir: string, units: RunUnit[], options: SbatchOptions): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
  const dir = join(storeDir, SLURM_DIR, `${stamp}-${process.pid}`);
  for (const sub of [RESULTS_DIR, FAILED_DIR, LOGS_DIR]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, UNITS_FILE), units.map((u) => `${JSON.stringify(u)}\n`).join(""));
  writeFileSync(join(dir, JOB_SCRIPT), jobScript(dir, units[0].experiment, units.length, options), { mode: 0o755 });
  return dir;
}

/** Submits a batch's script; writes job.json. An sbatch that fails is an InputError with its message. */
export function submit(batchDir: string): string {
  let out: string;
  try {
    out = execFileSync("sbatch", ["--parsable", join(batchDir, JOB_SCRIPT)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === "ENOENT") throw new InputError("--slurm: sbatch is not on the PATH (is this a Slurm login node?)");
    throw new InputError(`--slurm: sbatch refused the job: ${(e.stderr || e.message).trim().split("\n")[0]}`);
  }
  const jobId = out.trim().split(";")[0];
  writeFileSync(join(batchDir, JOB_FILE), `${JSON.stringify({ jobId })}\n`);
  return jobId;
}

/**
 * Array task indices of `jobId` that Slurm still has (pending, running, completing), or undefined
 * when squeue cannot be asked. A job Slurm no longer knows has none.
 */
export function liveTasks(jobId: string): Set<number> | undefined {
  let out: string;
  try {
    out = execFileSync("squeue", ["-h", "-r", "-j", jobId, "-o", "%i"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    if (/Invalid job id/i.test(stderr)) return new Set();
    return undefined;
  }
  const tasks = new Set<number>();
  for (const line of out.split("\n")) {
    const match = /^\d+_(\d+)$/.exec(line.trim());
    if (match) tasks.add(Number(match[1]));
  }
  return tasks;
}
