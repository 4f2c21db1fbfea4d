// Small, typed readers for untrusted JSON/YAML: each names the path of the
// bad field in its error, e.g. `spec.yaml: training.epochs: must be a positive integer`.
import { InputError } from "../errors.js";

export class Validator {
  constructor(readonly source: string) {}

  fail(path: string, message: string): never {
    throw new InputError(`${this.source}: ${path || "(top level)"}: ${message}`);
  }

  object(value: unknown, path: string, allowedKeys?: readonly string[]): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) this.fail(path, "must be an object");
    const record = value as Record<string, unknown>;
    if (allowedKeys) {
      for (const key of Object.keys(record)) {
        if (!allowedKeys.includes(key)) this.fail(join(path, key), `unknown field (allowed: ${allowedKeys.join(", ")})`);
      }
    }
    return record;
  }

  integer(value: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== "number" || !Number.isInteger(value)) this.fail(path, `must be an integer, got ${JSON.stringify(value)}`);
    if ((value as number) < min) this.fail(path, `must be at least ${min}, got ${value}`);
    if ((value as number) > max) this.fail(path, `must be at most ${max}, got ${value}`);
    return value as number;
  }

  number(value: unknown, path: string, min = -Infinity, max = Infinity): number {
    if (typeof value !== "number" || !Number.isFinite(value)) this.fail(path, `must be a number, got ${JSON.stringify(value)}`);
    if ((value as number) < min || (value as number) > max) this.fail(path, `must be in [${min}, ${max}], got ${value}`);
    return value as number;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== "boolean") this.fail(path, `must be true or false, got ${JSON.stringify(value)}`);
    return value as boolean;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== "string" || value === "") this.fail(path, `must be a non-empty string, got ${JSON.stringify(value)}`);
    return value as string;
  }

  choice<T extends string>(value: unknown, path: string, choices: readonly T[]): T {
    if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
      this.fail(path, `must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`);
    }
    return value as T;
  }

  array<T>(value: unknown, path: string, item: (v: unknown, path: string) => T, minLength = 0): T[] {
    if (!Array.isArray(value)) this.fail(path, "must be a list");
    const list = value as unknown[];
    if (list.length < minLength) this.fail(path, `must have at least ${minLength} item(s)`);
    return list.map((v, i) => item(v, `${path}[${i}]`));
  }

  /** Reads `record[key]` with `read`, or returns `fallback` when the key is absent. */
  optional<T>(record: Record<string, unknown>, key: string, path: string, read: (v: unknown, path: string) => T, fallback: T): T {
    return record[key] === undefined ? fallback : read(record[key], join(path, key));
  }

  required<T>(record: Record<string, unknown>, key: string, path: string, read: (v: unknown, path: string) => T): T {
    if (record[key] === undefined) this.fail(join(path, key), "is required");
    return read(record[key], join(path, key));
  }
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
