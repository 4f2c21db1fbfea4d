import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setImmediate } from "node:timers/promises";
import type {
  Tensor} from "../../src/torch/index.js";
import {
  Generator,
  arange,
  buildInfo,
  callOp,
  dispose,
  full,
  getDeterminism,
  getNumThreads,
  keep,
  memory,
  noGrad,
  ones,
  opSchema,
  randn,
  setDeterminism,
  setNumThreads,
  tensor,
  tidy,
  zeros,
} from "../../src/torch/index.js";

describe("tensor basics", () => {
  test("round-trips every supported dtype through typed arrays", () =>
    tidy(() => {
      assert.deepEqual(Array.from(tensor(new Float32Array([1.5, -2])).data() as Iterable<number | bigint>), [1.5, -2]);
      assert.deepEqual(Array.from(tensor(new Float64Array([1e-300])).data() as Iterable<number | bigint>), [1e-300]);
      assert.deepEqual(Array.from(tensor(new BigInt64Array([2n ** 40n])).data() as Iterable<number | bigint>), [2n ** 40n]);
      assert.deepEqual(Array.from(tensor(new Int32Array([-7, 9])).data() as Iterable<number | bigint>), [-7, 9]);
      assert.deepEqual(Array.from(tensor(new Uint8Array([0, 255])).data() as Iterable<number | bigint>), [0, 255]);
      const b = tensor([0, 3, 0], [3], { dtype: "bool" });
      assert.equal(b.dtype, "bool");
      assert.deepEqual(b.toArray(), [0, 1, 0]);
      const t = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      assert.deepEqual(t.shape, [2, 3]);
      assert.equal(t.dtype, "float32");
      assert.equal(t.device, "cpu");
      assert.equal(t.numel, 6);
      assert.equal(t.sum().item(), 21);
    }));

  test("item() is exact: int64 up to ±(2^53 - 1) as a number, beyond that an error (misuse.test.ts)", () =>
    tidy(() => {
      const limits = tensor(new BigInt64Array([2n ** 53n - 1n, -(2n ** 53n - 1n)]));
      assert.equal(limits.narrow(0, 0, 1).item(), Number.MAX_SAFE_INTEGER);
      assert.equal(limits.narrow(0, 1, 1).item(), Number.MIN_SAFE_INTEGER);
      assert.equal(tensor([1], [1], { dtype: "bool" }).item(), 1);
      assert.equal(tensor([0.25], [1], { dtype: "float64" }).item(), 0.25);
    }));

  test("integral scalars keep integer tensors integral, as Python int literals do", () =>
    tidy(() => {
      assert.equal(arange(4).add(1).dtype, "int64");
      assert.equal(arange(4).mul(0.5).dtype, "float32");
      assert.deepEqual(arange(4).mul(0.5).toArray(), [0, 0.5, 1, 1.5]);
    }));

  test("ops as methods and reductions", () =>
    tidy(() => {
      const t = tensor([3, 1, 2, 9, 7, 8], [2, 3]);
      assert.deepEqual(t.argmax(1).toArray(), [0, 0]);
      assert.deepEqual(t.maxDim(0).values.toArray(), [9, 7, 8]);
      assert.deepEqual(t.mean(0).toArray(), [6, 4, 5]);
      assert.deepEqual(t.transpose(0, 1).contiguous().toArray(), [3, 9, 1, 7, 2, 8]);
      assert.deepEqual(t.flip([1]).toArray(), [2, 1, 3, 8, 7, 9]);
      assert.deepEqual(full([2], 4).toArray(), [4, 4]);
    }));

  test("autograd: backward, grad, noGrad", () =>
    tidy(() => {
      const x = tensor([1, 2, 3], [3], { requiresGrad: true });
      x.mul(x).sum().backward();
      assert.deepEqual(x.grad?.toArray(), [2, 4, 6]);
      x.grad = null;
      assert.equal(x.grad, null);
      x.grad = full([3], 5); // same shape, dtype and device: accepted, as in PyTorch
      assert.deepEqual(x.grad?.toArray(), [5, 5, 5]);
      const y = noGrad(() => x.mul(2));
      assert.equal(y.requiresGrad, false);
    }));

  test("libtorch errors become JS errors with libtorch's message, and the process lives on", () =>
    tidy(() => {
      const a = zeros([2, 3]);
      assert.throws(() => a.matmul(a), /mat1 and mat2 shapes cannot be multiplied/);
      assert.throws(() => a.reshape([5]), /shape '\[5\]' is invalid/);
      assert.throws(() => callOp("no_such_op", []), /no_such_op/);
      assert.throws(() => callOp("mul.Tensor", [a]), /missing argument 'other'/);
      assert.throws(() => callOp("mul.Tensor", [a, "x"]), /argument 'other': expected a tensor handle/);
      assert.throws(() => tensor(new Float32Array(3), [2, 2]), /buffer has 12 bytes, shape and dtype need 16/);
      assert.match(opSchema("conv2d"), /^aten::conv2d\(Tensor input, Tensor weight/);
    }));

  test("a disposed tensor cannot be used", () => {
    const a = ones([2]);
    a.dispose();
    assert.equal(a.isDisposed, true);
    assert.throws(() => a.shape, /disposed/);
    a.dispose(); // disposing twice is harmless
  });
});

describe("memory", () => {
  test("tidy frees everything but the result and kept tensors", () => {
    const before = memory();
    let kept: Tensor | undefined;
    const result = tidy(() => {
      const a = ones([1000]);
      a.mul(2).add(1);
      kept = keep(zeros([10]));
      return { value: a.sum() };
    });
    const after = memory();
    assert.equal(after.tensors - before.tensors, 2);
    assert.equal(after.bytes - before.bytes, 4 + 40);
    assert.equal(result.value.item(), 1000);
    dispose([result, kept]);
    assert.deepEqual(memory(), before);
  });

  test("tidy frees its tensors when the function throws", () => {
    const before = memory().tensors;
    assert.throws(() =>
      tidy(() => {
        ones([3]);
        throw new Error("boom");
      }),
    );
    assert.equal(memory().tensors, before);
  });

  test("V8 sees native tensor memory, so unreferenced tensors are collected under memory pressure", async () => {
    // Each tensor's JS handle is tiny; without napi_adjust_external_memory V8
    // would let ~100 of these 4 MiB tensors pile up before collecting.
    let maxLive = 0;
    const base = memory().tensors;
    for (let i = 0; i < 120; ++i) {
      zeros([1 << 20]); // 4 MiB, dropped at once
      await setImmediate(); // Node runs finalizers of collected handles between ticks
      maxLive = Math.max(maxLive, memory().tensors - base);
    }
    assert.ok(maxLive < 60, `${maxLive} unreferenced 4 MiB tensors were alive at once`);
  });

  test("views share storage and are counted once in bytes", () =>
    tidy(() => {
      const before = memory();
      const a = zeros([256]);
      a.view([16, 16]);
      const after = memory();
      assert.equal(after.tensors - before.tensors, 2);
      assert.equal(after.storages - before.storages, 1);
      assert.equal(after.bytes - before.bytes, 1024);
    }));
});

describe("context", () => {
  test("build info names libtorch and its version", () => {
    const info = buildInfo();
    assert.match(info.torchVersion, /^\d+\.\d+\.\d+/);
    assert.ok(info.libtorchDir.length > 0);
    assert.equal(typeof info.cudaAvailable, "boolean");
  });

  test("thread count and determinism switches can be set and read back", () => {
    const threads = getNumThreads();
    setNumThreads(1);
    assert.equal(getNumThreads(), 1);
    setNumThreads(threads);
    const original = getDeterminism();
    setDeterminism({ deterministicAlgorithms: true, deterministicAlgorithmsWarnOnly: true, cudnnBenchmark: true });
    const changed = getDeterminism();
    assert.equal(changed.deterministicAlgorithms, true);
    assert.equal(changed.deterministicAlgorithmsWarnOnly, true);
    assert.equal(changed.cudnnBenchmark, true);
    setDeterminism(original.fillUninitializedMemory === null ? { ...original, fillUninitializedMemory: undefined } : original);
    assert.deepEqual(getDeterminism(), original);
  });

  test("generators: same seed, same stream; streams are independent", () =>
    tidy(() => {
      const a = new Generator(42);
      const b = new Generator(42);
      const first = randn([5], { generator: a }).toArray();
      assert.deepEqual(randn([5], { generator: b }).toArray(), first);
      assert.notDeepEqual(randn([5], { generator: a }).toArray(), first);
      a.manualSeed(42);
      assert.deepEqual(randn([5], { generator: a }).toArray(), first);
      assert.equal(a.initialSeed, 42);
      assert.throws(() => new Generator(-1), /seed must be an integer/);
    }));
});
