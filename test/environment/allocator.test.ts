import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { InputError } from "../../src/errors.js";
import { ALLOCATOR_ENV, allocatorEnv, defaultAllocator, parseAllocator } from "../../src/environment/allocator.js";
import { RunStore } from "../../src/store/run-store.js";
import { listRuns, noiselab, tempDir, tinySpec, writeSpec } from "../e2e/cli.js";

describe("allocatorEnv", () => {
  const base = { PATH: "/bin", LD_PRELOAD: "/opt/libfoo.so", GLIBC_TUNABLES: "glibc.rtld.nns=2" };

  test("system leaves the environment as it is, apart from naming the allocator", () => {
    assert.deepEqual(allocatorEnv("system", base), { ...base, [ALLOCATOR_ENV]: "system" });
  });

  test("a preloaded allocator goes first in LD_PRELOAD; the user's preloads and tunables stay", () => {
    for (const name of ["tcmalloc", "jemalloc"] as const) {
      const env = allocatorEnv(name, base);
      const preload = env.LD_PRELOAD?.split(":") ?? [];
      // Where the library is missing, parseAllocator refuses it before any process starts.
      if (preload.length === 2) assert.match(preload[0], name === "tcmalloc" ? /libtcmalloc_minimal\.so\.4$/ : /libjemalloc\.so\.2$/);
      assert.equal(preload.at(-1), "/opt/libfoo.so");
      assert.equal(env.GLIBC_TUNABLES, "glibc.rtld.nns=2");
    }
    assert.match(allocatorEnv("jemalloc", base).MALLOC_CONF ?? "", /dirty_decay_ms:-1/);
  });

  test("glibc adds its tunables to the user's", () => {
    const tunables = allocatorEnv("glibc", base).GLIBC_TUNABLES?.split(":");
    assert.equal(tunables?.[0], "glibc.rtld.nns=2");
    assert.ok(tunables?.some((t) => t.startsWith("glibc.malloc.trim_threshold=")));
  });

  test("a process started with one allocator starts the next with only the one asked for", () => {
    for (const first of ["tcmalloc", "jemalloc", "glibc"] as const) {
      const inherited = allocatorEnv(first, base);
      assert.deepEqual(allocatorEnv("system", inherited), { ...base, [ALLOCATOR_ENV]: "system" }, `after ${first}`);
      assert.deepEqual(allocatorEnv("glibc", inherited), allocatorEnv("glibc", base), `after ${first}`);
    }
  });

  test("parseAllocator: absent means the default; an unknown name is an InputError naming the option", () => {
    assert.equal(parseAllocator(undefined), defaultAllocator());
    assert.equal(parseAllocator("system"), "system");
    assert.throws(() => parseAllocator("mimalloc"), (err: unknown) => err instanceof InputError && /--allocator must be one of/.test(err.message));
  });
});

describe("--allocator through the CLI", () => {
  test("bench re-executes itself with the default allocator and records it; --allocator system does not preload", () => {
    const args = ["bench", "train", "--model", "smallcnn", "--batch", "8", "--steps", "1", "--warmup", "0", "--json"];
    for (const [option, expected] of [[[], defaultAllocator()], [["--allocator", "system"], "system"]] as const) {
      const r = noiselab([...args, ...option]);
      assert.equal(r.status, 0, r.stderr);
      const result = JSON.parse(r.stdout) as { allocator: string; peakRssBytes: number; minorPageFaults: number };
      assert.equal(result.allocator, expected);
      assert.ok(result.peakRssBytes > 2 ** 20 && result.minorPageFaults > 0);
    }
    const bad = noiselab([...args, "--allocator", "mimalloc"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--allocator must be one of/);
  });

  test("a CONTROL run's weights hash is the same with --allocator system and with the default; both record allocator and peak RSS", () => {
    const dir = tempDir("allocator");
    const spec = writeSpec(dir, tinySpec("allocator", { variants: ["CONTROL"], replicates: 1, training: { epochs: 1, batchSize: 32 } }));
    const made = [["default", [], defaultAllocator()], ["system", ["--allocator", "system"], "system"]] as const;
    const hashes = made.map(([storeName, option, allocator]) => {
      const store = join(dir, storeName);
      const r = noiselab(["run", spec, "--store", store, "--processes", "1", "--threads", "1", ...option]);
      assert.equal(r.status, 0, r.stderr);
      const [run] = listRuns(store, "allocator");
      const runs = RunStore.open(store);
      try {
        const result = JSON.parse(readFileSync(runs.artifactPath(run.key, "result.json"), "utf8")) as { metadata: { allocator: string } };
        assert.equal(result.metadata.allocator, allocator);
        assert.ok(Number(runs.metricsOf(run.key).peakRssBytes) > 2 ** 20);
      } finally {
        runs.close();
      }
      return run.weightsHash;
    });
    assert.ok(hashes[0]);
    assert.equal(hashes[0], hashes[1]);
  });
});
