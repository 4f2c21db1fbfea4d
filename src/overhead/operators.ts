// The paper's Figure 8 on libtorch's profiler: the operators (or, on CUDA,
// the kernels) that take the most time per training step, in the default and
// the deterministic configuration side by side.
import type { OperatorProfile } from "../torch/index.js";

export interface OperatorComparison {
  /** 1 for the operator with the most time in either configuration. */
  rank: number;
  name: string;
  /** Inclusive milliseconds per training step (nested operators included), 0 where the op did not run. */
  defaultMs: number;
  deterministicMs: number;
  /** Self milliseconds per step (nested operators excluded). */
  defaultSelfMs: number;
  deterministicSelfMs: number;
  /** Calls per step. */
  defaultCalls: number;
  deterministicCalls: number;
}

export const TOP_OPERATORS = 20;

/** One configuration's profile: totals per name over `steps` training steps. */
export interface ProfiledSteps {
  totals: readonly OperatorProfile[];
  steps: number;
}

/**
 * The `top` operators by inclusive time per step, ranked by the larger of
 * the two configurations' times, so that an operator only the deterministic
 * configuration runs (a deterministic fallback kernel) ranks as high as its
 * time warrants. Times are per step: each profile's totals divided by its step count.
 */
export function compareOperators(defaults: ProfiledSteps, deterministic: ProfiledSteps, top = TOP_OPERATORS): OperatorComparison[] {
  const byName = (side: ProfiledSteps) => new Map(side.totals.map((o) => [o.name, o]));
  const defaultOps = byName(defaults);
  const deterministicOps = byName(deterministic);
  const names = new Set([...defaultOps.keys(), ...deterministicOps.keys()]);
  const perStep = (side: ProfiledSteps, ops: Map<string, OperatorProfile>, name: string) => {
    const op = ops.get(name);
    return op === undefined
      ? { ms: 0, selfMs: 0, calls: 0 }
      : { ms: op.totalMicros / 1000 / side.steps, selfMs: op.selfMicros / 1000 / side.steps, calls: op.calls / side.steps };
  };
  const rows = [...names].map((name) => {
    const d = perStep(defaults, defaultOps, name);
    const x = perStep(deterministic, deterministicOps, name);
    return {
      rank: 0,
      name,
      defaultMs: d.ms,
      deterministicMs: x.ms,
      defaultSelfMs: d.selfMs,
      deterministicSelfMs: x.selfMs,
      defaultCalls: d.calls,
      deterministicCalls: x.calls,
    };
  });
  rows.sort((a, b) => Math.max(b.defaultMs, b.deterministicMs) - Math.max(a.defaultMs, a.deterministicMs) || a.name.localeCompare(b.name));
  return rows.slice(0, top).map((row, i) => ({ ...row, rank: i + 1 }));
}
