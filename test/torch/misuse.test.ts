// Misuse of the engine from JS: every case must throw a catchable JS error
// naming the problem, and the process must live on with no leak.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Tensor } from "../../src/torch/index.js";
import {
  EXPOSED_OPERATORS,
  Generator,
  arange,
  callOp,
  memory,
  noGrad,
  op,
  opInPlace,
  opSchema,
  ones,
  setNumThreads,
  tensor,
  tidy,
  zeros,
} from "../../src/torch/index.js";
import { native } from "../../src/torch/native.js";

// at::ScalarType / at::Layout / at::MemoryFormat codes used below.
const FLOAT32 = 6;
const QINT8 = 12;
const STRIDED = 0;
const SPARSE = 1;

/** A tensor whose handle has been freed. */
function disposed(): Tensor {
  const t = ones([2]);
  t.dispose();
  return t;
}

/** A float32 tensor on libtorch's "meta" device (shapes only, no data): a second device on any machine. */
function onMetaDevice(shape: number[]): Tensor {
  return op("zeros", [shape, FLOAT32, STRIDED, "meta"]);
}

interface MisuseCase {
  name: string;
  run: () => unknown;
  error: RegExp;
}

const cases: MisuseCase[] = [
  // disposed and forged handles
  { name: "method of a disposed tensor", run: () => disposed().add(1), error: /tensor was disposed/ },
  { name: "disposed tensor as an argument", run: () => ones([2]).add(disposed()), error: /tensor was disposed/ },
  {
    name: "disposed native handle",
    run: () => {
      const handle = ones([2]).handle;
      native.dispose(handle);
      return native.shape(handle);
    },
    error: /shape: tensor was disposed/,
  },
  { name: "forged tensor handle", run: () => callOp("neg", [{ not: "a tensor" }]), error: /argument 'self': expected a tensor handle/ },
  { name: "forged generator handle", run: () => native.generatorSeed(ones([1]).handle), error: /expected a generator handle/ },

  // dtype, layout and memory-format numbers
  { name: "dtype code out of range", run: () => op("zeros", [[2], 99]), error: /unknown dtype code 99/ },
  { name: "negative dtype code", run: () => op("zeros", [[2], -1]), error: /unknown dtype code -1/ },
  { name: "dtype code 2^70", run: () => op("zeros", [[2], 2 ** 70]), error: /argument 'dtype': expected an integer in int64's range/ },
  { name: "fractional dtype code", run: () => op("zeros", [[2], 6.5]), error: /got 6\.5/ },
  { name: "unsupported dtype (qint8)", run: () => op("zeros", [[2], QINT8]), error: /dtype QInt8 is not supported/ },
  { name: "dtype code 2^70 into fromBuffer", run: () => native.fromBuffer(new Uint8Array(2), [2], 2 ** 70), error: /fromBuffer: dtype/ },
  { name: "layout code out of range", run: () => op("zeros", [[2], FLOAT32, 99]), error: /unknown layout code 99/ },
  { name: "sparse layout", run: () => op("zeros", [[2], FLOAT32, SPARSE]), error: /only strided/ },
  {
    name: "memory format out of range",
    run: () => op("empty.memory_format", [[2], FLOAT32, null, null, null, 99]),
    error: /unknown memory format code 99/,
  },
  { name: "memory format NaN", run: () => op("clone", [ones([2]), NaN]), error: /got NaN/ },

  // sizes
  { name: "shape [NaN]", run: () => tensor([], [NaN]), error: /shape: expected an integer in int64's range, got NaN/ },
  { name: "shape [Infinity]", run: () => tensor([], [Infinity]), error: /got Infinity/ },
  { name: "shape [-Infinity]", run: () => tensor([], [-Infinity]), error: /got -Infinity/ },
  { name: "shape [2.5]", run: () => tensor([1, 2], [2.5]), error: /got 2\.5/ },
  { name: "shape [2^70]", run: () => tensor([], [2 ** 70]), error: /got 1\.18\d*e\+21/ },
  { name: "negative dimension", run: () => tensor([], [-1]), error: /dimension 0 is negative/ },
  { name: "zeros([Infinity])", run: () => zeros([Infinity]), error: /argument 'size': expected an integer in int64's range, got Infinity/ },
  { name: "zeros([2^63])", run: () => zeros([2 ** 63]), error: /argument 'size'.*int64's range/ },
  { name: "zeros([NaN])", run: () => zeros([NaN]), error: /got NaN/ },
  { name: "sizes whose product overflows", run: () => zeros([2 ** 62, 2 ** 62]), error: /overflow|too large|can.t allocate/i },
  { name: "narrow from -Infinity", run: () => zeros([3]).narrow(0, -Infinity, 1), error: /argument 'start'.*got -Infinity/ },
  { name: "buffer shorter than the shape", run: () => tensor(new Float32Array(3), [2, 2]), error: /buffer has 12 bytes, shape and dtype need 16/ },

  // mismatched shapes
  { name: "add [2] + [3]", run: () => ones([2]).add(ones([3])), error: /size of tensor a \(2\) must match the size of tensor b \(3\)/ },
  { name: "matmul [2,3] @ [2,3]", run: () => ones([2, 3]).matmul(ones([2, 3])), error: /cannot be multiplied/ },
  { name: "reshape to a wrong size", run: () => ones([2, 3]).reshape([5]), error: /shape '\[5\]' is invalid/ },
  {
    name: "conv2d with the wrong channel count",
    run: () => op("conv2d", [ones([1, 3, 8, 8]), ones([4, 2, 3, 3])]),
    error: /expected input\[1, 3, 8, 8\] to have 2 channels/,
  },
  { name: "cat of mismatched shapes", run: () => op("cat", [[ones([2, 3]), ones([2, 4])], 0]), error: /Sizes of tensors must match/ },
  { name: "backward with a wrong gradient shape", run: () => ones([3], { requiresGrad: true }).mul(2).backward(ones([2])), error: /invalid gradient|Mismatch in shape/ },

  // bad grad
  {
    name: "grad of another shape",
    run: () => {
      zeros([3]).grad = zeros([1]);
    },
    error: /setGrad: gradient has shape \[1\], the tensor \[3\]/,
  },
  {
    name: "grad of another dtype",
    run: () => {
      zeros([3]).grad = zeros([3], { dtype: "float64" });
    },
    error: /setGrad: gradient has dtype Double, the tensor Float/,
  },
  {
    name: "grad on another device",
    run: () => {
      zeros([3]).grad = onMetaDevice([3]);
    },
    error: /setGrad: gradient is on meta, the tensor on cpu/,
  },
  {
    name: "a tensor as its own grad",
    run: () => {
      const x = zeros([3]);
      x.grad = x;
    },
    error: /cannot be its own gradient/,
  },

  // devices
  { name: "unknown device name", run: () => tensor([1], [1], { device: "tpu" }), error: /device string: tpu/ },
  { name: "garbled device index", run: () => zeros([2], { device: "cpu:x" }), error: /device/i },
  { name: "device as a number", run: () => op("zeros", [[2], FLOAT32, null, 0]), error: /argument 'device': expected a device string/ },
  { name: "generator on an unknown device", run: () => new Generator(1, "banana"), error: /device string: banana/ },
  { name: "CUDA device index past the last", run: () => zeros([2], { device: "cuda:99" }), error: /CUDA|cuda|device/ },

  // ops with indices: the unchecked one is not exposed, the exposed ones check
  {
    name: "searchsorted with an out-of-range sorter",
    run: () =>
      callOp("searchsorted.Tensor", [arange(4).float(), tensor([1.5]), false, false, null, tensor([99, -7, 3, 2], [4], { dtype: "int64" })]),
    error: /operator "searchsorted.Tensor" is not exposed/,
  },
  { name: "an operator that is not exposed, in place", run: () => opInPlace("resize_", [ones([2]), [1 << 30]]), error: /not exposed/ },
  { name: "index_select out of range", run: () => ones([3]).indexSelect(0, tensor([5], [1], { dtype: "int64" })), error: /out of range|index/ },
  {
    name: "put_ out of range",
    run: () => noGrad(() => opInPlace("put_", [ones([3]), tensor([99], [1], { dtype: "int64" }), tensor([1]), false])),
    error: /out of (range|bounds)/,
  },
  {
    name: "cross-entropy target past the classes",
    run: () => op("cross_entropy_loss", [ones([2, 3]), tensor([0, 10], [2], { dtype: "int64" })]),
    error: /Target 10 is out of bounds/,
  },
  { name: "dimension out of range", run: () => ones([2, 3]).maxDim(5), error: /Dimension out of range/ },
  { name: "permute with a repeated dimension", run: () => ones([2, 3]).permute([0, 0]), error: /duplicate dims|repeated dim/ },
  { name: "narrow past the end", run: () => ones([3]).narrow(0, 2, 5), error: /exceeds dimension size/ },
  { name: "randperm of a negative count", run: () => op("randperm.generator", [-3, null, 4]), error: /negative/ },

  // values and arguments
  { name: "item() of several elements", run: () => ones([2]).item(), error: /a Tensor with 2 elements cannot be converted to Scalar/ },
  {
    name: "item() of an int64 beyond 2^53",
    run: () => tensor(new BigInt64Array([2n ** 60n + 1n])).item(),
    error: /item\(\): 1152921504606846977 is beyond/,
  },
  { name: "too many arguments", run: () => callOp("neg", [ones([1]), 1, 2]), error: /aten::neg: takes 1 arguments, got 3/ },
  { name: "string for an integer", run: () => ones([2, 3]).sum("1" as unknown as number), error: /argument 'dim': expected an integer/ },
  { name: "thread count 0", run: () => native.setNumThreads(0), error: /thread count must be in \[1, 1024\]/ },
  { name: "thread count Infinity", run: () => native.setNumThreads(Infinity), error: /got Infinity/ },
  { name: "negative seed", run: () => native.manualSeed(-1), error: /seed cannot be negative/ },
];

/** Runs every case once; returns the names of those that did not throw as expected. */
function runTable(): string[] {
  const failed: string[] = [];
  for (const c of cases) {
    tidy(() => {
      try {
        c.run();
        failed.push(`${c.name}: did not throw`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (!(err instanceof Error) || !c.error.test(message)) failed.push(`${c.name}: ${message.split("\n")[0]}`);
      }
    });
  }
  return failed;
}

describe("misuse from JS", () => {
  test("every case throws a catchable error that names the problem", () => {
    const threads = native.getNumThreads();
    try {
      assert.deepEqual(runTable(), []);
    } finally {
      setNumThreads(threads);
    }
  });

  test("after the table, repeated, the process is healthy: ops work, live tensors and RSS stay flat", () => {
    const threads = native.getNumThreads();
    try {
      runTable();
      const before = memory();
      const rssBefore = process.memoryUsage().rss;
      for (let round = 0; round < 20; ++round) runTable();
      const growthMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
      assert.deepEqual(memory(), before);
      assert.ok(growthMiB < 16, `RSS grew by ${growthMiB.toFixed(1)} MiB over 20 rounds of ${cases.length} cases`);
    } finally {
      setNumThreads(threads);
    }
    tidy(() => assert.deepEqual(arange(4).float().mul(2).add(1).toArray(), [1, 3, 5, 7]));
  });

  test("every exposed operator exists in this libtorch", () => {
    for (const name of EXPOSED_OPERATORS) assert.match(opSchema(name), /^aten::/, name);
  });
});
