// Module.call's own scope, and the in-place ReLU torchvision's ResNets use.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BatchNorm2d, Module, ReLU } from "../../src/nn/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { F, Generator, keep, memory, randn, tidy } from "../../src/torch/index.js";

/** exp(2x) summed, through three intermediates that backward needs or not. */
class ExpOfDouble extends Module {
  forward(input: Tensor): Tensor {
    const doubled = input.mul(2);
    const shifted = doubled.add(0);
    return shifted.exp().sum();
  }
}

function gradOf(t: Tensor): Tensor {
  const grad = t.grad;
  assert.ok(grad !== null, "has a gradient");
  return grad;
}

describe("Module.call", () => {
  test("frees the module's intermediates when it returns, and backward still has what it saved", () => {
    const x = keep(randn([64, 32], { generator: new Generator(1) }).requiresGrad_(true));
    tidy(() => {
      const before = memory();
      const y = new ExpOfDouble().call(x);
      const after = memory();
      assert.equal(after.tensors, before.tensors + 1, "only the output is left to the caller");
      assert.equal(after.bytes, before.bytes + y.numel * 4);
      y.backward();
      const expected = x.detach().mul(2).exp().mul(2);
      assert.deepEqual(gradOf(x).toArray(), expected.toArray());
    });
    x.dispose();
  });

  test("hooks see the output inside the call; what they keep survives it", () => {
    const module = new ExpOfDouble();
    let seen: Tensor | null = null;
    module.registerForwardHook((_m, output) => {
      seen = keep(output.detach().clone());
    });
    const x = randn([4, 4], { generator: new Generator(2) });
    const y = tidy(() => module.call(x));
    assert.ok(seen !== null);
    const kept: Tensor = seen;
    assert.equal(kept.isDisposed, false);
    assert.deepEqual(kept.toArray(), y.toArray());
    for (const t of [x, y, kept]) t.dispose();
  });
});

describe("ReLU in place", () => {
  test("overwrites and returns its input, with ReLU's values and gradients", () =>
    tidy(() => {
      const x = randn([8, 3, 5, 5], { generator: new Generator(3) });
      const step = (inplace: boolean): { out: number[]; grad: number[] } => {
        const bn = new BatchNorm2d(3);
        const input = x.clone().requiresGrad_(true);
        const normalised = bn.call(input);
        const out = new ReLU({ inplace }).call(normalised);
        assert.equal(out === normalised, inplace, "in place returns the same tensor");
        out.mul(out).sum().backward();
        const result = { out: out.toArray(), grad: gradOf(input).toArray() };
        bn.dispose();
        return result;
      };
      assert.deepEqual(step(true), step(false));
    }));

  test("autograd refuses a backward that needs the overwritten values", () =>
    tidy(() => {
      const x = randn([16], { generator: new Generator(4) }).requiresGrad_(true);
      const t = F.sigmoid(x); // sigmoid's backward reads its output
      F.relu_(t);
      assert.throws(() => t.sum().backward(), /modified by an inplace operation/);
    }));
});
