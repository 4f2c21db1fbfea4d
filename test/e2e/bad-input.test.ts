// Bad input to `noiselab run`: a clear one-line message naming the problem, exit code 2, and no run started.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { noiselab, tempDir, tinySpec, writeSpec } from "./cli.js";

function idxHeader(magic: number, dims: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return header;
}

/** A tiny MNIST-layout folder; `labels` may hold out-of-range values, `imagesMagic` may be wrong. */
function writeMnist(dir: string, options: { imagesMagic?: number; labels?: number[] } = {}): string {
  mkdirSync(dir, { recursive: true });
  const labels = options.labels ?? [0, 1, 2, 3];
  for (const split of ["train", "t10k"]) {
    const images = Buffer.concat([idxHeader(options.imagesMagic ?? 0x803, [labels.length, 28, 28]), Buffer.alloc(labels.length * 784)]);
    writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), gzipSync(images));
    writeFileSync(join(dir, `${split}-labels-idx1-ubyte.gz`), gzipSync(Buffer.concat([idxHeader(0x801, [labels.length]), Buffer.from(labels)])));
  }
  return dir;
}

function expectBadInput(args: string[], message: RegExp, store: string): void {
  const r = noiselab([...args, "--store", store]);
  assert.equal(r.status, 2, `exit code for ${args.join(" ")}: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], message);
  assert.ok(!existsSync(join(store, "runs")) || readdirSync(join(store, "runs")).length === 0, "no run may be stored");
}

describe("noiselab run rejects bad input with exit code 2", () => {
  const dir = tempDir("bad");
  const store = join(dir, "store");

  test("unknown model", () => {
    expectBadInput(["run", writeSpec(dir, tinySpec("m", { models: ["resnet9000"] }), "m.json")], /m\.json: models\[0\]\.name: must be one of smallcnn/, store);
  });

  test("bad model option", () => {
    const spec = writeSpec(dir, tinySpec("o", { models: [{ name: "mediumcnn", options: { kernelSize: 4 } }] }), "o.json");
    expectBadInput(["run", spec], /model "mediumcnn": model mediumcnn: option kernelSize must be an odd positive integer, got 4/, store);
  });

  test("unknown dataset", () => {
    expectBadInput(["run", "table2", "--dataset", "imagenet"], /--dataset must be KIND or KIND:DIR/, store);
  });

  test("spec with a wrong type", () => {
    expectBadInput(["run", writeSpec(dir, tinySpec("w", { replicates: "three" }), "w.json")], /w\.json: replicates: must be an integer, got "three"/, store);
  });

  test("unreadable spec file", () => {
    expectBadInput(["run", join(dir, "missing.yaml")], /unknown preset "[^"]*missing\.yaml"|missing\.yaml: cannot read the spec/, store);
  });

  test("missing data files", () => {
    expectBadInput(["run", "table2", "--dataset", `mnist:${join(dir, "nowhere")}`], /nowhere/, store);
  });

  test("corrupt IDX file (bad magic)", () => {
    const mnist = writeMnist(join(dir, "badmagic"), { imagesMagic: 0x1234 });
    expectBadInput(["run", "table2", "--dataset", `mnist:${mnist}`], /train-images-idx3-ubyte\.gz.*magic/i, store);
  });

  test("label out of range", () => {
    const mnist = writeMnist(join(dir, "badlabel"), { labels: [0, 1, 12, 3] });
    expectBadInput(["run", "table2", "--dataset", `mnist:${mnist}`], /labels-idx1-ubyte\.gz.*12/, store);
  });

  test("truncated CIFAR record", () => {
    const cifar = join(dir, "cifar");
    mkdirSync(cifar, { recursive: true });
    const record = Buffer.alloc(3073);
    for (let i = 1; i <= 5; i++) writeFileSync(join(cifar, `data_batch_${i}.bin`), record);
    writeFileSync(join(cifar, "test_batch.bin"), Buffer.concat([record, Buffer.alloc(100)]));
    expectBadInput(["run", "table2", "--dataset", `cifar10:${cifar}`], /test_batch\.bin.*truncated|test_batch\.bin.*multiple of/i, store);
  });

  test("a device this libtorch cannot use", () => {
    expectBadInput(["run", "table2", "--device", "cuda:7"], /environments\[0\]\.device: device "cuda:7" requested but/, store);
  });

  test("bad option values", () => {
    expectBadInput(["run", "table2", "--replicates", "0"], /--replicates must be at least 1/, store);
    expectBadInput(["run", "table2", "--scale", "huge"], /--scale must be one of quick, standard, full/, store);
    expectBadInput(["run", "table2", "--bogus"], /unknown option --bogus/, store);
  });
});
