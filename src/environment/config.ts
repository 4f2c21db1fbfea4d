// The tool chain a run trains with: device, intra-op threads, precision and
// the oneDNN switch. Each of them can change a run's numerics, so the
// environment is part of the run's config and hence of its key.

export const PRECISIONS = ["fp32", "tf32", "bf16", "fp16"] as const;
export type Precision = (typeof PRECISIONS)[number];

/** Most intra-op threads an environment may ask for (each is an OS thread). */
export const MAX_THREADS = 1024;

export interface EnvironmentConfig {
  /** Name in labels and reports; unique in a spec. */
  name: string;
  /** cpu, cuda or cuda:N. */
  device: string;
  /** libtorch's intra-op threads; the runner never changes them. */
  threads: number;
  /**
   * fp32 everywhere; tf32: TF32 matmuls and convolutions (CUDA); bf16: bfloat16 autocast (CPU, where
   * the CPU's AMX or AVX512-BF16 is used, or CUDA with a gradient scaler); fp16: float16 autocast with
   * a gradient scaler (CUDA).
   */
  precision: Precision;
  /** libtorch's use of oneDNN (mkldnn) kernels on CPU. */
  onednn: boolean;
}

export const DEFAULT_ENVIRONMENT: Readonly<EnvironmentConfig> = Object.freeze({ name: "cpu", device: "cpu", threads: 1, precision: "fp32", onednn: true });

/** The devices an environment may name. */
export const DEVICE_PATTERN = /^(cpu|cuda(:\d+)?)$/;

export function isCudaDevice(device: string): boolean {
  return device.startsWith("cuda");
}
