// Interop with Hugging Face's Python `safetensors` library: it reads what we write, and we read what it
// writes. Runs where NOISELAB_SAFETENSORS_PYTHON names a python3 that has safetensors and NumPy (Debian 13's
// python3-safetensors; `npm run test:libtorch2` sets it); skipped elsewhere.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadSafetensors, saveSafetensors, tensor, tidy } from "../../src/torch/index.js";
import { tempDir } from "../e2e/cli.js";
import { repoRoot } from "../helpers.js";

const python = process.env.NOISELAB_SAFETENSORS_PYTHON;
const script = join(repoRoot, "scripts/safetensors_interop.py");

describe("safetensors interop with Python's library", { skip: python ? false : "set NOISELAB_SAFETENSORS_PYTHON to a python3 with safetensors" }, () => {
  test("Python's safetensors reads what we write", () =>
    tidy(() => {
      const path = join(tempDir("st-out"), "ours.safetensors");
      saveSafetensors(
        path,
        new Map([
          ["weight", tensor([1.5, -2.25, 3, 0.125, 1e-30, -7], [2, 3])],
          ["double", tensor([Math.PI, -1e300], [2], { dtype: "float64" })],
          ["count", tensor([2 ** 40, -3], [2], { dtype: "int64" })],
          ["index", tensor([7, -9], [2, 1], { dtype: "int32" })],
          ["pixels", tensor([0, 255, 17], [3], { dtype: "uint8" })],
          ["mask", tensor([1, 0, 1], [3], { dtype: "bool" })],
        ]),
      );
      const read = JSON.parse(execFileSync(python!, [script, "read", path], { encoding: "utf8" })) as Record<string, { dtype: string; shape: number[]; values: (number | boolean)[] }>;
      assert.deepEqual(read.weight, { dtype: "float32", shape: [2, 3], values: Array.from(Float32Array.from([1.5, -2.25, 3, 0.125, 1e-30, -7])) });
      assert.deepEqual(read.double, { dtype: "float64", shape: [2], values: [Math.PI, -1e300] });
      assert.deepEqual(read.count, { dtype: "int64", shape: [2], values: [2 ** 40, -3] });
      assert.deepEqual(read.index, { dtype: "int32", shape: [2, 1], values: [7, -9] });
      assert.deepEqual(read.pixels, { dtype: "uint8", shape: [3], values: [0, 255, 17] });
      assert.deepEqual(read.mask, { dtype: "bool", shape: [3], values: [true, false, true] });
    }));

  test("we read what Python's safetensors writes", () =>
    tidy(() => {
      const path = join(tempDir("st-in"), "theirs.safetensors");
      execFileSync(python!, [script, "write", path]);
      const { tensors, metadata } = loadSafetensors(path);
      assert.deepEqual(metadata, { writer: "python safetensors" });
      const f32 = tensors.get("float32")!;
      assert.deepEqual([f32.dtype, f32.shape], ["float32", [2, 3]]);
      assert.deepEqual(f32.toArray(), Array.from(Float32Array.from([1.5, -2.25, 3.0, 0.1, 1e-30, -7.0])));
      assert.deepEqual(tensors.get("float64")!.toArray(), [Math.PI, -1e300]);
      assert.deepEqual(Array.from(tensors.get("int64")!.data() as BigInt64Array), [2n ** 40n, -3n, 0n]);
      assert.deepEqual([tensors.get("int32")!.shape, tensors.get("int32")!.toArray()], [[2, 1], [7, -9]]);
      assert.deepEqual(tensors.get("uint8")!.toArray(), [0, 255, 17]);
      assert.deepEqual([tensors.get("bool")!.dtype, tensors.get("bool")!.toArray()], ["bool", [1, 0, 1]]);
    }));
});
