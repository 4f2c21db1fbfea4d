// Weight initialisers, as in torch.nn.init, each with an explicit generator so
// that weight initialisation is a noise source of its own.
import type { GeneratorLike, Tensor } from "../torch/index.js";
import { noGrad } from "../torch/index.js";

export type Nonlinearity = "linear" | "conv2d" | "sigmoid" | "tanh" | "relu" | "leaky_relu";

/** fan_in and fan_out of a weight of shape [out, in, ...kernel]. */
export function fans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new RangeError(`fan in/out need at least 2 dimensions, got shape [${shape.join(", ")}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** The recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`. */
export function gain(nonlinearity: Nonlinearity, negativeSlope = 0.01): number {
  switch (nonlinearity) {
    case "tanh": return 5 / 3;
    case "relu": return Math.SQRT2;
    case "leaky_relu": return Math.sqrt(2 / (1 + negativeSlope * negativeSlope));
    default: return 1;
  }
}

export function uniform_(t: Tensor, low: number, high: number, generator?: GeneratorLike): Tensor {
  return noGrad(() => t.uniform_(low, high, generator));
}

export function normal_(t: Tensor, mean: number, std: number, generator?: GeneratorLike): Tensor {
  return noGrad(() => t.normal_(mean, std, generator));
}

export function zeros_(t: Tensor): Tensor {
  return noGrad(() => t.zero_());
}

export function ones_(t: Tensor): Tensor {
  return noGrad(() => t.fill_(1));
}

export function xavierUniform_(t: Tensor, options: { gain?: number; generator?: GeneratorLike } = {}): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  const bound = (options.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, options.generator);
}

export function xavierNormal_(t: Tensor, options: { gain?: number; generator?: GeneratorLike } = {}): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  return normal_(t, 0, (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), options.generator);
}

export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu only). */
  a?: number;
  mode?: "fanIn" | "fanOut";
  nonlinearity?: Nonlinearity;
  generator?: GeneratorLike;
}

function kaimingStd(t: Tensor, options: KaimingOptions): number {
  const { fanIn, fanOut } = fans(t.shape);
  const fan = options.mode === "fanOut" ? fanOut : fanIn;
  return gain(options.nonlinearity ?? "leaky_relu", options.a ?? 0) / Math.sqrt(fan);
}

export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, -bound, bound, options.generator);
}

export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, options), options.generator);
}

/**
 * PyTorch's default for Conv2d and Linear: kaiming_uniform_(a=√5) on the
 * weight, and U(−1/√fan_in, 1/√fan_in) on the bias.
 */
export function defaultLayerInit_(weight: Tensor, bias: Tensor | null, generator?: GeneratorLike): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias !== null) {
    const bound = 1 / Math.sqrt(fans(weight.shape).fanIn);
    uniform_(bias, -bound, bound, generator);
  }
}
