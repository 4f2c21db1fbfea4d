import assert from "node:assert/strict";
import { test } from "node:test";
import { compareOperators } from "../../src/overhead/operators.js";
import type { OperatorProfile } from "../../src/torch/index.js";

const op = (name: string, calls: number, totalMicros: number, selfMicros = totalMicros): OperatorProfile => ({ name, calls, totalMicros, selfMicros });

test("per-step times, ranked by the larger of the two configurations, cut at `top`", () => {
  const defaults = { steps: 2, totals: [op("aten::conv2d", 10, 8000, 100), op("aten::add_", 40, 400), op("aten::mm", 2, 1000)] };
  const deterministic = { steps: 4, totals: [op("aten::conv2d", 20, 20000, 200), op("aten::add_", 80, 800), op("aten::index_put_", 4, 12000)] };
  const rows = compareOperators(defaults, deterministic, 3);
  assert.deepEqual(
    rows.map((r) => [r.rank, r.name]),
    [
      [1, "aten::conv2d"],
      [2, "aten::index_put_"],
      [3, "aten::mm"],
    ],
  );
  assert.deepEqual(rows[0], { rank: 1, name: "aten::conv2d", defaultMs: 4, deterministicMs: 5, defaultSelfMs: 0.05, deterministicSelfMs: 0.05, defaultCalls: 5, deterministicCalls: 5 });
  // Only the deterministic configuration ran it (a deterministic fallback): it still ranks by its time.
  assert.equal(rows[1].defaultMs, 0);
  assert.equal(rows[1].defaultCalls, 0);
  assert.equal(rows[1].deterministicMs, 3);
  assert.equal(rows[2].deterministicMs, 0);
  assert.equal(compareOperators(defaults, deterministic).length, 4, "fewer operators than `top`: all of them");
});
