// Builds native/build/noiselab.node against the libtorch that find-libtorch.mjs
// picks. A plain compiler driver rather than node-gyp or cmake-js, so that the
// same build runs on machines without npm or network (e.g. a CUDA box that only
// has g++ and a PyTorch install). Objects are rebuilt when their source or any
// header in native/src is newer.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findLibtorch } from "./find-libtorch.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = join(root, "native/src");
const buildDir = join(root, "native/build");
const require = (name) => join(root, "node_modules", name);

const torch = findLibtorch();
const cxx = process.env.CXX ?? "g++";
const flags = [
  "-std=c++17", "-O2", "-fPIC", "-Wall", "-Wextra", "-Wno-unused-parameter",
  `-D_GLIBCXX_USE_CXX11_ABI=${torch.cxx11Abi}`,
  "-DNAPI_VERSION=8", "-DNAPI_CPP_EXCEPTIONS", "-DNODE_ADDON_API_DISABLE_DEPRECATED",
  `-DNOISELAB_LIBTORCH_DIR="${torch.libDir}"`,
  "-isystem", require("node-api-headers/include"),
  "-isystem", require("node-addon-api"),
  // /usr/include is already a system directory; naming it again breaks libstdc++'s include order.
  ...torch.includeDirs.filter((d) => d !== "/usr/include").flatMap((d) => ["-isystem", d]),
];
const torchLibs = torch.cuda ? ["-ltorch", "-ltorch_cpu", "-ltorch_cuda", "-lc10", "-lc10_cuda"] : ["-ltorch", "-ltorch_cpu", "-lc10"];
// --no-as-needed keeps libtorch_cuda linked although no symbol of it is used
// directly; without it CUDA kernels never register and CUDA looks unavailable.
const linkFlags = ["-shared", `-L${torch.libDir}`, `-Wl,-rpath,${torch.libDir}`, "-Wl,--no-as-needed", ...torchLibs, "-Wl,--as-needed"];

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cxx, args, { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cxx} exited with ${code}`))));
  });
}

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
mkdirSync(buildDir, { recursive: true });
// A different libtorch or flags invalidate every object.
const stamp = JSON.stringify({ cxx, flags, linkFlags });
const stampFile = join(buildDir, "flags.json");
const sameFlags = existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp;
const headers = readdirSync(srcDir).filter((f) => f.endsWith(".h"));
const newestHeader = Math.max(0, ...headers.map((h) => mtime(join(srcDir, h))));
const sources = readdirSync(srcDir).filter((f) => f.endsWith(".cc")).sort();
const stale = sources.filter((s) => {
  const obj = join(buildDir, s.replace(/\.cc$/, ".o"));
  return !sameFlags || mtime(obj) < Math.max(mtime(join(srcDir, s)), newestHeader);
});

console.error(`noiselab native: libtorch from ${torch.source} (${torch.libDir}), CUDA ${torch.cuda ? "yes" : "no"}, ${stale.length}/${sources.length} to compile`);
const jobs = Number(process.env.JOBS ?? availableParallelism());
const queue = [...stale];
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
      await run([...flags, "-c", join(srcDir, s), "-o", join(buildDir, s.replace(/\.cc$/, ".o"))]);
    }
  }),
);
const output = join(buildDir, "noiselab.node");
const objects = sources.map((s) => join(buildDir, s.replace(/\.cc$/, ".o")));
if (stale.length > 0 || !existsSync(output)) {
  await run([...objects, ...linkFlags, "-o", output]);
}
writeFileSync(stampFile, stamp);
