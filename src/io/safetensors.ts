/**
 * The safetensors format (https://github.com/huggingface/safetensors):
 *
 *   u64 little-endian N | N bytes of JSON header | tensor bytes
 *
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin,
 * end]} (offsets relative to the start of the tensor bytes), plus an optional
 * "__metadata__" object of string → string. Tensor data is little-endian,
 * row-major, and the byte ranges must tile the data section exactly.
 *
 * F16 and BF16 tensors are widened to Float32Array on reading; on writing,
 * a Float32Array given for them is rounded to nearest-even, and a
 * Uint16Array is taken as the raw 16-bit patterns.
 */
import { readFileSync } from "node:fs";
import { InputError } from "../errors.js";
import { writeFileAtomic } from "./files.js";

export type SafetensorsDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

export type SafetensorsData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** F16/BF16 read as Float32Array; BOOL as Uint8Array of 0/1. */
  data: SafetensorsData;
}

export interface SafetensorsFile {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

const ITEM_SIZE: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Headers larger than this are refused, as by the reference implementation. */
const MAX_HEADER = 100_000_000;

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function floatToBfloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if (Number.isNaN(x)) return 0x7fc0;
  // Round to nearest, ties to even, on the 16 low bits that are dropped.
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa into place, rounding to nearest even.
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let result = mantissa >>> shift;
    if (rest > half || (rest === half && result & 1)) result++;
    return sign | result;
  }
  const rest = mantissa & 0x1fff;
  mantissa >>>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && mantissa & 1)) {
    mantissa++;
    if (mantissa === 0x400) {
      mantissa = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | mantissa;
}

function decode(dtype: SafetensorsDtype, bytes: Uint8Array): SafetensorsData {
  // Copy into an aligned buffer of our own (Buffer#slice would share memory).
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const buffer = copy.buffer;
  switch (dtype) {
    case "F64":
      return new Float64Array(buffer);
    case "F32":
      return new Float32Array(buffer);
    case "F16":
      return Float32Array.from(new Uint16Array(buffer), halfToFloat);
    case "BF16": {
      const raw = new Uint16Array(buffer);
      const out = new Float32Array(raw.length);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < raw.length; i++) bits[i] = raw[i] << 16;
      return out;
    }
    case "I64":
      return new BigInt64Array(buffer);
    case "I32":
      return new Int32Array(buffer);
    case "I16":
      return new Int16Array(buffer);
    case "I8":
      return new Int8Array(buffer);
    case "U8":
    case "BOOL":
      return new Uint8Array(buffer);
  }
}

/** Decodes safetensors bytes; `file` names the source in errors. */
export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  const bad = (why: string): InputError => new InputError(`${file}: corrupt safetensors file (${why})`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8) throw bad("shorter than the 8-byte header length");
  const headerLength = buf.readBigUInt64LE(0);
  if (headerLength > BigInt(Math.min(MAX_HEADER, buf.length - 8))) throw bad(`header length ${headerLength} is too large`);
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(buf.toString("utf8", 8, dataStart));
  } catch {
    throw bad("header is not valid JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw bad("header is not a JSON object");
  const dataLength = buf.length - dataStart;
  const tensors: Record<string, SafetensorsTensor> = {};
  let metadata: Record<string, string> = {};
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof entry !== "object" || entry === null || Object.values(entry).some((v) => typeof v !== "string")) {
        throw bad("__metadata__ must map strings to strings");
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== "object" || e === null) throw bad(`tensor "${name}" is not an object`);
    if (typeof e.dtype !== "string" || !(e.dtype in ITEM_SIZE)) throw bad(`tensor "${name}" has unsupported dtype ${JSON.stringify(e.dtype)}`);
    const dtype = e.dtype as SafetensorsDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`tensor "${name}" has a bad shape`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw bad(`tensor "${name}" has bad data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const shape = e.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1) * ITEM_SIZE[dtype];
    if (end < begin || end > dataLength) throw bad(`tensor "${name}" data_offsets [${begin}, ${end}] lie outside the ${dataLength} data bytes`);
    if (end - begin !== size) throw bad(`tensor "${name}" spans ${end - begin} bytes, but shape [${shape.join(", ")}] of ${dtype} needs ${size}`);
    ranges.push({ name, begin, end });
    tensors[name] = { dtype, shape, data: decode(dtype, buf.subarray(dataStart + begin, dataStart + end)) };
  }
  // The byte ranges must cover the data section exactly, without overlap or holes.
  ranges.sort((a, b) => a.begin - b.begin);
  let cursor = 0;
  for (const r of ranges) {
    if (r.begin !== cursor) throw bad(`tensor "${r.name}" starts at byte ${r.begin}, expected ${cursor} (overlap or hole)`);
    cursor = r.end;
  }
  if (cursor !== dataLength) throw bad(`tensors cover ${cursor} of ${dataLength} data bytes`);
  return { tensors, metadata };
}

/** Reads a .safetensors file; a missing or corrupt file is an InputError naming it. */
export function readSafetensors(path: string): SafetensorsFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseSafetensors(bytes, path);
}

/** Input to the writer: F16/BF16 data may be a Float32Array (converted) or a Uint16Array (raw bits). */
export interface SafetensorsInput {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsData | Uint16Array;
}

function encodeTensor(name: string, t: SafetensorsInput): Uint8Array {
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) throw new Error(`safetensors: tensor "${name}" shape [${t.shape.join(", ")}] does not match ${t.data.length} values`);
  if ((t.dtype === "F16" || t.dtype === "BF16") && t.data instanceof Float32Array) {
    const convert = t.dtype === "F16" ? floatToHalf : floatToBfloat16;
    const bits = Uint16Array.from(t.data, convert);
    return new Uint8Array(bits.buffer);
  }
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (bytes.length !== count * ITEM_SIZE[t.dtype]) {
    throw new Error(`safetensors: tensor "${name}" data is ${t.data.constructor.name}, which does not match dtype ${t.dtype}`);
  }
  return bytes;
}

/** Encodes tensors, in the given order, with optional metadata. The header is space-padded to a multiple of 8 bytes. */
export function encodeSafetensors(tensors: Record<string, SafetensorsInput>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === "__metadata__") throw new Error(`safetensors: "__metadata__" is not a valid tensor name`);
    const bytes = encodeTensor(name, t);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, "utf8");
  json += " ".repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Writes a .safetensors file atomically (temporary file in the same directory, then rename). */
export function writeSafetensors(path: string, tensors: Record<string, SafetensorsInput>, metadata?: Record<string, string>): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
