import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { matchAttributes, parseAttributeText } from "../../src/data/attributes.js";
import { assertInputError, loadImageFolder, pngBytes, withTempDir, writeFile } from "./fixtures.js";

const CELEBA = [
  "3",
  "5_o_Clock_Shadow Arched_Eyebrows Male ",
  "000001.jpg -1  1 -1",
  "000002.jpg -1 -1  1",
  "000003.jpg  1 -1  1",
  "",
].join("\n");

test("parses CelebA's list_attr_celeba.txt layout", () => {
  const table = parseAttributeText(CELEBA, "list_attr_celeba.txt");
  assert.deepEqual(table.attributeNames, ["5_o_Clock_Shadow", "Arched_Eyebrows", "Male"]);
  assert.deepEqual(table.fileNames, ["000001.jpg", "000002.jpg", "000003.jpg"]);
  assert.deepEqual(table.rawValues[2], ["-1", "1", "1"]);
  assert.deepEqual(table.lineNumbers, [3, 4, 5]);
  const attributes = matchAttributes(table, [["000003.jpg"], ["000001.jpg"]]);
  assert.deepEqual(attributes.Male.values, ["-1", "1"]);
  assert.deepEqual(Array.from(attributes.Male.codes), [1, 0]);
  assert.deepEqual(Array.from(attributes.Arched_Eyebrows.codes), [0, 1]);
});

test("CelebA layout errors name the file and line", () => {
  const path = "list_attr_celeba.txt";
  assertInputError(() => parseAttributeText("4\nA B\nx.jpg 1 -1\n", path), path, "declares 4 rows", "has 1");
  assertInputError(() => parseAttributeText("1\nA B\nx.jpg 1\n", path), path, "line 3", "1 values, expected 2");
  assertInputError(() => parseAttributeText("1\nA B\nx.jpg 1 0\n", path), path, "line 3", `"0" for B is not -1 or 1`);
});

test("parses CSV with quotes, CRLF and a BOM; values sort numerically when numeric", () => {
  const text = '\uFEFFimage_id,age,"skin, tone"\r\na.png,30,"dark"\r\nb.png,4,"light, ""pale"""\r\n\r\nc.png,30,dark\r\n';
  const table = parseAttributeText(text, "attrs.csv");
  assert.deepEqual(table.attributeNames, ["age", "skin, tone"]);
  assert.deepEqual(table.fileNames, ["a.png", "b.png", "c.png"]);
  assert.deepEqual(table.lineNumbers, [2, 3, 5]);
  const attributes = matchAttributes(table, [["a.png"], ["b.png"], ["c.png"]]);
  assert.deepEqual(attributes.age.values, ["4", "30"]);
  assert.deepEqual(Array.from(attributes.age.codes), [1, 0, 1]);
  assert.deepEqual(attributes["skin, tone"].values, ["dark", 'light, "pale"']);
});

test("CSV errors name the file", () => {
  assertInputError(() => parseAttributeText("name,age\nx,1\n", "a.csv"), "a.csv", "no filename column");
  assertInputError(() => parseAttributeText("file\nx\n", "a.csv"), "a.csv", "no attribute columns");
  assertInputError(() => parseAttributeText("file,age\nx,1,2\n", "a.csv"), "a.csv", "line 2", "3 fields, expected 2");
  assertInputError(() => parseAttributeText('file,age\nx,"1\n', "a.csv"), "a.csv", "line 2: quoted field is never closed");
  assertInputError(() => parseAttributeText("", "a.csv"), "a.csv", "empty attribute file");
});

test("matching: missing rows, duplicate rows and ambiguous basenames are input errors", () => {
  const table = parseAttributeText("file,g\ncat/1.png,a\n2.png,b\n", "g.csv");
  assertInputError(() => matchAttributes(table, [["cat/1.png", "1.png"], ["dog/3.png", "3.png"]]), "g.csv", "no row for image dog/3.png");
  assertInputError(
    () => matchAttributes(table, [["cat/2.png", "2.png"], ["dog/2.png", "2.png"]]),
    "g.csv",
    "line 3",
    "matches both cat/2.png and dog/2.png",
  );
  assertInputError(() => matchAttributes(parseAttributeText("file,g\nx.png,a\n./x.png,b\n", "d.csv"), [["x.png"]]), "d.csv", "line 3", "already has a row (line 2)");
  const attributes = matchAttributes(table, [["cat/1.png", "1.png"]]);
  assert.deepEqual(attributes.g.values, ["a"], "rows for absent images are ignored");
});

test("an image folder with a CSV attribute file gets per-example attributes, matched by relative path or basename", () => {
  withTempDir((dir) => {
    const root = join(dir, "faces");
    const image = (value: number) => pngBytes(1, 1, 1, Uint8Array.from([value]));
    writeFile(join(root, "train", "smile", "a.png"), image(1));
    writeFile(join(root, "train", "smile", "b.png"), image(2));
    writeFile(join(root, "train", "frown", "c.png"), image(3));
    writeFile(join(root, "test", "frown", "d.png"), image(4));
    const csv = join(dir, "attrs.csv");
    writeFile(csv, "file,skin\ntrain/smile/a.png,dark\nb.png,light\nfrown/c.png,dark\nd.png,light\n");
    const { train, test: held } = loadImageFolder(root, { attributes: csv });
    assert.deepEqual(Array.from(train.images), [3, 1, 2]);
    assert.deepEqual(train.attributes!.skin.values, ["dark", "light"]);
    assert.deepEqual(Array.from(train.attributes!.skin.codes), [0, 0, 1]);
    assert.deepEqual(Array.from(held.attributes!.skin.codes), [1]);
  });
});

test("an image folder with a CelebA attribute file keeps attributes through the seeded split", () => {
  withTempDir((dir) => {
    const names = ["000001.jpg", "000002.jpg", "000003.jpg", "000004.jpg"];
    names.forEach((name, i) => writeFile(join(dir, "img", i < 2 ? "a" : "b", name.replace(".jpg", ".png")), pngBytes(1, 1, 1, Uint8Array.from([i]))));
    const listPath = join(dir, "list_attr_celeba.txt");
    writeFile(listPath, ["4", "Male", ...names.map((name, i) => `${name.replace(".jpg", ".png")} ${i % 2 ? 1 : -1}`)].join("\n"));
    const { train, test: held } = loadImageFolder(join(dir, "img"), { attributes: listPath, testFraction: 0.5, seed: 1 });
    for (const part of [train, held]) {
      for (let i = 0; i < part.shape[0]; i++) {
        assert.equal(part.attributes!.Male.codes[i], part.images[i] % 2, "attribute follows its image");
      }
    }
  });
});

test("an image folder whose attribute file lacks an image is an input error naming the file and image", () => {
  withTempDir((dir) => {
    writeFile(join(dir, "img", "a", "x.png"), pngBytes(1, 1, 1, Uint8Array.from([0])));
    writeFile(join(dir, "img", "a", "y.png"), pngBytes(1, 1, 1, Uint8Array.from([0])));
    writeFile(join(dir, "g.csv"), "file,g\nx.png,1\n");
    assertInputError(() => loadImageFolder(join(dir, "img"), { attributes: join(dir, "g.csv") }), join(dir, "g.csv"), "no row for image a/y.png");
    assertInputError(() => loadImageFolder(join(dir, "img"), { attributes: join(dir, "absent.csv") }), join(dir, "absent.csv"), "no such file");
  });
});
