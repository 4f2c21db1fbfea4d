// The determinism configurations `noiselab overhead` times: the fast default,
// everything deterministic, and one switch at a time flipped from the default.
import type { DeterminismFlags } from "../torch/index.js";
import { fastDeterminismSettings } from "../torch/index.js";

export type ConfigId = "default" | "deterministic" | "deterministic-algorithms" | "cudnn-benchmark-off" | "fill-uninitialized-memory" | "tf32-off";

export interface DeterminismConfig {
  id: ConfigId;
  /** What the configuration changes, for tables and charts. */
  label: string;
  /**
   * The configuration this one is compared with to attribute its cost: the
   * default, except for filling uninitialised memory, which libtorch applies
   * only under deterministic algorithms and is therefore compared with them.
   */
  baseline: ConfigId | null;
  /** Every switch, set explicitly, so that the order in which configurations run does not matter. */
  flags: Partial<DeterminismFlags>;
}

/**
 * The configurations in measurement order. `hasFillUninitializedMemory` is
 * `buildInfo().hasFillUninitializedMemory` (libtorch ≥ 2.1); without it the
 * switch is neither set nor measured.
 *
 * "default" is the fast setting, not libtorch's out-of-the-box one: cuDNN
 * autotuning on and TF32 allowed for both cuBLAS and cuDNN (libtorch allows
 * it for cuDNN only). On CPU neither cuDNN nor TF32 exists; their
 * configurations then time the same code twice and show the noise floor.
 */
export function determinismConfigs(hasFillUninitializedMemory: boolean): DeterminismConfig[] {
  const fill = (on: boolean): Partial<DeterminismFlags> => (hasFillUninitializedMemory ? { fillUninitializedMemory: on } : {});
  const fast = fastDeterminismSettings(hasFillUninitializedMemory);
  const configs: DeterminismConfig[] = [
    { id: "default", label: "default (fast)", baseline: null, flags: fast },
    {
      id: "deterministic",
      label: "deterministic (all switches)",
      baseline: "default",
      flags: { ...fast, deterministicAlgorithms: true, cudnnDeterministic: true, cudnnBenchmark: false, allowTF32Matmul: false, allowTF32Cudnn: false, ...fill(true) },
    },
    {
      id: "deterministic-algorithms",
      label: "deterministic algorithms",
      baseline: "default",
      flags: { ...fast, deterministicAlgorithms: true },
    },
    { id: "cudnn-benchmark-off", label: "cuDNN benchmark off", baseline: "default", flags: { ...fast, cudnnBenchmark: false } },
  ];
  if (hasFillUninitializedMemory) {
    configs.push({
      id: "fill-uninitialized-memory",
      label: "fill uninitialised memory",
      baseline: "deterministic-algorithms",
      flags: { ...fast, deterministicAlgorithms: true, ...fill(true) },
    });
  }
  configs.push({ id: "tf32-off", label: "TF32 off", baseline: "default", flags: { ...fast, allowTF32Matmul: false, allowTF32Cudnn: false } });
  return configs;
}
