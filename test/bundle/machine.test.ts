// --machine's renaming, on configs and specs that record environments (src/environment/config.ts's contract).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mergeSpecs, renameRunEnvironment, renameSpecEnvironments } from "../../src/bundle/machine.js";
import { contentHash } from "../../src/run-unit/hash.js";
import { InputError } from "../../src/errors.js";

const cpu = { name: "cpu", device: "cpu", threads: 1, precision: "fp32", onednn: true };
const bf16 = { ...cpu, name: "bf16", precision: "bf16" };
const config = { model: { name: "smallcnn", options: {} }, variant: "CONTROL", replicate: 0, environment: cpu };
const spec = { name: "e", models: [{ name: "smallcnn" }], replicates: 2, environments: [cpu, bf16] };

describe("renaming a run's environment", () => {
  test("only environment.name changes, so the key changes and nothing else does", () => {
    const renamed = renameRunEnvironment(config, "laptop", "r0") as typeof config;
    assert.deepEqual(renamed, { ...config, environment: { ...cpu, name: "cpu@laptop" } });
    assert.notEqual(contentHash(renamed), contentHash(config));
    assert.deepEqual(config.environment, cpu, "the input is left as it was");
  });

  test("a config without an environment cannot be renamed", () => {
    const { environment: _e, ...old } = config;
    assert.throws(() => renameRunEnvironment(old, "laptop", "smallcnn/CONTROL/r0"), (err: Error) => err instanceof InputError && /run smallcnn\/CONTROL\/r0 records no environment/.test(err.message));
  });

  test("a spec's environments are all renamed", () => {
    assert.deepEqual(renameSpecEnvironments(spec, "gpu-box").environments, [{ ...cpu, name: "cpu@gpu-box" }, { ...bf16, name: "bf16@gpu-box" }]);
    assert.throws(() => renameSpecEnvironments({ name: "e" }, "x"), /lists no environments/);
  });
});

describe("merging the bundle's spec into the store's", () => {
  test("the bundle's environments that the store lacks are appended; equal ones are kept once", () => {
    const incoming = renameSpecEnvironments(spec, "laptop");
    assert.deepEqual(mergeSpecs("e", spec, incoming), { ...spec, environments: [cpu, bf16, { ...cpu, name: "cpu@laptop" }, { ...bf16, name: "bf16@laptop" }] });
    assert.deepEqual(mergeSpecs("e", spec, { ...spec, environments: [cpu] }), spec);
    assert.deepEqual(mergeSpecs("e", { ...spec, environments: [cpu] }, spec), spec);
  });

  test("specs that differ outside environments, or an environment of the same name with other settings, are refused", () => {
    assert.throws(() => mergeSpecs("e", spec, { ...spec, replicates: 3 }), /experiment "e" is in this store with another spec \(differs in replicates\)/);
    assert.throws(() => mergeSpecs("e", spec, { ...spec, environments: [{ ...cpu, threads: 2 }] }), /environment "cpu" is in this store with other settings; import with --machine/);
  });
});
