/**
 * Preloaded into every worker (`node --import`) so that a worker whose parent was killed
 * (SIGKILL gives the parent no chance to stop its children) does not keep a core busy
 * training a run nobody will record. A thread, not a timer on the main thread, watches the
 * parent pid: training calls into the native engine can block the main thread for long.
 */
import { Worker } from "node:worker_threads";

const POLL_MS = 500;

const watcher = new Worker(
  `const { workerData } = require("node:worker_threads");
   setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, "SIGKILL"); }, ${POLL_MS});`,
  { eval: true, workerData: process.ppid },
);
// The watcher must never be what keeps the worker process alive.
watcher.unref();
