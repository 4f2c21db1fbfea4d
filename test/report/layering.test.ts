// Import direction between the page renderer, the report and overhead: document/ below both,
// overhead never importing the report, the report reaching overhead only through its render module.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const src = join(process.cwd(), "src");

/** Every relative module a folder's files import, as "file → ../folder/module.js". */
function imports(folder: string): { file: string; target: string }[] {
  return readdirSync(join(src, folder))
    .filter((f) => f.endsWith(".ts"))
    .flatMap((file) => [...readFileSync(join(src, folder, file), "utf8").matchAll(/^(?:import|export)[^;]*? from "(\.[^"]+)";/gms)].map((m) => ({ file: `${folder}/${file}`, target: m[1] })));
}

test("src/document imports no other noiselab folder", () => {
  const outside = imports("document").filter((i) => i.target.startsWith(".."));
  assert.deepEqual(outside, []);
});

test("src/overhead never imports src/report, and src/report reaches overhead only through overhead/render.ts", () => {
  assert.deepEqual(imports("overhead").filter((i) => i.target.startsWith("../report/")), []);
  assert.deepEqual(imports("report").filter((i) => i.target.startsWith("../overhead/") && i.target !== "../overhead/render.js"), []);
});
