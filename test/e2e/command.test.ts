// The user's own PyTorch script through the CLI: run --command, report, check --command, bad scripts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { listRuns, noiselab, tempDir, writeSpec } from "./cli.js";

const PYTHON = "/usr/bin/python3";
const EXAMPLE = resolve("examples/pytorch/train.py");
// The package as `pip install ./python` would provide it; inherited by noiselab, its workers and the scripts.
process.env.PYTHONPATH = resolve("python");
const hasTorch = spawnSync(PYTHON, ["-c", "import torch, numpy"]).status === 0;
const skipTorch = hasTorch ? false : `${PYTHON} cannot import torch and numpy (Debian: python3-torch)`;
const hasNumpy = spawnSync(PYTHON, ["-c", "import numpy"]).status === 0;
const exampleCommand = `${PYTHON} ${EXAMPLE} --epochs 2 --train-subset 256 --test-subset 100`;

/** Whether a process exists and is not a zombie (killed, but not yet reaped by its new parent). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function artifact(store: string, key: string, file: string): Buffer {
  return readFileSync(join(store, "runs", key, file));
}

describe("noiselab run --command on the PyTorch example", { skip: skipTorch }, () => {
  const dir = tempDir("command");
  const store = join(dir, "store");

  test("ALGO, IMPL (batch order) and CONTROL: CONTROL bitwise identical, ALGO and IMPL replicates differ", () => {
    const r = noiselab(["run", "--command", exampleCommand, "--variants", "ALGO", "IMPL", "CONTROL", "--replicates", "2", "--store", store, "--processes", "2", "--threads", "1"], dir);
    assert.equal(r.status, 0, r.stderr);
    const runs = listRuns(store, "train");
    assert.equal(runs.length, 6);
    assert.ok(runs.every((run) => run.status === "done"), JSON.stringify(runs));
    const of = (variant: string) => runs.filter((run) => run.label.split("/")[1] === variant);
    const predictions = (variant: string) => of(variant).map((run) => artifact(store, run.key, "probabilities-e2.npy"));
    const weights = (variant: string) => of(variant).map((run) => artifact(store, run.key, "weights.safetensors"));
    assert.equal(new Set(of("CONTROL").map((run) => run.weightsHash)).size, 1, "CONTROL replicates must have one weights hash");
    assert.ok(weights("CONTROL")[0].equals(weights("CONTROL")[1]), "CONTROL weights bitwise identical");
    assert.ok(predictions("CONTROL")[0].equals(predictions("CONTROL")[1]), "CONTROL predictions bitwise identical");
    for (const variant of ["ALGO", "IMPL"]) {
      assert.equal(new Set(of(variant).map((run) => run.weightsHash)).size, 2, `${variant} replicates must differ in weights`);
      assert.ok(!predictions(variant)[0].equals(predictions(variant)[1]), `${variant} replicates must differ in predictions`);
    }
    // Every saved epoch is stored, as the built-in trainer stores them.
    assert.ok(readdirSync(join(store, "runs", runs[0].key)).includes("predictions-e1.npy"));
  });

  test("the report computes every metric for every variant, and the control check passes", () => {
    const prefix = join(dir, "report");
    const r = noiselab(["report", "train", "--store", store, "--out", prefix]);
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(readFileSync(`${prefix}.json`, "utf8")) as {
      epoch: number;
      groups: { variant: string; analysis: Record<string, unknown> | null }[];
      controlChecks: { bitwiseIdentical: boolean }[];
    };
    assert.equal(json.epoch, 2, "the last epoch the script saved");
    assert.deepEqual(json.groups.map((g) => g.variant), ["ALGO", "IMPL", "CONTROL"]);
    for (const g of json.groups) {
      for (const metric of ["accuracy", "churn", "ensemble", "perClass", "weights"]) assert.ok(g.analysis?.[metric], `${g.variant}: ${metric}`);
    }
    assert.deepEqual(json.controlChecks.map((c) => c.bitwiseIdentical), [true]);
    assert.match(readFileSync(`${prefix}.md`, "utf8"), /train \/ CONTROL: 2\/2 replicates bitwise identical/);
  });

  test("run again: every run is already done; an edited script is another experiment", () => {
    const again = noiselab(["run", "--command", exampleCommand, "--variants", "ALGO", "IMPL", "CONTROL", "--replicates", "2", "--store", store], dir);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /0 trained, 6 already done/);
    const copy = join(dir, "train.py");
    writeFileSync(copy, `${readFileSync(EXAMPLE, "utf8")}\n# edited\n`);
    const edited = noiselab(["run", "--command", `${PYTHON} train.py --epochs 2`, "--variants", "CONTROL", "--replicates", "2", "--store", store, "--dry-run"], dir);
    assert.equal(edited.status, 0, edited.stderr);
    const key = (text: string) => /train\/CONTROL\/r0\s+([0-9a-f]{64})/.exec(text)![1];
    writeFileSync(copy, readFileSync(EXAMPLE, "utf8"));
    const original = noiselab(["run", "--command", `${PYTHON} train.py --epochs 2`, "--variants", "CONTROL", "--replicates", "2", "--store", store, "--dry-run"], dir);
    assert.notEqual(key(edited.stdout), key(original.stdout), "the script's content is part of the run key");
  });
});

describe("noiselab check --command on the PyTorch example", { skip: skipTorch }, () => {
  const dir = tempDir("command-check");
  test("CONTROL: no divergence", () => {
    const r = noiselab(["check", "--command", `${PYTHON} ${EXAMPLE} --epochs 1 --train-subset 256 --test-subset 100`, "--steps", "3", "--json"], dir);
    assert.equal(r.status, 0, r.stderr);
    const output = JSON.parse(r.stdout) as { result: { deterministic: boolean; stepsCompared: number; firstDivergence: unknown } };
    assert.deepEqual([output.result.deterministic, output.result.stepsCompared, output.result.firstDivergence], [true, 3, null]);
  });

  test("batch order free: names the first divergent step, module and tensor", () => {
    const file = join(dir, "check.json");
    const r = noiselab(["check", "--command", `${PYTHON} ${EXAMPLE} --epochs 1 --train-subset 256 --test-subset 100`, "--steps", "3", "--noise", "only:batchOrder", "--out", file], dir);
    assert.equal(r.status, 1, r.stderr);
    const { result } = JSON.parse(readFileSync(file, "utf8")) as { result: { deterministic: boolean; firstDivergence: { step: number; phase: string; module: string; tensor: string; maxAbsDiff: number } } };
    assert.equal(result.deterministic, false);
    const d = result.firstDivergence;
    assert.ok(Number.isInteger(d.step) && d.step >= 0 && d.step < 3);
    assert.ok(["conv1", "conv2", "fc1", "fc2", "dropout"].includes(d.module), d.module);
    assert.match(d.tensor, /^(output|grad of \w+\.(weight|bias))$/);
    // The same examples in another order: floating-point rounding, not another computation.
    assert.ok(d.maxAbsDiff > 0 && d.maxAbsDiff < 1e-3, String(d.maxAbsDiff));
    assert.match(r.stdout, new RegExp(`NOT deterministic: first divergence at step ${d.step}, ${d.phase} pass, module "${d.module}", ${d.tensor}, max \\|Δ\\| = `));
  });
});

describe("the example run alone", { skip: skipTorch }, () => {
  test("without noiselab's variables it trains as plain PyTorch and writes no file", () => {
    const dir = tempDir("command-alone");
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("NOISELAB_")));
    const r = spawnSync(PYTHON, [EXAMPLE, "--epochs", "1", "--train-subset", "128", "--test-subset", "50"], { cwd: dir, env, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^epoch 1: loss \d+\.\d+, test accuracy \d\.\d+$/m);
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe("bad scripts fail their own runs, and the other runs go on", { skip: hasNumpy ? false : `${PYTHON} cannot import numpy` }, () => {
  const dir = tempDir("command-bad");
  const store = join(dir, "store");
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  const save = (labels: string, predictions: string) =>
    `import os, numpy as np\nout = os.environ["NOISELAB_OUTPUT_DIR"]\nnp.save(os.path.join(out, "labels.npy"), np.array(${labels}))\nnp.save(os.path.join(out, "predictions-e1.npy"), np.array(${predictions}))\n`;
  write("good.py", save("[0, 1, 1, 0]", "[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]"));
  write("fails.py", 'import sys\nprint("loading data", file=sys.stderr)\nprint("Traceback (most recent call last):", file=sys.stderr)\nprint("ValueError: bad learning rate", file=sys.stderr)\nsys.exit(3)\n');
  write("silent.py", 'print("trained, but saved nothing")\n');
  write("short.py", save("[0, 1, 1, 0]", "[0, 1, 1]"));
  write("nan.py", save("[0, 1, 1, 0]", '[[0.9, 0.1], [float("nan"), 0.8], [0.6, 0.4], [0.7, 0.3]]'));
  write("hangs.py", 'import os, subprocess, time\nchild = subprocess.Popen(["sleep", "600"])\nopen("hang-child.pid", "w").write(str(child.pid))\ntime.sleep(600)\n');
  const models = ["good", "fails", "silent", "short", "nan", "hangs"].map((name) => ({ name, command: [PYTHON, `${name}.py`] }));
  const spec = writeSpec(dir, { name: "bad-scripts", models, variants: ["CONTROL"], replicates: 1 });

  test("exit code, no predictions, wrong length, NaN scores and a hung script each fail with a clear error", () => {
    const r = noiselab(["run", spec, "--store", store, "--processes", "2", "--run-timeout", "3s"]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /1 trained, 0 already done, 5 failed/);
    const runs = new Map(listRuns(store, "bad-scripts").map((run) => [run.label.split("/")[0], run]));
    assert.equal(runs.get("good")?.status, "done");
    const error = (name: string) => {
      assert.equal(runs.get(name)?.status, "failed", name);
      return runs.get(name)!.error ?? "";
    };
    // The cause, then the last lines of the script's stderr.
    assert.match(error("fails"), /^the script exited with code 3; its stderr ends: ValueError: bad learning rate\n/);
    assert.match(error("fails"), /loading data\nTraceback \(most recent call last\):\nValueError: bad learning rate$/);
    assert.match(error("silent"), /^the script wrote no predictions/);
    assert.match(error("short"), /^predictions-e1\.npy has 3 rows, but labels\.npy has 4 labels/);
    assert.match(error("nan"), /^predictions-e1\.npy: score NaN at row 1: scores must be finite/);
    assert.match(error("hangs"), /^the script was stopped after --run-timeout 3s/);
    // The whole process group went: the script's own child too.
    const child = Number(readFileSync(join(dir, "hang-child.pid"), "utf8"));
    assert.ok(!running(child), `the script's child ${child} still runs`);
  });

  test("check --bisect flips the script's switches one at a time", () => {
    // A stand-in for a script whose traced gradient is reproducible only under deterministic algorithms.
    write(
      "switchy.py",
      [
        "import json, os, random, numpy as np",
        'trace = os.environ["NOISELAB_TRACE_DIR"]',
        'value = "fixed" if os.environ["NOISELAB_DETERMINISTIC_ALGORITHMS"] == "1" else str(random.random())',
        'open(os.path.join(trace, "trace.jsonl"), "w").write(json.dumps({"step": 0, "entries": [["forward", "fc", "output", "same"], ["backward", "fc", "grad of fc.weight", value]]}) + "\\n")',
        'if os.environ.get("NOISELAB_TRACE_DUMP"): np.save(os.path.join(trace, "dump.npy"), np.array([random.random()]))',
      ].join("\n"),
    );
    const r = noiselab(["check", "--command", `${PYTHON} switchy.py`, "--bisect", "--json"], dir);
    assert.equal(r.status, 0, r.stderr);
    const { bisect } = JSON.parse(r.stdout) as { bisect: { baseline: { firstDivergence: { step: number; phase: string; module: string; tensor: string } }; sufficient: string[]; all: { deterministic: boolean } } };
    assert.deepEqual(bisect.sufficient, ["deterministic algorithms"]);
    assert.equal(bisect.all.deterministic, true);
    assert.deepEqual({ ...bisect.baseline.firstDivergence, maxAbsDiff: undefined }, { step: 0, phase: "backward", module: "fc", tensor: "grad of fc.weight", maxAbsDiff: undefined });
  });
});

describe("bad --command arguments", () => {
  test("exit 2 with a one-line message naming the option, before anything is written", () => {
    const dir = tempDir("command-args");
    const store = ["--store", join(dir, "store")];
    for (const [args, pattern] of [
      [["run", "table2", "--command", "python3 train.py", ...store], /--command replaces the spec/],
      [["run", "--command", "python3 train.py | tee log", ...store], /--command: "\|" needs a shell/],
      [["run", "--command", "python3 train.py", "--epochs", "3", ...store], /--epochs: a command sets its own/],
      [["run", "--command", "python3 train.py", "--run-timeout", "soon", ...store], /--run-timeout must be a duration such as 90s/],
      [["run", "table2", "--variants", "ALGO", ...store], /--variants goes with --command/],
      [["run", "--command", "python3 train.py", "--variants", "ALGO", "NOISY", ...store], /--variants: unknown variant "NOISY"/],
      [["check", "--command", "python3 train.py", "--batch", "8"], /--batch does not apply to --command/],
    ] as const) {
      const r = noiselab([...args], dir);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    assert.deepEqual(readdirSync(dir), []);
  });
});
