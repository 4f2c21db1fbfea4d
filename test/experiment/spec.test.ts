import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InputError } from "../../src/errors.js";
import { planRuns } from "../../src/experiment/plan.js";
import { PRESETS, presetSpec } from "../../src/experiment/presets.js";
import { parseSpec } from "../../src/experiment/spec.js";

const valid = {
  name: "t",
  dataset: { kind: "synthetic", trainSize: 100, testSize: 50 },
  models: ["smallcnn", { name: "smallcnn", label: "nobn", options: { batchNorm: false } }],
  variants: ["ALGO", "CONTROL"],
  replicates: 3,
  training: { epochs: 2 },
};

function rejects(spec: unknown, pattern: RegExp): void {
  assert.throws(() => parseSpec(spec, "spec.yaml"), (e: Error) => e instanceof InputError && pattern.test(e.message), `expected ${pattern}`);
}

describe("experiment spec", () => {
  test("a valid spec gets the paper's defaults", () => {
    const spec = parseSpec(valid, "spec.yaml");
    assert.equal(spec.training?.batchSize, 128);
    assert.deepEqual(spec.training?.optimizer, { kind: "adam", lr: 4e-4, decayEpochs: [], gamma: 0.1, weightDecay: 0 });
    assert.equal(spec.models[1].label, "nobn");
    assert.equal(spec.seed, 0);
  });

  test("errors name the file and the path of the bad field", () => {
    rejects({ ...valid, training: { epochs: "3" } }, /^spec\.yaml: training\.epochs: must be an integer, got "3"$/);
    rejects({ ...valid, replicates: 0 }, /^spec\.yaml: replicates: must be at least 1/);
    rejects({ ...valid, models: ["resnet9000"] }, /^spec\.yaml: models\[0\]\.name: must be one of smallcnn/);
    rejects({ ...valid, dataset: { kind: "imagenet" } }, /^spec\.yaml: dataset\.kind: must be one of/);
    rejects({ ...valid, dataset: { kind: "cifar10" } }, /^spec\.yaml: dataset\.dir: is required$/);
    rejects({ ...valid, variants: ["ALGO", "only:foo"] }, /^spec\.yaml: variants\[1\]: .*unknown noise source "foo"/);
    rejects({ ...valid, training: { epochs: 2, optimizer: { kind: "adam", momentum: 0.9 } } }, /training\.optimizer\.momentum: unknown field/);
    rejects({ ...valid, training: { epochs: 2, evalEpochs: [3] } }, /training\.evalEpochs\[0\]: epoch 3 is after the last epoch/);
    rejects({ ...valid, models: ["smallcnn", "smallcnn"] }, /models\[1\]\.label: "smallcnn" is used twice/);
    rejects({ ...valid, dataset: { kind: "celeba", dir: "d" }, training: { epochs: 2, labelSmoothing: 0.1 } }, /training\.labelSmoothing: CelebA trains 40 sigmoid outputs/);
    rejects({ ...valid, extra: 1 }, /^spec\.yaml: extra: unknown field/);
    rejects([], /^spec\.yaml: \(top level\): must be an object$/);
  });

  test("every preset at every scale is a valid spec", () => {
    for (const name of Object.keys(PRESETS)) {
      for (const scale of ["quick", "standard", "full"] as const) {
        const spec = presetSpec(name, { scale });
        const json = JSON.parse(JSON.stringify(spec)) as unknown;
        // Validation accepts the preset unchanged: nothing dropped, nothing defaulted differently.
        assert.deepEqual(JSON.parse(JSON.stringify(parseSpec(json, name))), json);
        assert.ok(planRuns(spec).length > 0);
      }
    }
    assert.throws(() => presetSpec("table3"), /unknown preset "table3"/);
  });

  test("the celeba preset at full scale is the paper's CelebA recipe (Appendix B) and says Table 5", () => {
    const spec = presetSpec("celeba", { scale: "full" });
    assert.match(PRESETS.celeba.description, /Table 5.*CelebA/);
    assert.equal(spec.dataset.kind, "celeba");
    assert.equal(spec.dataset.trainSubset, undefined);
    assert.deepEqual(spec.models.map((m) => m.name), ["resnet18"]);
    assert.deepEqual(
      { epochs: spec.training.epochs, batchSize: spec.training.batchSize, augment: spec.training.augment, optimizer: spec.training.optimizer },
      { epochs: 20, batchSize: 128, augment: false, optimizer: { kind: "adam", lr: 1e-3, decayEpochs: [5, 10, 15], gamma: 0.1, weightDecay: 0 } },
    );
    assert.equal(presetSpec("celeba", { scale: "quick" }).models[0].name, "resnet18", "smaller scales keep the network");
  });
});

describe("planning", () => {
  test("one run per model × variant × replicate, each with a distinct key", () => {
    const runs = planRuns(parseSpec(valid, "spec.yaml"));
    assert.equal(runs.length, 2 * 2 * 3);
    assert.equal(new Set(runs.map((r) => r.key)).size, runs.length);
    assert.deepEqual(
      runs.slice(0, 3).map((r) => r.label),
      ["smallcnn/ALGO/r0", "smallcnn/ALGO/r1", "smallcnn/ALGO/r2"],
    );
  });

  test("CONTROL replicates share every seed but remain separate runs", () => {
    const control = planRuns(parseSpec(valid, "spec.yaml")).filter((r) => r.model === "smallcnn" && r.variant === "CONTROL");
    assert.equal(control.length, 3);
    assert.deepEqual(control[1].config.seeds, control[0].config.seeds);
    assert.notEqual(control[1].key, control[0].key);
  });

  test("keys are stable: planning twice gives the same keys", () => {
    const a = planRuns(parseSpec(valid, "spec.yaml")).map((r) => r.key);
    const b = planRuns(parseSpec(JSON.parse(JSON.stringify(valid)), "other.yaml")).map((r) => r.key);
    assert.deepEqual(a, b);
  });
});
