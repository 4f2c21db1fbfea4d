// The paper's SmallCNN and MediumCNN against the layers of its Keras code,
// built in PyTorch by scripts/make_model_fixtures.py: per-layer output shapes
// at the paper's input, parameter counts as Keras counts them, and a full
// forward/backward of SmallCNN on the same weights.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MEDIUMCNN_MIN_INPUT, createModel } from "../../src/models/index.js";
import type { CreateModelOptions } from "../../src/models/index.js";
import type { Module } from "../../src/nn/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { Generator, noGrad, randn, tidy, zeros } from "../../src/torch/index.js";
import type { TensorFixture } from "../helpers.js";
import { assertClose, fromFixture, readJsonFixture } from "../helpers.js";

interface PaperLayers {
  model: string;
  options: CreateModelOptions;
  inputShape: number[];
  layers: [string, number[]][];
  trainableParameters: number;
  kerasCountParams: number;
}

const { paperLayers } = readJsonFixture<{ paperLayers: Record<string, PaperLayers> }>("models/models.json");

/** Every leaf module's output shape (batch dimension dropped) for one eval-mode forward of zeros. */
function leafOutputShapes(model: Module, inputShape: number[]): [string, number[]][] {
  const shapes: [string, number[]][] = [];
  const leaves = model.namedModules().filter(([, m]) => m.namedModules().length === 1);
  const removers = leaves.map(([name, m]) => m.registerForwardHook((_, output) => shapes.push([name, output.shape.slice(1)])));
  tidy(() => noGrad(() => model.eval().call(zeros([1, ...inputShape]))));
  for (const remove of removers) remove();
  return shapes;
}

describe("the paper's CNNs have the layers of its Keras code", () => {
  for (const [name, c] of Object.entries(paperLayers)) {
    test(`${name}: output shape of every layer at ${c.inputShape.join("×")}, and parameter counts`, () => {
      const model = createModel(c.model, { ...c.options, initGenerator: new Generator(0) });
      try {
        assert.deepEqual(leafOutputShapes(model, c.inputShape), c.layers);
        assert.equal(model.parameterCount(), c.trainableParameters, "trainable parameters");
        // Keras' count_params() also counts BatchNorm's moving mean and variance (non-trainable weights).
        const moving = model.namedBuffers().filter(([key]) => key.endsWith("running_mean") || key.endsWith("running_var"));
        assert.equal(model.parameterCount() + moving.reduce((n, [, t]) => n + t.numel, 0), c.kerasCountParams, "Keras count_params()");
      } finally {
        model.dispose();
      }
    });
  }

  test("MediumCNN refuses inputs its six max-pools would shrink to nothing", () =>
    tidy(() => {
      const model = createModel("mediumcnn", { numClasses: 10, kernelSize: 1 });
      assert.deepEqual(noGrad(() => model.eval().call(randn([1, 3, MEDIUMCNN_MIN_INPUT, MEDIUMCNN_MIN_INPUT]))).shape, [1, 10]);
      assert.throws(() => model.call(randn([1, 3, 32, 32])), /MediumCNN needs an input of at least 64×64, got 32×32/);
      model.dispose();
    }));
});

interface ParityCase {
  options: CreateModelOptions;
  state: Record<string, TensorFixture>;
  input: TensorFixture;
  upstream: TensorFixture;
  output: TensorFixture;
  gradInput: TensorFixture;
  grads: Record<string, TensorFixture>;
  buffersAfter: Record<string, TensorFixture>;
  evalOutput: TensorFixture;
}

const parity = readJsonFixture<{ cases: Record<string, ParityCase> }>("models/smallcnn-parity.json");

describe("SmallCNN forward and backward match PyTorch on the same weights", () => {
  for (const [name, c] of Object.entries(parity.cases)) {
    test(name, () =>
      tidy(() => {
        // Built from another seed, then loaded with the reference's weights.
        const model = createModel("smallcnn", { ...c.options, initGenerator: new Generator(99) });
        const state = new Map(Object.entries(c.state).map(([key, t]) => [key, fromFixture(t)] as [string, Tensor]));
        model.loadStateDict(state, false);
        assert.deepEqual(
          [...model.stateDict().keys()].filter((k) => !k.endsWith("num_batches_tracked")),
          Object.keys(c.state),
          "state-dict names and order",
        );
        const x = fromFixture(c.input, { requiresGrad: true });
        const output = model.train().call(x);
        assertClose(output, c.output, 1e-4, 1e-5, "training output");
        output.mul(fromFixture(c.upstream)).sum().backward();
        assertClose(x.grad!, c.gradInput, 1e-4, 1e-5, "input gradient");
        for (const [key, p] of model.namedParameters()) assertClose(p.grad!, c.grads[key], 1e-4, 1e-5, `${key} gradient`);
        const buffers = new Map(model.namedBuffers());
        for (const [key, expected] of Object.entries(c.buffersAfter)) assertClose(buffers.get(key)!, expected, 1e-5, 1e-6, `${key} after the step`);
        assertClose(noGrad(() => model.eval().call(x)), c.evalOutput, 1e-4, 1e-5, "eval output");
        model.dispose();
      }),
    );
  }
});
