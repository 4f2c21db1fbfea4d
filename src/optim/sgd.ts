import type { Tensor } from "../torch/index.js";
import { Optimizer } from "./optimizer.js";

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** Stochastic gradient descent with optional momentum, Nesterov and L2 weight decay, as `torch.optim.SGD`. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: Iterable<Tensor>, options: SGDOptions) {
    super(params, options.lr);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError("Nesterov momentum needs momentum > 0 and zero dampening");
    }
  }

  protected update(param: Tensor, grad: Tensor): void {
    let d = this.weightDecay !== 0 ? grad.add(param, this.weightDecay) : grad;
    if (this.momentum !== 0) {
      let fresh = false;
      const [buffer] = this.state(param, () => {
        fresh = true;
        return [d.clone()];
      });
      if (!fresh) buffer.mul_(this.momentum).add_(d, 1 - this.dampening);
      d = this.nesterov ? d.add(buffer, this.momentum) : buffer;
    }
    param.add_(d, -this.lr);
  }
}
