import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { NpyArray } from "../../src/io/npy.js";
import { encodeNpy, parseNpy, readNpy, writeNpy } from "../../src/io/npy.js";
import { writeFileAtomic } from "../../src/io/files.js";
import { InputError } from "../../src/errors.js";

/** Elements of any typed array, for deepEqual. */
const list = (a: ArrayLike<number | bigint>): (number | bigint)[] => Array.from(a);

const dir = mkdtempSync(join(tmpdir(), "noiselab-npy-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A .npy file built by hand, as NumPy would write it. */
function npyBytes(header: string, data: Uint8Array, major = 1): Buffer {
  const prefix = major === 1 ? 10 : 12;
  const total = Math.ceil((prefix + header.length + 1) / 64) * 64;
  const text = Buffer.from(header.padEnd(total - prefix - 1, " ") + "\n", major === 3 ? "utf8" : "latin1");
  const head = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]).copy(head);
  if (major === 1) head.writeUInt16LE(text.length, 8);
  else head.writeUInt32LE(text.length, 8);
  return Buffer.concat([head, text, data]);
}

test("round trip for every dtype", () => {
  const arrays: NpyArray[] = [
    { dtype: "f4", shape: [2, 3], data: Float32Array.from([1.5, -2, 3, 4, 5, 6e-8]) },
    { dtype: "f8", shape: [3], data: Float64Array.from([Math.PI, -0, 1e300]) },
    { dtype: "i1", shape: [2], data: Int8Array.from([-128, 127]) },
    { dtype: "i2", shape: [2], data: Int16Array.from([-300, 300]) },
    { dtype: "i4", shape: [1, 1, 2], data: Int32Array.from([-70000, 70000]) },
    { dtype: "i8", shape: [2], data: BigInt64Array.from([-(2n ** 40n), 5n]) },
    { dtype: "u1", shape: [2], data: Uint8Array.from([0, 255]) },
    { dtype: "u2", shape: [2], data: Uint16Array.from([0, 65535]) },
    { dtype: "u4", shape: [2], data: Uint32Array.from([0, 2 ** 32 - 1]) },
    { dtype: "u8", shape: [1], data: BigUint64Array.from([2n ** 63n]) },
    { dtype: "b1", shape: [3], data: Uint8Array.from([1, 0, 1]) },
    { dtype: "f4", shape: [0], data: new Float32Array(0) },
  ];
  for (const a of arrays) {
    const path = join(dir, `rt-${a.dtype}.npy`);
    writeNpy(path, a);
    assert.deepEqual(readNpy(path), a);
  }
  assert.equal(encodeNpy(arrays[0]).length % 64, 24, "header padded to 64 bytes");
});

test("reads big-endian data, format versions 2 and 3, and Fortran order", () => {
  const be = Buffer.alloc(8);
  be.writeInt32BE(-5, 0);
  be.writeInt32BE(258, 4);
  assert.deepEqual(list(parseNpy(npyBytes("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", be), "be.npy").data), [-5, 258]);
  const f8 = Buffer.alloc(8);
  f8.writeDoubleBE(0.1, 0);
  assert.deepEqual(list(parseNpy(npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", f8), "be.npy").data), [0.1]);
  const small = Buffer.from([1, 2, 3]);
  for (const major of [2, 3]) {
    const a = parseNpy(npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", small, major), "v.npy");
    assert.deepEqual(list(a.data), [1, 2, 3]);
  }
  // Column-major [[1, 2, 3], [4, 5, 6]] is stored as 1 4 2 5 3 6.
  const fortran = parseNpy(npyBytes("{'descr': '|i1', 'fortran_order': True, 'shape': (2, 3), }", Buffer.from([1, 4, 2, 5, 3, 6])), "f.npy");
  assert.deepEqual(fortran.shape, [2, 3]);
  assert.deepEqual(list(fortran.data), [1, 2, 3, 4, 5, 6]);
  const f3 = parseNpy(npyBytes("{'descr': '|i1', 'fortran_order': True, 'shape': (2, 2, 2), }", Buffer.from([0, 4, 2, 6, 1, 5, 3, 7])), "f.npy");
  assert.deepEqual(list(f3.data), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test("reads a file written by NumPy", () => {
  const fixture = fileURLToPath(new URL("../../../test/fixtures/metrics/labels.npy", import.meta.url));
  const a = readNpy(fixture);
  assert.equal(a.dtype, "i1");
  assert.deepEqual(a.shape, [5000]);
});

test("corrupt files are InputErrors naming the file", () => {
  const cases: [Buffer, RegExp][] = [
    [Buffer.from("not numpy at all"), /bad\.npy: not a \.npy file \(bad magic bytes\)/],
    [npyBytes("{'descr': '<f4', 'fortran_order': False, }", Buffer.alloc(0)), /bad\.npy: corrupt \.npy header \(no 'shape'\)/],
    [npyBytes("{'descr': '<f4', 'shape': (1,), }", Buffer.alloc(4)), /corrupt \.npy header \(no 'fortran_order'\)/],
    [npyBytes("garbage", Buffer.alloc(0)), /corrupt \.npy header \(not a dict\)/],
    [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (x,), }", Buffer.alloc(0)), /corrupt \.npy header \(bad shape/],
    [npyBytes("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", Buffer.alloc(16)), /unsupported \.npy dtype '<c16'/],
    [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", Buffer.alloc(8)), /bad\.npy: \.npy data has 8 bytes, but shape \(3\) of f4 needs 12/],
  ];
  for (const [bytes, message] of cases) {
    const path = join(dir, "bad.npy");
    writeFileSync(path, bytes);
    assert.throws(() => readNpy(path), (e: Error) => e instanceof InputError && message.test(e.message) && !e.message.includes("\n"), String(message));
  }
  const truncated = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", Buffer.alloc(4)).subarray(0, 30);
  assert.throws(() => parseNpy(truncated, "t.npy"), /t\.npy: corrupt \.npy header \(header length \d+ runs past the end of the file\)/);
  assert.throws(() => readNpy(join(dir, "missing.npy")), /missing\.npy: cannot read \(ENOENT\)/);
});

test("atomic writes leave no temporary file, even on failure", () => {
  const sub = mkdtempSync(join(dir, "atomic-"));
  writeFileAtomic(join(sub, "a.txt"), "hello");
  assert.deepEqual(readdirSync(sub), ["a.txt"]);
  assert.throws(() => writeFileAtomic(join(sub, "no-such-dir", "b.txt"), "x"));
  assert.throws(() => writeFileAtomic(sub, "x"), "renaming over a directory fails");
  assert.deepEqual(readdirSync(sub), ["a.txt"]);
});
