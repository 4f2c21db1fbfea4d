// bf16 autocast on CPU against PyTorch 1.13's torch.autocast("cpu", dtype=torch.bfloat16)
// (scripts/make_autocast_fixtures.py), and the oneDNN switch.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createModel } from "../../src/models/index.js";
import type { Tensor } from "../../src/torch/index.js";
import * as torch from "../../src/torch/index.js";
import { assertClose, fromFixture, readJsonFixture } from "../helpers.js";
import type { TensorFixture } from "../helpers.js";

interface Step {
  outputDtype: string;
  output: TensorFixture;
  loss: number;
  grads: Record<string, TensorFixture>;
}

const fixture = readJsonFixture<{ state: Record<string, TensorFixture>; input: TensorFixture; labels: number[]; bf16: Step; fp32: Step }>("torch/autocast-bf16.json");

/** One step of the reference's SmallCNN, its forward and loss under `forward`. */
function step(forward: <T>(fn: () => T) => T): { dtype: string; output: number[]; loss: number; grads: Map<string, number[]> } {
  return torch.tidy(() => {
    const model = createModel("smallcnn", { initGenerator: new torch.Generator(99) });
    model.loadStateDict(new Map(Object.entries(fixture.state).map(([k, t]) => [k, fromFixture(t)] as [string, Tensor])), false);
    model.train();
    const x = fromFixture(fixture.input);
    const y = torch.tensor(fixture.labels, [fixture.labels.length], { dtype: "int64" });
    const { output, loss } = forward(() => {
      const output = model.call(x);
      return { output, loss: torch.F.crossEntropy(output, y) };
    });
    loss.backward();
    const result = { dtype: output.dtype, output: output.toArray(), loss: loss.item(), grads: new Map(model.namedParameters().map(([k, p]) => [k, p.grad!.toArray()])) };
    model.dispose();
    return result;
  });
}

/** Closeness for bf16 (8 significant bits): relative to the tensor's largest magnitude, as rounding errors are. */
function assertCloseBf16(actual: number[], expected: TensorFixture, what: string): void {
  const scale = Math.max(...expected.data.map(Math.abs));
  assertClose(actual, expected.data, 2e-2, 2e-2 * scale, what);
}

describe("bf16 autocast on CPU", () => {
  test("one SmallCNN step matches PyTorch's torch.autocast('cpu', dtype=torch.bfloat16)", () => {
    torch.setNumThreads(1);
    const bf16 = step((fn) => torch.autocast("cpu", "bfloat16", fn));
    assert.equal(bf16.dtype, fixture.bf16.outputDtype);
    assert.equal(bf16.dtype, "bfloat16");
    assertCloseBf16(bf16.output, fixture.bf16.output, "output");
    assert.ok(Math.abs(bf16.loss - fixture.bf16.loss) <= 1e-2 * Math.abs(fixture.bf16.loss), `loss ${bf16.loss} vs ${fixture.bf16.loss}`);
    for (const [name, grad] of bf16.grads) assertCloseBf16(grad, fixture.bf16.grads[name], `${name} gradient`);
    // Autocast did something: the bf16 output is not the float32 one.
    const fp32Output = fixture.fp32.output.data;
    assert.ok(bf16.output.some((v, i) => Math.abs(v - fp32Output[i]) > 1e-4 + 1e-4 * Math.abs(fp32Output[i])), "the bf16 output must differ from float32's");
  });

  test("without autocast the same step is float32 and matches PyTorch's closely", () => {
    const fp32 = step((fn) => fn());
    assert.equal(fp32.dtype, "float32");
    assertClose(fp32.output, fixture.fp32.output.data, 1e-4, 1e-5, "output");
    for (const [name, grad] of fp32.grads) assertClose(grad, fixture.fp32.grads[name].data, 1e-4, 1e-5, `${name} gradient`);
  });

  test("the autocast state is restored after the region, also when it throws", () => {
    assert.equal(torch.isAutocastEnabled("cpu"), false);
    assert.equal(torch.autocast("cpu", "bfloat16", () => torch.isAutocastEnabled("cpu")), true);
    assert.equal(torch.isAutocastEnabled("cpu"), false);
    assert.throws(() => torch.autocast("cpu", "bfloat16", () => { throw new Error("inside"); }), /inside/);
    assert.equal(torch.isAutocastEnabled("cpu"), false);
    // Nested regions restore the outer one.
    torch.autocast("cpu", "bfloat16", () => {
      torch.autocast("cpu", "bfloat16", () => undefined);
      assert.equal(torch.isAutocastEnabled("cpu"), true);
    });
  });
});

describe("the oneDNN switch", () => {
  test("turns libtorch's oneDNN use off and on; a convolution runs either way", () => {
    const before = torch.onednnEnabled();
    try {
      assert.equal(torch.setOnednnEnabled(false), before);
      assert.equal(torch.onednnEnabled(), false);
      const off = torch.tidy(() => torch.F.conv2d(torch.ones([1, 2, 6, 6]), torch.ones([3, 2, 3, 3])).toArray());
      torch.setOnednnEnabled(true);
      const on = torch.tidy(() => torch.F.conv2d(torch.ones([1, 2, 6, 6]), torch.ones([3, 2, 3, 3])).toArray());
      assert.deepEqual(off, on);
      assert.ok(off.every((v) => v === 18));
    } finally {
      torch.setOnednnEnabled(before);
    }
  });
});
