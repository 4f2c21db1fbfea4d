// Image-file datasets through `noiselab run`: a CelebA run trains from the
// stream, and bad files give one line naming the file, exit 2, nothing written.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { listRuns, noiselab, tempDir, writeSpec } from "../e2e/cli.js";
import { patternPng, writeCelebaFixture, writeFile } from "./fixtures.js";

function spec(name: string, dataset: Record<string, unknown>): Record<string, unknown> {
  return { name, dataset, models: ["smallcnn"], variants: ["CONTROL"], replicates: 1, training: { epochs: 1, batchSize: 2 } };
}

function expectBadInput(dir: string, name: string, dataset: Record<string, unknown>, message: RegExp): void {
  const store = join(dir, `store-${name}`);
  const r = noiselab(["run", writeSpec(dir, spec(name, dataset), `${name}.json`), "--store", store]);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], message);
  assert.ok(!existsSync(store), "nothing may be written");
}

describe("image-file datasets through the CLI", () => {
  const dir = tempDir("data-cli");

  test("a CelebA run trains from the decoding stream and keeps Male and Young for the sub-groups", () => {
    const celeba = join(dir, "celeba");
    writeCelebaFixture(celeba, 12);
    const store = join(dir, "store-ok");
    const r = noiselab(["run", writeSpec(dir, spec("celeba-ok", { kind: "celeba", dir: celeba, target: "Smiling", imageSize: [16, 16] }), "ok.json"), "--store", store]);
    assert.equal(r.status, 0, r.stderr);
    const [run] = listRuns(store, "celeba-ok");
    assert.equal(run.status, "done");
    const runDir = join(store, "runs", readdirSync(join(store, "runs"))[0]);
    assert.equal(readFileSync(join(runDir, "test-groups.csv"), "utf8").split("\n")[0], "Male,Young");
  });

  test("a CelebA attribute file with a wrong column count", () => {
    const celeba = join(dir, "celeba-columns");
    writeCelebaFixture(celeba, 6);
    const path = join(celeba, "list_attr_celeba.txt");
    writeFile(path, readFileSync(path, "utf8").replace("000003.jpg", "000003.jpg 1"));
    expectBadInput(dir, "columns", { kind: "celeba", dir: celeba, target: "Smiling" }, /^noiselab[ a-z]*: .*list_attr_celeba\.txt: line 5: 4 values, expected 3$/);
  });

  test("an image that will not decode", () => {
    const celeba = join(dir, "celeba-image");
    writeCelebaFixture(celeba, 6);
    writeFile(join(celeba, "img_align_celeba", "000004.jpg"), "GIF89a, not what it claims");
    expectBadInput(dir, "image", { kind: "celeba", dir: celeba, target: "Smiling" }, /^noiselab[ a-z]*: .*img_align_celeba\/000004\.jpg: unreadable image: neither PNG nor JPEG$/);
  });

  test("an empty class folder", () => {
    const folder = join(dir, "folder");
    writeFile(join(folder, "cat", "a.png"), patternPng(4, 4, 1));
    writeFile(join(folder, "cat", "b.png"), patternPng(4, 4, 2));
    writeFile(join(folder, "dog", "notes.txt"), "no images here");
    expectBadInput(dir, "empty", { kind: "image-folder", dir: folder }, /^noiselab[ a-z]*: .*folder\/dog: no PNG or JPEG images$/);
  });
});
