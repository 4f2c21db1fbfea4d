import { isRecord } from "../run-unit/unit.js";

/**
 * The device a run trains on: `cpu`, `cuda` or `cuda:N`. Executors that place runs on machines
 * (the queue, Slurm) read it here and only here.
 */
export function unitDevice(config: unknown): string {
  const section = (name: string) => (isRecord(config) && isRecord(config[name]) ? config[name] : undefined);
  const device = section("environment")?.device ?? section("training")?.device ?? "cpu";
  return typeof device === "string" ? device : "cpu";
}

/** The kind of a device, which decides where a run may go: `cuda:1` → `cuda`. */
export function deviceKind(device: string): string {
  return device.split(":")[0];
}
