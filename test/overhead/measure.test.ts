import assert from "node:assert/strict";
import { test } from "node:test";
import type { DeterminismConfig } from "../../src/overhead/configs.js";
import { determinismConfigs } from "../../src/overhead/configs.js";
import { measureInterleaved, nondeterministicOpMessage } from "../../src/overhead/measure.js";
import type { DeterminismFlags } from "../../src/torch/index.js";

const LIBTORCH_ALERT =
  "adaptive_avg_pool2d_backward_cuda does not have a deterministic implementation, but you set 'torch.use_deterministic_algorithms(True)'. You can turn off determinism just for this operation…";

/**
 * A fake engine: a step costs `cost(flags)` fake milliseconds; `log` records
 * which configuration each step ran under.
 */
function fakeEngine(configs: DeterminismConfig[], cost: (flags: Partial<DeterminismFlags>) => number) {
  let clock = 0;
  let flags: Partial<DeterminismFlags> = {};
  const log: string[] = [];
  let synchronised = 0;
  return {
    log,
    synchronisations: () => synchronised,
    hooks: {
      applyFlags: (f: Partial<DeterminismFlags>) => (flags = f),
      step: () => {
        log.push(configs.find((c) => c.flags === flags)!.id);
        clock += cost(flags);
      },
      timer: { now: () => clock, synchronize: () => void synchronised++ },
    },
  };
}

test("warm-up, then rounds that run every configuration once, starting one later each round", () => {
  const configs = determinismConfigs(false);
  const engine = fakeEngine(configs, (f) => (f.deterministicAlgorithms ? 30 : 20));
  const plan = { warmup: 2, repeats: 3, steps: 4 };
  const results = measureInterleaved(configs, plan, engine.hooks);
  const n = configs.length;
  assert.equal(engine.log.length, n * (plan.warmup + plan.repeats * plan.steps));
  const warmup = engine.log.slice(0, n * plan.warmup);
  assert.deepEqual(warmup, configs.flatMap((c) => [c.id, c.id]));
  const timed = engine.log.slice(n * plan.warmup);
  for (let round = 0; round < plan.repeats; round++) {
    const order = timed.slice(round * n * plan.steps, (round + 1) * n * plan.steps).filter((_, i) => i % plan.steps === 0);
    assert.deepEqual(order, configs.map((_, k) => configs[(round + k) % n].id), `round ${round}`);
  }
  for (const r of results) {
    assert.equal(r.status, "ok");
    const expected = configs.find((c) => c.id === r.config)!.flags.deterministicAlgorithms ? 0.03 : 0.02;
    assert.deepEqual(r.roundSeconds, [expected, expected, expected], r.config);
  }
  assert.ok(engine.synchronisations() >= 2 * plan.repeats * n, "the device is synchronised around every timed block");
});

test("a configuration libtorch refuses is marked not deterministic and skipped; the others keep every round", () => {
  const configs = determinismConfigs(true);
  const engine = fakeEngine(configs, () => 10);
  const hooks = {
    ...engine.hooks,
    step: () => {
      engine.hooks.step();
      if (engine.log.length > 0 && configs.find((c) => c.id === engine.log[engine.log.length - 1])!.flags.deterministicAlgorithms) throw new Error(LIBTORCH_ALERT);
    },
  };
  const results = measureInterleaved(configs, { warmup: 1, repeats: 4, steps: 2 }, hooks);
  for (const r of results) {
    const refuses = configs.find((c) => c.id === r.config)!.flags.deterministicAlgorithms;
    assert.equal(r.status, refuses ? "not-deterministic" : "ok", r.config);
    assert.equal(r.message, refuses ? LIBTORCH_ALERT : null);
    assert.equal(r.roundSeconds.length, refuses ? 0 : 4);
  }
  const refusedSteps = engine.log.filter((id) => configs.find((c) => c.id === id)!.flags.deterministicAlgorithms).length;
  assert.equal(refusedSteps, 3, "each refusing configuration runs one (warm-up) step and is then skipped");
});

test("refused without warm-up: the first timed round finds it", () => {
  const configs = determinismConfigs(false);
  const engine = fakeEngine(configs, () => 10);
  const hooks = { ...engine.hooks, applyFlags: (f: Partial<DeterminismFlags>) => { engine.hooks.applyFlags(f); if (f.deterministicAlgorithms) throw new Error(LIBTORCH_ALERT); } };
  const results = measureInterleaved(configs, { warmup: 0, repeats: 2, steps: 1 }, hooks);
  assert.deepEqual(results.filter((r) => r.status === "not-deterministic").map((r) => r.config), ["deterministic", "deterministic-algorithms"]);
  assert.ok(results.filter((r) => r.status === "ok").every((r) => r.roundSeconds.length === 2));
});

test("any other error propagates", () => {
  const configs = determinismConfigs(false);
  const engine = fakeEngine(configs, () => 10);
  const hooks = { ...engine.hooks, step: () => { throw new Error("CUDA out of memory"); } };
  assert.throws(() => measureInterleaved(configs, { warmup: 1, repeats: 1, steps: 1 }, hooks), /out of memory/);
});

test("nondeterministicOpMessage recognises libtorch's alert only", () => {
  assert.equal(nondeterministicOpMessage(new Error(LIBTORCH_ALERT)), LIBTORCH_ALERT);
  assert.equal(nondeterministicOpMessage(new Error("shape mismatch")), null);
  assert.equal(nondeterministicOpMessage("scatter_add_cuda_kernel does not have a deterministic implementation"), "scatter_add_cuda_kernel does not have a deterministic implementation");
});
