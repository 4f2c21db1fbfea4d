// Starts a user's script in its own process group, so that a timeout or a
// stop ends it together with every process it started.
import { spawn } from "node:child_process";

export interface ScriptExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Stopped after the timeout. */
  timedOut: boolean;
  /** The program could not be started (e.g. ENOENT). */
  spawnError?: Error;
  /** The last lines the script wrote to stderr. */
  stderrTail: string[];
}

export interface ScriptOptions {
  command: readonly string[];
  cwd: string;
  /** Added to this process's environment. */
  env: Record<string, string>;
  timeoutMs?: number;
  /** Where the script's output goes (default: dropped; the stderr tail is kept either way). */
  stdout?: (chunk: Buffer) => void;
  stderr?: (chunk: Buffer) => void;
}

const TAIL_LINES = 20;
const TAIL_BYTES = 16 * 1024;
const KILL_GRACE_MS = 2000;
const STOP_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/**
 * Runs the script to its end. If this process is stopped by a signal or exits meanwhile, the
 * script's whole process group is killed first; a script past `timeoutMs` gets SIGTERM, then SIGKILL.
 */
export function runScript(options: ScriptOptions): Promise<ScriptExit> {
  const [program, ...args] = options.command;
  const child = spawn(program, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  child.stdout.on("data", (chunk: Buffer) => options.stdout?.(chunk));
  child.stderr.on("data", (chunk: Buffer) => {
    options.stderr?.(chunk);
    tail = (tail + chunk.toString("utf8")).slice(-TAIL_BYTES);
  });
  const pid = child.pid;
  const killOnExit = () => pid !== undefined && killGroup(pid, "SIGKILL");
  const onSignal = (signal: NodeJS.Signals) => {
    killOnExit();
    process.exit(signal === "SIGINT" ? 130 : signal === "SIGHUP" ? 129 : 143);
  };
  process.on("exit", killOnExit);
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const timer =
    options.timeoutMs === undefined || pid === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          killGroup(pid, "SIGTERM");
          killTimer = setTimeout(() => killGroup(pid, "SIGKILL"), KILL_GRACE_MS);
        }, options.timeoutMs);
  return new Promise((resolveExit) => {
    let spawnError: Error | undefined;
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      // Whatever the script left running in its group goes with it.
      if (pid !== undefined) killGroup(pid, "SIGKILL");
      process.off("exit", killOnExit);
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      const stderrTail = tail.trimEnd().split("\n").filter((l) => l.trim() !== "").slice(-TAIL_LINES);
      resolveExit({ code, signal, timedOut, spawnError, stderrTail });
    };
    child.on("error", (err) => {
      spawnError = err;
      if (child.pid === undefined) finish(null, null);
    });
    child.on("close", (code, signal) => finish(code, signal));
  });
}

/** One line saying why a script failed, or undefined when it exited 0. */
export function scriptFailure(exit: ScriptExit, timeoutMs: number | undefined): string | undefined {
  const last = exit.stderrTail.at(-1);
  const said = last === undefined ? "" : `; its stderr ends: ${last.trim()}`;
  if (exit.spawnError) return `could not start the script: ${exit.spawnError.message}`;
  if (exit.timedOut) return `the script was stopped after --run-timeout ${formatSeconds((timeoutMs ?? 0) / 1000)}${said}`;
  if (exit.signal) return `the script was killed by ${exit.signal}${said}`;
  if (exit.code !== 0) return `the script exited with code ${exit.code}${said}`;
  return undefined;
}

export function formatSeconds(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600}h` : seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
}
