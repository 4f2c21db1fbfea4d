// Where a command's `--out` goes: a file, written atomically, or stdout for "-".
import { InputError } from "../errors.js";
import { writeFileAtomic } from "../io/files.js";

/** The `--out` value that means standard output. */
export const STDOUT = "-";

/** Writes `contents` to `path` atomically, or to stdout when `path` is "-"; an unwritable path is an InputError naming it. */
export function writeOutput(path: string, contents: string | Uint8Array): void {
  if (path === STDOUT) {
    process.stdout.write(contents);
    return;
  }
  try {
    writeFileAtomic(path, contents);
  } catch (err) {
    throw new InputError(`${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
