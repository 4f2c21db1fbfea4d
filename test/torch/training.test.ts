// Engine-level training properties: bitwise reproducibility on CPU, batch
// order as implementation noise, and no native memory growth over long runs.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import * as nn from "../../src/nn/index.js";
import { Adam, SGD } from "../../src/optim/index.js";
import type { Tensor } from "../../src/torch/index.js";
import { F, Generator, keep, memory, randint, randn, randperm, tidy } from "../../src/torch/index.js";

function smallNet(init: Generator, dropout: Generator): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1, generator: init }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Dropout(0.2, dropout),
    new nn.Linear(8 * 6 * 6, 5, { generator: init }),
  );
}

function weightsHash(model: nn.Module): string {
  const hash = createHash("sha256");
  for (const [, t] of model.stateDict()) hash.update(new Uint8Array(t.data().buffer));
  return hash.digest("hex");
}

/** Trains on fixed data; `permuteWithinBatch` reorders examples inside each batch with its own seed. */
function train(options: { seed: number; permuteWithinBatch?: number; steps?: number }): string {
  const data = new Generator(123);
  const x = keep(randn([96, 1, 12, 12], { generator: data }));
  const y = keep(randint(0, 5, [96], { generator: data }));
  const model = smallNet(new Generator(options.seed), new Generator(options.seed + 1));
  const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const order = options.permuteWithinBatch === undefined ? undefined : new Generator(options.permuteWithinBatch);
  for (let step = 0; step < (options.steps ?? 12); step++) {
    tidy(() => {
      let xb = x.narrow(0, (step % 3) * 32, 32);
      let yb = y.narrow(0, (step % 3) * 32, 32);
      if (order) {
        const p = randperm(32, { generator: order });
        xb = xb.indexSelect(0, p);
        yb = yb.indexSelect(0, p);
      }
      optimizer.zeroGrad();
      F.crossEntropy(model.call(xb), yb).backward();
      optimizer.step();
    });
  }
  const digest = weightsHash(model);
  model.dispose();
  optimizer.dispose();
  x.dispose();
  y.dispose();
  return digest;
}

describe("training on CPU", () => {
  test("two runs with the same generators give bitwise-identical weights", () => {
    assert.equal(train({ seed: 1 }), train({ seed: 1 }));
  });

  test("a different init/dropout seed gives different weights", () => {
    assert.notEqual(train({ seed: 1 }), train({ seed: 2 }));
  });

  test("permuting examples inside each batch changes the weights (reduction order)", () => {
    const plain = train({ seed: 1 });
    const permuted = train({ seed: 1, permuteWithinBatch: 9 });
    assert.notEqual(permuted, plain);
    // The permutation itself is reproducible: same order seed, same weights.
    assert.equal(train({ seed: 1, permuteWithinBatch: 9 }), permuted);
  });

  test("2000 training steps leak no native tensors and keep RSS flat", () => {
    const data = new Generator(5);
    const x = keep(randn([16, 1, 12, 12], { generator: data }));
    const y = keep(randint(0, 5, [16], { generator: data }));
    const model = smallNet(new Generator(3), new Generator(4));
    const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
    const step = (): number =>
      tidy(() => {
        optimizer.zeroGrad();
        const loss: Tensor = F.crossEntropy(model.call(x), y);
        loss.backward();
        optimizer.step();
        return loss.item();
      });
    for (let i = 0; i < 200; i++) step();
    const liveAfterWarmup = memory();
    const rssAfterWarmup = process.memoryUsage().rss;
    for (let i = 200; i < 2000; i++) step();
    assert.deepEqual(memory(), liveAfterWarmup);
    const growthMiB = (process.memoryUsage().rss - rssAfterWarmup) / 2 ** 20;
    assert.ok(growthMiB < 16, `RSS grew by ${growthMiB.toFixed(1)} MiB over 1800 steps`);
    model.dispose();
    optimizer.dispose();
    x.dispose();
    y.dispose();
  });
});
