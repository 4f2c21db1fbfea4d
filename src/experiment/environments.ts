// A spec's `environments:` list, read and checked (the tool chains themselves: src/environment/config.ts).
import type { EnvironmentConfig } from "../environment/config.js";
import { DEFAULT_ENVIRONMENT, DEVICE_PATTERN, MAX_THREADS, PRECISIONS, isCudaDevice } from "../environment/config.js";
import type { Validator } from "./validate.js";
import { join } from "./validate.js";

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
