// Writes examples/<preset>.yaml for every preset: what `noiselab run <preset> --print-spec` prints.
// Run after `npm run build`, whenever a preset changes: node scripts/write-examples.mjs
// (test/e2e/conventions.test.ts fails while a file is out of date).
import { mkdirSync, writeFileSync } from "node:fs";

const { PRESETS } = await import("../dist/src/experiment/presets.js");
const { resolveSpec, specYaml } = await import("../dist/src/cli/run.js");
mkdirSync("examples", { recursive: true });
for (const name of Object.keys(PRESETS)) {
  // For a 2-core CPU, whatever this machine has: the tooling preset adds an all-cores environment on more cores.
  writeFileSync(`examples/${name}.yaml`, specYaml(resolveSpec(name, { cores: 2 })));
  console.log(`examples/${name}.yaml`);
}
