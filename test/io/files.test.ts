import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { InputError } from "../../src/errors.js";
import { readJsonInput } from "../../src/io/files.js";

test("readJsonInput parses a file, and names the file and what it should be when it cannot", () => {
  const dir = mkdtempSync(join(tmpdir(), "noiselab-files-"));
  try {
    const good = join(dir, "good.json");
    writeFileSync(good, '{"models": [1, 2]}');
    assert.deepEqual(readJsonInput(good, "an overhead result"), { models: [1, 2] });
    const missing = join(dir, "missing.json");
    assert.throws(
      () => readJsonInput(missing, "a check result"),
      (err: unknown) => err instanceof InputError && err.message.startsWith(`${missing}: cannot read a check result: ENOENT`),
    );
    const broken = join(dir, "broken.json");
    writeFileSync(broken, '{"models": [1,');
    assert.throws(
      () => readJsonInput(broken, "a check result"),
      (err: unknown) => err instanceof InputError && err.message.startsWith(`${broken}: cannot read a check result: `) && !err.message.includes("\n"),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
