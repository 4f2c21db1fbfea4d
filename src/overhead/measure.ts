// Interleaved timing of one training step under several determinism
// configurations. Every configuration is warmed up first; then each round
// times `steps` steps of every configuration in turn, starting one
// configuration later each round, so that slow drift (thermal state, a
// neighbour's load) falls on all configurations alike instead of on whichever
// would have run last.
import type { DeterminismFlags } from "../torch/index.js";
import type { DeterminismConfig } from "./configs.js";
import type { ConfigMeasurement } from "./summary.js";

export interface MeasurePlan {
  /** Untimed steps per configuration before the first round. */
  warmup: number;
  /** Rounds; each times every configuration once. */
  repeats: number;
  /** Timed steps per configuration and round. */
  steps: number;
}

/** The clock and the device synchronisation; tests pass fakes. */
export interface StepTimer {
  /** Milliseconds from an arbitrary origin. */
  now(): number;
  /** Waits for queued device work (CUDA); a no-op on CPU. */
  synchronize(): void;
}

export interface MeasureHooks {
  /** Sets libtorch's determinism switches (`torch.setDeterminism`). */
  applyFlags(flags: Partial<DeterminismFlags>): void;
  /** One training step. */
  step(): void;
  timer: StepTimer;
}

const NONDETERMINISTIC_OP = /does not have a deterministic implementation/;

/**
 * libtorch's message when `error` is the one it raises under deterministic
 * algorithms for an op without a deterministic implementation, else null.
 */
export function nondeterministicOpMessage(error: unknown): string | null {
  const message = error instanceof Error ? error.message : String(error);
  return NONDETERMINISTIC_OP.test(message) ? message : null;
}

/**
 * Times every configuration: warm-up, then `repeats` interleaved rounds. A
 * configuration under which libtorch raises for a nondeterministic op is
 * marked "not-deterministic" and dropped from later rounds; any other error
 * propagates.
 */
export function measureInterleaved(configs: readonly DeterminismConfig[], plan: MeasurePlan, hooks: MeasureHooks): ConfigMeasurement[] {
  const results: ConfigMeasurement[] = configs.map((c) => ({ config: c.id, status: "ok", message: null, roundSeconds: [] }));
  const attempt = (index: number, fn: () => void): void => {
    try {
      hooks.applyFlags(configs[index].flags);
      fn();
    } catch (err) {
      const message = nondeterministicOpMessage(err);
      if (message === null) throw err;
      results[index] = { config: configs[index].id, status: "not-deterministic", message, roundSeconds: [] };
    }
  };
  for (let c = 0; c < configs.length; c++) {
    attempt(c, () => {
      for (let i = 0; i < plan.warmup; i++) hooks.step();
      hooks.timer.synchronize();
    });
  }
  for (let round = 0; round < plan.repeats; round++) {
    for (let k = 0; k < configs.length; k++) {
      const c = (round + k) % configs.length;
      if (results[c].status !== "ok") continue;
      attempt(c, () => {
        hooks.timer.synchronize();
        const start = hooks.timer.now();
        for (let i = 0; i < plan.steps; i++) hooks.step();
        hooks.timer.synchronize();
        results[c].roundSeconds.push((hooks.timer.now() - start) / 1000 / plan.steps);
      });
    }
  }
  return results;
}
