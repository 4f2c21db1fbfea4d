import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/** An opaque native handle (an N-API External with a type tag). */
export type NativeHandle = { readonly __nativeHandle: unique symbol };

export interface BuildInfo {
  torchVersion: string;
  libtorchDir: string;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  cudnnAvailable: boolean;
  /** cuDNN version as an integer (e.g. 91900), or -1 without cuDNN. */
  cudnnVersion: number;
  hasFillUninitializedMemory: boolean;
  /** libtorch's build configuration (`at::show_config()`). */
  config: string;
  /** Thread pools and their sizes (`at::get_parallel_info()`). */
  parallelInfo: string;
  /** oneDNN's version ("" when libtorch was built without it). */
  onednnVersion: string;
  /** MKL's version ("" without MKL). */
  mklVersion: string;
  openmpVersion: string;
}

/** Autocast's state for one device type; `dtype` is an at::ScalarType code. */
export interface AutocastState {
  enabled: boolean;
  dtype: number;
}

export interface DeterminismFlags {
  deterministicAlgorithms: boolean;
  deterministicAlgorithmsWarnOnly: boolean;
  cudnnDeterministic: boolean;
  cudnnBenchmark: boolean;
  allowTF32Matmul: boolean;
  allowTF32Cudnn: boolean;
  /** null where the libtorch version has no such switch (before 2.1). */
  fillUninitializedMemory: boolean | null;
}

/** One event of a profiling session, as libtorch's profiler records it (native/src/profiler.cc). */
export interface ProfilerEvent {
  /** An operator ("aten::mm"), an autograd node ("MmBackward0") or a GPU kernel. */
  name: string;
  /** "cpu" for host events; "cuda" for kernels, copies and memsets on the GPU. */
  device: string;
  /** libtorch's id of the thread the event started on. */
  threadId: number;
  /** From the session's first event. */
  startMicros: number;
  durationMicros: number;
}

/** The functions exported by native/src/*.cc. */
export interface NativeBinding {
  fromBuffer(data: ArrayBufferView, shape: number[], dtype: number, device?: string): NativeHandle;
  toBuffer(t: NativeHandle): ArrayBuffer;
  shape(t: NativeHandle): number[];
  dtype(t: NativeHandle): number;
  device(t: NativeHandle): string;
  /** Integers come as a BigInt, exact. */
  item(t: NativeHandle): number | boolean | bigint;
  requiresGrad(t: NativeHandle): boolean;
  setRequiresGrad(t: NativeHandle, value: boolean): void;
  grad(t: NativeHandle): NativeHandle | null;
  setGrad(t: NativeHandle, grad: NativeHandle | null): void;
  backward(t: NativeHandle, grad: NativeHandle | null, retainGraph: boolean | null): void;
  setGradEnabled(enabled: boolean): boolean;
  dispose(t: NativeHandle): void;
  memory(): { tensors: number; storages: number; bytes: number };
  resolveOp(name: string, overload: string): number;
  opSchema(id: number): string;
  callOp(id: number, args: unknown[]): unknown;
  callOpInPlace(id: number, args: unknown[]): void;
  buildInfo(): BuildInfo;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  getDeterminism(): DeterminismFlags;
  setDeterminism(flags: Partial<DeterminismFlags>): void;
  manualSeed(seed: number): void;
  newGenerator(device: string, seed: number): NativeHandle;
  generatorSeed(g: NativeHandle): number;
  generatorSetSeed(g: NativeHandle, seed: number): void;
  cudaSynchronize(device?: number): void;
  startProfiling(cuda: boolean): void;
  stopProfiling(): ProfilerEvent[];
  captureWarnings<T>(fn: () => T): { result: T; warnings: string[] };
  enterAutocast(device: string, dtype: number): AutocastState;
  exitAutocast(device: string, previous: AutocastState): void;
  autocastState(device: string): AutocastState;
  onednnEnabled(): boolean;
  setOnednnEnabled(enabled: boolean): boolean;
}

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const addonPath = process.env.NOISELAB_ADDON ?? join(root, "native/build/noiselab.node");

/**
 * A libtorch built with MPI (Debian 13's, for one) loads UCX, whose memory
 * hooks patch malloc and mmap and crash Node now and then. UCX reads these
 * variables when it is loaded, that is when the addon is; the user's own
 * settings win.
 */
function disableUcxMemoryHooks(): void {
  for (const [name, value] of [["UCX_MEM_EVENTS", "no"], ["UCX_MEM_MALLOC_HOOKS", "no"], ["UCX_MEM_MMAP_HOOK_MODE", "none"]]) {
    process.env[name] ??= value;
  }
}

function load(): NativeBinding {
  disableUcxMemoryHooks();
  try {
    return createRequire(import.meta.url)(addonPath) as NativeBinding;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot load the noiselab native addon at ${addonPath} (run \`npm run build:native\`): ${reason}`);
  }
}

export const native: NativeBinding = load();
