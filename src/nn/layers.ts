import type { GeneratorLike, Tensor } from "../torch/index.js";
import { F, empty, noGrad, ones, scalarTensor, zeros } from "../torch/index.js";
import { defaultLayerInit_ } from "./init.js";
import { Module } from "./module.js";

type Pair = F.Pair;

export interface Conv2dOptions extends F.Conv2dOptions {
  bias?: boolean;
  /** Generator for the default initialisation. */
  generator?: GeneratorLike;
}

const pair = (v: Pair): [number, number] => (Array.isArray(v) ? v : [v, v]);

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly options: Required<Omit<Conv2dOptions, "generator" | "bias">>;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dOptions = {}) {
    super();
    const groups = options.groups ?? 1;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new RangeError(`Conv2d: channels (${inChannels} → ${outChannels}) must be divisible by groups (${groups})`);
    }
    this.options = { stride: options.stride ?? 1, padding: options.padding ?? 0, dilation: options.dilation ?? 1, groups };
    this.weight = this.registerParameter("weight", empty([outChannels, inChannels / groups, ...pair(kernelSize)]));
    this.bias = options.bias === false ? null : this.registerParameter("bias", empty([outChannels]));
    defaultLayerInit_(this.weight, this.bias, options.generator);
  }

  forward(input: Tensor): Tensor {
    return F.conv2d(input, this.weight, this.bias, this.options);
  }
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: { bias?: boolean; generator?: GeneratorLike } = {}) {
    super();
    this.weight = this.registerParameter("weight", empty([outFeatures, inFeatures]));
    this.bias = options.bias === false ? null : this.registerParameter("bias", empty([outFeatures]));
    defaultLayerInit_(this.weight, this.bias, options.generator);
  }

  forward(input: Tensor): Tensor {
    return F.linear(input, this.weight, this.bias);
  }
}

export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;

  constructor(
    numFeatures: number,
    readonly options: { eps?: number; momentum?: number } = {},
  ) {
    super();
    this.weight = this.registerParameter("weight", ones([numFeatures]));
    this.bias = this.registerParameter("bias", zeros([numFeatures]));
    this.runningMean = this.registerBuffer("running_mean", zeros([numFeatures]));
    this.runningVar = this.registerBuffer("running_var", ones([numFeatures]));
    this.numBatchesTracked = this.registerBuffer("num_batches_tracked", scalarTensor(0, { dtype: "int64" }));
  }

  forward(input: Tensor): Tensor {
    if (this.training) noGrad(() => this.numBatchesTracked.add_(1));
    return F.batchNorm(input, this.runningMean, this.runningVar, {
      weight: this.weight,
      bias: this.bias,
      training: this.training,
      momentum: this.options.momentum ?? 0.1,
      eps: this.options.eps ?? 1e-5,
    });
  }
}

/** Dropout whose mask comes from its own generator (the stochastic-layer noise source). */
export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    public generator?: GeneratorLike,
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training, this.generator);
  }
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly options: F.Pool2dOptions = {},
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.maxPool2d(input, this.kernelSize, this.options);
  }
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly options: F.Pool2dOptions = {},
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.avgPool2d(input, this.kernelSize, this.options);
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }

  forward(input: Tensor): Tensor {
    return F.adaptiveAvgPool2d(input, this.outputSize);
  }
}

/** Mean over H×W keeping 1×1: the same values as AdaptiveAvgPool2d(1), written as a plain reduction. */
export class GlobalAvgPool2d extends Module {
  forward(input: Tensor): Tensor {
    return F.globalAvgPool2d(input);
  }
}

export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }
}

export class ReLU extends Module {
  /** With `inplace`, overwrites its input and returns it, as `torch.nn.ReLU(inplace=True)`: the same values, one activation less to keep. */
  constructor(readonly options: { inplace?: boolean } = {}) {
    super();
  }

  forward(input: Tensor): Tensor {
    return this.options.inplace ? F.relu_(input) : F.relu(input);
  }
}

export class ReLU6 extends Module {
  /** With `inplace`, overwrites its input and returns it, as `torch.nn.ReLU6(inplace=True)`. */
  constructor(readonly options: { inplace?: boolean } = {}) {
    super();
  }

  forward(input: Tensor): Tensor {
    return this.options.inplace ? F.relu6_(input) : F.relu6(input);
  }
}

export class SiLU extends Module {
  forward(input: Tensor): Tensor {
    return F.silu(input);
  }
}

export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return F.sigmoid(input);
  }
}

export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return F.tanh(input);
  }
}

export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

/** Children named "0", "1", … as in PyTorch. */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers.map((layer, i) => this.registerModule(String(i), layer));
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const layer of this.layers) x = layer.call(x);
    return x;
  }
}
