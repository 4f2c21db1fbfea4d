import type { BuildInfo, DeterminismFlags } from "./native.js";
import { native } from "./native.js";

export type { BuildInfo, DeterminismFlags };

/** Which libtorch the addon was built against, its version, and CUDA/cuDNN support. */
export function buildInfo(): BuildInfo {
  return native.buildInfo();
}

/** Sets libtorch's intra-op thread count (`torch.set_num_threads`). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`thread count must be a positive integer, got ${n}`);
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/** The current value of every determinism switch. */
export function getDeterminism(): DeterminismFlags {
  return native.getDeterminism();
}

/**
 * Changes the determinism switches named in `flags`, leaving the rest:
 * - deterministicAlgorithms (+ WarnOnly): `torch.use_deterministic_algorithms`
 * - cudnnDeterministic / cudnnBenchmark: `torch.backends.cudnn.deterministic` / `.benchmark`
 * - allowTF32Matmul / allowTF32Cudnn: `torch.backends.cuda.matmul.allow_tf32` / `torch.backends.cudnn.allow_tf32`
 * - fillUninitializedMemory: `torch.utils.deterministic.fill_uninitialized_memory` (libtorch ≥ 2.1)
 *
 * On CUDA, deterministic cuBLAS also needs CUBLAS_WORKSPACE_CONFIG=:4096:8 in
 * the environment before the first CUDA call; it is set here when missing.
 */
export function setDeterminism(flags: Partial<DeterminismFlags>): void {
  if (flags.deterministicAlgorithms && process.env.CUBLAS_WORKSPACE_CONFIG === undefined) {
    process.env.CUBLAS_WORKSPACE_CONFIG = ":4096:8";
  }
  native.setDeterminism(flags);
}

/** The settings that make training bitwise reproducible wherever libtorch can. */
export const DETERMINISTIC: Readonly<Partial<DeterminismFlags>> = Object.freeze({
  deterministicAlgorithms: true,
  deterministicAlgorithmsWarnOnly: false,
  cudnnDeterministic: true,
  cudnnBenchmark: false,
});

/**
 * Every switch in its fast, nondeterministic position, as a default-mode GPU
 * run has it: deterministic algorithms off, cuDNN autotuning on, TF32 allowed
 * for cuBLAS and cuDNN, no fill of uninitialised memory (where libtorch has
 * that switch, ≥ 2.1).
 */
export function fastDeterminismSettings(hasFillUninitializedMemory = native.buildInfo().hasFillUninitializedMemory): Partial<DeterminismFlags> {
  return {
    deterministicAlgorithms: false,
    deterministicAlgorithmsWarnOnly: false,
    cudnnDeterministic: false,
    cudnnBenchmark: true,
    allowTF32Matmul: true,
    allowTF32Cudnn: true,
    ...(hasFillUninitializedMemory ? { fillUninitializedMemory: false } : {}),
  };
}

/** Valid device strings: "cpu", "cuda", "cuda:N". */
export function checkDevice(device: string): string {
  const match = /^(cpu|cuda)(?::(\d+))?$/.exec(device);
  if (!match) throw new RangeError(`unknown device "${device}" (expected cpu, cuda or cuda:N)`);
  if (match[1] === "cuda") {
    const info = native.buildInfo();
    if (!info.cudaAvailable) throw new RangeError(`device "${device}" requested but this libtorch (${info.libtorchDir}) has no usable CUDA`);
    const index = match[2] === undefined ? 0 : Number(match[2]);
    if (index >= info.cudaDeviceCount) throw new RangeError(`device "${device}" requested but only ${info.cudaDeviceCount} CUDA device(s) exist`);
  }
  return device;
}

/** Waits for queued CUDA work on `device` (all devices when omitted); a no-op without CUDA. Needed before reading a timer. */
export function synchronize(device?: string): void {
  const index = device === undefined ? undefined : Number(/^cuda:(\d+)$/.exec(device)?.[1] ?? 0);
  if (device === undefined || device.startsWith("cuda")) native.cudaSynchronize(index);
}

/** Runs `fn` with autograd recording off, like `torch.no_grad()`. */
export function noGrad<T>(fn: () => T): T {
  const previous = native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}

/**
 * Runs `fn` and returns its result with the warnings libtorch raised meanwhile
 * (which are then not printed). In deterministic mode with warn-only, the
 * warnings name the ops that have no deterministic implementation.
 */
export function captureWarnings<T>(fn: () => T): { result: T; warnings: string[] } {
  return native.captureWarnings(fn);
}
