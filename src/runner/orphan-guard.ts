/**
 * Preloaded into every worker (`node --import`) so that a worker whose parent was killed
 * (SIGKILL gives the parent no chance to stop its children) does not keep a core busy
 * training a run nobody will record. A thread, not a timer on the main thread, watches the
 * parent pid: training calls into the native engine can block the main thread for long.
 *
 * The executor passes its pid in NOISELAB_PARENT_PID. Reading `process.ppid` here instead
 * would miss a parent that died before this ran: the worker is then already reparented, and
 * the guard would watch its new parent.
 */
import { Worker } from "node:worker_threads";

const POLL_MS = 500;
const parentPid = Number(process.env.NOISELAB_PARENT_PID ?? process.ppid);

const watcher = new Worker(
  `const { workerData } = require("node:worker_threads");
   const check = () => { if (process.ppid !== workerData) process.kill(process.pid, "SIGKILL"); };
   check();
   setInterval(check, ${POLL_MS});`,
  { eval: true, workerData: parentPid },
);
// The watcher must never be what keeps the worker process alive.
watcher.unref();
