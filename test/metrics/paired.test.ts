/**
 * Paired metrics (model i of one side against model i of the other) against
 * NumPy: scripts/make_paired_fixtures.py pairs the metrics fixtures' models
 * 0–4 with 5–9.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { InputError } from "../../src/errors.js";
import { readNpy } from "../../src/io/npy.js";
import { readSafetensors } from "../../src/io/safetensors.js";
import { pairedReport } from "../../src/metrics/paired.js";

const dir = fileURLToPath(new URL("../../../test/fixtures/metrics/", import.meta.url));
const expected = JSON.parse(readFileSync(dir + "paired.json", "utf8"));

function close(actual: number | null | undefined, wanted: number, what: string): void {
  assert.ok(actual != null && Math.abs(actual - wanted) <= 1e-12 * Math.max(1, Math.abs(wanted)), `${what}: ${actual} vs NumPy ${wanted}`);
}

function load() {
  const preds = readNpy(dir + "preds.npy");
  const n = preds.shape[1];
  const labels = Int32Array.from(readNpy(dir + "labels.npy").data as Int8Array);
  const predictions = Array.from({ length: 10 }, (_, r) => Int32Array.from((preds.data as Int8Array).subarray(r * n, (r + 1) * n)));
  const weights = Array.from({ length: 10 }, (_, r) => readSafetensors(`${dir}weights_${r}.safetensors`));
  return {
    labels,
    a: { predictions: predictions.slice(0, 5), weights: weights.slice(0, 5) },
    b: { predictions: predictions.slice(5), weights: weights.slice(5) },
  };
}

test("paired churn, unit L2 and accuracy difference match NumPy", () => {
  const { labels, a, b } = load();
  const report = pairedReport(a, b, labels, { seed: 3, resamples: 500 });
  assert.equal(report.pairs, 5);
  for (const key of ["churn", "unitL2", "accuracyDifference"] as const) {
    const got = report[key]!;
    const want = expected[key];
    assert.equal(got.perPair.length, 5);
    got.perPair.forEach((v, i) => close(v, want.perPair[i], `${key}[${i}]`));
    close(got.mean, want.mean, `${key} mean`);
    close(got.std, want.std, `${key} std`);
    // The bootstrap interval of the mean lies within the per-pair range and around the mean.
    const [lo, hi] = got.meanCi95;
    assert.ok(lo <= got.mean && got.mean <= hi && lo >= Math.min(...got.perPair) && hi <= Math.max(...got.perPair), `${key} CI [${lo}, ${hi}]`);
  }
  assert.deepEqual(pairedReport(a, b, labels, { seed: 3, resamples: 500 }), report, "same seed, same report");
});

test("identical sides have zero churn, distance and accuracy difference", () => {
  const { labels, a } = load();
  const report = pairedReport(a, a, labels);
  assert.deepEqual(report.churn.perPair, [0, 0, 0, 0, 0]);
  assert.deepEqual(report.unitL2!.perPair, [0, 0, 0, 0, 0]);
  assert.deepEqual(report.accuracyDifference.perPair, [0, 0, 0, 0, 0]);
});

test("without weights on both sides there is no distance; unmatched sides are refused", () => {
  const { labels, a, b } = load();
  assert.equal(pairedReport({ predictions: a.predictions }, b, labels).unitL2, null);
  assert.throws(() => pairedReport(a, { predictions: b.predictions.slice(1) }, labels, { names: ["cpu-1t", "cpu-2t"] }), (err: unknown) => err instanceof InputError && /cpu-2t: 4 models, but cpu-1t has 5/.test(err.message));
  assert.throws(() => pairedReport({ predictions: [] }, { predictions: [] }, labels), InputError);
});
