// Re-executes a command that runs in the CLI's own process (check, overhead, bench) once, in a
// child process started with the chosen memory allocator (src/environment/allocator.ts).
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import type { AllocatorName } from "../environment/allocator.js";
import { ALLOCATOR_ENV, SETUP_VARIABLES, allocatorEnv } from "../environment/allocator.js";
import { PARENT_PID_ENV } from "../runner/executor.js";

/**
 * Makes a command that runs in the CLI's own process run with `name` as its allocator: when
 * this process was not started with it, runs `noiselab <command> <argv>` once more in a child
 * process that is, and returns the child's exit code; otherwise returns undefined and the
 * command goes on here. A child never re-executes: it was started with the setting.
 */
export async function runWithAllocator(name: AllocatorName, command: string, argv: readonly string[]): Promise<number | undefined> {
  const env = allocatorEnv(name);
  if (process.env[ALLOCATOR_ENV] === name || SETUP_VARIABLES.every((v) => process.env[v] === env[v])) {
    // Started with this setting, or the setting changes nothing here (system in a clean environment).
    process.env[ALLOCATOR_ENV] = name;
    return undefined;
  }
  const bin = fileURLToPath(new URL("../../../bin/noiselab.js", import.meta.url));
  // Like a worker, the child stops when we die without a chance to stop it (SIGKILL).
  const guard = new URL("../runner/orphan-guard.js", import.meta.url).href;
  const child = spawn(process.execPath, [...process.execArgv, "--import", guard, bin, command, ...argv], { env: { ...env, [PARENT_PID_ENV]: String(process.pid) }, stdio: "inherit" });
  // Ctrl-C in a terminal reaches the child too; a SIGTERM to us is passed on.
  const ignore = (): void => {};
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on("SIGINT", ignore);
  process.on("SIGTERM", forward);
  try {
    return await new Promise<number>((done, fail) => {
      child.on("error", fail);
      child.on("exit", (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  } finally {
    process.off("SIGINT", ignore);
    process.off("SIGTERM", forward);
  }
}
