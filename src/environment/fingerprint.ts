// The fingerprint of the machine and libraries a run trained with, written by
// the worker as `fingerprint.json`. Its `toolchain` hash covers what can change
// a run's numerics besides its config: two runs with different toolchains are
// never replicates of each other, even when their configs (keys) are equal.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { cpus, release, type } from "node:os";
import { canonicalJson } from "../run-unit/hash.js";
import { isRecord } from "../run-unit/unit.js";

export const FINGERPRINT_FILE = "fingerprint.json";

/** What the engine reports about the libtorch it runs (a subset of src/torch's BuildInfo). */
export interface LibtorchInfo {
  torchVersion: string;
  cudnnVersion: number;
  /** `at::show_config()`. */
  config: string;
  onednnVersion: string;
  mklVersion: string;
  openmpVersion: string;
  /** The BLAS/LAPACK libraries the process that trains has loaded; default: this process's. */
  blasLibraries?: string[];
}

export interface GpuInfo {
  name: string;
  /** Compute capability, e.g. "9.0". */
  capability: string;
  driver: string;
}

export interface Fingerprint {
  /** sha256 hex over the numerics-relevant fields (`toolchainFields`). */
  toolchain: string;
  cpu: {
    model: string;
    /** The vector and matrix ISA extensions of /proc/cpuinfo (avx2, avx512*, amx*, …), sorted. */
    isa: string[];
    /** The kernels libtorch dispatches to ("CPU capability usage" of its build config). */
    capability: string;
    logicalCpus: number;
  };
  /** The run's GPU; null for CPU runs (a GPU a CPU run does not use cannot change it). */
  gpu: GpuInfo | null;
  versions: {
    libtorch: string;
    /** CUDA runtime libtorch was built with; null without CUDA. */
    cuda: string | null;
    cudnn: string | null;
    onednn: string;
    mkl: string;
    openmp: string;
    /** libtorch's BLAS_INFO and the BLAS/LAPACK libraries loaded in the process (Debian picks them by alternatives). */
    blas: { info: string; libraries: string[] };
    node: string;
    noiselab: string;
    os: string;
  };
  /** Recorded, not in `toolchain`: where buffers live does not change what is computed in them. */
  allocator: string;
}

/** ISA extensions that decide which vector kernels run, hence rounding. */
const ISA_FLAG = /^(avx\w*|amx\w*|fma|f16c|sse4_[12])$/;

function cpuInfo(): { model: string; isa: string[] } {
  let text = "";
  try {
    text = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // Not Linux: the model from Node, no flags.
  }
  const model = /^model name\s*:\s*(.*)$/m.exec(text)?.[1]?.trim() ?? cpus()[0]?.model ?? "unknown";
  const flags = /^flags\s*:\s*(.*)$/m.exec(text)?.[1]?.split(/\s+/) ?? [];
  return { model, isa: [...new Set(flags.filter((f) => ISA_FLAG.test(f)))].sort() };
}

/** A `  - NAME VALUE` line or a `KEY=VALUE` build setting of libtorch's show_config. */
function configValue(config: string, pattern: RegExp): string | null {
  return pattern.exec(config)?.[1]?.trim() ?? null;
}

/** The BLAS/LAPACK shared objects mapped into this process, symlinks resolved. */
function loadedBlasLibraries(): string[] {
  try {
    const paths = readFileSync("/proc/self/maps", "utf8")
      .split("\n")
      .map((line) => line.split(/\s+/).slice(5).join(" "))
      .filter((path) => /\/lib[^/]*(blas|lapack|mkl_)[^/]*\.so/.test(path));
    return [...new Set(paths)].sort();
  } catch {
    return [];
  }
}

/** The GPU of `device` from nvidia-smi; null when it cannot be asked. */
function gpuInfo(device: string): GpuInfo | null {
  const index = /^cuda(?::(\d+))?$/.exec(device)?.[1] ?? "0";
  try {
    const line = execFileSync("nvidia-smi", [`--id=${index}`, "--query-gpu=name,compute_cap,driver_version", "--format=csv,noheader"], { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "ignore"] }).trim();
    const [name, capability, driver] = line.split(",").map((s) => s.trim());
    return name ? { name, capability: capability ?? "unknown", driver: driver ?? "unknown" } : null;
  } catch {
    return { name: "unknown (nvidia-smi failed)", capability: "unknown", driver: "unknown" };
  }
}

function noiselabVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
    return isRecord(pkg) && typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** The fields `toolchain` hashes: machine and libraries, not the allocator, Node, noiselab or the OS. */
export function toolchainFields(f: Omit<Fingerprint, "toolchain">): unknown {
  const { cpu, gpu, versions } = f;
  return {
    cpu: { model: cpu.model, isa: cpu.isa, capability: cpu.capability },
    gpu: gpu && { name: gpu.name, capability: gpu.capability },
    versions: { libtorch: versions.libtorch, cuda: versions.cuda, cudnn: versions.cudnn, onednn: versions.onednn, mkl: versions.mkl, openmp: versions.openmp, blas: versions.blas },
  };
}

export function toolchainHash(f: Omit<Fingerprint, "toolchain">): string {
  return createHash("sha256").update(canonicalJson(toolchainFields(f))).digest("hex");
}

/** The fingerprint of this process, for a run on `device` (`allocator` as the runner set it). */
export function collectFingerprint(libtorch: LibtorchInfo, device: string, allocator: string): Fingerprint {
  const cuda = device.startsWith("cuda");
  const { model, isa } = cpuInfo();
  const fields: Omit<Fingerprint, "toolchain"> = {
    cpu: { model, isa, capability: configValue(libtorch.config, /CPU capability usage:\s*(\S+)/) ?? "unknown", logicalCpus: cpus().length },
    gpu: cuda ? gpuInfo(device) : null,
    versions: {
      libtorch: libtorch.torchVersion,
      cuda: cuda ? configValue(libtorch.config, /CUDA Runtime\s+(\S+)/) : null,
      cudnn: cuda && libtorch.cudnnVersion >= 0 ? String(libtorch.cudnnVersion) : null,
      onednn: libtorch.onednnVersion,
      mkl: libtorch.mklVersion,
      openmp: libtorch.openmpVersion,
      blas: { info: configValue(libtorch.config, /BLAS_INFO=([^,\s]+)/) ?? "unknown", libraries: libtorch.blasLibraries ?? loadedBlasLibraries() },
      node: process.version,
      noiselab: noiselabVersion(),
      os: `${type()} ${release()}`,
    },
    allocator,
  };
  return { toolchain: toolchainHash(fields), ...fields };
}

/** The fingerprint in `path`, or undefined where there is none or it is damaged (a worker of the user's own may write none). */
export function readFingerprint(path: string): Fingerprint | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  return isRecord(parsed) && typeof parsed.toolchain === "string" ? (parsed as unknown as Fingerprint) : undefined;
}
