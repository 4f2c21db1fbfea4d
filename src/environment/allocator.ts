// The memory allocator of the processes noiselab starts for training and timing.
//
// glibc's malloc serves large tensor buffers with mmap and hands them back with munmap or a
// heap trim, so every training step faults its memory in again (docs/benchmarks.md, "Memory
// allocator"). An allocator that keeps freed memory for reuse removes that cost without
// touching numerics: it decides where buffers live, not what is computed in them. The setting
// travels in the environment of a new process (LD_PRELOAD or GLIBC_TUNABLES are read when a
// process starts), so every executor, local or remote, applies it the same way.
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { InputError } from "../errors.js";

export const ALLOCATORS = ["tcmalloc", "jemalloc", "glibc", "system"] as const;
export type AllocatorName = (typeof ALLOCATORS)[number];

/** Names the allocator a process was started with; also what the run's metadata records. */
export const ALLOCATOR_ENV = "NOISELAB_ALLOCATOR";

/** Allocators preloaded as a library (Debian packages libtcmalloc-minimal4 and libjemalloc2). */
const LIBRARIES: Partial<Record<AllocatorName, string>> = { tcmalloc: "libtcmalloc_minimal.so.4", jemalloc: "libjemalloc.so.2" };
const PACKAGES: Partial<Record<AllocatorName, string>> = { tcmalloc: "libtcmalloc-minimal4", jemalloc: "libjemalloc2" };
/** jemalloc hands unused pages back after 10 s by default, and faults them in again; keep them. */
const JEMALLOC_CONF = "dirty_decay_ms:-1,muzzy_decay_ms:-1";
/** glibc: no mmap for large buffers, no trimming of the heap's top. */
const GLIBC_SETTINGS: Record<string, string> = { "glibc.malloc.mmap_max": "0", "glibc.malloc.trim_threshold": "4294967296" };

export const ALLOCATOR_HELP = `memory allocator of the training/timing processes: ${ALLOCATORS.join(", ")} (default tcmalloc, or glibc where libtcmalloc-minimal4 is not installed)`;

function libraryDirs(): string[] {
  const multiarch = process.arch === "x64" ? "x86_64-linux-gnu" : process.arch === "arm64" ? "aarch64-linux-gnu" : undefined;
  return [...(multiarch ? [`/usr/lib/${multiarch}`] : []), "/usr/lib64", "/usr/lib"];
}

/** The path of a preloaded allocator's library, or undefined where it is not installed. */
function libraryPath(name: AllocatorName): string | undefined {
  const file = LIBRARIES[name];
  return file === undefined ? undefined : libraryDirs().map((dir) => join(dir, file)).find((path) => existsSync(path));
}

/** The allocators this machine can use: the system's, glibc's tuned, and the preloaded ones that are installed. */
export function installedAllocators(): AllocatorName[] {
  return ALLOCATORS.filter((name) => LIBRARIES[name] === undefined || libraryPath(name) !== undefined);
}

/** tcmalloc where it is installed, else glibc's malloc tuned to keep its memory. */
export function defaultAllocator(): AllocatorName {
  return libraryPath("tcmalloc") ? "tcmalloc" : "glibc";
}

/** The `--allocator` option's value; the default when absent. */
export function parseAllocator(value: string | undefined): AllocatorName {
  if (value === undefined) return defaultAllocator();
  if (!(ALLOCATORS as readonly string[]).includes(value)) throw new InputError(`--allocator must be one of ${ALLOCATORS.join(", ")}, got "${value}"`);
  const name = value as AllocatorName;
  if (!installedAllocators().includes(name)) {
    throw new InputError(`--allocator ${name}: ${LIBRARIES[name]} is not installed (Debian package ${PACKAGES[name]}; scripts/setup.sh installs it)`);
  }
  return name;
}

/**
 * The environment of a process started with `name` as its allocator: `base` without any
 * allocator setting of ours, then the one for `name`. Other preloads and tunables are kept.
 */
export function allocatorEnv(name: AllocatorName, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const ours = new Set(Object.values(LIBRARIES));
  const preload = (base.LD_PRELOAD ?? "").split(/[:\s]+/).filter((path) => path !== "" && !ours.has(basename(path)));
  const tunables = (base.GLIBC_TUNABLES ?? "").split(":").filter((t) => t !== "" && !(t.split("=")[0] in GLIBC_SETTINGS));
  const env: NodeJS.ProcessEnv = { ...base, [ALLOCATOR_ENV]: name };
  if (name === "jemalloc") env.MALLOC_CONF = JEMALLOC_CONF;
  else if (env.MALLOC_CONF === JEMALLOC_CONF) delete env.MALLOC_CONF;
  const library = libraryPath(name);
  if (library) preload.unshift(library);
  if (name === "glibc") tunables.push(...Object.entries(GLIBC_SETTINGS).map(([k, v]) => `${k}=${v}`));
  setOrDelete(env, "LD_PRELOAD", preload.join(":"));
  setOrDelete(env, "GLIBC_TUNABLES", tunables.join(":"));
  return env;
}

function setOrDelete(env: NodeJS.ProcessEnv, name: string, value: string): void {
  if (value === "") delete env[name];
  else env[name] = value;
}

/** The variables through which a process gets its allocator. */
export const SETUP_VARIABLES = ["LD_PRELOAD", "GLIBC_TUNABLES", "MALLOC_CONF"];

/**
 * The allocator this process runs with, as its metadata records it: the one it was started
 * with, "system" when none was set, and for a preloaded library only if the library is mapped.
 */
export function activeAllocator(): AllocatorName {
  const named = process.env[ALLOCATOR_ENV];
  if (!(ALLOCATORS as readonly string[]).includes(named ?? "")) return "system";
  const name = named as AllocatorName;
  const file = LIBRARIES[name];
  if (file && !readFileSync("/proc/self/maps", "utf8").includes(`/${file}`)) return "system";
  return name;
}
