// `noiselab import --machine NAME`: the imported runs become environments of their own, named
// `<environment>@NAME`, next to the store's. Runs and specs are handled as JSON data here, against the
// environment contract (src/environment/config.ts: a run config's `environment.name`, a spec's
// `environments` list), so that renaming changes nothing else.
import { InputError } from "../errors.js";
import { canonicalJson } from "../run-unit/hash.js";
import { isRecord } from "../run-unit/unit.js";

/** What --machine accepts: it becomes part of environment names and labels. */
export const MACHINE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

export function machineEnvironmentName(environment: string, machine: string): string {
  return `${environment}@${machine}`;
}

/**
 * `config` with its environment renamed to `<name>@<machine>`: the run as the importing store keys it.
 * Refused for a config without `environment.name` (a run made before environments were recorded).
 */
export function renameRunEnvironment(config: unknown, machine: string, run: string): unknown {
  const environment = isRecord(config) ? config.environment : undefined;
  if (!isRecord(environment) || typeof environment.name !== "string") {
    throw new InputError(`--machine: run ${run} records no environment (config.environment.name), so it cannot be renamed; import it without --machine, into a store of its own`);
  }
  return { ...config as Record<string, unknown>, environment: { ...environment, name: machineEnvironmentName(environment.name, machine) } };
}

/** The spec with each of its `environments` renamed to `<name>@<machine>`. */
export function renameSpecEnvironments(spec: unknown, machine: string): Record<string, unknown> {
  const environments = isRecord(spec) ? spec.environments : undefined;
  if (!isRecord(spec) || !Array.isArray(environments) || !environments.every((e) => isRecord(e) && typeof e.name === "string")) {
    throw new InputError("--machine: the bundle's experiment spec lists no environments (made before environments were recorded); import it without --machine, into a store of its own");
  }
  return { ...spec, environments: environments.map((e: Record<string, unknown>) => ({ ...e, name: machineEnvironmentName(e.name as string, machine) })) };
}

/**
 * The spec of experiment `name` once the bundle's runs are in: the store's spec with the bundle's
 * environments that it lacks appended. Refused when the specs differ in anything else, or when both
 * have an environment of the same name that differs.
 */
export function mergeSpecs(name: string, local: unknown, incoming: unknown): unknown {
  if (!isRecord(local) || !isRecord(incoming)) throw new InputError(`experiment "${name}": a spec is not a JSON object`);
  const { environments: localEnvironments, ...localRest } = local;
  const { environments: incomingEnvironments, ...incomingRest } = incoming;
  if (canonicalJson(localRest) !== canonicalJson(incomingRest)) {
    const fields = [...new Set([...Object.keys(localRest), ...Object.keys(incomingRest)])].filter((k) => canonicalJson(localRest[k] ?? null) !== canonicalJson(incomingRest[k] ?? null)).sort();
    throw new InputError(`experiment "${name}" is in this store with another spec (differs in ${fields.join(", ")}); import into another store`);
  }
  if (incomingEnvironments === undefined && localEnvironments === undefined) return local;
  const merged = [...asList(localEnvironments)];
  for (const environment of asList(incomingEnvironments)) {
    const same = merged.find((e) => e.name === environment.name);
    if (same === undefined) merged.push(environment);
    else if (canonicalJson(same) !== canonicalJson(environment)) {
      throw new InputError(`experiment "${name}": environment "${String(environment.name)}" is in this store with other settings; import with --machine NAME to keep both`);
    }
  }
  return { ...local, environments: merged };
}

function asList(environments: unknown): Record<string, unknown>[] {
  return Array.isArray(environments) ? environments.filter(isRecord) : [];
}
