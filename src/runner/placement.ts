// Where a unit runs and with how many threads: read from its config's environment
// (src/environment/config.ts), the same for every executor.
import { isRecord } from "../run-unit/unit.js";

function environmentOf(config: unknown): Record<string, unknown> | undefined {
  return isRecord(config) && isRecord(config.environment) ? config.environment : undefined;
}

/**
 * The device a run trains on: `cpu`, `cuda` or `cuda:N`. Executors that place runs on machines
 * (the queue, Slurm) read it here and only here.
 */
export function unitDevice(config: unknown): string {
  const device = environmentOf(config)?.device;
  return typeof device === "string" ? device : "cpu";
}

/** The kind of a device, which decides where a run may go: `cuda:1` → `cuda`. */
export function deviceKind(device: string): string {
  return device.split(":")[0];
}

/** The intra-op threads a unit's config asks for (`environment.threads`); 1 for configs without an environment. */
export function unitThreads(config: unknown): number {
  const threads = environmentOf(config)?.threads;
  return typeof threads === "number" && Number.isInteger(threads) && threads > 0 ? threads : 1;
}
