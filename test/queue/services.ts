// Real services for the executor tests: a private redis-server on a free port, stopped by its pid.
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { BIN } from "../e2e/cli.js";

export interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `noiselab …` without blocking this process (workers started alongside keep their pipes drained). */
export function noiselabAsync(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return finished(spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } }));
}

export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.on("close", (status) => done({ status, stdout, stderr })));
}

/** A `noiselab worker` whose stderr log is collected; `lines` grows as it logs. */
export interface StartedWorker {
  child: ChildProcess;
  log: () => string;
  exited: Promise<Finished>;
}

export function startWorker(args: string[]): StartedWorker {
  const child = spawn(process.execPath, [BIN, "worker", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  return { child, log: () => log, exited: finished(child) };
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

export interface RedisServer {
  url: string;
  stop: () => void;
}

/** Why redis-server cannot be used here, or undefined when it can. */
export function redisUnavailable(): string | undefined {
  return spawnSync("redis-server", ["--version"]).error ? "redis-server is not installed (apt-get install redis-server)" : undefined;
}

/** Starts redis-server on a free port without persistence; resolves once it answers PING. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const stop = () => {
    if (child.exitCode === null) child.kill("SIGTERM");
  };
  process.on("exit", stop);
  await waitFor(() => spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout?.trim() === "PONG", 10_000, "redis-server");
  return { url: `redis://127.0.0.1:${port}`, stop };
}
