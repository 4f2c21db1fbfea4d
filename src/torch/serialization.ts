// Tensors to and from safetensors files (the format of Hugging Face's
// `safetensors` library), through the pure-TS codec in src/io.
import type { SafetensorsDtype, SafetensorsInput } from "../io/safetensors.js";
import { readSafetensors, writeSafetensors } from "../io/safetensors.js";
import { tensor } from "./creation.js";
import type { AnyTypedArray, DType } from "./dtype.js";
import type { Tensor } from "./tensor.js";

const toFile: Record<DType, SafetensorsDtype> = { float32: "F32", float64: "F64", bfloat16: "BF16", float16: "F16", int64: "I64", int32: "I32", uint8: "U8", bool: "BOOL" };
const fromFile: Partial<Record<SafetensorsDtype, DType>> = { F32: "float32", F64: "float64", I64: "int64", I32: "int32", U8: "uint8", BOOL: "bool", F16: "float32", BF16: "float32" };

/** Writes named tensors (e.g. a module's state dict) atomically, in order. */
export function saveSafetensors(path: string, tensors: Map<string, Tensor>, metadata?: Record<string, string>): void {
  const entries: Record<string, SafetensorsInput> = {};
  for (const [name, t] of tensors) entries[name] = { dtype: toFile[t.dtype], shape: t.shape, data: t.data() };
  writeSafetensors(path, entries, metadata);
}

/** Reads every tensor of a safetensors file (F16/BF16 widen to float32). */
export function loadSafetensors(path: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const file = readSafetensors(path);
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of Object.entries(file.tensors)) {
    const dtype = fromFile[t.dtype];
    if (dtype === undefined) throw new Error(`${path}: tensor "${name}" has dtype ${t.dtype}, which noiselab tensors do not support`);
    tensors.set(name, tensor(t.data as AnyTypedArray, t.shape, { dtype }));
  }
  return { tensors, metadata: file.metadata };
}
