import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InputError } from "../../src/errors.js";
import { ADAPTIVE_AVG_POOL2D_BACKWARD_CUDA, MODELS, MODEL_NAMES, createModel, modelInfo } from "../../src/models/index.js";
import { Generator, noGrad, randn, tidy } from "../../src/torch/index.js";
import { readJsonFixture } from "../helpers.js";

describe("model registry", () => {
  test("every name has an entry, and the fixture covers every model", () => {
    assert.deepEqual(Object.keys(MODELS).sort(), [...MODEL_NAMES].sort());
    for (const name of MODEL_NAMES) assert.equal(MODELS[name].name, name);
    const fixture = readJsonFixture<{ cases: Record<string, { model: string }> }>("models/models.json");
    const covered = new Set(Object.values(fixture.cases).map((c) => c.model));
    assert.deepEqual([...covered].sort(), [...MODEL_NAMES].sort());
  });

  test("default input shapes and class counts", () => {
    assert.deepEqual(MODELS.smallcnn.inputShape, [3, 32, 32]);
    assert.deepEqual(MODELS.mediumcnn.inputShape, [3, 224, 224]);
    assert.equal(MODELS.mediumcnn.numClasses, 1000);
    assert.deepEqual(MODELS["resnet18-cifar"].inputShape, [3, 32, 32]);
    assert.deepEqual(MODELS.resnet50.inputShape, [3, 224, 224]);
    assert.deepEqual(MODELS["inception-v3"].inputShape, [3, 299, 299]);
    assert.equal(MODELS.smallcnn.numClasses, 10);
    assert.equal(MODELS.vgg16.numClasses, 1000);
  });

  test("createModel fills in the default class count and runs at the default input shape", () =>
    tidy(() => {
      for (const name of ["smallcnn", "resnet18-cifar"] as const) {
        const model = createModel(name, { initGenerator: new Generator(0) }).eval();
        const input = randn([2, ...MODELS[name].inputShape], { generator: new Generator(1) });
        assert.deepEqual(noGrad(() => model.call(input)).shape, [2, MODELS[name].numClasses], name);
        model.dispose();
      }
      const model = createModel("smallcnn", { numClasses: 3, inChannels: 1, batchNorm: true });
      assert.deepEqual(noGrad(() => model.eval().call(randn([1, 1, 28, 28]))).shape, [1, 3]);
      model.dispose();
    }));

  test("an unknown model name is an InputError listing the valid names", () => {
    assert.throws(
      () => createModel("resnet19"),
      (err: unknown) => err instanceof InputError && /unknown model "resnet19"/.test(err.message) && MODEL_NAMES.every((n) => err.message.includes(n)),
    );
    assert.throws(() => modelInfo("VGG16"), InputError);
  });

  test("bad options are InputErrors naming the option", () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["resnet18", { kernelSize: 3 }, /option kernelSize is not known; valid options: .*deterministicPooling/],
      ["mediumcnn", { kernelSize: 4 }, /kernelSize must be an odd positive integer, got 4/],
      ["mediumcnn", { numClasses: 0 }, /numClasses must be a positive integer/],
      ["smallcnn", { batchNorm: "yes" }, /batchNorm must be true or false, got "yes"/],
      ["smallcnn", { inputSize: 28 }, /option inputSize is not known/],
      ["mediumcnn", { init: "he" }, /init must be one of glorot, pytorch, got "he"/],
      ["inception-v3", { auxLogits: 1 }, /auxLogits must be true or false/],
      ["vgg16", { inChannels: 2.5 }, /inChannels must be a positive integer/],
    ];
    for (const [name, options, message] of cases) {
      assert.throws(() => createModel(name, options), (err: unknown) => err instanceof InputError && message.test(err.message), `${name} ${JSON.stringify(options)}`);
    }
  });

  test("only VGG has an op without a deterministic CUDA backward, and deterministicPooling removes it", () => {
    for (const name of MODEL_NAMES) {
      const expected = name === "vgg16" || name === "vgg19" ? [ADAPTIVE_AVG_POOL2D_BACKWARD_CUDA] : [];
      assert.deepEqual(MODELS[name].cudaNondeterministicOps(), expected, name);
      assert.deepEqual(MODELS[name].cudaNondeterministicOps({ deterministicPooling: true }), [], name);
    }
  });
});
