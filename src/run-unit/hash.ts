import { createHash } from "node:crypto";

/**
 * Serialise plain JSON data canonically: object keys sorted by code unit, no whitespace.
 * Two configs that are equal as data get the same string whatever their key order.
 *
 * Values JSON would silently change are refused instead of collapsing onto another
 * config's key: non-finite numbers (JSON writes `null`), `undefined` in arrays,
 * bigints, functions and non-plain objects (Date, Map, class instances).
 * `undefined` object properties are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, "$");
}

/** The run key: sha256 hex of `canonicalJson(config)`. */
export function contentHash(config: unknown): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex");
}

function serialise(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} cannot be represented in JSON`);
      return JSON.stringify(value);
    case "object":
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => serialise(item, `${path}[${i}]`)).join(",")}]`;
      }
      return serialiseObject(value, path);
    default:
      throw new TypeError(`${path}: a ${typeof value} is not JSON data`);
  }
}

function serialiseObject(value: object, path: string): string {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`${path}: only plain objects are JSON data, not ${value.constructor?.name ?? "this object"}`);
  }
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${serialise(record[k], `${path}.${k}`)}`);
  return `{${members.join(",")}}`;
}
