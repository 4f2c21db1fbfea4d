// Issue 11: the environment (device, threads, precision, oneDNN) is part of a run's identity.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_ENVIRONMENT } from "../../src/environment/config.js";
import { InputError } from "../../src/errors.js";
import { planRuns } from "../../src/experiment/plan.js";
import { applyOverrides } from "../../src/experiment/presets.js";
import { parseSpec } from "../../src/experiment/spec.js";

const base = {
  name: "env",
  dataset: { kind: "synthetic", trainSize: 100, testSize: 50 },
  models: ["smallcnn"],
  variants: ["CONTROL"],
  replicates: 2,
  training: { epochs: 1 },
};

function keysWith(environment: Record<string, unknown> | undefined): string[] {
  const spec = parseSpec(environment === undefined ? base : { ...base, environments: [environment] }, "spec.yaml");
  return planRuns(spec).map((r) => r.key);
}

function rejects(environments: unknown, pattern: RegExp): void {
  assert.throws(() => parseSpec({ ...base, environments }, "spec.yaml"), (e: Error) => e instanceof InputError && pattern.test(e.message), `expected ${pattern}`);
}

describe("environments in a spec", () => {
  test("a spec without environments trains in one: cpu, 1 thread, fp32, oneDNN on", () => {
    const spec = parseSpec(base, "spec.yaml");
    assert.deepEqual(spec.environments, [{ name: "cpu", device: "cpu", threads: 1, precision: "fp32", onednn: true }]);
    assert.deepEqual(spec.environments[0], DEFAULT_ENVIRONMENT);
    // Written out in full, the default is the same runs.
    assert.deepEqual(keysWith(undefined), keysWith({ ...DEFAULT_ENVIRONMENT }));
  });

  test("a run's key changes when its threads, precision, oneDNN switch or device change", () => {
    const reference = keysWith({ name: "cpu" });
    for (const change of [{ threads: 2 }, { precision: "bf16" }, { onednn: false }, { device: "cuda" }, { device: "cuda:1", precision: "fp16" }, { device: "cuda", precision: "tf32" }]) {
      const keys = keysWith({ name: "cpu", ...change });
      for (let r = 0; r < keys.length; r++) assert.notEqual(keys[r], reference[r], `${JSON.stringify(change)} must change replicate ${r}'s key`);
    }
  });

  test("the memory allocator is not part of the key: it is not in the config", () => {
    const [run] = planRuns(parseSpec(base, "spec.yaml"));
    assert.deepEqual(Object.keys(run.config.environment).sort(), ["device", "name", "onednn", "precision", "threads"]);
    assert.ok(!JSON.stringify(run.config).includes("alloc"));
  });

  test("model × variant × environment × replicate; labels name the environment when there are several", () => {
    const spec = parseSpec({ ...base, environments: [{ name: "t1" }, { name: "t2", threads: 2 }] }, "spec.yaml");
    const runs = planRuns(spec);
    assert.deepEqual(runs.map((r) => r.label), ["smallcnn/CONTROL/t1/r0", "smallcnn/CONTROL/t1/r1", "smallcnn/CONTROL/t2/r0", "smallcnn/CONTROL/t2/r1"]);
    assert.deepEqual(runs.map((r) => r.environment), ["t1", "t1", "t2", "t2"]);
    // The same seeds in every environment, so that same-seed runs pair up across environments.
    assert.deepEqual(runs[0].config.seeds, runs[2].config.seeds);
    assert.equal(new Set(runs.map((r) => r.key)).size, 4);
    assert.equal(planRuns(parseSpec(base, "spec.yaml"))[0].label, "smallcnn/CONTROL/r0");
  });

  test("--device and --threads set every environment", () => {
    const spec = parseSpec({ ...base, environments: [{ name: "a" }, { name: "b", threads: 2, precision: "bf16" }] }, "spec.yaml");
    const changed = applyOverrides(spec, { device: "cuda:1", threads: 4 });
    assert.deepEqual(changed.environments.map((e) => [e.name, e.device, e.threads, e.precision]), [["a", "cuda:1", 4, "fp32"], ["b", "cuda:1", 4, "bf16"]]);
  });

  test("combinations that cannot run are refused, naming the field", () => {
    rejects([{ name: "x", precision: "fp16" }], /^spec\.yaml: environments\[0\]\.precision: fp16 runs on CUDA only/);
    rejects([{ name: "x", precision: "tf32", device: "cpu" }], /^spec\.yaml: environments\[0\]\.precision: tf32 runs on CUDA only/);
    rejects([{ name: "x", device: "gpu" }], /^spec\.yaml: environments\[0\]\.device: must be cpu, cuda or cuda:N/);
    rejects([{ name: "x", threads: 0 }], /^spec\.yaml: environments\[0\]\.threads: must be at least 1/);
    rejects([{ name: "x", precision: "fp8" }], /^spec\.yaml: environments\[0\]\.precision: must be one of fp32, tf32, bf16, fp16/);
    rejects([{ name: "x", onednn: "no" }], /^spec\.yaml: environments\[0\]\.onednn: must be true or false/);
    rejects([{ name: "x" }, { name: "x", threads: 2 }], /^spec\.yaml: environments\[1\]\.name: "x" is used twice/);
    rejects([{ name: "a/b" }], /^spec\.yaml: environments\[0\]\.name: may contain only/);
    rejects([{ device: "cpu" }], /^spec\.yaml: environments\[0\]\.name: is required/);
    rejects([], /^spec\.yaml: environments: must have at least 1 item/);
    rejects([{ name: "x", bogus: 1 }], /^spec\.yaml: environments\[0\]\.bogus: unknown field/);
  });

  test("training.device has moved to the environment", () => {
    assert.throws(() => parseSpec({ ...base, training: { epochs: 1, device: "cpu" } }, "spec.yaml"), /^InputError: spec\.yaml: training\.device: has moved to environments\[\]\.device/);
  });
});
