import type { Tensor } from "../torch/index.js";
import { keep, noGrad, tidy } from "../torch/index.js";

/**
 * Base of the optimizers. Updates follow PyTorch's single-tensor
 * implementations step for step, so results match `torch.optim` closely.
 */
export abstract class Optimizer {
  /** The learning rate of the next step; LR schedules write it. */
  lr: number;
  readonly params: Tensor[];
  readonly #state = new Map<Tensor, Tensor[]>();

  constructor(params: Iterable<Tensor>, lr: number) {
    if (!(lr >= 0)) throw new RangeError(`learning rate must be non-negative, got ${lr}`);
    this.params = [...params];
    this.lr = lr;
  }

  /** Clears gradients (set to none, PyTorch's default since 2.0). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Applies one update from the current gradients; parameters without a gradient are skipped. */
  step(): void {
    tidy(() =>
      noGrad(() => {
        for (const param of this.params) {
          const grad = param.grad;
          if (grad !== null) this.update(param, grad);
        }
      }),
    );
  }

  protected abstract update(param: Tensor, grad: Tensor): void;

  /** Per-parameter state tensors, made on first use and kept across steps. */
  protected state(param: Tensor, make: () => Tensor[]): Tensor[] {
    let s = this.#state.get(param);
    if (s === undefined) {
      s = make().map(keep);
      this.#state.set(param, s);
    }
    return s;
  }

  /** Frees the optimizer state. */
  dispose(): void {
    for (const tensors of this.#state.values()) for (const t of tensors) t.dispose();
    this.#state.clear();
  }
}
