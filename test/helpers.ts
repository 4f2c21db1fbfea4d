import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DType, Tensor } from "../src/torch/index.js";
import { tensor } from "../src/torch/index.js";

/** Tests run from the repository root (`node --test dist/test/`). */
export const repoRoot = process.cwd();

export function readJsonFixture<T>(relativePath: string): T {
  return JSON.parse(readFileSync(join(repoRoot, "test/fixtures", relativePath), "utf8")) as T;
}

export interface TensorFixture {
  shape: number[];
  dtype: string;
  data: number[];
}

/** Checks that a value read from a JSON fixture is a tensor description. */
export function asTensorFixture(value: unknown): TensorFixture {
  const f = value as TensorFixture;
  if (typeof f !== "object" || f === null || !Array.isArray(f.shape) || !Array.isArray(f.data)) {
    throw new Error(`not a tensor fixture: ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  return f;
}

export function fromFixture(value: unknown, options: { requiresGrad?: boolean } = {}): Tensor {
  const f = asTensorFixture(value);
  return tensor(f.data, f.shape, { dtype: f.dtype as DType, requiresGrad: options.requiresGrad });
}

/** Elementwise |actual − expected| ≤ atol + rtol·|expected|, naming the first offending index. */
export function assertClose(actual: Tensor | ArrayLike<number>, expected: unknown, rtol = 1e-5, atol = 1e-6, what = "value"): void {
  const a = "toArray" in actual ? actual.toArray() : Array.from(actual);
  const isArrayLike = Array.isArray(expected) || ArrayBuffer.isView(expected);
  const e = isArrayLike ? Array.from(expected as ArrayLike<number>) : asTensorFixture(expected).data;
  if ("shape" in actual && !isArrayLike) {
    assert.deepEqual(actual.shape, asTensorFixture(expected).shape, `${what}: shape`);
  }
  assert.equal(a.length, e.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    const tolerance = atol + rtol * Math.abs(e[i]);
    if (!(Math.abs(a[i] - e[i]) <= tolerance)) {
      assert.fail(`${what}[${i}]: got ${a[i]}, expected ${e[i]} (tolerance ${tolerance})`);
    }
  }
}
