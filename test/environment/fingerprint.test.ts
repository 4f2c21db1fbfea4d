// Issue 11: every run records the machine and libraries it trained with, and runs made
// with different toolchains are never replicates of each other.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Fingerprint } from "../../src/environment/fingerprint.js";
import { FINGERPRINT_FILE, collectFingerprint, toolchainHash } from "../../src/environment/fingerprint.js";
import { collectResults } from "../../src/experiment/collect.js";
import { RunStore } from "../../src/store/run-store.js";
import { buildInfo } from "../../src/torch/index.js";
import { listRuns, noiselab, tempDir, tinySpec, writeSpec } from "../e2e/cli.js";

describe("the fingerprint", () => {
  const here = collectFingerprint(buildInfo(), "cpu", "glibc");

  test("records this machine's CPU, libtorch, oneDNN and BLAS; no GPU for a CPU run", () => {
    assert.match(here.toolchain, /^[0-9a-f]{64}$/);
    assert.ok(here.cpu.model.length > 0);
    assert.ok(here.cpu.isa.every((flag) => /^(avx|amx|fma|f16c|sse4)/.test(flag)), here.cpu.isa.join(" "));
    assert.equal(here.gpu, null);
    assert.equal(here.versions.libtorch, buildInfo().torchVersion);
    assert.equal(here.versions.cuda, null);
    assert.equal(here.versions.onednn, buildInfo().onednnVersion);
    assert.equal(here.versions.node, process.version);
    assert.equal(here.allocator, "glibc");
    assert.equal(toolchainHash(here), here.toolchain);
  });

  test("the toolchain hash covers CPU, ISA and libraries, not the allocator, Node, noiselab or the OS", () => {
    const { toolchain, ...fields } = here;
    const changed = (edit: (f: Omit<Fingerprint, "toolchain">) => void): string => {
      const copy = structuredClone(fields);
      edit(copy);
      return toolchainHash(copy);
    };
    assert.equal(changed((f) => (f.allocator = "tcmalloc")), toolchain);
    assert.equal(changed((f) => (f.versions.node = "v99.0.0")), toolchain);
    assert.equal(changed((f) => (f.versions.noiselab = "9.9.9")), toolchain);
    assert.equal(changed((f) => (f.versions.os = "Linux 1.0")), toolchain);
    assert.equal(changed((f) => (f.cpu.logicalCpus = 999)), toolchain);
    assert.notEqual(changed((f) => f.cpu.isa.push("amx_bf16")), toolchain);
    assert.notEqual(changed((f) => (f.cpu.model = "Intel(R) Xeon(R)")), toolchain);
    assert.notEqual(changed((f) => (f.versions.libtorch = "2.6.0")), toolchain);
    assert.notEqual(changed((f) => (f.versions.onednn = "v3.5.3")), toolchain);
    assert.notEqual(changed((f) => (f.versions.blas.libraries = ["/usr/lib/libmkl_rt.so"])), toolchain);
    assert.notEqual(changed((f) => (f.gpu = { name: "H200", capability: "9.0", driver: "570" })), toolchain);
  });
});

describe("runs with their fingerprints, end to end", () => {
  const dir = tempDir("fingerprint");
  const store = join(dir, "store");
  const spec = writeSpec(
    dir,
    tinySpec("onednn", { variants: ["CONTROL"], replicates: 2, training: { epochs: 1, batchSize: 32 }, environments: [{ name: "on" }, { name: "off", onednn: false }] }),
  );

  test("oneDNN off trains, and is recorded; every run writes fingerprint.json", () => {
    const r = noiselab(["run", spec, "--store", store]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^ {2}toolchain [0-9a-f]{8} \(.+, libtorch [0-9.]+\): 4 run\(s\)$/m);
    assert.doesNotMatch(r.stderr, /toolchains/);
    const runs = listRuns(store, "onednn");
    assert.deepEqual(runs.map((run) => run.label).sort(), ["smallcnn/CONTROL/off/r0", "smallcnn/CONTROL/off/r1", "smallcnn/CONTROL/on/r0", "smallcnn/CONTROL/on/r1"]);
    const s = RunStore.open(store);
    try {
      const toolchains = new Set<string>();
      for (const run of runs) {
        const result = JSON.parse(readFileSync(s.artifactPath(run.key, "result.json"), "utf8")) as { metadata: { onednn: boolean; environment: { name: string } } };
        assert.equal(result.metadata.onednn, result.metadata.environment.name === "on", run.label);
        const fingerprint = JSON.parse(readFileSync(s.artifactPath(run.key, FINGERPRINT_FILE), "utf8")) as Fingerprint;
        toolchains.add(fingerprint.toolchain);
      }
      assert.equal(toolchains.size, 1, "one machine, one toolchain");
      // ls shows it.
      assert.ok(runs.every((run) => run.toolchain === [...toolchains][0]));
      const [header, ...lines] = noiselab(["ls", "onednn", "--store", store]).stdout.trim().split("\n");
      assert.match(header, /^run +status +accuracy +weights +toolchain +time/);
      assert.ok(lines.length === 4 && lines.every((line) => line.includes(`  ${[...toolchains][0].slice(0, 8)}  `)), lines.join("\n"));
      const results = collectResults(s, "onednn");
      assert.deepEqual(results.groups.map((g) => [g.environment, g.runs.length]), [["on", 2], ["off", 2]]);
      assert.ok(results.groups.every((g) => g.runs.every((run) => run.toolchain === [...toolchains][0] && run.fingerprint?.toolchain === run.toolchain)));
    } finally {
      s.close();
    }
  });

  test("a replicate made with another toolchain is split off its group, never counted as a replicate", () => {
    const s = RunStore.open(store);
    try {
      const run = listRuns(store, "onednn").find((r) => r.label === "smallcnn/CONTROL/on/r1")!;
      const path = s.artifactPath(run.key, FINGERPRINT_FILE);
      // As if it had been trained on another machine; the same size, so the store still takes the artifact as whole.
      const text = readFileSync(path, "utf8");
      writeFileSync(path, text.replace((JSON.parse(text) as Fingerprint).toolchain, "f".repeat(64)));
      const groups = collectResults(s, "onednn").groups.filter((g) => g.variant === "CONTROL" && g.environment.startsWith("on"));
      assert.deepEqual(
        groups.map((g) => [g.environment, g.runs.map((r) => r.label), g.replicatesPlanned]),
        [
          ["on", ["smallcnn/CONTROL/on/r0"], 1],
          ["on@ffffffff", ["smallcnn/CONTROL/on/r1"], 1],
        ],
      );
      assert.equal(groups[1].toolchain, "f".repeat(64));
      // noiselab run says so too.
      const again = noiselab(["run", spec, "--store", store]);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stderr, /toolchain ffffffff \(.+\): 1 run\(s\)/);
      assert.match(again.stderr, /runs of this experiment were made with 2 toolchains/);
    } finally {
      s.close();
    }
  });
});
