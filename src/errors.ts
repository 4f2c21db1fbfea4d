/**
 * An error in what the user gave us (a file, a field, an argument).
 * The CLI prints its message on one line and exits with code 2.
 */
export class InputError extends Error {
  override name = "InputError";
}

/** Exit code for bad input, used by every command. */
export const EXIT_BAD_INPUT = 2;
