import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { SafetensorsInput } from "../../src/io/safetensors.js";
import { encodeSafetensors, parseSafetensors, readSafetensors, writeSafetensors } from "../../src/io/safetensors.js";
import { InputError } from "../../src/errors.js";

/** Elements of any typed array, for deepEqual. */
const list = (a: ArrayLike<number | bigint>): (number | bigint)[] => Array.from(a);

const dir = mkdtempSync(join(tmpdir(), "noiselab-st-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A file built by hand: header JSON, then raw bytes. */
function fileWith(header: unknown, data: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

test("round trip for every dtype, with metadata, atomically", () => {
  const tensors: Record<string, SafetensorsInput> = {
    "conv.weight": { dtype: "F32", shape: [2, 2], data: Float32Array.from([1, -2.5, 3, 4]) },
    f64: { dtype: "F64", shape: [1], data: Float64Array.from([Math.E]) },
    i64: { dtype: "I64", shape: [], data: BigInt64Array.from([123456789012n]) },
    i32: { dtype: "I32", shape: [2], data: Int32Array.from([-1, 2]) },
    i16: { dtype: "I16", shape: [1], data: Int16Array.from([-300]) },
    i8: { dtype: "I8", shape: [1], data: Int8Array.from([-3]) },
    u8: { dtype: "U8", shape: [3], data: Uint8Array.from([0, 128, 255]) },
    flag: { dtype: "BOOL", shape: [2], data: Uint8Array.from([1, 0]) },
  };
  const path = join(dir, "model.safetensors");
  writeSafetensors(path, tensors, { format: "pt", step: "100" });
  assert.deepEqual(readdirSync(dir), ["model.safetensors"]);
  const back = readSafetensors(path);
  assert.deepEqual(back.metadata, { format: "pt", step: "100" });
  assert.deepEqual(back.tensors, tensors);
  assert.deepEqual(Object.keys(back.tensors), Object.keys(tensors), "tensors keep their order");
  const bytes = encodeSafetensors(tensors);
  assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0, "header padded to 8 bytes");
});

test("F16 and BF16: widened on read, rounded to nearest even on write", () => {
  const values = Float32Array.from([1, -2, 0.5, 65504, 1 / 3, 2 ** -24, 0, Infinity]);
  const back = parseSafetensors(encodeSafetensors({ h: { dtype: "F16", shape: [8], data: values }, b: { dtype: "BF16", shape: [8], data: values } }), "x");
  assert.deepEqual(list(back.tensors.h.data), [1, -2, 0.5, 65504, 0.333251953125, 2 ** -24, 0, Infinity]);
  assert.deepEqual(list(back.tensors.b.data), [1, -2, 0.5, 65536, 0.333984375, 2 ** -24, 0, Infinity]);
  const bits = encodeSafetensors({ h: { dtype: "F16", shape: [3], data: Float32Array.from([1, 2 ** -25 * 3, 70000]) } });
  const raw = new Uint16Array(bits.buffer.slice(bits.byteOffset + bits.length - 6, bits.byteOffset + bits.length));
  assert.deepEqual(Array.from(raw), [0x3c00, 0x0002, 0x7c00]); // 1.0; 1.5·2^-24 → ties to even 2·2^-24; overflow → inf
  const fromBits = parseSafetensors(encodeSafetensors({ b: { dtype: "BF16", shape: [1], data: Uint16Array.from([0x3f80]) } }), "x");
  assert.deepEqual(list(fromBits.tensors.b.data), [1]);
});

test("reads a file written by Python (scalar I64 tensor included)", () => {
  const file = readSafetensors(fileURLToPath(new URL("../../../test/fixtures/metrics/weights_0.safetensors", import.meta.url)));
  assert.deepEqual(file.tensors["conv.weight"].shape, [8, 3, 3, 3]);
  assert.equal(file.tensors["conv.weight"].data.length, 216);
  assert.deepEqual(list(file.tensors["bn.num_batches_tracked"].data), [1000n]);
});

test("invalid files are InputErrors naming the file", () => {
  const f32 = (n: number): Buffer => Buffer.alloc(4 * n);
  const cases: [Buffer, RegExp][] = [
    [Buffer.alloc(4), /shorter than the 8-byte header length/],
    [fileWith({}, Buffer.alloc(0)).fill(0xff, 0, 8), /header length \d+ is too large/],
    [Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{x}")]), /header is not valid JSON/],
    [fileWith([1], Buffer.alloc(0)), /header is not a JSON object/],
    [fileWith({ w: { dtype: "F8", shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)), /tensor "w" has unsupported dtype "F8"/],
    [fileWith({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, f32(1)), /data_offsets \[0, 8\] lie outside the 4 data bytes/],
    [fileWith({ w: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, f32(2)), /spans 4 bytes, but shape \[2\] of F32 needs 8/],
    [fileWith({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, f32(3)), /overlap or hole/],
    [fileWith({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, f32(2)), /starts at byte 4, expected 0/],
    [fileWith({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, f32(2)), /tensors cover 4 of 8 data bytes/],
    [fileWith({ __metadata__: { a: 1 } }, Buffer.alloc(0)), /__metadata__ must map strings to strings/],
  ];
  for (const [bytes, message] of cases) {
    const path = join(dir, "bad.safetensors");
    writeFileSync(path, bytes);
    assert.throws(
      () => readSafetensors(path),
      (e: Error) => e instanceof InputError && e.message.startsWith(`${path}: corrupt safetensors file (`) && message.test(e.message),
      String(message),
    );
  }
  rmSync(join(dir, "bad.safetensors"));
});

test("writer refuses data that does not match the dtype or shape", () => {
  assert.throws(() => encodeSafetensors({ w: { dtype: "F64", shape: [2], data: Float32Array.from([1, 2]) } }), /does not match dtype F64/);
  assert.throws(() => encodeSafetensors({ w: { dtype: "F32", shape: [3], data: Float32Array.from([1, 2]) } }), /shape \[3\] does not match 2 values/);
});
