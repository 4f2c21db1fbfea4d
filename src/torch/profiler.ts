// libtorch's profiler (native/src/profiler.cc returns its raw events) and
// the per-name totals built from them: host operators with inclusive and
// self time, and, where libtorch records them, GPU kernels.
import type { ProfilerEvent } from "./native.js";
import { native } from "./native.js";

export type { ProfilerEvent };

/** Totals per name over one profiling session. */
export interface OperatorProfile {
  /** An operator ("aten::mm"), an autograd node ("MmBackward0") or, on a device, a kernel. */
  name: string;
  calls: number;
  /** Inclusive time, nested operators included. */
  totalMicros: number;
  /** Time not spent in the events nested directly inside, on the same thread. Kernels do not nest: self = total. */
  selfMicros: number;
}

export interface Profile {
  /** Host-side operators and autograd nodes. On CUDA their time is dispatch and launch, not kernel time. */
  operators: OperatorProfile[];
  /**
   * GPU kernels, copies and memsets with their device time. Empty on CPU, and
   * on a libtorch built without Kineto/CUPTI (Debian's), which records none.
   */
  kernels: OperatorProfile[];
}

export interface ProfileOptions {
  /** Also ask for the CUDA activity (kernels). Default false. */
  cuda?: boolean;
}

/** Starts a session on this thread; throws while one is already running. */
export function startProfiling(options: ProfileOptions = {}): void {
  native.startProfiling(options.cuda ?? false);
}

/** Ends the session and returns its totals, unsorted. */
export function stopProfiling(): Profile {
  return summarizeEvents(native.stopProfiling());
}

/** Runs `fn` under the profiler; the session ends whether `fn` returns or throws. */
export function profile<T>(fn: () => T, options: ProfileOptions = {}): { result: T } & Profile {
  startProfiling(options);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    native.stopProfiling();
    throw err;
  }
  return { result, ...stopProfiling() };
}

/** A host event whose nested events are still being read. */
interface OpenEvent {
  event: ProfilerEvent;
  childMicros: number;
}

/**
 * Totals per name. Host events nest per thread: an event that starts before
 * the enclosing one ends is its child (as torch.autograd.profiler builds its
 * tree), and a parent's self time is its duration minus its direct children's.
 */
export function summarizeEvents(events: readonly ProfilerEvent[]): Profile {
  const operators = new Map<string, OperatorProfile>();
  const kernels = new Map<string, OperatorProfile>();
  const totalsFor = (table: Map<string, OperatorProfile>, name: string): OperatorProfile => {
    let totals = table.get(name);
    if (totals === undefined) table.set(name, (totals = { name, calls: 0, totalMicros: 0, selfMicros: 0 }));
    return totals;
  };
  const hostByThread = new Map<number, ProfilerEvent[]>();
  for (const event of events) {
    if (event.device === "cpu") {
      const list = hostByThread.get(event.threadId);
      if (list === undefined) hostByThread.set(event.threadId, [event]);
      else list.push(event);
    } else {
      const totals = totalsFor(kernels, event.name);
      totals.calls += 1;
      totals.totalMicros += event.durationMicros;
      totals.selfMicros += event.durationMicros;
    }
  }
  for (const list of hostByThread.values()) {
    // Parents first: by start, and the longer of two events that start together.
    list.sort((a, b) => a.startMicros - b.startMicros || b.durationMicros - a.durationMicros);
    const stack: OpenEvent[] = [];
    const close = (open: OpenEvent) => {
      totalsFor(operators, open.event.name).selfMicros += Math.max(0, open.event.durationMicros - open.childMicros);
    };
    const endOf = (open: OpenEvent) => open.event.startMicros + open.event.durationMicros;
    for (const event of list) {
      while (stack.length > 0 && endOf(stack[stack.length - 1]) <= event.startMicros) close(stack.pop()!);
      if (stack.length > 0) stack[stack.length - 1].childMicros += event.durationMicros;
      const totals = totalsFor(operators, event.name);
      totals.calls += 1;
      totals.totalMicros += event.durationMicros;
      stack.push({ event, childMicros: 0 });
    }
    while (stack.length > 0) close(stack.pop()!);
  }
  return { operators: [...operators.values()], kernels: [...kernels.values()] };
}
