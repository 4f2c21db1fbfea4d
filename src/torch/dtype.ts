/**
 * The dtypes noiselab tensors support, named as in PyTorch (without the `torch.` prefix).
 * bfloat16 and float16 arise under autocast; their `data()` is the raw 16-bit patterns.
 */
export type DType = "float32" | "float64" | "bfloat16" | "float16" | "int64" | "int32" | "uint8" | "bool";

export type TypedArrayOf<D extends DType> = D extends "float32"
  ? Float32Array
  : D extends "float64"
    ? Float64Array
    : D extends "int64"
      ? BigInt64Array
      : D extends "int32"
        ? Int32Array
        : Uint8Array;

export type AnyTypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

// at::ScalarType codes; stable across libtorch versions. The native layer accepts
// exactly these (native/src/convert.cc).
const codes: Record<DType, number> = { uint8: 0, int32: 3, int64: 4, float16: 5, float32: 6, float64: 7, bool: 11, bfloat16: 15 };
const names = new Map<number, DType>(Object.entries(codes).map(([name, code]) => [code, name as DType]));

export function dtypeCode(dtype: DType): number {
  const code = codes[dtype];
  if (code === undefined) throw new Error(`unknown dtype "${dtype}"`);
  return code;
}

export function dtypeFromCode(code: number): DType {
  const name = names.get(code);
  if (name === undefined) throw new Error(`tensor has a dtype noiselab does not support (at::ScalarType ${code})`);
  return name;
}

export function isFloatingPoint(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64" || dtype === "bfloat16" || dtype === "float16";
}

/** Views `buffer` as the typed array that holds elements of `dtype`. */
export function typedArrayFor<D extends DType>(dtype: D, buffer: ArrayBuffer): TypedArrayOf<D> {
  switch (dtype) {
    case "float32": return new Float32Array(buffer) as TypedArrayOf<D>;
    case "float64": return new Float64Array(buffer) as TypedArrayOf<D>;
    case "int64": return new BigInt64Array(buffer) as TypedArrayOf<D>;
    case "int32": return new Int32Array(buffer) as TypedArrayOf<D>;
    case "bfloat16":
    case "float16": return new Uint16Array(buffer) as unknown as TypedArrayOf<D>;
    default: return new Uint8Array(buffer) as TypedArrayOf<D>;
  }
}

/** The dtype a typed array holds by default (Uint8Array is uint8, not bool). */
export function dtypeOfTypedArray(data: AnyTypedArray): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof Int32Array) return "int32";
  return "uint8";
}
