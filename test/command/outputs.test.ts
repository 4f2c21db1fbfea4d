// The checks on what a script writes, and the artifacts made from it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ScriptOutputError, collectScriptOutputs } from "../../src/command/outputs.js";
import { readNpy, writeNpy } from "../../src/io/npy.js";
import { writeSafetensors } from "../../src/io/safetensors.js";

function dirs(): { script: string; run: string } {
  const root = mkdtempSync(join(tmpdir(), "noiselab-outputs-"));
  return { script: mkdtempSync(join(root, "script-")), run: mkdtempSync(join(root, "run-")) };
}

const labels = Int32Array.from([0, 1, 2, 1]);

function scores(rows: number[][]): { dtype: "f4"; shape: number[]; data: Float32Array } {
  return { dtype: "f4", shape: [rows.length, rows[0].length], data: Float32Array.from(rows.flat()) };
}

function rejects(setup: (dir: string) => void, pattern: RegExp): void {
  const { script, run } = dirs();
  setup(script);
  assert.throws(() => collectScriptOutputs(script, run), (e: Error) => e instanceof ScriptOutputError && pattern.test(e.message), `expected ${pattern}`);
  assert.deepEqual(readdirSync(run), [], "nothing is written when an output is bad");
}

describe("a script's outputs", () => {
  test("scores per epoch become the trainer's artifacts; the last epoch is final; weights are hashed", () => {
    const { script, run } = dirs();
    writeNpy(join(script, "labels.npy"), { dtype: "i8", shape: [4], data: BigInt64Array.from([0n, 1n, 2n, 1n]) });
    writeNpy(join(script, "predictions-e1.npy"), scores([[0.9, 0.05, 0.05], [0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [0.2, 0.7, 0.1]]));
    writeNpy(join(script, "predictions-e10.npy"), scores([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.1, 0.2, 0.7], [0.2, 0.7, 0.1]]));
    writeSafetensors(join(script, "weights.safetensors"), { "fc.weight": { dtype: "F32", shape: [2], data: Float32Array.from([1, 2]) } });
    writeFileSync(join(script, "metrics.json"), JSON.stringify({ loss: 0.5 }));
    const outcome = collectScriptOutputs(script, run);
    assert.deepEqual(outcome.evalEpochs, [1, 10]);
    assert.equal(outcome.testAccuracy, 1);
    assert.equal(outcome.numClasses, 3);
    assert.equal(outcome.hashOf, "weights");
    assert.equal(outcome.weightsHash, createHash("sha256").update(readFileSync(join(script, "weights.safetensors"))).digest("hex"));
    assert.deepEqual(Array.from(readNpy(join(run, "predictions-e1.npy")).data as Int32Array), [0, 0, 2, 1]);
    assert.deepEqual(readNpy(join(run, "probabilities-e10.npy")).shape, [4, 3]);
    assert.deepEqual(Array.from(readNpy(join(run, "test-labels.npy")).data as Int32Array), Array.from(labels));
    assert.deepEqual(JSON.parse(readFileSync(join(run, "curve.json"), "utf8")), [{ epoch: 1, testAccuracy: 0.75 }, { epoch: 10, testAccuracy: 1 }]);
    assert.deepEqual(JSON.parse(readFileSync(join(run, "script-metrics.json"), "utf8")), { loss: 0.5 });
    assert.ok(existsSync(join(run, "weights.safetensors")));
  });

  test("predicted labels alone give one-hot probabilities; without weights the predictions are hashed", () => {
    const { script, run } = dirs();
    writeNpy(join(script, "labels.npy"), { dtype: "i4", shape: [4], data: labels });
    writeNpy(join(script, "predictions-e2.npy"), { dtype: "i4", shape: [4], data: Int32Array.from([0, 1, 1, 3]) });
    const outcome = collectScriptOutputs(script, run);
    assert.equal(outcome.numClasses, 4);
    assert.equal(outcome.hashOf, "predictions");
    assert.equal(outcome.testAccuracy, 0.5);
    assert.deepEqual(Array.from(readNpy(join(run, "probabilities-e2.npy")).data as Float32Array).slice(12), [0, 0, 0, 1]);
    assert.ok(!existsSync(join(run, "weights.safetensors")));
  });

  test("bad outputs are refused with a one-line reason naming the file", () => {
    const withLabels = (dir: string) => writeNpy(join(dir, "labels.npy"), { dtype: "i4", shape: [4], data: labels });
    rejects(withLabels, /the script wrote no predictions/);
    rejects((dir) => writeNpy(join(dir, "predictions-e1.npy"), scores([[1, 0]])), /wrote no labels\.npy/);
    rejects((dir) => {
      withLabels(dir);
      writeNpy(join(dir, "predictions-e1.npy"), scores([[1, 0, 0], [0, 1, 0], [0, 0, 1]]));
    }, /predictions-e1\.npy has 3 rows, but labels\.npy has 4 labels/);
    rejects((dir) => {
      withLabels(dir);
      writeNpy(join(dir, "predictions-e3.npy"), scores([[1, 0, 0], [0, NaN, 0], [0, 0, 1], [0, 1, 0]]));
    }, /predictions-e3\.npy: score NaN at row 1: scores must be finite/);
    rejects((dir) => {
      withLabels(dir);
      writeNpy(join(dir, "predictions-e1.npy"), { dtype: "f4", shape: [4], data: Float32Array.from([0, 1, 2, 1]) });
    }, /must hold n predicted labels \(integers\) or n×C class scores/);
    rejects((dir) => {
      withLabels(dir);
      writeNpy(join(dir, "predictions-e1.npy"), scores([[1, 0], [0, 1], [1, 0], [0, 1]]));
    }, /has scores for 2 classes, but the labels and predictions need 3/);
    rejects((dir) => {
      withLabels(dir);
      writeNpy(join(dir, "predictions-e1.npy"), { dtype: "i4", shape: [4], data: Int32Array.from([0, -1, 2, 1]) });
    }, /label -1 at row 1 is not a class index/);
    rejects((dir) => {
      withLabels(dir);
      writeNpy(join(dir, "predictions-e1.npy"), { dtype: "i4", shape: [4], data: labels });
      writeFileSync(join(dir, "weights.safetensors"), "not safetensors");
    }, /^weights\.safetensors: /);
  });
});
