/** A learning rate as a function of the step (or epoch) count, starting at 0. */
export type LrSchedule = (step: number) => number;

/** base × gamma^⌊step / stepSize⌋, as `StepLR`. */
export function stepDecay(base: number, stepSize: number, gamma = 0.1): LrSchedule {
  if (!(stepSize > 0)) throw new RangeError(`step size must be positive, got ${stepSize}`);
  return (step) => base * gamma ** Math.floor(step / stepSize);
}

/** base × gamma^(number of milestones ≤ step), as `MultiStepLR`. */
export function multiStepDecay(base: number, milestones: number[], gamma = 0.1): LrSchedule {
  return (step) => base * gamma ** milestones.filter((m) => m <= step).length;
}

/**
 * Linear warm-up from 0 to `base` over `warmupSteps`, then cosine decay to
 * `minLr` at `totalSteps` (held there after).
 */
export function cosineWithWarmup(base: number, warmupSteps: number, totalSteps: number, minLr = 0): LrSchedule {
  if (!(totalSteps > 0) || warmupSteps < 0 || warmupSteps > totalSteps) {
    throw new RangeError(`need 0 ≤ warmupSteps (${warmupSteps}) ≤ totalSteps (${totalSteps}) and totalSteps > 0`);
  }
  return (step) => {
    if (step < warmupSteps) return (base * (step + 1)) / warmupSteps;
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minLr + 0.5 * (base - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}
