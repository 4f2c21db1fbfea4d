// noiselab export / import end to end: a round trip between two stores, import twice, damaged
// bundles refused with nothing imported, conflicting runs refused, and --machine.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { parseSpec } from "../../src/experiment/spec.js";
import { BIN, listRuns, noiselab, tempDir, tinySpec, writeSpec } from "../e2e/cli.js";
import { dataOffset, readMembers, writeMembers } from "./tar.js";

const ENVIRONMENT = { name: "cpu", device: "cpu", threads: 1, precision: "fp32", onednn: true };

/** Whether this noiselab's specs have environments (issue 11): --machine needs them. */
function specsHaveEnvironments(): boolean {
  try {
    parseSpec({ ...tinySpec("probe"), environments: [ENVIRONMENT] }, "probe");
    return true;
  } catch {
    return false;
  }
}

function ok(args: string[]): string {
  const r = noiselab(args);
  assert.equal(r.status, 0, `noiselab ${args.join(" ")}: ${r.stderr}`);
  return r.stderr;
}

/** Every file of a store (but its database) with its size and modification time: what a refused import must leave alone. */
function snapshot(store: string): string[] {
  return readdirSync(store, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith("noiselab.sqlite"))
    .map((e) => {
      const s = statSync(join(e.parentPath, e.name));
      return `${join(e.parentPath, e.name)} ${s.size} ${s.mtimeMs}`;
    })
    .sort();
}

function report(store: string, experiment: string, prefix: string): { md: string; json: unknown } {
  ok(["report", experiment, "--store", store, "--out", prefix, "--format", "md", "json"]);
  return { md: readFileSync(`${prefix}.md`, "utf8"), json: JSON.parse(readFileSync(`${prefix}.json`, "utf8")) };
}

describe("noiselab export and import between two stores", () => {
  const dir = tempDir("bundle");
  const a = join(dir, "a");
  const b = join(dir, "b");
  const bundle = join(dir, "tiny.tar");
  const spec = writeSpec(dir, tinySpec("tiny", { variants: ["ALGO", "CONTROL"], replicates: 2, training: { epochs: 1, batchSize: 32 } }));

  before(() => {
    ok(["run", spec, "--store", a, "--processes", "2", "--threads", "1"]);
    assert.match(ok(["export", "tiny", "--store", a, "--out", bundle]), /4 run\(s\) of "tiny"/);
  });

  test("the bundle carries the spec, the rows and every run's files, each listed with its sha256 in the manifest", async () => {
    const members = await readMembers(bundle);
    assert.equal(members[0].name, "manifest.json");
    const manifest = JSON.parse(members[0].data.toString()) as { experiment: string; members: { name: string; size: number }[] };
    assert.equal(manifest.experiment, "tiny");
    assert.deepEqual(manifest.members.map((m) => m.name), members.slice(1).map((m) => m.name));
    const runs = listRuns(a, "tiny");
    for (const run of runs) {
      for (const file of ["weights.safetensors", "predictions-e1.npy", "probabilities-e1.npy", "curve.json", "result.json", "unit.json"]) {
        const member = members.find((m) => m.name === `runs/${run.key}/${file}`);
        assert.ok(member, `${run.label}: ${file}`);
        assert.deepEqual(member.data, readFileSync(join(a, "runs", run.key, file)));
      }
    }
  });

  test("export refuses a run whose files are damaged, and an unwritable --out, writing nothing", () => {
    const copy = join(dir, "a-damaged");
    cpSync(a, copy, { recursive: true });
    const run = listRuns(copy, "tiny")[1];
    rmSync(join(copy, "runs", run.key, "predictions-e1.npy"));
    const out = join(dir, "damaged-export.tar");
    const r = noiselab(["export", "tiny", "--store", copy, "--out", out]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), new RegExp(`^noiselab export: run ${run.label}: artifact \\S+predictions-e1\\.npy is missing; noiselab run redoes it`));
    assert.equal(existsSync(out), false);
    const unwritable = noiselab(["export", "tiny", "--store", a, "--out", join(dir, "no-such-dir", "x.tar")]);
    assert.equal(unwritable.status, 2, unwritable.stderr);
    assert.match(unwritable.stderr.trim(), /^noiselab export: --out \S+x\.tar: cannot write the bundle \(ENOENT\)$/);
  });

  test("import into another store: the same runs, and the same report", () => {
    assert.match(ok(["import", bundle, "--store", b]), /4 run\(s\) imported, 0 already in store/);
    assert.deepEqual(listRuns(b, "tiny"), listRuns(a, "tiny"));
    const fromA = report(a, "tiny", join(dir, "report-a"));
    const fromB = report(b, "tiny", join(dir, "report-b"));
    assert.equal(fromB.md, fromA.md);
    assert.deepEqual(fromB.json, fromA.json);
    assert.match(fromB.md, /smallcnn \/ CONTROL: 2\/2 replicates bitwise identical/);
  });

  test("export and import do not load the native engine (a machine without libtorch can gather bundles)", () => {
    const env = { ...process.env, NOISELAB_ADDON: "/nonexistent/noiselab.node" };
    const c = join(dir, "c");
    const imported = spawnSync(process.execPath, [BIN, "import", bundle, "--store", c], { encoding: "utf8", env });
    assert.equal(imported.status, 0, imported.stderr);
    const again = join(dir, "again.tar");
    const exported = spawnSync(process.execPath, [BIN, "export", "tiny", "--store", c, "--out", again], { encoding: "utf8", env });
    assert.equal(exported.status, 0, exported.stderr);
    assert.deepEqual(listRuns(c, "tiny"), listRuns(a, "tiny"));
  });

  test("importing twice, or into the store it came from, changes nothing", () => {
    const before = snapshot(b);
    assert.match(ok(["import", bundle, "--store", b]), /0 run\(s\) imported, 4 already in store/);
    assert.deepEqual(snapshot(b), before);
    const source = snapshot(a);
    assert.match(ok(["import", bundle, "--store", a]), /0 run\(s\) imported, 4 already in store/);
    assert.deepEqual(snapshot(a), source);
  });

  describe("a damaged bundle is refused with exit 2, naming the bundle and the bad member, and nothing is imported", () => {
    const damaged = join(dir, "damaged.tar");
    const fresh = join(dir, "fresh-store");
    let lastWeights = "";
    before(async () => {
      const members = await readMembers(bundle);
      lastWeights = members.filter((m) => m.name.endsWith("/weights.safetensors")).at(-1)!.name;
    });

    const refused = (pattern: RegExp) => {
      const r = noiselab(["import", damaged, "--store", fresh]);
      assert.equal(r.status, 2, r.stderr);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0].includes(`bundle ${damaged}:`), lines[0]);
      assert.match(lines[0], pattern);
      assert.equal(existsSync(fresh), false, "a refused import must not even create the store");
    };

    test("a flipped byte in the last run's weights", () => {
      const tar = readFileSync(bundle);
      const at = dataOffset(tar, lastWeights) + 1000;
      tar[at] ^= 0x01;
      writeFileSync(damaged, tar);
      refused(new RegExp(`member ${lastWeights} does not match its sha256`));
    });

    test("a truncated bundle", () => {
      writeFileSync(damaged, readFileSync(bundle));
      truncateSync(damaged, Math.floor(statSync(bundle).size * 0.6));
      refused(/truncated/);
    });

    test("a manifest edited to list another hash, or to leave a member out", async () => {
      const members = await readMembers(bundle);
      const manifest = JSON.parse(members[0].data.toString()) as { members: { name: string; sha256: string }[] };
      const weights = manifest.members.find((m) => m.name === lastWeights)!;
      weights.sha256 = weights.sha256.replace(/^./, (c) => (c === "0" ? "1" : "0"));
      await writeMembers(damaged, [{ name: "manifest.json", data: Buffer.from(JSON.stringify(manifest)) }, ...members.slice(1)]);
      refused(new RegExp(`member ${lastWeights} does not match its sha256 in manifest.json`));

      manifest.members = manifest.members.filter((m) => m.name !== lastWeights);
      await writeMembers(damaged, [{ name: "manifest.json", data: Buffer.from(JSON.stringify(manifest)) }, ...members.slice(1)]);
      refused(new RegExp(`member ${lastWeights} is not in manifest.json`));
    });

    test("a run's row edited to claim other metrics", async () => {
      const members = await readMembers(bundle);
      const runs = members.find((m) => m.name === "runs.json")!;
      const rows = JSON.parse(runs.data.toString()) as { metrics: { testAccuracy: number } }[];
      rows[0].metrics.testAccuracy = 1;
      runs.data = Buffer.from(JSON.stringify(rows));
      const manifest = JSON.parse(members[0].data.toString()) as { members: { name: string; size: number; sha256: string }[] };
      const { createHash } = await import("node:crypto");
      Object.assign(manifest.members.find((m) => m.name === "runs.json")!, { size: runs.data.length, sha256: createHash("sha256").update(runs.data).digest("hex") });
      await writeMembers(damaged, [{ name: "manifest.json", data: Buffer.from(JSON.stringify(manifest)) }, ...members.slice(1)]);
      refused(/result\.json does not match the metrics of run smallcnn\/\S+ in runs\.json/);
    });

    test("a file that is not a bundle", () => {
      writeFileSync(damaged, "not a tar file\n".repeat(100));
      refused(/not a tar file|not a noiselab bundle/);
    });
  });
});

/** A tiny MNIST-layout folder; `shift` changes its pixels. */
function writeMnist(dir: string, shift: number): void {
  mkdirSync(dir, { recursive: true });
  const header = (magic: number, dims: number[]) => {
    const h = Buffer.alloc(4 + 4 * dims.length);
    h.writeUInt32BE(magic, 0);
    dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
    return h;
  };
  for (const [split, n] of [["train", 64], ["t10k", 32]] as const) {
    const labels = Buffer.from(Array.from({ length: n }, (_, i) => i % 10));
    const pixels = Buffer.from(Array.from({ length: n * 784 }, (_, k) => ((Math.floor(k / 784) % 10) * 20 + (k % 784) + shift) % 256));
    writeFileSync(join(dir, `${split}-images-idx3-ubyte.gz`), gzipSync(Buffer.concat([header(0x803, [n, 28, 28]), pixels])));
    writeFileSync(join(dir, `${split}-labels-idx1-ubyte.gz`), gzipSync(Buffer.concat([header(0x801, [n]), labels])));
  }
}

describe("a run whose key the store has, with other content, is a conflict", () => {
  test("refused, naming the run, and nothing imported; --machine needs runs that record their environment", () => {
    const dir = tempDir("bundle-conflict");
    const data = join(dir, "mnist");
    const spec = writeSpec(dir, tinySpec("conflict", { dataset: { kind: "mnist", dir: data }, variants: ["CONTROL"], replicates: 1, training: { epochs: 1, batchSize: 32 } }));
    // The same path, other files: the same run keys, other weights.
    writeMnist(data, 0);
    ok(["run", spec, "--store", join(dir, "a"), "--threads", "1"]);
    writeMnist(data, 7);
    ok(["run", spec, "--store", join(dir, "b"), "--threads", "1"]);
    const bundle = join(dir, "a.tar");
    ok(["export", "conflict", "--store", join(dir, "a"), "--out", bundle]);
    const before = snapshot(join(dir, "b"));
    const runs = listRuns(join(dir, "b"), "conflict");
    const r = noiselab(["import", bundle, "--store", join(dir, "b")]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), /^noiselab import: bundle \S+a\.tar: run smallcnn\/CONTROL\/r0 \(key [0-9a-f]{12}…\) is in the store already with other weights \(the weights hash differs\); nothing imported\. Import with --machine NAME/);
    assert.deepEqual(snapshot(join(dir, "b")), before);
    assert.deepEqual(listRuns(join(dir, "b"), "conflict"), runs);
    if (!specsHaveEnvironments()) {
      const machine = noiselab(["import", bundle, "--store", join(dir, "b"), "--machine", "other"]);
      assert.equal(machine.status, 2, machine.stderr);
      assert.match(machine.stderr, /--machine: the bundle's experiment spec lists no environments/);
      assert.deepEqual(snapshot(join(dir, "b")), before);
    }
  });
});

describe("--machine keeps another machine's runs as environments of their own", { skip: specsHaveEnvironments() ? false : "needs specs with environments (issue 11)" }, () => {
  test("round trip: the store gains <environment>@NAME runs, the report shows them, and importing again adds nothing", () => {
    const dir = tempDir("bundle-machine");
    const spec = writeSpec(dir, tinySpec("machines", { variants: ["CONTROL"], replicates: 2, training: { epochs: 1, batchSize: 32 }, environments: [ENVIRONMENT] }));
    ok(["run", spec, "--store", join(dir, "a"), "--threads", "1"]);
    ok(["run", spec, "--store", join(dir, "b"), "--threads", "1"]);
    const bundle = join(dir, "a.tar");
    ok(["export", "machines", "--store", join(dir, "a"), "--out", bundle]);
    const local = listRuns(join(dir, "b"), "machines");
    assert.match(ok(["import", bundle, "--store", join(dir, "b"), "--machine", "laptop"]), /2 run\(s\) imported, 0 already/);
    const after = listRuns(join(dir, "b"), "machines");
    assert.equal(after.length, 4);
    const imported = after.filter((r) => !local.some((l) => l.key === r.key));
    assert.equal(imported.length, 2);
    assert.ok(imported.every((r) => r.label.includes("cpu@laptop")), "imported runs are labelled with their environment");
    assert.ok(after.filter((r) => !imported.includes(r)).every((r) => !r.label.includes("@")), "the store's own runs keep theirs");
    assert.equal(new Set(after.map((r) => r.label)).size, 4, "every run has a label of its own");
    // The same training elsewhere: the imported runs keep their weights, under new keys.
    assert.deepEqual(imported.map((r) => r.weightsHash).sort(), listRuns(join(dir, "a"), "machines").map((r) => r.weightsHash).sort());
    const md = report(join(dir, "b"), "machines", join(dir, "report")).md;
    assert.match(md, /cpu@laptop/);
    const before = snapshot(join(dir, "b"));
    assert.match(ok(["import", bundle, "--store", join(dir, "b"), "--machine", "laptop"]), /0 run\(s\) imported, 2 already/);
    assert.deepEqual(snapshot(join(dir, "b")), before);
  });
});
