/**
 * A request's path and query, checked before anything is looked up: no
 * segment may climb (`..`, also percent-encoded), hold an encoded slash or
 * backslash, or be badly encoded; query parameters must be known, given once,
 * and well formed. Anything else is an InputError (400), never a crash.
 */
import { InputError } from "../errors.js";

export interface ParsedRequest {
  /** Decoded path segments, none empty. */
  segments: string[];
  query: Query;
}

/** Splits and decodes the raw request target (as the client sent it, before any normalisation). */
export function parseRequestTarget(target: string): ParsedRequest {
  if (!target.startsWith("/")) throw new InputError("the request target must be a path");
  const q = target.indexOf("?");
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? "" : target.slice(q + 1);
  const segments: string[] = [];
  for (const raw of rawPath.split("/")) {
    if (raw === "") continue;
    const segment = decode(raw, "path");
    if (segment === "." || segment === ".." || /[/\\\0]/.test(segment)) throw new InputError(`path segment "${raw}" is not allowed`);
    segments.push(segment);
  }
  return { segments, query: new Query(rawQuery) };
}

function decode(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InputError(`${what}: "${raw}" is not valid percent-encoding`);
  }
}

/** Query parameters: each route says which it takes; an unknown or repeated one is an InputError. */
export class Query {
  private readonly values = new Map<string, string>();

  constructor(raw: string) {
    for (const pair of raw.split("&")) {
      if (pair === "") continue;
      const eq = pair.indexOf("=");
      const name = decode((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, " "), "query");
      const value = decode((eq < 0 ? "" : pair.slice(eq + 1)).replace(/\+/g, " "), "query");
      if (this.values.has(name)) throw new InputError(`query parameter "${name}" is given twice`);
      this.values.set(name, value);
    }
  }

  /** Refuses every parameter not in `allowed`. */
  only(allowed: readonly string[]): this {
    for (const name of this.values.keys()) {
      if (!allowed.includes(name)) throw new InputError(`unknown query parameter "${name}"${allowed.length ? ` (this page takes ${allowed.join(", ")})` : ""}`);
    }
    return this;
  }

  string(name: string): string | undefined {
    const value = this.values.get(name);
    if (value === "") throw new InputError(`query parameter "${name}" is empty`);
    return value;
  }

  /** A comma-separated list; absent means empty. */
  list(name: string): string[] {
    const value = this.string(name);
    if (value === undefined) return [];
    const items = value.split(",");
    if (items.some((i) => i === "")) throw new InputError(`query parameter "${name}" has an empty item`);
    return items;
  }

  int(name: string, min: number, max: number): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new InputError(`query parameter "${name}" must be an integer, got "${value}"`);
    const n = Number(value);
    if (n < min || n > max) throw new InputError(`query parameter "${name}" must be between ${min} and ${max}, got ${value}`);
    return n;
  }
}
