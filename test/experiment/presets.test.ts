// The presets against the paper's Appendix B, and the plan's view of which
// noise sources act and which batch size each model entry trains with.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planRuns } from "../../src/experiment/plan.js";
import { PRESETS, SCALES, dataOrderBatchSizes, presetSpec, toolingEnvironments } from "../../src/experiment/presets.js";
import { parseSpec } from "../../src/experiment/spec.js";
import { actingNoise, parseVariant } from "../../src/noise/index.js";
import type { RunConfig } from "../../src/train/config.js";

describe("presets", () => {
  test("at the full scale, the CIFAR presets are Appendix B's recipe: 200 epochs, batch 128, Adam 4e-4 ×0.1 every 50 epochs, crop and flip", () => {
    for (const name of ["table2", "fig2", "bn", "per-class", "data-order"]) {
      const spec = presetSpec(name, { scale: "full" });
      assert.equal(spec.dataset.kind, "cifar10", name);
      assert.equal(spec.training.epochs, 200, name);
      assert.equal(spec.training.batchSize, 128, name);
      assert.deepEqual(spec.training.optimizer, { kind: "adam", lr: 4e-4, decayEpochs: [50, 100, 150], gamma: 0.1, weightDecay: 0 }, name);
      assert.equal(spec.training.augment, true, name);
      assert.equal(spec.replicates, 10, name);
    }
    const imagenet = presetSpec("imagenet", { scale: "full" });
    assert.deepEqual(imagenet.models.map((m) => m.name), ["resnet50"]);
    assert.deepEqual([imagenet.training.epochs, imagenet.training.batchSize, imagenet.replicates], [90, 256, 5]);
    assert.deepEqual(imagenet.training.optimizer, { kind: "sgd", lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 1e-4, warmupEpochs: 1 });
    const subgroups = presetSpec("subgroups", { scale: "full" });
    assert.deepEqual([subgroups.training.epochs, subgroups.training.augment], [20, false]);
    assert.deepEqual(subgroups.training.optimizer, { kind: "adam", lr: 1e-3, decayEpochs: [5, 10, 15], gamma: 0.1, weightDecay: 0 });
  });

  test("smaller scales only shorten training: same models, options, augmentation, batch size and schedule", () => {
    for (const name of Object.keys(PRESETS)) {
      const full = presetSpec(name, { scale: "full" });
      for (const scale of SCALES) {
        const spec = presetSpec(name, { scale });
        // The networks (the data-order experiment has fewer batch sizes on a smaller training set).
        const networks = (models: typeof spec.models) => new Set(models.map((m) => JSON.stringify([m.name, m.options])));
        assert.deepEqual(networks(spec.models), networks(full.models), `${name} ${scale}: networks`);
        const { epochs, ...rest } = spec.training;
        const { epochs: fullEpochs, ...fullRest } = full.training;
        assert.deepEqual(rest, fullRest, `${name} ${scale}: recipe`);
        assert.ok(epochs <= fullEpochs && spec.replicates <= full.replicates, `${name} ${scale}: shorter`);
      }
    }
  });

  test("every preset's --help line names a figure or table of the paper and its dataset", () => {
    for (const [name, preset] of Object.entries(PRESETS)) {
      assert.match(preset.description, /^(Table|Figure) \d/, name);
      assert.match(preset.description, /CIFAR-10|ImageNet|CelebA|synthetic/, name);
    }
  });

  test("another dataset keeps the preset's subset sizes", () => {
    const spec = presetSpec("table2", { dataset: { kind: "fashion-mnist" } });
    assert.deepEqual(spec.dataset, { kind: "fashion-mnist", trainSubset: 8000, testSubset: undefined });
  });
});

describe("the data-order experiment", () => {
  test("one SmallCNN entry per batch size, up to one batch holding the whole training set, only the data order free", () => {
    assert.deepEqual(dataOrderBatchSizes(50000), [128, 512, 2048, 8192, 50000]);
    assert.deepEqual(dataOrderBatchSizes(8000), [128, 512, 2048, 8000]);
    const spec = presetSpec("data-order", { scale: "quick" });
    assert.deepEqual(spec.models.map((m) => [m.label, m.training?.batchSize]), dataOrderBatchSizes(8000).map((b) => [`smallcnn-b${b}`, b]));
    assert.deepEqual(spec.variants, ["only:shuffle"]);
    const runs = planRuns(spec);
    for (const run of runs) assert.equal((run.config as RunConfig).training.batchSize, Number(run.model.slice("smallcnn-b".length)));
    // The batch size is part of each run's identity: the entries differ only in it, yet every key differs.
    assert.equal(new Set(runs.map((r) => r.key)).size, runs.length);
    const parsed = parseSpec(JSON.parse(JSON.stringify(spec)), "data-order");
    assert.deepEqual(parsed.models, spec.models);
    // --train-subset moves the last batch size with it.
    const small = presetSpec("data-order", { trainSubset: 1000 });
    assert.deepEqual(small.models.map((m) => m.training?.batchSize), [128, 512, 1000]);
    assert.equal(small.dataset.trainSubset, 1000);
  });

  test("a model entry's training may set only its batch size, a positive integer", () => {
    const base = { name: "t", dataset: { kind: "synthetic", trainSize: 10, testSize: 10 }, variants: ["ALGO"], replicates: 2, training: { epochs: 1 } };
    assert.throws(() => parseSpec({ ...base, models: [{ name: "smallcnn", training: { batchSize: 0 } }] }, "s.yaml"), /s\.yaml: models\[0\]\.training\.batchSize: must be at least 1/);
    assert.throws(() => parseSpec({ ...base, models: [{ name: "smallcnn", training: { epochs: 3 } }] }, "s.yaml"), /models\[0\]\.training\.epochs: unknown field/);
  });
});

describe("free sources are those that act", () => {
  test("augmentation only where training augments, dropout only where the model has stochastic layers", () => {
    const all = parseVariant("ALGO+IMPL");
    assert.deepEqual(actingNoise(all, { augment: true, stochasticLayers: true }), all);
    assert.deepEqual(actingNoise(all, { augment: false, stochasticLayers: false }), { ...all, augment: false, dropout: false });
    const spec = parseSpec(
      {
        name: "t",
        dataset: { kind: "synthetic", trainSize: 10, testSize: 10 },
        models: ["smallcnn", "mobilenetv2"],
        variants: ["ALGO", "only:augment"],
        replicates: 2,
        training: { epochs: 1, augment: false },
      },
      "s.yaml",
    );
    const noiseOf = (model: string, variant: string) => planRuns(spec).find((r) => r.model === model && r.variant === variant)!.config.noise;
    assert.deepEqual(noiseOf("smallcnn", "ALGO"), { init: true, shuffle: true, augment: false, dropout: false, kernels: false, batchOrder: false });
    assert.equal(noiseOf("mobilenetv2", "ALGO").dropout, true);
    // A variant whose only free source cannot act is a control: every source fixed.
    assert.ok(Object.values(noiseOf("smallcnn", "only:augment")).every((free) => !free));
  });
});

describe("the tooling preset", () => {
  test("each environment differs from the baseline in one setting; all cores only where there are more than 2, TF32 and fp16 only on CUDA", () => {
    const names = (device: string, cores: number) => toolingEnvironments({ device, cores }).map((e) => e.name);
    assert.deepEqual(names("cpu", 2), ["baseline", "threads-2", "bf16", "no-onednn"]);
    assert.deepEqual(names("cpu", 8), ["baseline", "threads-2", "threads-8", "bf16", "no-onednn"]);
    assert.deepEqual(names("cuda:1", 2), ["baseline", "threads-2", "bf16", "no-onednn", "tf32", "fp16"]);
    const [baseline, ...others] = toolingEnvironments({ device: "cuda", cores: 16 });
    assert.deepEqual(baseline, { name: "baseline", device: "cuda", threads: 1, precision: "fp32", onednn: true });
    for (const e of others) {
      const changed = (["device", "threads", "precision", "onednn"] as const).filter((k) => e[k] !== baseline[k]);
      assert.equal(changed.length, 1, `${e.name} changes ${changed.join(", ")}`);
    }
  });

  test("SmallCNN, the four variants and same-seed replicates on a Fashion-MNIST subset, in the machine's environments", () => {
    const spec = presetSpec("tooling", { cores: 2 });
    assert.deepEqual([spec.dataset.kind, spec.dataset.trainSubset, spec.models.map((m) => m.name), spec.variants, spec.replicates], ["fashion-mnist", 8000, ["smallcnn"], ["ALGO+IMPL", "ALGO", "IMPL", "CONTROL"], 2]);
    assert.deepEqual((spec as { environments?: unknown }).environments, toolingEnvironments({ device: "cpu", cores: 2 }));
    assert.deepEqual((presetSpec("tooling", { cores: 2, device: "cuda" }) as { environments?: { name: string }[] }).environments!.map((e) => e.name).slice(-2), ["tf32", "fp16"]);
  });
});
