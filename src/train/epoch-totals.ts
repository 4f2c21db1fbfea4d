// An epoch's training loss and accuracy, summed on the device and read once
// per epoch, so that a training step never waits for the device.
import type { Tensor } from "../torch/index.js";
import * as torch from "../torch/index.js";

export interface EpochSums {
  /** Σ over steps of (mean batch loss × batch size), summed in float64 as JS would. */
  lossSum: number;
  /** Correctly classified training examples. */
  correct: number;
  /** The first step (counted over the whole run, from 1) whose loss was not finite, and that loss; null if none. */
  divergence: { step: number; loss: number } | null;
}

export class EpochTotals {
  readonly #lossSum: Tensor;
  readonly #correct: Tensor;
  /** Steps of the run so far, counted on the device. */
  readonly #steps: Tensor;
  /** 0 until a loss is not finite, then that step. */
  readonly #firstBadStep: Tensor;
  readonly #firstBadLoss: Tensor;

  /** Totals on `device`, for an epoch that starts after `stepsBefore` steps of the run. */
  constructor(device: string, stepsBefore: number) {
    const float64 = { dtype: "float64" as const, device };
    this.#lossSum = torch.keep(torch.zeros([], float64));
    this.#correct = torch.keep(torch.zeros([], { dtype: "int64", device }));
    this.#steps = torch.keep(torch.full([], stepsBefore, float64));
    this.#firstBadStep = torch.keep(torch.zeros([], float64));
    this.#firstBadLoss = torch.keep(torch.zeros([], float64));
  }

  /** Adds one step: `loss` is the batch's mean loss, `logits` and `labels` the batch's. Call inside the step's scope. */
  add(loss: Tensor, logits: Tensor, labels: Tensor): void {
    torch.noGrad(() => {
      const value = loss.detach().double();
      this.#lossSum.takeFrom(this.#lossSum.add(value.mul(labels.numel)));
      this.#correct.takeFrom(this.#correct.add(logits.argmax(1).eq(labels).sum()));
      this.#steps.takeFrom(this.#steps.add(1));
      // x − x is 0 for a finite x and NaN for ±Infinity and NaN.
      const firstBad = value.sub(value).ne(0).mul(this.#firstBadStep.eq(0));
      this.#firstBadLoss.takeFrom(torch.where(firstBad, value, this.#firstBadLoss));
      this.#firstBadStep.takeFrom(torch.where(firstBad, this.#steps, this.#firstBadStep));
    });
  }

  /** Reads the sums (the one device synchronisation of an epoch) and frees the device tensors. */
  read(): EpochSums {
    const values = torch.tidy(() => torch.stack([this.#lossSum, this.#correct.double(), this.#firstBadStep, this.#firstBadLoss]).cpu().toArray());
    for (const t of [this.#lossSum, this.#correct, this.#steps, this.#firstBadStep, this.#firstBadLoss]) t.dispose();
    const [lossSum, correct, badStep, badLoss] = values;
    return { lossSum, correct, divergence: badStep > 0 ? { step: badStep, loss: badLoss } : null };
  }
}
