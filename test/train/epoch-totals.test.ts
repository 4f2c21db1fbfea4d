// The epoch's loss and accuracy, summed on the device and read once, equal the per-step computation with .item().
import assert from "node:assert/strict";
import { test } from "node:test";
import * as torch from "../../src/torch/index.js";
import { EpochTotals } from "../../src/train/epoch-totals.js";

function batches(count: number): { logits: torch.Tensor; labels: torch.Tensor }[] {
  const generator = new torch.Generator(5);
  return Array.from({ length: count }, (_, i) => {
    const size = 7 + (i % 4) * 13;
    return { logits: torch.keep(torch.randn([size, 10], { generator }).mul(3)), labels: torch.keep(torch.randint(0, 10, [size], { generator })) };
  });
}

test("the recorded sums equal the per-step JS double sums of loss.item() and the correct counts", () =>
  torch.tidy(() => {
    const data = batches(25);
    let lossSum = 0;
    let correct = 0;
    const totals = new EpochTotals("cpu", 40);
    for (const { logits, labels } of data) {
      torch.tidy(() => {
        const loss = torch.F.crossEntropy(logits, labels);
        lossSum += loss.item() * labels.numel;
        correct += logits.argmax(1).eq(labels).sum().item();
        totals.add(loss, logits, labels);
      });
    }
    const sums = totals.read();
    assert.equal(sums.lossSum, lossSum, "bit for bit");
    assert.equal(sums.correct, correct);
    assert.equal(sums.divergence, null);
    for (const b of data) [b.logits, b.labels].forEach((t) => t.dispose());
  }));

test("the first step whose loss is not finite is recorded with its loss, counted over the run", () =>
  torch.tidy(() => {
    const totals = new EpochTotals("cpu", 40);
    const logits = torch.zeros([2, 3]);
    const labels = torch.tensor([0, 1], [2], { dtype: "int64" });
    for (const value of [0.5, 1.5, Infinity, NaN, 2]) totals.add(torch.scalarTensor(value), logits, labels);
    const sums = totals.read();
    assert.deepEqual(sums.divergence, { step: 43, loss: Infinity });
    assert.ok(Number.isNaN(sums.lossSum));
  }));
