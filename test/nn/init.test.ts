import assert from "node:assert/strict";
import { test } from "node:test";
import { init } from "../../src/nn/index.js";
import { Generator, empty, tidy } from "../../src/torch/index.js";

function moments(values: number[]): { mean: number; std: number; maxAbs: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std, maxAbs: values.reduce((m, v) => Math.max(m, Math.abs(v)), 0) };
}

test("fans of a conv weight [out, in, kh, kw] and the recommended gains", () => {
  assert.deepEqual(init.fans([64, 32, 3, 3]), { fanIn: 288, fanOut: 576 });
  assert.equal(init.gain("relu"), Math.SQRT2);
  assert.equal(init.gain("tanh"), 5 / 3);
  assert.equal(init.gain("leaky_relu", Math.sqrt(5)), Math.sqrt(2 / 6));
  assert.throws(() => init.fans([3]), /at least 2 dimensions/);
});

test("initialisers draw from the documented distributions", () =>
  tidy(() => {
    const shape = [200, 100, 3, 3]; // fan in 900, fan out 1800
    const g = new Generator(0);
    const xu = moments(init.xavierUniform_(empty(shape), { generator: g }).toArray());
    const xuBound = Math.sqrt(6 / 2700);
    assert.ok(xu.maxAbs <= xuBound && xu.maxAbs > 0.99 * xuBound);
    assert.ok(Math.abs(xu.std - xuBound / Math.sqrt(3)) < 0.01 * xuBound);
    const xn = moments(init.xavierNormal_(empty(shape), { generator: g }).toArray());
    assert.ok(Math.abs(xn.std / Math.sqrt(2 / 2700) - 1) < 0.01);
    const ku = moments(init.kaimingUniform_(empty(shape), { nonlinearity: "relu", generator: g }).toArray());
    const kuBound = Math.sqrt(3) * Math.SQRT2 / Math.sqrt(900);
    assert.ok(ku.maxAbs <= kuBound && ku.maxAbs > 0.99 * kuBound);
    const kn = moments(init.kaimingNormal_(empty(shape), { mode: "fanOut", nonlinearity: "relu", generator: g }).toArray());
    assert.ok(Math.abs(kn.std / (Math.SQRT2 / Math.sqrt(1800)) - 1) < 0.01);
    assert.ok(Math.abs(kn.mean) < 0.002);
    assert.deepEqual(new Set(init.zeros_(empty([5])).toArray()), new Set([0]));
    assert.deepEqual(new Set(init.ones_(empty([5])).toArray()), new Set([1]));
  }));

test("the same generator seed gives the same weights; another seed, others", () =>
  tidy(() => {
    const draw = (seed: number) => init.kaimingNormal_(empty([8, 4]), { generator: new Generator(seed) }).toArray();
    assert.deepEqual(draw(3), draw(3));
    assert.notDeepEqual(draw(3), draw(4));
  }));
