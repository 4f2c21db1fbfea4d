import type { Tensor } from "../torch/index.js";
import { zerosLike } from "../torch/index.js";
import { Optimizer } from "./optimizer.js";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/**
 * Adam, as `torch.optim.Adam`; `decoupled` makes it AdamW. The step count is
 * kept per parameter, as PyTorch does.
 */
export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly #decoupled: boolean;
  readonly #steps = new Map<Tensor, number>();

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}, decoupled = false) {
    super(params, options.lr ?? 1e-3);
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? (decoupled ? 1e-2 : 0);
    this.#decoupled = decoupled;
  }

  protected update(param: Tensor, grad: Tensor): void {
    const [beta1, beta2] = this.betas;
    const [expAvg, expAvgSq] = this.state(param, () => [zerosLike(param), zerosLike(param)]);
    const t = (this.#steps.get(param) ?? 0) + 1;
    this.#steps.set(param, t);
    if (this.weightDecay !== 0) {
      if (this.#decoupled) param.mul_(1 - this.lr * this.weightDecay);
      else grad = grad.add(param, this.weightDecay);
    }
    expAvg.mul_(beta1).add_(grad, 1 - beta1);
    expAvgSq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    const biasCorrection1 = 1 - beta1 ** t;
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** t);
    const denom = expAvgSq.sqrt().div(biasCorrection2Sqrt).add_(this.eps);
    param.addcdiv_(expAvg, denom, -this.lr / biasCorrection1);
  }
}

/** Adam with decoupled weight decay, as `torch.optim.AdamW`. */
export class AdamW extends Adam {
  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super(params, options, true);
  }
}
