import assert from "node:assert/strict";
import { test } from "node:test";
import { cosineWithWarmup, multiStepDecay, stepDecay } from "../../src/optim/index.js";

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test("step decay: base × gamma^⌊step / size⌋, as StepLR", () => {
  const lr = stepDecay(0.1, 3, 0.1);
  [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001].forEach((expected, step) => close(lr(step), expected));
  assert.throws(() => stepDecay(0.1, 0), /step size must be positive/);
});

test("multi-step decay: one factor per milestone reached, as MultiStepLR", () => {
  const lr = multiStepDecay(4e-4, [2, 5]);
  [4e-4, 4e-4, 4e-5, 4e-5, 4e-5, 4e-6].forEach((expected, step) => close(lr(step), expected));
});

test("cosine with linear warm-up: rises to base, then follows half a cosine to the floor", () => {
  const lr = cosineWithWarmup(1, 4, 14, 0.1);
  [0.25, 0.5, 0.75, 1].forEach((expected, step) => close(lr(step), expected));
  close(lr(9), 0.1 + 0.45 * (1 + Math.cos(Math.PI * 0.5)));
  close(lr(14), 0.1);
  close(lr(20), 0.1);
  assert.throws(() => cosineWithWarmup(1, 5, 4), /warmupSteps/);
});
