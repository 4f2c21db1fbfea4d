/** File access for the loaders, turning file-system failures into one-line `InputError`s. */
import { existsSync, openSync, readFileSync, readdirSync, statSync } from "node:fs";
import type { Dirent } from "node:fs";
import { gunzipSync } from "node:zlib";
import { InputError } from "../errors.js";

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "is a directory, expected a file";
  if (code === "ENOTDIR") return "not a directory";
  if (code === "EACCES") return "permission denied";
  return error instanceof Error ? error.message : String(error);
}

export function readInputFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new InputError(`${path}: cannot read: ${describe(error)}`);
  }
}

/** Opens `path` for reading; returns the file descriptor. */
export function openInputFile(path: string): number {
  try {
    return openSync(path, "r");
  } catch (error) {
    throw new InputError(`${path}: cannot read: ${describe(error)}`);
  }
}

/** Reads `path`, gunzipping it when its name ends in `.gz`. */
export function readMaybeGzipped(path: string): Buffer {
  const bytes = readInputFile(path);
  if (!path.endsWith(".gz")) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new InputError(`${path}: not a valid gzip file (${describe(error)})`);
  }
}

export function readTextFile(path: string): string {
  return readInputFile(path).toString("utf8");
}

export function listDirectory(path: string): Dirent[] {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch (error) {
    throw new InputError(`${path}: cannot list directory: ${describe(error)}`);
  }
}

export function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

export function requireDirectory(path: string): void {
  if (!existsSync(path)) throw new InputError(`${path}: no such directory`);
  if (!statSync(path).isDirectory()) throw new InputError(`${path}: not a directory`);
}
