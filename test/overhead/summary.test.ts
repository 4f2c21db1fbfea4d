import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConfigId } from "../../src/overhead/configs.js";
import { determinismConfigs } from "../../src/overhead/configs.js";
import type { ConfigMeasurement } from "../../src/overhead/summary.js";
import { pairedRatio, summariseConfigs } from "../../src/overhead/summary.js";

const close = (actual: number, expected: number, what: string): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} ≠ ${expected}`);

test("pairedRatio: a constant ratio has a zero-width interval, whatever the drift across rounds", () => {
  const baseline = [0.01, 0.02, 0.04, 0.03, 0.05];
  const r = pairedRatio(
    baseline.map((t) => t * 1.25),
    baseline,
  );
  close(r.median, 1.25, "median");
  close(r.interval[0], 1.25, "low");
  close(r.interval[1], 1.25, "high");
  assert.equal(r.rounds, 5);
});

test("pairedRatio: the median of per-round ratios, inside a bootstrap interval within the ratios' range", () => {
  const baseline = [1, 1, 1, 1, 1, 1, 1];
  const times = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 3.0];
  const r = pairedRatio(times, baseline);
  close(r.median, 1.3, "median");
  assert.ok(r.interval[0] <= r.median && r.median <= r.interval[1], `interval ${r.interval} misses ${r.median}`);
  assert.ok(r.interval[0] >= 1.0 && r.interval[1] <= 3.0, `interval ${r.interval} outside the ratios`);
  assert.ok(r.interval[0] < r.interval[1], "spread ratios give a non-degenerate interval");
  assert.deepEqual(pairedRatio(times, baseline), r, "the fixed bootstrap seed makes the interval reproducible");
});

test("pairedRatio rejects unpaired or empty rounds", () => {
  assert.throws(() => pairedRatio([1, 2], [1]), /2 rounds against 1/);
  assert.throws(() => pairedRatio([], []), /no rounds/);
});

function measurement(config: ConfigMeasurement["config"], roundSeconds: number[]): ConfigMeasurement {
  return { config, status: "ok", message: null, roundSeconds };
}

test("summariseConfigs: step time, spread, and the ratio to each configuration's baseline", () => {
  const configs = determinismConfigs(true);
  const base = [0.01, 0.012, 0.011, 0.013];
  const scaled = (f: number) => base.map((t) => t * f);
  const summaries = summariseConfigs(configs, [
    measurement("default", base),
    measurement("deterministic", scaled(2)),
    measurement("deterministic-algorithms", scaled(1.5)),
    measurement("cudnn-benchmark-off", scaled(1)),
    measurement("fill-uninitialized-memory", scaled(1.8)),
    measurement("tf32-off", scaled(1.1)),
  ]);
  assert.deepEqual(
    summaries.map((s) => s.config),
    configs.map((c) => c.id),
  );
  const get = (id: string) => summaries.find((s) => s.config === id)!;
  close(get("default").medianStepMs!, 11.5, "default median ms");
  close(get("default").interquartileMs![0], 10.75, "default q25 ms");
  close(get("default").interquartileMs![1], 12.25, "default q75 ms");
  assert.equal(get("default").ratio, null);
  assert.equal(get("default").ratioToDefault, null);
  close(get("deterministic").ratio!.median, 2, "deterministic ratio");
  close(get("tf32-off").ratio!.median, 1.1, "tf32 ratio");
  // Fill only acts under deterministic algorithms: its own cost is against them.
  assert.equal(get("fill-uninitialized-memory").baseline, "deterministic-algorithms");
  close(get("fill-uninitialized-memory").ratio!.median, 1.2, "fill ratio to deterministic algorithms");
  close(get("fill-uninitialized-memory").ratioToDefault!.median, 1.8, "fill ratio to default");
  assert.equal(get("deterministic").rounds, 4);
});

test("summariseConfigs: a configuration libtorch refused has no timing and no ratio, and neither has one compared with it", () => {
  const configs = determinismConfigs(true);
  const refused = (config: ConfigMeasurement["config"]): ConfigMeasurement => ({ config, status: "not-deterministic", message: "x does not have a deterministic implementation", roundSeconds: [] });
  const summaries = summariseConfigs(configs, [
    measurement("default", [0.01, 0.01]),
    refused("deterministic"),
    refused("deterministic-algorithms"),
    measurement("cudnn-benchmark-off", [0.02, 0.02]),
    refused("fill-uninitialized-memory"),
    measurement("tf32-off", [0.01, 0.01]),
  ]);
  const get = (id: string) => summaries.find((s) => s.config === id)!;
  for (const id of ["deterministic", "deterministic-algorithms", "fill-uninitialized-memory"]) {
    assert.equal(get(id).status, "not-deterministic");
    assert.equal(get(id).medianStepMs, null);
    assert.equal(get(id).ratio, null);
    assert.match(get(id).message!, /deterministic implementation/);
  }
  close(get("cudnn-benchmark-off").ratio!.median, 2, "cudnn ratio");
  assert.throws(() => summariseConfigs(configs, [measurement("default", [0.01])]), /no measurement of configuration "deterministic"/);
});

test("determinismConfigs: every configuration sets every switch; fill only where libtorch has it", () => {
  for (const hasFill of [false, true]) {
    const configs = determinismConfigs(hasFill);
    const keys = Object.keys(configs[0].flags).sort();
    assert.equal(keys.includes("fillUninitializedMemory"), hasFill);
    for (const c of configs) assert.deepEqual(Object.keys(c.flags).sort(), keys, `${c.id} sets other switches`);
    assert.equal(configs.some((c) => c.id === "fill-uninitialized-memory"), hasFill);
    const byId = new Map(configs.map((c) => [c.id, c]));
    assert.deepEqual(byId.get("default")!.flags, {
      deterministicAlgorithms: false,
      deterministicAlgorithmsWarnOnly: false,
      cudnnDeterministic: false,
      cudnnBenchmark: true,
      allowTF32Matmul: true,
      allowTF32Cudnn: true,
      ...(hasFill ? { fillUninitializedMemory: false } : {}),
    });
    // One switch each, relative to the default (fill: relative to deterministic algorithms).
    const changed = (id: ConfigId, from: ConfigId) => {
      const before: Record<string, unknown> = byId.get(from)!.flags;
      return Object.entries(byId.get(id)!.flags)
        .filter(([k, v]) => before[k] !== v)
        .map(([k]) => k);
    };
    assert.deepEqual(changed("deterministic-algorithms", "default"), ["deterministicAlgorithms"]);
    assert.deepEqual(changed("cudnn-benchmark-off", "default"), ["cudnnBenchmark"]);
    assert.deepEqual(changed("tf32-off", "default"), ["allowTF32Matmul", "allowTF32Cudnn"]);
    if (hasFill) assert.deepEqual(changed("fill-uninitialized-memory", "deterministic-algorithms"), ["fillUninitializedMemory"]);
    assert.equal(byId.get("deterministic")!.flags.deterministicAlgorithmsWarnOnly, false, "deterministic mode must raise, not warn");
  }
});
