// The ops of torch.nn.functional that noiselab's models and losses need.
import { empty } from "./creation.js";
import type { GeneratorLike, Tensor } from "./tensor.js";
import { op, opInPlace } from "./tensor.js";

/** A size for both spatial dimensions: one number for both, or [height, width]. */
export type Pair = number | [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  return op("conv2d", [input, weight, bias, options.stride ?? 1, options.padding ?? 0, options.dilation ?? 1, options.groups ?? 1]);
}

export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return op("linear", [input, weight, bias]);
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/** Same argument order as `F.batch_norm`; in training mode the running statistics are updated in place. */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}): Tensor {
  const { weight = null, bias = null, training = false, momentum = 0.1, eps = 1e-5 } = options;
  return op("batch_norm", [input, weight, bias, runningMean, runningVar, training, momentum, eps, true]);
}

export interface Pool2dOptions {
  /** Defaults to the kernel size. */
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}

export function maxPool2d(input: Tensor, kernelSize: Pair, options: Pool2dOptions & { dilation?: Pair } = {}): Tensor {
  return op("max_pool2d", [input, kernelSize, options.stride ?? kernelSize, options.padding ?? 0, options.dilation ?? 1, options.ceilMode ?? false]);
}

export function avgPool2d(input: Tensor, kernelSize: Pair, options: Pool2dOptions & { countIncludePad?: boolean } = {}): Tensor {
  return op("avg_pool2d", [input, kernelSize, options.stride ?? kernelSize, options.padding ?? 0, options.ceilMode ?? false, options.countIncludePad ?? true, null]);
}

/**
 * Adaptive average pooling. For an output other than 1×1 its CUDA backward
 * (`adaptive_avg_pool2d_backward_cuda`) has no deterministic kernel; to 1×1,
 * ATen itself computes a mean over H×W, which is deterministic.
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: Pair): Tensor {
  return op("adaptive_avg_pool2d", [input, outputSize]);
}

/** Average over H×W to 1×1 as an explicit mean (what ATen does for adaptive pooling to 1×1). */
export function globalAvgPool2d(input: Tensor): Tensor {
  return input.mean([2, 3], true);
}

export function relu(input: Tensor): Tensor {
  return op("relu", [input]);
}

/** ReLU in place: overwrites `input` and returns it. Autograd refuses a backward that needs the overwritten values. */
export function relu_(input: Tensor): Tensor {
  opInPlace("relu_", [input]);
  return input;
}

export function relu6(input: Tensor): Tensor {
  return op("hardtanh", [input, 0, 6]);
}

/** ReLU6 in place: overwrites `input` and returns it. */
export function relu6_(input: Tensor): Tensor {
  opInPlace("hardtanh_", [input, 0, 6]);
  return input;
}

export function silu(input: Tensor): Tensor {
  return op("silu", [input]);
}

export function sigmoid(input: Tensor): Tensor {
  return op("sigmoid", [input]);
}

export function tanh(input: Tensor): Tensor {
  return op("tanh", [input]);
}

export function softmax(input: Tensor, dim: number): Tensor {
  return op("softmax.int", [input, dim, null]);
}

export function logSoftmax(input: Tensor, dim: number): Tensor {
  return op("log_softmax.int", [input, dim, null]);
}

/**
 * Inverted dropout with an explicit generator, so that the stochastic-layer
 * noise source can be seeded on its own (libtorch's fused dropout always
 * draws from the default generator).
 */
export function dropout(input: Tensor, p: number, training: boolean, generator?: GeneratorLike): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`dropout probability must be in [0, 1], got ${p}`);
  if (!training || p === 0) return input.mul(1);
  if (p === 1) return input.mul(0);
  const keep = empty(input.shape, { dtype: input.dtype, device: input.device }).bernoulli_(1 - p, generator);
  return input.mul(keep).div(1 - p);
}

export type Reduction = "none" | "mean" | "sum";
const reductionCode: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

/** Cross-entropy from logits and int64 class indices, like `F.cross_entropy`. */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const { weight = null, reduction = "mean", ignoreIndex = -100, labelSmoothing = 0 } = options;
  return op("cross_entropy_loss", [logits, target, weight, reductionCode[reduction], ignoreIndex, labelSmoothing]);
}

/** Binary cross-entropy of sigmoid(`logits`) against float 0/1 `target` of the same shape, like `F.binary_cross_entropy_with_logits`. */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  return op("binary_cross_entropy_with_logits", [logits, target, null, null, reductionCode[reduction]]);
}

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  return op("mse_loss", [input, target, reductionCode[reduction]]);
}

export type PadMode = "constant" | "reflect" | "replicate";

/** Pads the last dimensions; `pad` lists (before, after) pairs from the last dimension backwards, as in `F.pad`. */
export function pad(input: Tensor, padding: number[], mode: PadMode = "constant", value = 0): Tensor {
  if (mode === "constant") return op("constant_pad_nd", [input, padding, value]);
  if (padding.length !== 4) throw new RangeError(`${mode} padding takes 4 values (left, right, top, bottom)`);
  return op(mode === "reflect" ? "reflection_pad2d" : "replication_pad2d", [input, padding]);
}
