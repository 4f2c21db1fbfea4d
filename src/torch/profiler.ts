// Per-operator host time from libtorch's RecordFunction hooks (native/src/profiler.cc).
import type { OperatorProfile } from "./native.js";
import { native } from "./native.js";

export type { OperatorProfile };

/** Starts counting every operator and autograd node; throws while a session is already running. */
export function startProfiling(): void {
  native.startProfiling();
}

/**
 * Stops counting and returns the totals per operator since `startProfiling`,
 * unsorted. On CUDA the times are host-side (dispatch and kernel launch), not
 * GPU kernel time.
 */
export function stopProfiling(): OperatorProfile[] {
  return native.stopProfiling();
}

/** Runs `fn` under the profiler; the session ends whether `fn` returns or throws. */
export function profile<T>(fn: () => T): { result: T; operators: OperatorProfile[] } {
  native.startProfiling();
  let result: T;
  try {
    result = fn();
  } catch (err) {
    native.stopProfiling();
    throw err;
  }
  return { result, operators: native.stopProfiling() };
}
