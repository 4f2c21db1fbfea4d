import type { Tensor } from "../torch/index.js";
import { noGrad, tidy } from "../torch/index.js";
import type { Optimizer } from "./optimizer.js";

export interface GradScalerOptions {
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
}

/**
 * Loss scaling for 16-bit autocast on CUDA, as `torch.cuda.amp.GradScaler`: the loss is
 * multiplied by `scale` before backward so that small gradients survive float16; `step`
 * divides the gradients by it again and skips the update when any of them is infinite or
 * NaN, halving the scale; after `growthInterval` good steps in a row the scale doubles.
 */
export class GradScaler {
  scale: number;
  readonly #growthFactor: number;
  readonly #backoffFactor: number;
  readonly #growthInterval: number;
  #goodSteps = 0;

  constructor(options: GradScalerOptions = {}) {
    this.scale = options.initScale ?? 2 ** 16;
    this.#growthFactor = options.growthFactor ?? 2;
    this.#backoffFactor = options.backoffFactor ?? 0.5;
    this.#growthInterval = options.growthInterval ?? 2000;
  }

  /** The loss times the current scale: call `backward` on this. */
  scaleLoss(loss: Tensor): Tensor {
    return loss.mul(this.scale);
  }

  /** Unscales the gradients, steps `optimizer` unless one is not finite, and updates the scale. Returns whether it stepped. */
  step(optimizer: Optimizer): boolean {
    const finite = tidy(() =>
      noGrad(() => {
        let total: Tensor | undefined;
        for (const param of optimizer.params) {
          const grad = param.grad;
          if (grad === null) continue;
          grad.mul_(1 / this.scale);
          const size = grad.abs().sum();
          total = total === undefined ? size : total.add(size);
        }
        // One read for all gradients: a NaN or infinity anywhere makes the sum non-finite.
        return total === undefined || Number.isFinite(total.item());
      }),
    );
    if (finite) {
      optimizer.step();
      if (++this.#goodSteps === this.#growthInterval) {
        this.scale *= this.#growthFactor;
        this.#goodSteps = 0;
      }
    } else {
      this.scale *= this.#backoffFactor;
      this.#goodSteps = 0;
    }
    return finite;
  }
}
