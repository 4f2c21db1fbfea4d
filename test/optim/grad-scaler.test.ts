import assert from "node:assert/strict";
import { test } from "node:test";
import { GradScaler, SGD } from "../../src/optim/index.js";
import * as torch from "../../src/torch/index.js";

test("GradScaler: unscales before the step, skips a step with an infinite gradient and halves the scale, grows after good steps", () =>
  torch.tidy(() => {
    const p = torch.tensor([1, 2], [2], { requiresGrad: true });
    const optimizer = new SGD([p], { lr: 0.5, momentum: 0, nesterov: false, weightDecay: 0 });
    const scaler = new GradScaler({ initScale: 8, growthInterval: 2 });
    // loss = sum(3p): the scaled gradient is 3 × 8, the step uses 3.
    scaler.scaleLoss(p.mul(3).sum()).backward();
    assert.deepEqual(p.grad!.toArray(), [24, 24]);
    assert.equal(scaler.step(optimizer), true);
    assert.deepEqual(p.toArray(), [-0.5, 0.5]);
    assert.equal(scaler.scale, 8);

    optimizer.zeroGrad();
    scaler.scaleLoss(p.mul(Infinity).sum()).backward();
    assert.equal(scaler.step(optimizer), false);
    assert.deepEqual(p.toArray(), [-0.5, 0.5], "no step on an infinite gradient");
    assert.equal(scaler.scale, 4);

    for (let i = 0; i < 2; i++) {
      optimizer.zeroGrad();
      scaler.scaleLoss(p.sum()).backward();
      assert.equal(scaler.step(optimizer), true);
    }
    assert.equal(scaler.scale, 8, "doubled after growthInterval good steps in a row");
    assert.deepEqual(p.toArray(), [-1.5, -0.5]);
  }));
