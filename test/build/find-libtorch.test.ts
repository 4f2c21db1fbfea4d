// How the native build finds libtorch: LIBTORCH first, then python3's torch package, then the system.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { repoRoot } from "../helpers.js";
import { tempDir } from "../e2e/cli.js";

interface Found {
  source: string;
  libDir: string;
  includeDirs: string[];
  cuda: boolean;
  cxx11Abi: string;
}

const { findLibtorch } = (await import(pathToFileURL(join(repoRoot, "scripts/find-libtorch.mjs")).href)) as { findLibtorch: () => Found };

/** A libtorch-shaped folder: headers, libraries (optionally CUDA's) and TorchConfig.cmake with an ABI flag. */
function fakeLibtorch(options: { cuda: boolean; abi: "0" | "1" }): string {
  const root = tempDir("libtorch");
  mkdirSync(join(root, "include/torch/csrc/api/include/torch"), { recursive: true });
  writeFileSync(join(root, "include/torch/csrc/api/include/torch/torch.h"), "");
  mkdirSync(join(root, "lib"));
  for (const lib of ["libtorch.so", "libtorch_cpu.so", "libc10.so", ...(options.cuda ? ["libtorch_cuda.so", "libc10_cuda.so"] : [])]) writeFileSync(join(root, "lib", lib), "");
  mkdirSync(join(root, "share/cmake/Torch"), { recursive: true });
  writeFileSync(join(root, "share/cmake/Torch/TorchConfig.cmake"), `set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=${options.abi}")\n`);
  return root;
}

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

test("LIBTORCH wins, and its CUDA libraries and C++ ABI are detected", () => {
  const cuda = fakeLibtorch({ cuda: true, abi: "0" });
  const found = withEnv({ LIBTORCH: cuda, LIBTORCH_CXX11_ABI: undefined }, findLibtorch);
  assert.equal(found.source, "LIBTORCH");
  assert.equal(found.libDir, join(cuda, "lib"));
  assert.deepEqual(found.includeDirs, [join(cuda, "include"), join(cuda, "include/torch/csrc/api/include")]);
  assert.equal(found.cuda, true);
  assert.equal(found.cxx11Abi, "0");
  const cpu = withEnv({ LIBTORCH: fakeLibtorch({ cuda: false, abi: "1" }), LIBTORCH_CXX11_ABI: undefined }, findLibtorch);
  assert.deepEqual([cpu.cuda, cpu.cxx11Abi], [false, "1"]);
});

test("a LIBTORCH without libtorch in it is an error naming the path", () => {
  const empty = tempDir("not-libtorch");
  assert.throws(() => withEnv({ LIBTORCH: empty }, findLibtorch), new RegExp(`LIBTORCH=${empty} has no include/torch`));
});

test("without LIBTORCH, a python3 without torch falls through to the system install", () => {
  const found = withEnv({ LIBTORCH: undefined, LIBTORCH_PYTHON: "/nonexistent/python3" }, findLibtorch);
  assert.equal(found.source, "system");
});
