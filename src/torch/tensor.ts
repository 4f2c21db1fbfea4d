import type { AnyTypedArray, DType, TypedArrayOf } from "./dtype.js";
import { dtypeCode, dtypeFromCode, typedArrayFor } from "./dtype.js";
import type { NativeHandle } from "./native.js";
import { native } from "./native.js";
import { checkExposed } from "./operators.js";
import { markTracked, track } from "./scope.js";

/** Something that holds a native generator handle (see random.ts). */
export interface GeneratorLike {
  readonly handle: NativeHandle;
}

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;

const opIds = new Map<string, number>();

/** The addon's id for an operator, exposed or not (for its schema). */
function resolveSchema(qualified: string): number {
  let id = opIds.get(qualified);
  if (id === undefined) {
    const dot = qualified.indexOf(".");
    id = dot < 0 ? native.resolveOp(qualified, "") : native.resolveOp(qualified.slice(0, dot), qualified.slice(dot + 1));
    opIds.set(qualified, id);
  }
  return id;
}

/** The addon's id for an operator JS may call. */
function resolve(qualified: string): number {
  checkExposed(qualified);
  return resolveSchema(qualified);
}

function toNativeArgument(arg: unknown): unknown {
  if (arg instanceof Tensor) return arg.handle;
  if (Array.isArray(arg)) return arg.map(toNativeArgument);
  if (typeof arg === "object" && arg !== null && "handle" in arg) return (arg as GeneratorLike).handle;
  return arg;
}

function fromNativeResult(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromNativeResult);
  if (typeof value === "object" && value !== null) return new Tensor(value as NativeHandle);
  return value;
}

/**
 * Calls an ATen operator by schema name, e.g. `callOp("add.Tensor", [a, b, 1])`.
 * Only the operators in `EXPOSED_OPERATORS` (operators.ts) can be called.
 * Arguments follow the schema's order; `undefined` takes the schema default.
 * Tensors in the result are wrapped and belong to the current tidy scope.
 */
export function callOp(qualified: string, args: unknown[]): unknown {
  return fromNativeResult(native.callOp(resolve(qualified), args.map(toNativeArgument)));
}

/** Calls an ATen operator that returns exactly one tensor. */
export function op(qualified: string, args: unknown[]): Tensor {
  return callOp(qualified, args) as Tensor;
}

/** Calls an in-place ATen operator (one that mutates its first argument). */
export function opInPlace(qualified: string, args: unknown[]): void {
  native.callOpInPlace(resolve(qualified), args.map(toNativeArgument));
}

/** The full schema of any ATen operator, exposed or not, for error messages and exploration. */
export function opSchema(qualified: string): string {
  return native.opSchema(resolveSchema(qualified));
}

function binary(tensorOverload: string, scalarOverload: string, self: Tensor, other: TensorOrScalar, ...rest: unknown[]): Tensor {
  return other instanceof Tensor ? op(tensorOverload, [self, other, ...rest]) : op(scalarOverload, [self, other, ...rest]);
}

function normaliseDims(dim: number | number[] | undefined): number[] | undefined {
  return dim === undefined ? undefined : Array.isArray(dim) ? dim : [dim];
}

/**
 * A handle to a libtorch tensor. Methods mirror PyTorch's (camelCase for
 * multi-word names; a trailing underscore marks in-place ops). Every tensor
 * made inside `tidy()` is freed when the scope ends unless returned or kept;
 * outside a scope call `dispose()`, or let the GC finalizer free it.
 */
export class Tensor {
  #handle: NativeHandle | null;

  constructor(handle: NativeHandle) {
    this.#handle = handle;
    track(this);
  }

  /** The native handle; throws once disposed. */
  get handle(): NativeHandle {
    if (this.#handle === null) throw new Error("tensor was disposed");
    return this.#handle;
  }

  get isDisposed(): boolean {
    return this.#handle === null;
  }

  dispose(): void {
    if (this.#handle !== null) {
      native.dispose(this.#handle);
      this.#handle = null;
    }
  }

  /**
   * Makes this tensor refer to `source`'s data and consumes `source`, like
   * assigning `param.data` in PyTorch: references to this object stay valid.
   */
  takeFrom(source: Tensor): this {
    const handle = source.handle;
    source.#handle = null;
    this.dispose();
    this.#handle = handle;
    return this;
  }

  // ---- metadata -------------------------------------------------------
  get shape(): number[] {
    return native.shape(this.handle);
  }
  get dtype(): DType {
    return dtypeFromCode(native.dtype(this.handle));
  }
  get device(): string {
    return native.device(this.handle);
  }
  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  size(dim: number): number {
    const shape = this.shape;
    return shape[dim < 0 ? dim + shape.length : dim];
  }

  // ---- data -----------------------------------------------------------
  /** A copy of the elements in C order, on the CPU. */
  data<D extends DType = DType>(): TypedArrayOf<D> {
    return typedArrayFor(this.dtype as D, native.toBuffer(this.handle));
  }
  /** The elements as plain numbers (int64 converted, bool as 0/1, bfloat16/float16 widened; their data() is the bits). */
  toArray(): number[] {
    if (this.dtype !== "bfloat16" && this.dtype !== "float16") return Array.from(this.data() as AnyTypedArray, Number);
    const wide = this.float();
    try {
      return Array.from(wide.data<"float32">());
    } finally {
      wide.dispose();
    }
  }
  /**
   * The value of a one-element tensor (a bool as 0 or 1). An integer beyond
   * ±(2^53 − 1) has no exact JS number, so it throws rather than round as
   * `Number()` would; `data()` (a BigInt64Array for int64) holds it exactly.
   */
  item(): number {
    const value = native.item(this.handle);
    if (typeof value === "bigint" && (value > MAX_SAFE_BIGINT || value < -MAX_SAFE_BIGINT)) {
      throw new RangeError(`item(): ${value} is beyond ±(2^53 - 1), where JS numbers are exact; read it with data()`);
    }
    return Number(value);
  }

  // ---- autograd -------------------------------------------------------
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  requiresGrad_(value = true): this {
    native.setRequiresGrad(this.handle, value);
    return this;
  }
  /** The accumulated gradient, or null. Each read returns a new handle to it. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  set grad(value: Tensor | null) {
    native.setGrad(this.handle, value === null ? null : value.handle);
  }
  backward(gradient?: Tensor, retainGraph?: boolean): void {
    native.backward(this.handle, gradient?.handle ?? null, retainGraph ?? null);
  }
  detach(): Tensor {
    return op("detach", [this]);
  }

  // ---- conversion -----------------------------------------------------
  to(target: { device?: string; dtype?: DType } | string): Tensor {
    const { device, dtype } = typeof target === "string" ? { device: target, dtype: undefined } : target;
    return op("to.dtype_layout", [this, dtype === undefined ? undefined : dtypeCode(dtype), undefined, device]);
  }
  cpu(): Tensor {
    return this.to({ device: "cpu" });
  }
  float(): Tensor {
    return this.to({ dtype: "float32" });
  }
  double(): Tensor {
    return this.to({ dtype: "float64" });
  }
  long(): Tensor {
    return this.to({ dtype: "int64" });
  }
  clone(): Tensor {
    return op("clone", [this]);
  }
  contiguous(): Tensor {
    return op("contiguous", [this]);
  }

  // ---- arithmetic -----------------------------------------------------
  add(other: TensorOrScalar, alpha: number = 1): Tensor {
    return binary("add.Tensor", "add.Scalar", this, other, alpha);
  }
  sub(other: TensorOrScalar, alpha: number = 1): Tensor {
    return binary("sub.Tensor", "sub.Scalar", this, other, alpha);
  }
  mul(other: TensorOrScalar): Tensor {
    return binary("mul.Tensor", "mul.Scalar", this, other);
  }
  div(other: TensorOrScalar): Tensor {
    return binary("div.Tensor", "div.Scalar", this, other);
  }
  pow(exponent: TensorOrScalar): Tensor {
    return binary("pow.Tensor_Tensor", "pow.Tensor_Scalar", this, exponent);
  }
  neg(): Tensor {
    return op("neg", [this]);
  }
  abs(): Tensor {
    return op("abs", [this]);
  }
  exp(): Tensor {
    return op("exp", [this]);
  }
  log(): Tensor {
    return op("log", [this]);
  }
  sqrt(): Tensor {
    return op("sqrt", [this]);
  }
  square(): Tensor {
    return op("square", [this]);
  }
  matmul(other: Tensor): Tensor {
    return op("matmul", [this, other]);
  }
  clamp(min?: number, max?: number): Tensor {
    return op("clamp", [this, min ?? null, max ?? null]);
  }

  // ---- comparison -----------------------------------------------------
  eq(other: TensorOrScalar): Tensor {
    return binary("eq.Tensor", "eq.Scalar", this, other);
  }
  ne(other: TensorOrScalar): Tensor {
    return binary("ne.Tensor", "ne.Scalar", this, other);
  }
  gt(other: TensorOrScalar): Tensor {
    return binary("gt.Tensor", "gt.Scalar", this, other);
  }
  lt(other: TensorOrScalar): Tensor {
    return binary("lt.Tensor", "lt.Scalar", this, other);
  }

  // ---- reductions -----------------------------------------------------
  sum(dim?: number | number[], keepdim = false): Tensor {
    return dim === undefined ? op("sum", [this]) : op("sum.dim_IntList", [this, normaliseDims(dim), keepdim]);
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return dim === undefined ? op("mean", [this]) : op("mean.dim", [this, normaliseDims(dim), keepdim]);
  }
  /** The largest element. */
  max(): Tensor {
    return op("max", [this]);
  }
  /** Largest values and their indices along `dim`. */
  maxDim(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = callOp("max.dim", [this, dim, keepdim]) as Tensor[];
    return { values, indices };
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return op("argmax", [this, dim ?? null, keepdim]);
  }

  // ---- shape ----------------------------------------------------------
  reshape(shape: number[]): Tensor {
    return op("reshape", [this, shape]);
  }
  view(shape: number[]): Tensor {
    return op("view", [this, shape]);
  }
  permute(dims: number[]): Tensor {
    return op("permute", [this, dims]);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return op("transpose.int", [this, dim0, dim1]);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return op("flatten.using_ints", [this, startDim, endDim]);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return op("narrow", [this, dim, start, length]);
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return op("index_select", [this, dim, index]);
  }
  flip(dims: number[]): Tensor {
    return op("flip", [this, dims]);
  }
  unsqueeze(dim: number): Tensor {
    return op("unsqueeze", [this, dim]);
  }
  squeeze(dim: number): Tensor {
    return op("squeeze.dim", [this, dim]);
  }
  expand(shape: number[]): Tensor {
    return op("expand", [this, shape]);
  }

  // ---- in place (used by optimizers and initialisers, under noGrad) ----
  add_(other: TensorOrScalar, alpha: number = 1): this {
    opInPlace(other instanceof Tensor ? "add_.Tensor" : "add_.Scalar", [this, other, alpha]);
    return this;
  }
  mul_(other: TensorOrScalar): this {
    opInPlace(other instanceof Tensor ? "mul_.Tensor" : "mul_.Scalar", [this, other]);
    return this;
  }
  div_(other: TensorOrScalar): this {
    opInPlace(other instanceof Tensor ? "div_.Tensor" : "div_.Scalar", [this, other]);
    return this;
  }
  addcmul_(tensor1: Tensor, tensor2: Tensor, value = 1): this {
    opInPlace("addcmul_", [this, tensor1, tensor2, value]);
    return this;
  }
  addcdiv_(tensor1: Tensor, tensor2: Tensor, value = 1): this {
    opInPlace("addcdiv_", [this, tensor1, tensor2, value]);
    return this;
  }
  lerp_(end: Tensor, weight: number): this {
    opInPlace("lerp_.Scalar", [this, end, weight]);
    return this;
  }
  copy_(src: Tensor): this {
    opInPlace("copy_", [this, src]);
    return this;
  }
  zero_(): this {
    opInPlace("zero_", [this]);
    return this;
  }
  fill_(value: number): this {
    opInPlace("fill_.Scalar", [this, value]);
    return this;
  }
  uniform_(from: number, to: number, generator?: GeneratorLike): this {
    opInPlace("uniform_", [this, from, to, generator ?? null]);
    return this;
  }
  normal_(mean: number, std: number, generator?: GeneratorLike): this {
    opInPlace("normal_", [this, mean, std, generator ?? null]);
    return this;
  }
  bernoulli_(p: number, generator?: GeneratorLike): this {
    opInPlace("bernoulli_.float", [this, p, generator ?? null]);
    return this;
  }

  toString(): string {
    if (this.isDisposed) return "Tensor(disposed)";
    return `Tensor(shape=[${this.shape.join(", ")}], dtype=${this.dtype}, device=${this.device})`;
  }
}

markTracked(Tensor.prototype);
