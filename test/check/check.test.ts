import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bisectDeterminism } from "../../src/check/bisect.js";
import type { CheckSetup } from "../../src/check/lockstep.js";
import { lockstepCheck } from "../../src/check/lockstep.js";
import { SmallCNN } from "../../src/models/index.js";
import * as nn from "../../src/nn/index.js";
import { VARIANTS, parseVariant } from "../../src/noise/index.js";
import type { Tensor } from "../../src/torch/index.js";
import * as torch from "../../src/torch/index.js";
import { noiselab } from "../e2e/cli.js";

function setup(overrides: Partial<CheckSetup> = {}): CheckSetup {
  const g = new torch.Generator(3);
  return {
    buildModel: (init, dropout) => new SmallCNN({ numClasses: 4, inChannels: 1, batchNorm: true, initGenerator: init, dropoutGenerator: dropout }),
    data: { images: torch.keep(torch.randn([64, 1, 12, 12], { generator: g })), labels: torch.keep(torch.randint(0, 4, [64], { generator: g })) },
    steps: 4,
    batchSize: 16,
    noise: VARIANTS.CONTROL,
    determinism: { ...torch.DETERMINISTIC },
    device: "cpu",
    ...overrides,
  };
}

/** A layer that calls put_, which has no deterministic implementation (libtorch alerts in deterministic mode). */
class PutLayer extends nn.Module {
  forward(input: Tensor): Tensor {
    const out = input.clone();
    torch.noGrad(() => torch.opInPlace("put_", [out.detach(), torch.tensor([0], [1], { dtype: "int64" }), torch.tensor([0]), false]));
    return out;
  }
}

describe("noiselab check (lock-step comparison)", () => {
  test("a SmallCNN run with every source fixed is bitwise deterministic", () => {
    const r = lockstepCheck(setup());
    assert.equal(r.deterministic, true);
    assert.equal(r.stepsCompared, 4);
    assert.equal(r.firstDivergence, null);
    assert.deepEqual(r.nondeterministicOps, []);
  });

  test("with within-batch order noise it names the step, module and tensor of the first divergence", () => {
    const r = lockstepCheck(setup({ noise: parseVariant("only:batchOrder") }));
    assert.equal(r.deterministic, false);
    const d = r.firstDivergence!;
    assert.equal(d.step, 0);
    // Forward outputs are compared in example order, so per-example layers agree; the first
    // difference is a reduction over the batch (BatchNorm statistics, a parameter gradient) or
    // a dense layer's matrix product, whose blocking depends on where an example sits in the batch.
    assert.ok(d.phase === "backward" || /^features\.\d+$|^classifier\.0$/.test(d.module), JSON.stringify(d));
    assert.ok(d.maxAbsDiff > 0 && d.maxAbsDiff < 1e-3, `max |Δ| ${d.maxAbsDiff}`);
    if (d.phase === "backward") assert.match(d.tensor, /^grad of /);
  });

  test("different initial weights diverge in the first module's forward output", () => {
    const r = lockstepCheck(setup({ noise: parseVariant("only:init") }));
    assert.deepEqual(
      { step: r.firstDivergence?.step, phase: r.firstDivergence?.phase, module: r.firstDivergence?.module, tensor: r.firstDivergence?.tensor },
      { step: 0, phase: "forward", module: "features.0", tensor: "output" },
    );
  });

  test("an op without a deterministic implementation is named and the run is not called deterministic", () => {
    const r = lockstepCheck(
      setup({
        buildModel: (init) => new nn.Sequential(new PutLayer(), new nn.Flatten(), new nn.Linear(144, 4, { generator: init })),
        steps: 2,
      }),
    );
    assert.equal(r.firstDivergence, null);
    assert.deepEqual(r.nondeterministicOps, ["put_"]);
    assert.equal(r.deterministic, false);
  });

  test("a one-ulp change in one initial weight: the weight distance is recorded every step and grows", () => {
    const r = lockstepCheck(setup({ perturbOneUlp: true, trajectory: true, steps: 6 }));
    assert.equal(r.weightDistance.length, 6);
    assert.ok(r.weightDistance[0] > 0);
    assert.ok(r.weightDistance[5] > r.weightDistance[0], r.weightDistance.join(", "));
    assert.equal(r.firstDivergence?.step, 0);
  });

  test("one batch in another order: identical until that step, then apart for good", () => {
    const r = lockstepCheck(setup({ reverseBatchAt: 2, trajectory: true, steps: 5 }));
    assert.equal(r.firstDivergence?.step, 2);
    assert.ok(r.firstDivergence?.phase === "backward" || r.firstDivergence?.module === "classifier.0", JSON.stringify(r.firstDivergence));
    assert.deepEqual(r.weightDistance.slice(0, 2), [0, 0]);
    assert.ok(r.weightDistance.slice(2).every((d) => d > 0), r.weightDistance.join(", "));
  });

  test("bisect on CPU: deterministic with every switch off", () => {
    const b = bisectDeterminism({ ...setup(), steps: 2 });
    assert.equal(b.baseline.deterministic, true);
    assert.ok(b.single.length >= 4);
    assert.ok(b.single.every((s) => s.result.deterministic));
  });

  test("the CLI exits 0 when deterministic, 1 when not, 2 on bad input", () => {
    const ok = noiselab(["check", "smallcnn", "--steps", "2", "--batch", "8"]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /bitwise deterministic over 2 steps/);
    const diverged = noiselab(["check", "smallcnn", "--steps", "2", "--batch", "8", "--noise", "only:batchOrder"]);
    assert.equal(diverged.status, 1, diverged.stderr);
    assert.match(diverged.stdout, /NOT deterministic: first divergence at step 0, backward pass, module "classifier\.2", grad of classifier\.2\.(bias|weight)/);
    const bad = noiselab(["check", "alexnet"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /"alexnet" is neither a model, a preset/);
  });
});
