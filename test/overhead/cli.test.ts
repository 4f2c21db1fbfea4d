// `noiselab overhead` end to end on a tiny configuration. No timing is asserted.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { determinismConfigs } from "../../src/overhead/configs.js";
import { buildInfo } from "../../src/torch/index.js";

// dist/test/overhead → repository root.
const root = fileURLToPath(new URL("../../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "noiselab-overhead-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function overhead(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, "bin/noiselab.js"), "overhead", ...args], { cwd: dir, encoding: "utf8", timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TINY = ["--models", "mediumcnn-k1,mediumcnn-k3", "--input", "64", "--batch", "2", "--repeats", "2", "--steps", "1", "--warmup", "1"];
const configs = determinismConfigs(buildInfo().hasFillUninitializedMemory);

test("a table with both models and every configuration", () => {
  const r = overhead(...TINY);
  assert.equal(r.status, 0, r.stderr);
  for (const model of ["mediumcnn-k1", "mediumcnn-k3"]) {
    assert.match(r.stdout, new RegExp(`^\\| ${model} \\| 3×64×64 \\| \\d`, "m"), `${model} in the summary table`);
    for (const c of configs) {
      const label = c.label.replace(/[()]/g, "\\$&");
      assert.match(r.stdout, new RegExp(`^\\| ${model} \\| ${label} \\| \\d+\\.\\d+ \\|`, "m"), `${model} / ${c.label}`);
    }
  }
  assert.match(r.stdout, /warmed up with 1 untimed step\(s\), then timed in 2 interleaved rounds of 1 step\(s\)/);
  assert.match(r.stdout, /ratios near 1 are expected/);
});

test("--json, and --out with --profile writes Markdown, HTML with Figures 9 (a) and 8, and JSON", () => {
  const prefix = join(dir, "tiny");
  const r = overhead(...TINY, "--profile", "--json", "--out", prefix);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.deepEqual(
    result.models.map((m: { id: string }) => m.id),
    ["mediumcnn-k1", "mediumcnn-k3"],
  );
  for (const m of result.models) {
    assert.equal(m.status, "ok");
    assert.deepEqual(
      m.configs.map((c: { config: string }) => c.config),
      configs.map((c) => c.id),
    );
    for (const c of m.configs) assert.equal(c.rounds, 2);
    assert.equal(m.operators.length, 20);
    // At this tiny size the top 20 vary with load; some backward op is always among them.
    assert.ok(m.operators.some((op: { name: string }) => /Backward\d*$/.test(op.name)), "backward ops are profiled");
  }
  assert.deepEqual(result.plan, { warmup: 1, repeats: 2, steps: 1, bootstrapResamples: 2000 });
  assert.deepEqual(JSON.parse(readFileSync(`${prefix}.json`, "utf8")), result);
  const html = readFileSync(`${prefix}.html`, "utf8");
  for (const id of ["fig9a", "fig8"]) assert.match(html, new RegExp(`<figure id="${id}">\\n<h3>[^<]+</h3>\\n<svg`), id);
  assert.doesNotMatch(html, /https?:|<script/);
  assert.match(readFileSync(`${prefix}.md`, "utf8"), /## Top 20 operators: mediumcnn-k3/);
  assert.ok(!readdirSync(dir).some((f) => f.endsWith(".tmp")));
});

test("bad input exits 2 with one line naming the problem, and writes nothing", () => {
  const cases: [string[], RegExp][] = [
    [["--models", "mediumcnn-k1,resnet"], /unknown model "resnet"/],
    [["--models", "mediumcnn-k2"], /kernel size must be odd/],
    [["--input", "abc"], /--input must be an integer/],
    [["--input", "2"], /--input must be at least 4/],
    [["--device", "tpu"], /unknown device "tpu"/],
    [["--repeats", "0"], /--repeats must be at least 1/],
    [["--frobnicate"], /unknown option --frobnicate/],
  ];
  for (const [args, message] of cases) {
    const r = overhead(...args, "--out", join(dir, "bad"));
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], message);
    assert.equal(existsSync(join(dir, "bad.md")), false);
  }
});
