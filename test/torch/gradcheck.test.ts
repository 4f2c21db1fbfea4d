// Finite-difference gradient checks in float64 for every differentiable op
// the engine exposes: the analytical gradient of sum(f(x) · upstream) from
// libtorch's autograd must match central differences.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Tensor } from "../../src/torch/index.js";
import { F, Generator, cat, randn, stack, tensor, tidy, where } from "../../src/torch/index.js";

const EPS = 1e-6;

function gradcheck(fn: (xs: Tensor[]) => Tensor, shapes: number[][], seed = 1): void {
  tidy(() => {
    const g = new Generator(seed);
    const values = shapes.map((s) => randn(s, { generator: g, dtype: "float64" }).toArray());
    const make = (vals: number[][]) => vals.map((v, i) => tensor(v, shapes[i], { dtype: "float64", requiresGrad: true }));
    const inputs = make(values);
    const out = fn(inputs);
    const upstream = randn(out.shape, { generator: g, dtype: "float64" });
    out.mul(upstream).sum().backward();
    const objective = (vals: number[][]) => tidy(() => fn(make(vals)).mul(upstream).sum().item());
    values.forEach((v, i) => {
      const analytical = inputs[i].grad?.toArray();
      assert.ok(analytical, `input ${i} received no gradient`);
      for (let j = 0; j < v.length; j++) {
        const plus = values.map((a) => [...a]);
        const minus = values.map((a) => [...a]);
        plus[i][j] += EPS;
        minus[i][j] -= EPS;
        const numerical = (objective(plus) - objective(minus)) / (2 * EPS);
        const tolerance = 1e-5 + 1e-4 * Math.abs(numerical);
        assert.ok(Math.abs(analytical[j] - numerical) <= tolerance, `input ${i}[${j}]: autograd ${analytical[j]}, finite difference ${numerical}`);
      }
    });
  });
}

const cases: Record<string, [(xs: Tensor[]) => Tensor, number[][]]> = {
  add: [([a, b]) => a.add(b, 0.5), [[3, 4], [4]]],
  addScalar: [([a]) => a.add(2), [[5]]],
  sub: [([a, b]) => a.sub(b), [[3, 4], [3, 4]]],
  mul: [([a, b]) => a.mul(b), [[3, 4], [3, 1]]],
  div: [([a, b]) => a.div(b.abs().add(1)), [[3, 4], [3, 4]]],
  powScalar: [([a]) => a.abs().add(0.5).pow(2.5), [[6]]],
  powTensor: [([a, b]) => a.abs().add(0.5).pow(b), [[6], [6]]],
  neg: [([a]) => a.neg(), [[5]]],
  abs: [([a]) => a.abs(), [[7]]],
  exp: [([a]) => a.exp(), [[5]]],
  log: [([a]) => a.abs().add(0.1).log(), [[5]]],
  sqrt: [([a]) => a.abs().add(0.1).sqrt(), [[5]]],
  square: [([a]) => a.square(), [[5]]],
  matmul: [([a, b]) => a.matmul(b), [[3, 4], [4, 2]]],
  clamp: [([a]) => a.clamp(-0.5, 0.5), [[9]]],
  sum: [([a]) => a.sum(), [[3, 4]]],
  sumDim: [([a]) => a.sum(1, true), [[3, 4]]],
  mean: [([a]) => a.mean(), [[3, 4]]],
  meanDims: [([a]) => a.mean([0, 2]), [[2, 3, 4]]],
  max: [([a]) => a.max(), [[7]]],
  maxDim: [([a]) => a.maxDim(1).values, [[3, 5]]],
  reshape: [([a]) => a.reshape([4, 3]).mul(a.reshape([4, 3])), [[3, 4]]],
  view: [([a]) => a.view([12]), [[3, 4]]],
  permute: [([a]) => a.permute([2, 0, 1]).contiguous(), [[2, 3, 4]]],
  transpose: [([a]) => a.transpose(0, 1), [[3, 4]]],
  flatten: [([a]) => a.flatten(1), [[2, 3, 2]]],
  narrow: [([a]) => a.narrow(1, 1, 2), [[3, 4]]],
  indexSelect: [([a]) => a.indexSelect(0, tensor([2, 0, 2], [3], { dtype: "int64" })), [[3, 4]]],
  flip: [([a]) => a.flip([0, 1]), [[3, 4]]],
  unsqueezeSqueeze: [([a]) => a.unsqueeze(1).mul(2).squeeze(1), [[3, 4]]],
  expand: [([a]) => a.expand([3, 4]), [[1, 4]]],
  cat: [([a, b]) => cat([a, b], 1), [[2, 3], [2, 2]]],
  stack: [([a, b]) => stack([a, b], 0), [[2, 3], [2, 3]]],
  where: [([a, b]) => where(a.gt(0), a, b), [[8], [8]]],
  conv2d: [([x, w, b]) => F.conv2d(x, w, b, { padding: 1 }), [[1, 2, 4, 4], [3, 2, 3, 3], [3]]],
  conv2dStridedDilatedGrouped: [([x, w]) => F.conv2d(x, w, null, { stride: 2, padding: 2, dilation: 2, groups: 2 }), [[1, 4, 5, 5], [2, 2, 3, 3]]],
  linear: [([x, w, b]) => F.linear(x, w, b), [[3, 4], [2, 4], [2]]],
  batchNormTraining: [([x, w, b]) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }), [[4, 2, 2, 2], [2], [2]]],
  maxPool2d: [([x]) => F.maxPool2d(x, 2), [[1, 2, 4, 4]]],
  maxPool2dPadded: [([x]) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), [[1, 1, 5, 5]]],
  avgPool2d: [([x]) => F.avgPool2d(x, 2, { stride: 1 }), [[1, 2, 3, 3]]],
  adaptiveAvgPool2d: [([x]) => F.adaptiveAvgPool2d(x, [2, 1]), [[1, 2, 5, 3]]],
  globalAvgPool2d: [([x]) => F.globalAvgPool2d(x), [[2, 2, 3, 3]]],
  relu: [([x]) => F.relu(x), [[9]]],
  relu6: [([x]) => F.relu6(x.mul(4)), [[9]]],
  silu: [([x]) => F.silu(x), [[9]]],
  sigmoid: [([x]) => F.sigmoid(x), [[9]]],
  tanh: [([x]) => F.tanh(x), [[9]]],
  softmax: [([x]) => F.softmax(x, 1), [[3, 4]]],
  logSoftmax: [([x]) => F.logSoftmax(x, 1), [[3, 4]]],
  dropout: [([x]) => F.dropout(x, 0.4, true, new Generator(5)), [[12]]],
  crossEntropy: [([x]) => F.crossEntropy(x, tensor([0, 3, 1], [3], { dtype: "int64" })), [[3, 4]]],
  crossEntropyLabelSmoothing: [([x]) => F.crossEntropy(x, tensor([2, 2, 0], [3], { dtype: "int64" }), { labelSmoothing: 0.2 }), [[3, 4]]],
  mseLoss: [([x, y]) => F.mseLoss(x, y), [[5], [5]]],
  binaryCrossEntropyWithLogits: [([x]) => F.binaryCrossEntropyWithLogits(x, tensor([1, 0, 0, 1, 1, 0], [2, 3], { dtype: "float64" })), [[2, 3]]],
  padConstant: [([x]) => F.pad(x, [1, 2, 0, 1], "constant", 0.5), [[1, 1, 2, 3]]],
  padReflect: [([x]) => F.pad(x, [1, 1, 1, 1], "reflect"), [[1, 1, 3, 3]]],
  padReplicate: [([x]) => F.pad(x, [2, 0, 1, 0], "replicate"), [[1, 1, 2, 3]]],
};

describe("float64 finite-difference gradient checks", () => {
  for (const [name, [fn, shapes]] of Object.entries(cases)) {
    test(name, () => gradcheck(fn, shapes));
  }

  test("the check fails for a wrong gradient", () => {
    // detach() cuts the graph: the analytical gradient is missing a term, so gradcheck must reject it.
    assert.throws(() => gradcheck(([a]) => a.mul(a.detach()), [[4]]));
  });
});
