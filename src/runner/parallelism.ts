import { availableParallelism } from "node:os";
import { InputError } from "../errors.js";

/**
 * Worker processes at a time, by default as many as fit on the cores: floor(cores / threads),
 * at least 1, and no more than there are runs. A run's thread count is part of its environment
 * (and so of its identity): spare cores never become extra threads, because more threads can
 * change a run's numerics (issue 11: a resumed CONTROL replicate trained on 2 threads differed).
 */
export function defaultProcesses(threadsPerRun: number, runs: number = Infinity, cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(Math.floor(cores / threadsPerRun), runs));
}

/** The user's `processes`, which must be a positive integer (InputError naming the option), or the default. */
export function resolveProcesses(chosen: number | undefined, threadsPerRun: number, runs: number, cores: number = availableParallelism()): number {
  if (chosen !== undefined && !(Number.isInteger(chosen) && chosen > 0)) throw new InputError(`processes must be a positive integer, got ${chosen}`);
  return chosen ?? defaultProcesses(threadsPerRun, runs, cores);
}
