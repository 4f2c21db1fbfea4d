import { randomBytes } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

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
