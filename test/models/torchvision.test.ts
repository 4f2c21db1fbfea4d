// Every model against PyTorch/torchvision (test/fixtures/models/models.json,
// made by scripts/make_model_fixtures.py): state-dict names and shapes,
// parameter count, the initial weights drawn from the same seed, an
// eval-mode forward, and for the paper's nets a training step.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StochasticDepth, createModel } from "../../src/models/index.js";
import { STOCHASTIC_LAYER_MODELS } from "../../src/models/names.js";
import { Dropout } from "../../src/nn/index.js";
import type { CreateModelOptions } from "../../src/models/index.js";
import type { Module } from "../../src/nn/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { Generator, noGrad, randn, tidy } from "../../src/torch/index.js";
import { readJsonFixture } from "../helpers.js";

interface Summary {
  shape: number[];
  sum: number;
  absSum: number;
  head: number[];
}

interface Case {
  model: string;
  options: CreateModelOptions;
  state: [string, number[]][];
  parameterCount: number;
  init: [number, number, number][];
  forward: { inputShape: number[]; output: Summary };
  train?: { output: Summary; runningMeanSums: number[]; gradSums: number[] };
}

interface Fixture {
  initSeed: number;
  inputSeed: number;
  upstreamSeed: number;
  cases: Record<string, Case>;
}

const fixture = readJsonFixture<Fixture>("models/models.json");

function close(actual: number, expected: number, rtol: number, atol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= atol + rtol * Math.abs(expected), `${what}: got ${actual}, expected ${expected}`);
}

const sumOf = (t: Tensor): number => tidy(() => t.double().sum().item());

/** Output checks scaled to the output's magnitude: float32 sums over many terms differ in the last bits between thread layouts. */
function assertSummary(actual: Tensor, expected: Summary, what: string): void {
  tidy(() => {
    assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
    const scale = expected.absSum / actual.numel;
    const values = actual.flatten().narrow(0, 0, expected.head.length).toArray();
    values.forEach((v, i) => close(v, expected.head[i], 1e-4, 1e-4 * scale, `${what}[${i}]`));
    close(sumOf(actual), expected.sum, 1e-4, 1e-4 * expected.absSum, `${what}: sum`);
    close(sumOf(actual.abs()), expected.absSum, 1e-4, 0, `${what}: sum of |x|`);
  });
}

function build(c: Case): Module {
  return createModel(c.model, { ...c.options, initGenerator: new Generator(fixture.initSeed) });
}

describe("models match PyTorch and torchvision", () => {
  for (const [name, c] of Object.entries(fixture.cases)) {
    test(name, () => {
      const model = build(c);
      try {
        assert.deepEqual(
          [...model.stateDict()].map(([key, t]) => [key, t.shape]),
          c.state,
          "state-dict names and shapes",
        );
        assert.equal(model.parameterCount(), c.parameterCount);
        // The plan frees the dropout source only for the models listed as having stochastic layers.
        const stochastic = model.namedModules().some(([, m]) => m instanceof Dropout || m instanceof StochasticDepth);
        assert.equal((STOCHASTIC_LAYER_MODELS as readonly string[]).includes(c.model), stochastic, "listed in STOCHASTIC_LAYER_MODELS exactly when it has dropout or stochastic depth");

        // The same seed gives torchvision's initial weights: each parameter's sum,
        // sum of squares and first element.
        const parameters = model.namedParameters();
        assert.equal(parameters.length, c.init.length);
        parameters.forEach(([key, p], i) => {
          const [sum, sumSquares, first] = c.init[i];
          tidy(() => {
            const scale = Math.sqrt(sumSquares * p.numel) + 1e-12;
            close(sumOf(p), sum, 1e-6, 1e-6 * scale, `${key}: sum`);
            close(sumOf(p.square()), sumSquares, 1e-6, 1e-30, `${key}: sum of squares`);
            close(p.flatten().narrow(0, 0, 1).item(), first, 1e-6, 1e-12, `${key}: first element`);
          });
        });

        tidy(() => {
          const input = randn(c.forward.inputShape, { generator: new Generator(fixture.inputSeed) });
          model.eval();
          assertSummary(noGrad(() => model.call(input)), c.forward.output, "eval output");
          if (c.train === undefined) return;
          const train = c.train;
          model.train();
          const output = model.call(input);
          assertSummary(output, train.output, "training output");
          const upstream = randn(output.shape, { generator: new Generator(fixture.upstreamSeed) });
          output.mul(upstream).sum().backward();
          const runningMeans = [...model.stateDict()].filter(([key]) => key.endsWith("running_mean"));
          assert.equal(runningMeans.length, train.runningMeanSums.length);
          runningMeans.forEach(([key, t], i) => close(sumOf(t), train.runningMeanSums[i], 1e-4, 1e-6, `${key} after one step`));
          model.namedParameters().forEach(([key, p], i) => {
            const grad = p.grad;
            assert.ok(grad !== null, `${key} has a gradient`);
            close(sumOf(grad), train.gradSums[i], 1e-3, 1e-4, `${key}: gradient sum`);
          });
        });
      } finally {
        model.dispose();
      }
    });
  }
});
