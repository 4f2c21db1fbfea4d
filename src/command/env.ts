// The environment variables through which noiselab tells a user's script how
// to run (python/noiselab reads them): seeds, free sources, determinism
// switches, device, threads, output and trace directories.
import type { NoiseSetting, NoiseSource, SourceSeeds } from "../noise/index.js";
import { NOISE_SOURCES } from "../noise/index.js";
import type { CommandPlacement } from "./config.js";

/** The determinism switches a script applies (PyTorch's names in python/noiselab). */
export interface ScriptSwitches {
  deterministicAlgorithms: boolean;
  cudnnDeterministic: boolean;
  cudnnBenchmark: boolean;
  allowTF32: boolean;
}

/** Every switch in its deterministic position. */
export const DETERMINISTIC_SWITCHES: ScriptSwitches = { deterministicAlgorithms: true, cudnnDeterministic: true, cudnnBenchmark: false, allowTF32: false };
/** Every switch in its fast position: what the kernels noise source and `check --bisect`'s baseline run with. */
export const FAST_SWITCHES: ScriptSwitches = { deterministicAlgorithms: false, cudnnDeterministic: false, cudnnBenchmark: true, allowTF32: true };

/** A run's switches: fast where kernel noise is free, deterministic otherwise; TF32 only where the environment asks for it. */
export function runSwitches(noise: NoiseSetting, placement: CommandPlacement): ScriptSwitches {
  return { ...(noise.kernels ? FAST_SWITCHES : DETERMINISTIC_SWITCHES), allowTF32: placement.precision === "tf32" };
}

/** A seed per source that draws random numbers (kernel noise has no seed: it is switched on or off). */
const SEED_VARIABLES: Record<Exclude<NoiseSource, "kernels">, string> = {
  init: "NOISELAB_SEED_INIT",
  shuffle: "NOISELAB_SEED_SHUFFLE",
  augment: "NOISELAB_SEED_AUGMENT",
  dropout: "NOISELAB_SEED_DROPOUT",
  batchOrder: "NOISELAB_SEED_BATCH_ORDER",
};

/** Trace recording for `check --command`: hashes of every module output and gradient, per step. */
export interface TraceRequest {
  dir: string;
  steps: number;
  /** Also save this one traced tensor as .npy (`<step>:<index>`), to measure how far two runs differ there. */
  dump?: { step: number; index: number };
}

export interface ScriptSettings {
  outputDir: string;
  seeds: SourceSeeds;
  noise: NoiseSetting;
  switches: ScriptSwitches;
  placement: CommandPlacement;
  trace?: TraceRequest;
}

const flag = (on: boolean) => (on ? "1" : "0");

/** The variables to add to the script's environment (docs/command.md lists them). */
export function scriptEnv(s: ScriptSettings): Record<string, string> {
  const threads = String(s.placement.threads);
  return {
    NOISELAB_OUTPUT_DIR: s.outputDir,
    ...Object.fromEntries(Object.entries(SEED_VARIABLES).map(([source, name]) => [name, String(s.seeds[source as NoiseSource])])),
    NOISELAB_FREE_SOURCES: NOISE_SOURCES.filter((source) => s.noise[source]).join(","),
    NOISELAB_DETERMINISTIC_ALGORITHMS: flag(s.switches.deterministicAlgorithms),
    NOISELAB_CUDNN_DETERMINISTIC: flag(s.switches.cudnnDeterministic),
    NOISELAB_CUDNN_BENCHMARK: flag(s.switches.cudnnBenchmark),
    NOISELAB_ALLOW_TF32: flag(s.switches.allowTF32),
    // cuBLAS reads it when CUDA starts, before the script can set it: deterministic matmuls need it.
    ...(s.switches.deterministicAlgorithms && { CUBLAS_WORKSPACE_CONFIG: ":4096:8" }),
    NOISELAB_DEVICE: s.placement.device,
    NOISELAB_PRECISION: s.placement.precision,
    NOISELAB_ONEDNN: flag(s.placement.onednn),
    NOISELAB_THREADS: threads,
    OMP_NUM_THREADS: threads,
    MKL_NUM_THREADS: threads,
    // Python's string hashing is salted per process (set and dict iteration order); fixed, as in every run.
    PYTHONHASHSEED: "0",
    ...(s.trace && {
      NOISELAB_TRACE_DIR: s.trace.dir,
      NOISELAB_TRACE_STEPS: String(s.trace.steps),
      ...(s.trace.dump && { NOISELAB_TRACE_DUMP: `${s.trace.dump.step}:${s.trace.dump.index}` }),
    }),
  };
}
