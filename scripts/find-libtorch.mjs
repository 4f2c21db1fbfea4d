// Locates the libtorch to build against, in this order:
//   1. LIBTORCH=/path (a libtorch distribution or a PyTorch install's torch/ folder)
//   2. the `torch` package of `python3` (override the interpreter with LIBTORCH_PYTHON)
//   3. the system install (Debian's libtorch-dev)
// Prints the result as JSON when run directly.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

function layoutAt(root, source) {
  const include = join(root, "include");
  const lib = join(root, "lib");
  if (!existsSync(join(include, "torch/csrc/api/include/torch/torch.h"))) return null;
  if (!existsSync(join(lib, "libtorch.so")) && !existsSync(join(lib, "libtorch_cpu.so"))) return null;
  return {
    source,
    root,
    includeDirs: [include, join(include, "torch/csrc/api/include")],
    libDir: lib,
    cmakeConfig: join(root, "share/cmake/Torch/TorchConfig.cmake"),
  };
}

function fromPython() {
  const python = process.env.LIBTORCH_PYTHON ?? "python3";
  try {
    const out = execFileSync(python, ["-c", "import torch, os; print(os.path.dirname(torch.__file__))"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return layoutAt(out.trim(), `${python} torch package`);
  } catch {
    return null;
  }
}

function fromSystem() {
  const multiarch = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"];
  const libDir = multiarch.find((d) => existsSync(join(d, "libtorch_cpu.so")));
  if (!libDir || !existsSync("/usr/include/torch/csrc/api/include/torch/torch.h")) return null;
  return {
    source: "system",
    root: "/usr",
    includeDirs: ["/usr/include", "/usr/include/torch/csrc/api/include"],
    libDir,
    cmakeConfig: join(libDir, "cmake/Torch/TorchConfig.cmake"),
  };
}

/** libtorch's own CMake config states the C++ ABI it was built with. */
function cxx11Abi(found) {
  if (process.env.LIBTORCH_CXX11_ABI !== undefined) return process.env.LIBTORCH_CXX11_ABI;
  if (existsSync(found.cmakeConfig)) {
    const match = /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(readFileSync(found.cmakeConfig, "utf8"));
    if (match) return match[1];
  }
  return "1";
}

export function findLibtorch() {
  let found;
  if (process.env.LIBTORCH) {
    found = layoutAt(process.env.LIBTORCH, "LIBTORCH");
    if (!found) throw new Error(`LIBTORCH=${process.env.LIBTORCH} has no include/torch/csrc/api/include/torch/torch.h and lib/libtorch.so`);
  } else {
    found = fromPython() ?? fromSystem();
  }
  if (!found) {
    throw new Error("libtorch not found: install Debian's libtorch-dev, or set LIBTORCH to a libtorch or PyTorch torch/ folder");
  }
  const cuda = existsSync(join(found.libDir, "libtorch_cuda.so"));
  return { ...found, cuda, cxx11Abi: cxx11Abi(found) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(findLibtorch(), null, 2));
}
