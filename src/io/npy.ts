/**
 * NumPy `.npy` files, format versions 1.0, 2.0 and 3.0.
 *
 * Reads dtypes f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1 in either byte order, and
 * C or Fortran order (Fortran-ordered data is transposed into C order, so
 * callers always see row-major data). Writes little-endian, C order, version
 * 1.0 (2.0 when the header would not fit). Bad files are InputErrors naming
 * the file.
 */
import { readFileSync } from "node:fs";
import { InputError } from "../errors.js";
import { writeFileAtomic } from "./files.js";

export type NpyDtype = "f4" | "f8" | "i1" | "i2" | "i4" | "i8" | "u1" | "u2" | "u4" | "u8" | "b1";

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** An n-dimensional array in C (row-major) order. `b1` data is a Uint8Array of 0/1. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

const ITEM_SIZE: Record<NpyDtype, number> = { f4: 4, f8: 8, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4, u8: 8, b1: 1 };

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

function construct(dtype: NpyDtype, buffer: ArrayBuffer): NpyData {
  switch (dtype) {
    case "f4":
      return new Float32Array(buffer);
    case "f8":
      return new Float64Array(buffer);
    case "i1":
      return new Int8Array(buffer);
    case "i2":
      return new Int16Array(buffer);
    case "i4":
      return new Int32Array(buffer);
    case "i8":
      return new BigInt64Array(buffer);
    case "u1":
    case "b1":
      return new Uint8Array(buffer);
    case "u2":
      return new Uint16Array(buffer);
    case "u4":
      return new Uint32Array(buffer);
    case "u8":
      return new BigUint64Array(buffer);
  }
}

interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** Parses the Python-literal header dict, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`. */
function parseHeader(text: string, file: string): Header {
  const bad = (why: string): InputError => new InputError(`${file}: corrupt .npy header (${why})`);
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!text.trimStart().startsWith("{") || !text.trimEnd().endsWith("}")) throw bad("not a dict");
  if (!descr) throw bad("no 'descr'");
  if (!fortran) throw bad("no 'fortran_order'");
  if (!shape) throw bad("no 'shape'");
  const dims = shape[1]
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (!dims.every((d) => /^\d+L?$/.test(d))) throw bad(`bad shape (${shape[1]})`);
  return { descr: descr[1], fortranOrder: fortran[1] === "True", shape: dims.map((d) => parseInt(d, 10)) };
}

function parseDescr(descr: string, file: string): { dtype: NpyDtype; bigEndian: boolean } {
  const m = /^([<>|=]?)([fiub])(\d+)$/.exec(descr);
  const dtype = m ? (`${m[2]}${m[3]}` as NpyDtype) : undefined;
  if (!m || dtype === undefined || !(dtype in ITEM_SIZE)) {
    throw new InputError(`${file}: unsupported .npy dtype '${descr}' (supported: f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)`);
  }
  // '=' is native order, and Node only runs little-endian here in practice.
  return { dtype, bigEndian: m[1] === ">" };
}

/** Decodes .npy bytes; `file` names the source in errors. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new InputError(`${file}: not a .npy file (bad magic bytes)`);
  const major = buf[6];
  if (major < 1 || major > 3) throw new InputError(`${file}: unsupported .npy format version ${major}.${buf[7]}`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (buf.length < 8 + lengthBytes) throw new InputError(`${file}: corrupt .npy header (truncated)`);
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const dataStart = 8 + lengthBytes + headerLength;
  if (dataStart > buf.length) throw new InputError(`${file}: corrupt .npy header (header length ${headerLength} runs past the end of the file)`);
  const header = parseHeader(buf.toString(major === 3 ? "utf8" : "latin1", 8 + lengthBytes, dataStart), file);
  const { dtype, bigEndian } = parseDescr(header.descr, file);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const itemSize = ITEM_SIZE[dtype];
  const byteLength = count * itemSize;
  if (buf.length - dataStart !== byteLength) {
    throw new InputError(`${file}: .npy data has ${buf.length - dataStart} bytes, but shape (${header.shape.join(", ")}) of ${dtype} needs ${byteLength}`);
  }
  // Copy into a fresh, aligned buffer (file buffers may start at any offset).
  const copy = new Uint8Array(byteLength);
  copy.set(buf.subarray(dataStart));
  if (bigEndian && itemSize > 1) {
    for (let i = 0; i < byteLength; i += itemSize) copy.subarray(i, i + itemSize).reverse();
  }
  let data = construct(dtype, copy.buffer);
  if (header.fortranOrder && header.shape.length > 1) data = fortranToC(data, header.shape);
  return { dtype, shape: header.shape, data };
}

/** Reorders column-major data into row-major. */
function fortranToC(data: NpyData, shape: number[]): NpyData {
  const out = data.slice() as NpyData;
  const rank = shape.length;
  const fStrides = new Array<number>(rank);
  let s = 1;
  for (let d = 0; d < rank; d++) {
    fStrides[d] = s;
    s *= shape[d];
  }
  const index = new Array<number>(rank).fill(0);
  for (let c = 0; c < data.length; c++) {
    let f = 0;
    for (let d = 0; d < rank; d++) f += index[d] * fStrides[d];
    (out as unknown as number[])[c] = (data as unknown as number[])[f];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/** Reads a .npy file; a missing file or a bad header is an InputError naming the file. */
export function readNpy(path: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseNpy(bytes, path);
}

/** Encodes an array as .npy bytes (little-endian, C order). */
export function encodeNpy(array: NpyArray): Buffer {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length) throw new Error(`npy: shape (${array.shape.join(", ")}) does not match ${array.data.length} values`);
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(", ")})`;
  const descr = array.dtype === "b1" || ITEM_SIZE[array.dtype] === 1 ? `|${array.dtype}` : `<${array.dtype}`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // The header (magic, version, length, dict, padding, newline) is padded to a multiple of 64 bytes.
  let major = 1;
  let prefix = 10;
  if (dict.length + 1 + prefix > 0xffff) {
    major = 2;
    prefix = 12;
  }
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const headerText = dict.padEnd(total - prefix - 1, " ") + "\n";
  const out = Buffer.alloc(total + array.data.byteLength);
  MAGIC.copy(out, 0);
  out[6] = major;
  out[7] = 0;
  if (major === 1) out.writeUInt16LE(headerText.length, 8);
  else out.writeUInt32LE(headerText.length, 8);
  out.write(headerText, prefix, "latin1");
  Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength).copy(out, total);
  return out;
}

/** Writes a .npy file atomically. */
export function writeNpy(path: string, array: NpyArray): void {
  writeFileAtomic(path, encodeNpy(array));
}
