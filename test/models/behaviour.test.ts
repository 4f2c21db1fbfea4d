import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { AdaptiveAvgPool2d, GlobalAvgPool2d, ReLU, ReLU6 } from "../../src/nn/index.js";
import { BasicBlock, DeterministicAdaptiveAvgPool2d, StochasticDepth, createModel, inceptionV3 } from "../../src/models/index.js";
import type { Module } from "../../src/nn/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { F, Generator, manualSeed, noGrad, ones, randn, tensor, tidy } from "../../src/torch/index.js";
import { assertClose } from "../helpers.js";

const flatState = (model: Module): number[][] => [...model.stateDict().values()].map((t) => t.toArray());

function gradOf(t: Tensor): Tensor {
  const grad = t.grad;
  assert.ok(grad !== null, "has a gradient");
  return grad;
}

const maxAbsDiff = (a: Tensor, b: Tensor): number => tidy(() => a.sub(b).abs().max().item());

describe("initialisation", () => {
  test("is a function of the init generator's seed", () => {
    const build = (seed: number): Module => createModel("mediumcnn", { kernelSize: 3, initGenerator: new Generator(seed) });
    const [a, b, c] = [build(5), build(5), build(6)];
    assert.deepEqual(flatState(a), flatState(b));
    const [wa, wc] = [a.namedParameters()[0][1].toArray(), c.namedParameters()[0][1].toArray()];
    assert.ok(wa.some((v, i) => v !== wc[i]), "another seed gives other weights");
    for (const m of [a, b, c]) m.dispose();
  });

  test("torchvision nets too, and the class count changes only the head", () => {
    const a = createModel("mobilenetv2", { numClasses: 10, initGenerator: new Generator(3) });
    const b = createModel("mobilenetv2", { numClasses: 10, initGenerator: new Generator(3) });
    assert.deepEqual(flatState(a), flatState(b));
    assert.deepEqual(a.stateDict().get("classifier.1.weight")?.shape, [10, 1280]);
    for (const m of [a, b]) m.dispose();
  });
});

describe("deterministic pooling", () => {
  test("DeterministicAdaptiveAvgPool2d gives AdaptiveAvgPool2d's values and gradients", () =>
    tidy(() => {
      const g = new Generator(11);
      for (const [[h, w], size] of [
        [[7, 7], 7],
        [[1, 1], 7],
        [[10, 13], 7],
        [[3, 5], 2],
        [[9, 6], 1],
      ] as [[number, number], number][]) {
        const x = randn([2, 3, h, w], { generator: g, dtype: "float64" }).requiresGrad_(true);
        const upstream = randn([2, 3, size, size], { generator: g, dtype: "float64" });
        const expected = F.adaptiveAvgPool2d(x, size);
        expected.mul(upstream).sum().backward();
        const expectedGrad = gradOf(x);
        x.grad = null;
        const actual = new DeterministicAdaptiveAvgPool2d(size).call(x);
        actual.mul(upstream).sum().backward();
        assert.deepEqual(actual.shape, expected.shape);
        assertClose(actual, expected.toArray(), 1e-12, 1e-12, `${h}×${w} → ${size}: values`);
        assertClose(gradOf(x), expectedGrad.toArray(), 1e-12, 1e-12, `${h}×${w} → ${size}: gradient`);
      }
    }));

  test("the option swaps every adaptive pooling module and keeps the outputs", () =>
    tidy(() => {
      const kinds = (m: Module): string[] => m.namedModules().map(([, c]) => c.constructor.name);
      // ATen computes adaptive pooling to 1×1 as a mean over H×W, so the swap is bitwise neutral there.
      for (const name of ["resnet18-cifar", "efficientnet-b0"]) {
        const plain = createModel(name, { numClasses: 10, initGenerator: new Generator(2) }).eval();
        const deterministic = createModel(name, { numClasses: 10, initGenerator: new Generator(2), deterministicPooling: true }).eval();
        assert.ok(kinds(plain).includes(AdaptiveAvgPool2d.name), name);
        assert.ok(!kinds(deterministic).includes(AdaptiveAvgPool2d.name), name);
        assert.ok(kinds(deterministic).includes(GlobalAvgPool2d.name), name);
        const x = randn([2, 3, 32, 32], { generator: new Generator(4) });
        assert.equal(maxAbsDiff(noGrad(() => plain.call(x)), noGrad(() => deterministic.call(x))), 0, name);
        plain.dispose();
        deterministic.dispose();
      }
      const vgg = createModel("vgg16", { numClasses: 10, deterministicPooling: true });
      assert.ok(!kinds(vgg).includes(AdaptiveAvgPool2d.name));
      assert.ok(kinds(vgg).includes(DeterministicAdaptiveAvgPool2d.name));
      vgg.dispose();
    }));
});

describe("stochastic layers", () => {
  test("StochasticDepth keeps or drops whole examples, scaled by 1/(1 − p), and is the identity in eval", () =>
    tidy(() => {
      const layer = new StochasticDepth(0.5, new Generator(9));
      const x = ones([64, 2, 3, 3]);
      const y = layer.call(x);
      const perExample = y.flatten(1);
      const rows = Array.from({ length: 64 }, (_, i) => perExample.narrow(0, i, 1).toArray());
      for (const row of rows) assert.ok(row.every((v) => v === row[0]) && (row[0] === 0 || row[0] === 2), `row ${row[0]}`);
      assert.ok(rows.some((r) => r[0] === 0) && rows.some((r) => r[0] === 2), "some rows kept and some dropped");
      assert.equal(maxAbsDiff(layer.eval().call(x), x), 0);
    }));

  test("dropout and stochastic depth draw from the dropout generator only", () =>
    tidy(() => {
      const model = createModel("efficientnet-b0", { numClasses: 10, initGenerator: new Generator(1) });
      const x = randn([2, 3, 32, 32], { generator: new Generator(2) });
      const run = (seed: number, globalSeed = 0): Tensor => {
        manualSeed(globalSeed);
        for (const [, m] of model.namedModules()) {
          if ("generator" in m) (m as { generator?: Generator }).generator = new Generator(seed);
        }
        return noGrad(() => model.train().call(x));
      };
      assert.equal(maxAbsDiff(run(7, 1), run(7, 2)), 0, "libtorch's global generator plays no part");
      assert.ok(maxAbsDiff(run(7), run(8)) > 0);
      model.dispose();
    }));
});

describe("training", () => {
  test("a training step reaches every parameter of resnet18-cifar", () =>
    tidy(() => {
      const model = createModel("resnet18-cifar", { initGenerator: new Generator(0) });
      const logits = model.call(randn([2, 3, 32, 32], { generator: new Generator(1) }));
      assert.deepEqual(logits.shape, [2, 10]);
      logits.sum().backward();
      for (const [name, p] of model.namedParameters()) assert.ok(p.grad !== null, `${name} has a gradient`);
      model.dispose();
    }));

  test("inception-v3 returns auxiliary logits in training only, from forwardWithAux", () =>
    tidy(() => {
      const model = inceptionV3({ numClasses: 5, initGenerator: new Generator(0), dropoutGenerator: new Generator(1) });
      const auxHead = model.auxLogits;
      assert.ok(auxHead !== null);
      // The auxiliary head needs Mixed_6e's 17×17 map, i.e. a 299×299 input: too slow here, so it runs alone.
      const auxOut = auxHead.call(randn([2, 768, 17, 17], { generator: new Generator(2) }));
      assert.deepEqual(auxOut.shape, [2, 5]);
      auxOut.sum().backward();
      for (const [name, p] of auxHead.namedParameters()) assert.ok(p.grad !== null, `AuxLogits.${name} has a gradient`);
      // At 75×75 (the smallest input) the main path trains, and forward() skips the auxiliary head.
      const x = randn([2, 3, 75, 75], { generator: new Generator(3) });
      assert.throws(() => model.forwardWithAux(x), /auxiliary classifier needs a 299×299 input \(Mixed_6e at 17×17\), got Mixed_6e at 3×3/);
      const logits = model.call(x);
      assert.deepEqual(logits.shape, [2, 5]);
      logits.sum().backward();
      model.eval();
      const evalOutputs = noGrad(() => model.forwardWithAux(x));
      assert.equal(evalOutputs.aux, null);
      assert.deepEqual(evalOutputs.logits.shape, [2, 5]);
      const withoutAux = inceptionV3({ numClasses: 5, auxLogits: false });
      assert.equal(withoutAux.auxLogits, null);
      assert.ok(![...withoutAux.stateDict().keys()].some((k) => k.startsWith("AuxLogits.")));
      for (const m of [model, withoutAux]) m.dispose();
    }));
});

describe("ResNet's in-place ReLU and residual add", () => {
  test("a BasicBlock gives the out-of-place computation's outputs and gradients bit for bit", () =>
    tidy(() => {
      const block = new BasicBlock(4, 4, 1, null, new Generator(7));
      const x = randn([6, 4, 8, 8], { generator: new Generator(8) });
      const run = (forward: (input: Tensor) => Tensor): number[][] => {
        const input = x.clone().requiresGrad_(true);
        for (const p of block.parameters()) p.grad = null;
        const out = forward(input);
        out.mul(out).sum().backward();
        return [out.toArray(), gradOf(input).toArray(), ...block.parameters().map((p) => gradOf(p).toArray())];
      };
      const inPlace = run((input) => block.call(input));
      const outOfPlace = run((input) =>
        F.relu(block.bn2.call(block.conv2.call(F.relu(block.bn1.call(block.conv1.call(input))))).add(input)),
      );
      assert.deepEqual(inPlace, outOfPlace);
      block.dispose();
    }));
});

describe("torchvision's in-place ReLUs (DenseNet, VGG, MobileNetV2)", () => {
  /** The SHA-256 of a float32 tensor's bytes (VGG's gradients are too large for JS arrays). */
  const bytesHash = (t: Tensor): string => {
    const data = t.contiguous().data<"float32">();
    return createHash("sha256").update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest("hex");
  };

  /** Hashes of one training step's logits and every gradient, with the model's ReLUs in place or not. */
  function trainingStep(name: "densenet121" | "vgg16" | "mobilenetv2", inplace: boolean): string[] {
    return tidy(() => {
      const model = createModel(name, { numClasses: 10, initGenerator: new Generator(11), dropoutGenerator: new Generator(12) });
      for (const [, m] of model.namedModules()) if (m instanceof ReLU || m instanceof ReLU6) m.options.inplace = inplace;
      const x = randn([2, 3, 32, 32], { generator: new Generator(13) });
      const logits = model.call(x);
      F.crossEntropy(logits, tensor([1, 7], undefined, { dtype: "int64" })).backward();
      const result = [bytesHash(logits), ...model.parameters().map((p) => bytesHash(gradOf(p)))];
      model.dispose();
      return result;
    });
  }

  for (const name of ["densenet121", "vgg16", "mobilenetv2"] as const) {
    test(`${name}: a training step gives the out-of-place step's logits and gradients bit for bit`, () => {
      assert.deepEqual(trainingStep(name, true), trainingStep(name, false));
    });
  }
});
