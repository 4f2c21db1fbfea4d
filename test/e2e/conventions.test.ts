// The command line's conventions: --version, suggestions, own-key lookups, the store readers,
// --print-spec (and its round trip), --dry-run and the examples/ files.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { resolveSpec, specYaml } from "../../src/cli/run.js";
import { PRESETS } from "../../src/experiment/presets.js";
import { REPORT_FORMATS } from "../../src/report/index.js";
import { RunStore } from "../../src/store/run-store.js";
import { noiselab, tempDir, tinySpec, writeSpec } from "./cli.js";

/** Exit 2 with one line on stderr matching `message`. */
function refused(args: string[], message: RegExp, cwd?: string): void {
  const r = noiselab(args, cwd);
  assert.equal(r.status, 2, `exit code of noiselab ${args.join(" ")}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.match(r.stderr.split("\n")[0], message);
}

describe("noiselab's command-line conventions", () => {
  const dir = tempDir("conventions");

  test("--version prints the package's version", () => {
    const r = noiselab(["--version"]);
    assert.equal(r.status, 0);
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    assert.equal(r.stdout, `noiselab ${pkg.version}\n`);
  });

  test("words are looked up as own keys: toString is neither a command, an option, a preset nor a variant", () => {
    refused(["toString"], /^noiselab: unknown command "toString"$/);
    refused(["ls", "--toString"], /^noiselab ls: unknown option --toString \(see --help\)$/);
    refused(["run", "toString", "--store", join(dir, "s")], /^noiselab run: unknown preset "toString"; presets: table2/);
    refused(["run", writeSpec(dir, tinySpec("v", { variants: ["toString"] }), "v.json")], /v\.json: variants\[0\]: unknown variant "toString"/);
    assert.equal(existsSync(join(dir, "s")), false);
  });

  test("a misspelled command, option, preset or choice names the nearest one", () => {
    refused(["reprot"], /^noiselab: unknown command "reprot" \(did you mean report\?\)$/);
    refused(["run", "table2", "--replicate", "3"], /^noiselab run: unknown option --replicate \(did you mean --replicates\?\) \(see --help\)$/);
    refused(["run", "tabel2"], new RegExp(`^noiselab run: unknown preset "tabel2" \\(did you mean table2\\?\\); presets: ${Object.keys(PRESETS).join(", ")}; or give a spec file$`));
    refused(["run", "table2", "--scale", "quik"], /^noiselab run: --scale must be one of quick, standard, full, got "quik" \(did you mean quick\?\)$/);
  });

  test("ls and report on a store that does not exist: exit 2, and nothing is created", () => {
    const store = join(dir, "no-store");
    refused(["ls", "--store", store], /^noiselab ls: no store at .*no-store/);
    refused(["report", "table2", "--store", store, "--out", join(dir, "r")], /^noiselab report: no store at .*no-store/);
    assert.equal(existsSync(store), false);
    refused(["ls"], /^noiselab ls: no store at runs/, dir);
    assert.deepEqual(readdirSync(dir).filter((n) => n === "runs"), []);
  });

  test("report --format md EXPERIMENT: the experiment name is not taken as a format", () => {
    const store = join(dir, "empty-store");
    RunStore.open(store).close();
    refused(["report", "--format", "md", "table2", "--store", store, "--out", join(dir, "r")], /^noiselab report: no experiment "table2" in the store/);
    refused(["report", "--format", "pdf", "table2", "--store", store], new RegExp(`^noiselab report: --format must be one of ${REPORT_FORMATS.join(", ")}, got "pdf"`));
  });

  test("sizes are bounded, and every argument is checked before the store is written", () => {
    const store = join(dir, "bounded");
    refused(["run", writeSpec(dir, tinySpec("huge", { replicates: 1e20 }), "huge.json"), "--store", store], /huge\.json: replicates: must be at most 1000, got 100000000000000000000/);
    refused(["run", writeSpec(dir, tinySpec("big", { replicates: 1e8 }), "big.json"), "--store", store], /big\.json: replicates: must be at most 1000/);
    refused(["run", writeSpec(dir, tinySpec("many", { replicates: 1000, variants: ["ALGO", "IMPL", "CONTROL", "only:init"], models: Array.from({ length: 30 }, (_, i) => ({ name: "smallcnn", label: `m${i}` })) }), "many.json"), "--store", store], /many\.json: replicates: 120000 runs .* is more than 100000/);
    const spec = writeSpec(dir, tinySpec("ok"), "ok.json");
    refused(["run", spec, "--processes", "0", "--store", store], /--processes must be at least 1, got 0/);
    refused(["run", spec, "--threads", "-1", "--store", store], /--threads must be at least 1, got -1/);
    refused(["run", spec, "--processes", "100000", "--store", store], /--processes must be at most 1024/);
    assert.equal(existsSync(store), false, "nothing may be written");
  });

  test("a variant listed twice is refused", () => {
    refused(["run", writeSpec(dir, tinySpec("dup", { variants: ["CONTROL", "ALGO", "CONTROL"] }), "dup.json")], /dup\.json: variants\[2\]: "CONTROL" is listed twice/);
  });

  test("--print-spec gives YAML that noiselab run accepts back unchanged", () => {
    const printed = noiselab(["run", "fig2", "--replicates", "3", "--epochs", "2", "--print-spec"]);
    assert.equal(printed.status, 0, printed.stderr);
    const file = join(dir, "fig2.yaml");
    writeFileSync(file, printed.stdout);
    const again = noiselab(["run", file, "--print-spec"]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, printed.stdout);
    assert.match(printed.stdout, /^replicates: 3$/m);
    assert.match(printed.stdout, /^ {2}epochs: 2$/m);
  });

  test("--dry-run prints the resolved spec and the planned runs, and writes nothing", () => {
    const store = join(dir, "dry");
    const r = noiselab(["run", writeSpec(dir, tinySpec("dry", { replicates: 2 }), "dry.json"), "--dry-run", "--store", store]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^spec \(resolved\):\n {2}name: dry\n/);
    assert.match(r.stdout, /^runs \(8: 1 model\(s\) × 4 variant\(s\) × 2 replicate\(s\)\):$/m);
    assert.match(r.stdout, /^ {2}smallcnn\/CONTROL\/r1 +[0-9a-f]{64}$/m);
    assert.equal(existsSync(store), false);
  });

  test("examples/ holds each preset's --print-spec (regenerate: node scripts/write-examples.mjs)", () => {
    const files = readdirSync("examples").filter((n) => n.endsWith(".yaml")).sort();
    assert.deepEqual(files, Object.keys(PRESETS).map((name) => `${name}.yaml`).sort());
    for (const name of Object.keys(PRESETS)) {
      // Written for a 2-core CPU (scripts/write-examples.mjs).
      assert.equal(readFileSync(join("examples", `${name}.yaml`), "utf8"), specYaml(resolveSpec(name, { cores: 2 })), `examples/${name}.yaml is out of date`);
    }
    // What the files hold is what the command prints.
    assert.equal(noiselab(["run", "table2", "--print-spec"]).stdout, readFileSync(join("examples", "table2.yaml"), "utf8"));
  });
});
