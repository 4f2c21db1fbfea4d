import type { AnyTypedArray, DType } from "./dtype.js";
import { dtypeCode, dtypeOfTypedArray } from "./dtype.js";
import { native } from "./native.js";
import type { GeneratorLike } from "./tensor.js";
import { Tensor, op } from "./tensor.js";

export interface TensorOptions {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

export interface RandomOptions extends TensorOptions {
  generator?: GeneratorLike;
}

function finish(t: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad_(true);
  return t;
}

function convert(values: ArrayLike<number> | AnyTypedArray, dtype: DType): AnyTypedArray {
  if (dtype === "int64") {
    if (values instanceof BigInt64Array) return values;
    return BigInt64Array.from(Array.from(values as ArrayLike<number>), (v) => BigInt(Math.trunc(Number(v))));
  }
  const from = values instanceof BigInt64Array ? Array.from(values, Number) : (values as ArrayLike<number>);
  switch (dtype) {
    case "float32": return from instanceof Float32Array ? from : Float32Array.from(from);
    case "float64": return from instanceof Float64Array ? from : Float64Array.from(from);
    case "int32": return from instanceof Int32Array ? from : Int32Array.from(from);
    case "bool": return Uint8Array.from(from, (v) => (v ? 1 : 0));
    default: return from instanceof Uint8Array ? from : Uint8Array.from(from);
  }
}

/**
 * Makes a tensor from numbers or a typed array (the data is copied).
 * Without `dtype`, a typed array keeps its own type and a number array becomes float32.
 */
export function tensor(values: ArrayLike<number> | AnyTypedArray, shape?: number[], options: TensorOptions = {}): Tensor {
  const isTyped = ArrayBuffer.isView(values);
  const dtype = options.dtype ?? (isTyped ? dtypeOfTypedArray(values as AnyTypedArray) : "float32");
  const data = convert(values, dtype);
  const dims = shape ?? [data.length];
  const t = new Tensor(native.fromBuffer(data, dims, dtypeCode(dtype), options.device));
  return finish(t, options);
}

/** A zero-dimensional tensor. */
export function scalarTensor(value: number, options: TensorOptions = {}): Tensor {
  return tensor([value], [], options);
}

function factoryArgs(options: TensorOptions): unknown[] {
  return [options.dtype === undefined ? dtypeCode("float32") : dtypeCode(options.dtype), undefined, options.device ?? null];
}

export function zeros(shape: number[], options: TensorOptions = {}): Tensor {
  return finish(op("zeros", [shape, ...factoryArgs(options)]), options);
}

export function ones(shape: number[], options: TensorOptions = {}): Tensor {
  return finish(op("ones", [shape, ...factoryArgs(options)]), options);
}

export function full(shape: number[], value: number, options: TensorOptions = {}): Tensor {
  return finish(op("full", [shape, value, ...factoryArgs(options)]), options);
}

export function empty(shape: number[], options: TensorOptions = {}): Tensor {
  return finish(op("empty.memory_format", [shape, ...factoryArgs(options)]), options);
}

export function zerosLike(t: Tensor): Tensor {
  return op("zeros_like", [t]);
}

export function onesLike(t: Tensor): Tensor {
  return op("ones_like", [t]);
}

/** Values from `start` to `end` (exclusive), int64 unless a dtype is given. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  const dtype = dtypeCode(options.dtype ?? "int64");
  return op("arange.start_step", [from, to, step, dtype, undefined, options.device ?? null]);
}

/** Uniform samples in [0, 1). */
export function rand(shape: number[], options: RandomOptions = {}): Tensor {
  return finish(op("rand.generator", [shape, options.generator ?? null, ...factoryArgs(options)]), options);
}

/** Standard normal samples. */
export function randn(shape: number[], options: RandomOptions = {}): Tensor {
  return finish(op("randn.generator", [shape, options.generator ?? null, ...factoryArgs(options)]), options);
}

/** Integers in [low, high), int64 unless a dtype is given. */
export function randint(low: number, high: number, shape: number[], options: RandomOptions = {}): Tensor {
  const dtype = dtypeCode(options.dtype ?? "int64");
  return op("randint.low_generator", [low, high, shape, options.generator ?? null, dtype, undefined, options.device ?? null]);
}

/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  return op("randperm.generator", [n, options.generator ?? null, dtypeCode("int64"), undefined, options.device ?? null]);
}

export function cat(tensors: Tensor[], dim = 0): Tensor {
  return op("cat", [tensors, dim]);
}

export function stack(tensors: Tensor[], dim = 0): Tensor {
  return op("stack", [tensors, dim]);
}

/** Elementwise `condition ? a : b`. */
export function where(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  return op("where.self", [condition, a, b]);
}
