// Model entries that are commands: the spec, the plan and what makes a run's key.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { CommandRunConfig } from "../../src/command/config.js";
import { commandPlacement, hashCommandFiles } from "../../src/command/config.js";
import { scriptEnv, runSwitches } from "../../src/command/env.js";
import { planRuns } from "../../src/experiment/plan.js";
import { parseSpec, readSpecFile } from "../../src/experiment/spec.js";
import { InputError } from "../../src/errors.js";
import { parseVariant, seedsForReplicate } from "../../src/noise/index.js";

const commandSpec = (extra: Record<string, unknown> = {}) => ({ name: "mine", models: [{ name: "mycnn", command: ["python3", "train.py", "--epochs", "2"] }], variants: ["ALGO", "CONTROL"], replicates: 2, ...extra });

function refuses(spec: unknown, pattern: RegExp): void {
  assert.throws(() => parseSpec(spec, "spec.yaml"), (e: Error) => e instanceof InputError && pattern.test(e.message), `expected ${pattern}`);
}

describe("command model entries", () => {
  test("a spec of commands needs no dataset or training, and refuses them", () => {
    const spec = parseSpec(commandSpec(), "spec.yaml");
    assert.deepEqual(spec.models[0].command, ["python3", "train.py", "--epochs", "2"]);
    assert.equal(spec.dataset, undefined);
    assert.equal(spec.training, undefined);
    refuses(commandSpec({ training: { epochs: 2 } }), /^spec\.yaml: training: every model is a command/);
    refuses(commandSpec({ models: [{ name: "x", command: [] }] }), /models\[0\]\.command: must have at least 1 item/);
    refuses(commandSpec({ models: [{ name: "x", command: ["a"], options: { depth: 2 } }] }), /models\[0\]\.options: a command takes no options/);
    // A built-in model next to a command still needs the spec's dataset and training.
    refuses(commandSpec({ models: ["smallcnn", { name: "x", command: ["a"] }] }), /^spec\.yaml: dataset: is required/);
  });

  test("a spec file's command runs in the file's directory unless it names its own", () => {
    const dir = mkdtempSync(join(tmpdir(), "noiselab-spec-"));
    const path = join(dir, "spec.json");
    writeFileSync(path, JSON.stringify(commandSpec({ models: [{ name: "a", command: ["python3", "a.py"] }, { name: "b", command: ["python3", "b.py"], cwd: "sub" }] })));
    assert.deepEqual(readSpecFile(path).models.map((m) => m.cwd), [dir, join(dir, "sub")]);
  });

  test("each run's key covers the command, its directory, the content of the files it names and the seeds", () => {
    const dir = mkdtempSync(join(tmpdir(), "noiselab-plan-"));
    writeFileSync(join(dir, "train.py"), "print(1)\n");
    const spec = parseSpec(commandSpec({ models: [{ name: "mycnn", command: ["python3", "train.py", "--epochs", "2"], cwd: dir }] }), "spec.yaml");
    const runs = planRuns(spec);
    assert.deepEqual(runs.map((r) => r.label), ["mycnn/ALGO/r0", "mycnn/ALGO/r1", "mycnn/CONTROL/r0", "mycnn/CONTROL/r1"]);
    const config = runs[1].config as CommandRunConfig;
    assert.equal(config.kind, "command");
    assert.deepEqual(Object.keys(config.files), ["train.py"], "python3 and the option values name no file here");
    assert.deepEqual(config.seeds, seedsForReplicate(0, parseVariant("ALGO"), 1));
    assert.equal(new Set(runs.map((r) => r.key)).size, 4, "CONTROL replicates are separate runs too");
    writeFileSync(join(dir, "train.py"), "print(2)\n");
    assert.notDeepEqual(planRuns(spec).map((r) => r.key), runs.map((r) => r.key), "an edited script makes new runs");
    // Pinned hashes (as the stored spec has them) keep the keys whatever the file holds now.
    const pinned = { ...spec, models: [{ ...spec.models[0], files: config.files }] };
    assert.deepEqual(planRuns(pinned).map((r) => r.key), runs.map((r) => r.key));
    assert.deepEqual(hashCommandFiles(["missing.py"], dir), {});
  });

  test("the script's environment: one seed per source, the free sources, the switches, device and threads", () => {
    const noise = parseVariant("IMPL");
    const seeds = seedsForReplicate(0, noise, 3);
    const placement = commandPlacement({ environment: { name: "gpu", device: "cuda:1", threads: 4, precision: "tf32", onednn: true } } as unknown as CommandRunConfig);
    const env = scriptEnv({ outputDir: "/out", seeds, noise, switches: runSwitches(noise, placement), placement });
    assert.equal(env.NOISELAB_OUTPUT_DIR, "/out");
    assert.equal(env.NOISELAB_SEED_BATCH_ORDER, String(seeds.batchOrder));
    assert.equal(env.NOISELAB_SEED_INIT, String(seeds.init));
    assert.equal(env.NOISELAB_FREE_SOURCES, "kernels,batchOrder");
    // Kernel noise free: the fast switches; TF32 as the environment's precision says.
    assert.deepEqual([env.NOISELAB_DETERMINISTIC_ALGORITHMS, env.NOISELAB_CUDNN_BENCHMARK, env.NOISELAB_ALLOW_TF32, env.CUBLAS_WORKSPACE_CONFIG], ["0", "1", "1", undefined]);
    assert.deepEqual([env.NOISELAB_DEVICE, env.NOISELAB_THREADS, env.OMP_NUM_THREADS], ["cuda:1", "4", "4"]);
    const cpu = commandPlacement({ environment: { name: "cpu", device: "cpu", threads: 2, precision: "fp32", onednn: false } } as unknown as CommandRunConfig);
    const control = scriptEnv({ outputDir: "/out", seeds, noise: parseVariant("CONTROL"), switches: runSwitches(parseVariant("CONTROL"), cpu), placement: cpu });
    assert.deepEqual([control.NOISELAB_FREE_SOURCES, control.NOISELAB_DETERMINISTIC_ALGORITHMS, control.CUBLAS_WORKSPACE_CONFIG, control.NOISELAB_DEVICE, control.NOISELAB_THREADS, control.NOISELAB_ONEDNN], ["", "1", ":4096:8", "cpu", "2", "0"]);
  });
});
