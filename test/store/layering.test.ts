// Arrows point one way: runner → store → run-unit. The store never imports the runner.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

function imports(dir: string): { file: string; from: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((file) => [...readFileSync(join(dir, file), "utf8").matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => ({ file: join(dir, file), from: m[1] })));
}

test("src/store imports nothing from the runner (or above), src/run-unit nothing of noiselab's but errors", () => {
  const upward = imports("src/store").filter((i) => /^\.\.\/(runner|cli|experiment|train|report)\//.test(i.from));
  assert.deepEqual(upward, []);
  const fromUnit = imports("src/run-unit").filter((i) => i.from.startsWith(".") && i.from !== "../errors.js" && !i.from.startsWith("./"));
  assert.deepEqual(fromUnit, []);
  assert.ok(imports("src/store").some((i) => i.from.startsWith("../run-unit/")), "the store reads the unit contract from src/run-unit");
});
