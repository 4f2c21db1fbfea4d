/** One `noiselab` sub-command. `run` returns the process exit code. Its one-line summary is in main.ts. */
export interface Command {
  run(argv: string[]): Promise<number>;
}
