import assert from "node:assert/strict";
import { test } from "node:test";
import { InputError } from "../../src/errors.js";
import { IMAGENET_MODELS, MEDIUMCNN_SWEEP, resolveModels } from "../../src/overhead/models.js";

test("groups expand, duplicates go, order stays", () => {
  const models = resolveModels(["mediumcnn-k5", "mediumcnn-sweep", "mediumcnn", "imagenet", "smallcnn"], null);
  assert.deepEqual(
    models.map((m) => m.id),
    ["mediumcnn-k5", "mediumcnn-k1", "mediumcnn-k3", "mediumcnn-k7", ...IMAGENET_MODELS, "smallcnn"],
  );
  const k5 = models[0];
  assert.equal(k5.model, "mediumcnn");
  assert.equal(k5.kernelSize, 5);
  assert.deepEqual(k5.modelOptions, { kernelSize: 5 });
  assert.deepEqual(k5.inputShape, [3, 224, 224]);
  assert.deepEqual(models.find((m) => m.id === "inception-v3")!.inputShape, [3, 299, 299]);
  assert.equal(models.find((m) => m.id === "resnet50")!.kernelSize, null);
});

test("fig9 is the paper's Figure 9: the ImageNet networks and MediumCNN k = 1…7, each at 224×224 (Inception-v3 at 299)", () => {
  const models = resolveModels(["fig9"], null);
  assert.deepEqual(models.map((m) => m.id), [...IMAGENET_MODELS, ...MEDIUMCNN_SWEEP]);
  assert.ok(!IMAGENET_MODELS.includes("mediumcnn"));
  for (const m of models) assert.deepEqual(m.inputShape, [3, m.id === "inception-v3" ? 299 : 224, m.id === "inception-v3" ? 299 : 224], m.id);
});

test("--input sets every model's height and width, down to the smallest its max-pools allow", () => {
  const [k1, small] = resolveModels([MEDIUMCNN_SWEEP[0], "smallcnn"], 64);
  assert.deepEqual(k1.inputShape, [3, 64, 64]);
  assert.deepEqual(small.inputShape, [3, 64, 64]);
  assert.deepEqual(small.modelOptions, {});
  assert.throws(() => resolveModels(["mediumcnn-k3"], 32), /model "mediumcnn-k3" needs an input of at least 64×64 \(its max-pools\), got 32×32/);
  assert.throws(() => resolveModels(["smallcnn"], 4), /at least 8×8/);
});

test("unknown names and even kernel sizes are input errors", () => {
  for (const name of ["resnet", "mediumcnn-k4", "mediumcnn-k0", "toString", "imagenet,resnet18"]) {
    assert.throws(() => resolveModels([name], null), InputError, name);
  }
});
