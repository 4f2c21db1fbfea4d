import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InputError } from "../errors.js";

/**
 * Reads and parses a JSON file the user named; an unreadable file or invalid
 * JSON is an InputError "<path>: cannot read <what>: <first line of the cause>".
 */
export function readJsonInput(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new InputError(`${path}: cannot read ${what}: ${(err as Error).message.split("\n")[0]}`);
  }
}

/**
 * Writes a file atomically: to a temporary file in the same directory, then
 * renamed over the target, so that readers never see a partial file and a
 * failure leaves nothing behind.
 */
export function writeFileAtomic(path: string, contents: string | Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileSync(temp, contents);
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
