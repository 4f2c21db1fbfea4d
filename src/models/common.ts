// Building blocks shared by the model zoo: the common options, named
// containers, the global pooling choice and torchvision's initialisers.
import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, GlobalAvgPool2d, Linear, Module, Sequential, init } from "../nn/index.js";
import type { GeneratorLike, Tensor } from "../torch/index.js";
import { F, noGrad, op, opInPlace, scalarTensor, tensor, tidy } from "../torch/index.js";

/** Options every model takes. */
export interface ModelOptions {
  numClasses: number;
  /** Channels of the input image; 3 unless stated. */
  inChannels?: number;
  /** Draws the initial weights; without it, libtorch's default generator (as torchvision does). */
  initGenerator?: GeneratorLike;
  /** Draws dropout masks and stochastic-depth decisions; without it, libtorch's default generator. */
  dropoutGenerator?: GeneratorLike;
  /**
   * Replaces adaptive average pooling by plain reductions or matrix products
   * that have a deterministic CUDA backward (see docs/models.md).
   */
  deterministicPooling?: boolean;
}

/** A Sequential whose children have names of their own (torchvision's OrderedDict containers). */
export class NamedSequential extends Module {
  readonly layers: Module[] = [];

  constructor(entries: [string, Module][] = []) {
    super();
    for (const [name, layer] of entries) this.add(name, layer);
  }

  add<M extends Module>(name: string, layer: M): M {
    this.layers.push(this.registerModule(name, layer));
    return layer;
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const layer of this.layers) x = layer.call(x);
    return x;
  }
}

/** Window bounds of adaptive pooling, as ATen computes them: [⌊i·n/m⌋, ⌈(i+1)·n/m⌉). */
function adaptiveWindows(inputSize: number, outputSize: number): [number, number][] {
  return Array.from({ length: outputSize }, (_, i) => [
    Math.floor((i * inputSize) / outputSize),
    Math.ceil(((i + 1) * inputSize) / outputSize),
  ]);
}

/** The [outputSize, inputSize] matrix whose rows average each adaptive-pooling window. */
function averagingMatrix(inputSize: number, outputSize: number, like: Tensor): Tensor {
  const values = new Float64Array(outputSize * inputSize);
  adaptiveWindows(inputSize, outputSize).forEach(([start, end], row) => {
    for (let j = start; j < end; j++) values[row * inputSize + j] = 1 / (end - start);
  });
  return tensor(values, [outputSize, inputSize], { dtype: like.dtype, device: like.device });
}

/**
 * Adaptive average pooling to `outputSize`×`outputSize` computed without
 * `adaptive_avg_pool2d`, whose CUDA backward accumulates with atomicAdd and
 * has no deterministic mode. An output grid equal to the input's is the
 * identity, a 1×1 output is a mean over H×W, and any other grid is
 * `P_h · x · P_wᵀ` with averaging matrices, whose backward is two matrix
 * products. The values equal AdaptiveAvgPool2d's (bitwise for the first two
 * cases, up to float rounding for the third).
 */
export class DeterministicAdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number) {
    super();
  }

  forward(input: Tensor): Tensor {
    const [height, width] = input.shape.slice(-2);
    const size = this.outputSize;
    if (height === size && width === size) return input;
    if (size === 1) return F.globalAvgPool2d(input);
    return tidy(() => averagingMatrix(height, size, input).matmul(input).matmul(averagingMatrix(width, size, input).transpose(0, 1)));
  }
}

/** The pooling to `outputSize` a model uses, under its `deterministicPooling` option. */
export function adaptivePool(outputSize: number, deterministic: boolean | undefined): Module {
  if (!deterministic) return new AdaptiveAvgPool2d(outputSize);
  return outputSize === 1 ? new GlobalAvgPool2d() : new DeterministicAdaptiveAvgPool2d(outputSize);
}

/** Functional counterpart of `adaptivePool(1, …)`, for nets that pool with `F.adaptive_avg_pool2d` in forward. */
export function globalPool(input: Tensor, deterministic: boolean | undefined): Tensor {
  return deterministic ? F.globalAvgPool2d(input) : F.adaptiveAvgPool2d(input, 1);
}

/** Standard normal CDF, evaluated with libtorch's erf in double precision (Python's math.erf gives the same). */
function normalCdf(x: number): number {
  return tidy(() => (1 + op("erf", [scalarTensor(x / Math.SQRT2, { dtype: "float64" })]).item()) / 2);
}

/**
 * `torch.nn.init.trunc_normal_`: N(mean, std²) truncated to [a, b] by the
 * inverse-CDF method, drawing one uniform per element in the same order, so
 * the same generator state gives the same weights as PyTorch.
 */
export function truncNormal_(t: Tensor, options: { mean?: number; std?: number; a?: number; b?: number; generator?: GeneratorLike }): Tensor {
  const { mean = 0, std = 1, a = -2, b = 2, generator } = options;
  const low = normalCdf((a - mean) / std);
  const high = normalCdf((b - mean) / std);
  return noGrad(() => {
    t.uniform_(2 * low - 1, 2 * high - 1, generator);
    opInPlace("erfinv_", [t]);
    t.mul_(std * Math.SQRT2).add_(mean);
    opInPlace("clamp_", [t, a, b]);
    return t;
  });
}

/**
 * Re-initialises every Conv2d and Linear below `root` with the given scheme,
 * and every BatchNorm2d to weight 1 and bias 0 (all torchvision models do),
 * in registration order: the order of torchvision's `for m in self.modules()`
 * loops, so that the draws follow the same sequence as PyTorch's.
 */
export function initialiseModules(root: Module, scheme: { conv?: (m: Conv2d) => void; linear?: (m: Linear) => void }): void {
  for (const [, m] of root.namedModules()) {
    if (m instanceof Conv2d) scheme.conv?.(m);
    else if (m instanceof Linear) scheme.linear?.(m);
    else if (m instanceof BatchNorm2d) {
      init.ones_(m.weight);
      init.zeros_(m.bias);
    }
  }
}

/** Checks a structural option of a model (channel or class counts). */
export function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}

/**
 * torchvision's Conv2dNormActivation: a Sequential of a bias-free k×k
 * convolution with "same" padding, BatchNorm and (unless null) an activation,
 * named "0", "1", "2".
 */
export function convNormActivation(
  inChannels: number,
  outChannels: number,
  options: { kernelSize?: number; stride?: number; groups?: number; activation: (() => Module) | null; generator: GeneratorLike | undefined },
): Sequential {
  const k = options.kernelSize ?? 3;
  const conv = new Conv2d(inChannels, outChannels, k, {
    stride: options.stride ?? 1,
    padding: Math.floor((k - 1) / 2),
    groups: options.groups ?? 1,
    bias: false,
    generator: options.generator,
  });
  const layers: Module[] = [conv, new BatchNorm2d(outChannels)];
  if (options.activation !== null) layers.push(options.activation());
  return new Sequential(...layers);
}

/** torchvision's `_make_divisible`: rounds a channel count to a multiple of `divisor`, never more than 10% down. */
export function makeDivisible(value: number, divisor: number, minValue = divisor): number {
  let result = Math.max(minValue, Math.floor((value + divisor / 2) / divisor) * divisor);
  if (result < 0.9 * value) result += divisor;
  return result;
}
