import { native } from "./native.js";

/** A native resource that scopes can free. Tensors implement it. */
export interface Tracked {
  readonly isDisposed: boolean;
  dispose(): void;
}

const trackedMarker = Symbol("noiselab.tracked");

/** Marks objects whose class implements Tracked, so results can be found inside returned values. */
export function markTracked(proto: object): void {
  Object.defineProperty(proto, trackedMarker, { value: true });
}

function isTracked(value: unknown): value is Tracked {
  return typeof value === "object" && value !== null && trackedMarker in value;
}

type Scope = Set<Tracked>;
const scopes: Scope[] = [];

/** Called for every new tensor: it belongs to the innermost open scope, if any. */
export function track(resource: Tracked): void {
  scopes.at(-1)?.add(resource);
}

/** Removes a tensor from every open scope so that it outlives them (module parameters, optimizer state). */
export function keep<T extends Tracked>(resource: T): T {
  for (const scope of scopes) scope.delete(resource);
  return resource;
}

function collect(value: unknown, found: Set<Tracked>, seen: Set<object>): void {
  if (typeof value !== "object" || value === null || seen.has(value)) return;
  seen.add(value);
  if (isTracked(value)) {
    found.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collect(item, found, seen);
  } else if (value instanceof Map) {
    for (const item of value.values()) collect(item, found, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collect(item, found, seen);
  }
}

/**
 * Runs `fn` and frees every tensor created inside it, except the ones it
 * returns (found in arrays, maps and plain objects) and the ones passed to
 * `keep`. Returned tensors move to the enclosing scope. Like tf.tidy, `fn`
 * must be synchronous: a tensor's lifetime cannot follow an await.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = new Set();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const resource of scope) resource.dispose();
    throw err;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const resource of scope) resource.dispose();
    throw new Error("tidy() takes a synchronous function; tensors cannot be tracked across an await");
  }
  const returned = new Set<Tracked>();
  collect(result, returned, new Set());
  const parent = scopes.at(-1);
  for (const resource of scope) {
    if (returned.has(resource)) parent?.add(resource);
    else resource.dispose();
  }
  return result;
}

/** Frees every tensor found in `value` (a tensor, or arrays/maps/objects of them). */
export function dispose(value: unknown): void {
  const found = new Set<Tracked>();
  collect(value, found, new Set());
  for (const resource of found) resource.dispose();
}

export interface MemoryInfo {
  /** Live native tensor handles (views count separately). */
  tensors: number;
  /** Distinct storages held by those handles. */
  storages: number;
  /** Bytes of those storages. */
  bytes: number;
}

/** Native memory held by live tensor handles. Tensors made by libtorch internally and not exposed are not counted. */
export function memory(): MemoryInfo {
  return native.memory();
}
