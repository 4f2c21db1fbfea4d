import { availableParallelism } from "node:os";
import { InputError } from "../errors.js";

export interface Parallelism {
  processes: number;
  threadsPerProcess: number;
}

/**
 * Keep every core busy: one process per core, each single-threaded, because independent
 * runs scale better than intra-op threads on the small models of the paper. When there are
 * fewer runs than cores, the spare cores go to the runs as threads.
 */
export function defaultParallelism(cores: number = availableParallelism(), runs: number = Infinity): Parallelism {
  const processes = Math.max(1, Math.min(cores, runs));
  return { processes, threadsPerProcess: Math.max(1, Math.floor(cores / processes)) };
}

/**
 * Parallelism from the user's choices, filling in what they left out so the cores stay busy.
 * `processes` and `threadsPerProcess` must be positive integers (InputError naming the option).
 */
export function resolveParallelism(
  chosen: { processes?: number; threadsPerProcess?: number },
  runs: number,
  cores: number = availableParallelism(),
): Parallelism {
  for (const [name, value] of Object.entries(chosen)) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new InputError(`${name} must be a positive integer, got ${value}`);
    }
  }
  const fallback = defaultParallelism(cores, runs);
  const processes = chosen.processes ?? fallback.processes;
  return {
    processes,
    threadsPerProcess: chosen.threadsPerProcess ?? Math.max(1, Math.floor(cores / Math.min(processes, Math.max(1, runs)))),
  };
}
