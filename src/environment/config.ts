// The tool chain a run trains with: device, intra-op threads, precision and
// the oneDNN switch. Each of them can change a run's numerics, so the
// environment is part of the run's config and hence of its key.
import type { Validator } from "../experiment/validate.js";
import { join } from "../experiment/validate.js";

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

const DEVICE_PATTERN = /^(cpu|cuda(:\d+)?)$/;

export function isCudaDevice(device: string): boolean {
  return device.startsWith("cuda");
}

/** Reads one entry of a spec's `environments:` list; errors name the field. */
export function readEnvironment(v: Validator, value: unknown, path: string): EnvironmentConfig {
  const record = v.object(value, path, ["name", "device", "threads", "precision", "onednn"]);
  const environment: EnvironmentConfig = {
    name: v.required(record, "name", path, (x, p) => v.string(x, p)),
    device: v.optional(record, "device", path, (x, p) => v.string(x, p), DEFAULT_ENVIRONMENT.device),
    threads: v.optional(record, "threads", path, (x, p) => v.integer(x, p, 1, MAX_THREADS), DEFAULT_ENVIRONMENT.threads),
    precision: v.optional(record, "precision", path, (x, p) => v.choice(x, p, PRECISIONS), DEFAULT_ENVIRONMENT.precision),
    onednn: v.optional(record, "onednn", path, (x, p) => v.boolean(x, p), DEFAULT_ENVIRONMENT.onednn),
  };
  checkEnvironment(v, environment, path);
  return environment;
}

/** The combinations that cannot run: unknown devices, and fp16/tf32 off CUDA. */
export function checkEnvironment(v: Validator, environment: EnvironmentConfig, path: string): void {
  // `NAME@MACHINE` is how `noiselab import --machine` keeps another machine's runs apart (docs/bundles.md).
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*(@[A-Za-z0-9][A-Za-z0-9._+-]*)?$/.test(environment.name)) {
    v.fail(join(path, "name"), `may contain only letters, digits, '.', '_', '+' and '-' (and one '@' before a machine's name), got "${environment.name}"`);
  }
  if (!DEVICE_PATTERN.test(environment.device)) v.fail(join(path, "device"), `must be cpu, cuda or cuda:N, got "${environment.device}"`);
  if ((environment.precision === "fp16" || environment.precision === "tf32") && !isCudaDevice(environment.device)) {
    v.fail(join(path, "precision"), `${environment.precision} runs on CUDA only; on ${environment.device} use fp32 or bf16`);
  }
}

/** A spec's `environments:` list (default: one `cpu` environment); names must be unique. */
export function readEnvironments(v: Validator, value: unknown, path: string): EnvironmentConfig[] {
  if (value === undefined) return [{ ...DEFAULT_ENVIRONMENT }];
  const environments = v.array(value, path, (x, p) => readEnvironment(v, x, p), 1);
  environments.forEach((e, i) => {
    if (environments.findIndex((other) => other.name === e.name) !== i) v.fail(`${path}[${i}].name`, `"${e.name}" is used twice; give each environment a distinct name`);
  });
  return environments;
}
