import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SmallCNN } from "../../src/models/index.js";
import { Generator, loadSafetensors, saveSafetensors, tensor, tidy } from "../../src/torch/index.js";
import { repoRoot } from "../helpers.js";

describe("safetensors", () => {
  test("a model's state dict round-trips bitwise, names and dtypes included", () =>
    tidy(() => {
      const model = new SmallCNN({ numClasses: 10, batchNorm: true, initGenerator: new Generator(4) });
      const path = join(mkdtempSync(join(tmpdir(), "noiselab-st-")), "w.safetensors");
      saveSafetensors(path, model.stateDict(), { note: "test" });
      const { tensors, metadata } = loadSafetensors(path);
      assert.deepEqual(metadata, { note: "test" });
      assert.deepEqual([...tensors.keys()], [...model.stateDict().keys()]);
      for (const [name, original] of model.stateDict()) {
        const loaded = tensors.get(name)!;
        assert.equal(loaded.dtype, original.dtype, name);
        assert.deepEqual(loaded.shape, original.shape, name);
        assert.deepEqual(Buffer.from(loaded.data().buffer), Buffer.from(original.data().buffer), name);
      }
      const copy = new SmallCNN({ numClasses: 10, batchNorm: true, initGenerator: new Generator(5) });
      copy.loadStateDict(tensors);
      assert.equal(copy.stateDict().get("classifier.2.weight")!.sub(model.stateDict().get("classifier.2.weight")!).abs().max().item(), 0);
      model.dispose();
      copy.dispose();
    }));

  test("the header follows the safetensors layout: u64 length, JSON with dtype/shape/data_offsets", () =>
    tidy(() => {
      const path = join(mkdtempSync(join(tmpdir(), "noiselab-st-")), "t.safetensors");
      saveSafetensors(path, new Map([["a", tensor([1, 2, 3], [3])], ["b", tensor([7], [1, 1], { dtype: "int64" })]]));
      const bytes = readFileSync(path);
      const headerLength = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8"));
      assert.deepEqual(header.a, { dtype: "F32", shape: [3], data_offsets: [0, 12] });
      assert.deepEqual(header.b, { dtype: "I64", shape: [1, 1], data_offsets: [12, 20] });
      assert.equal(bytes.length, 8 + headerLength + 20);
    }));

  test("reads files written by the independent Python writer in scripts/make_metrics_fixtures.py", () =>
    tidy(() => {
      const { tensors } = loadSafetensors(join(repoRoot, "test/fixtures/metrics/weights_0.safetensors"));
      for (const name of ["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]) assert.ok(tensors.has(name), name);
      assert.equal(tensors.get("bn.num_batches_tracked")!.dtype, "int64");
      for (const [name, t] of tensors) if (name !== "bn.num_batches_tracked") assert.equal(t.dtype, "float32", name);
    }));
});
