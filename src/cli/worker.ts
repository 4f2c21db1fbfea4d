import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../errors.js";
import { ALLOCATOR_HELP, parseAllocator } from "../environment/allocator.js";
import { parseRedisUrl, REDIS_PASSWORD_ENV, REDIS_URL_ENV } from "../queue/connection.js";
import { serveQueue } from "../queue/worker.js";
import { helpText, intOption, parseArgs } from "./args.js";
import type { Command } from "./command.js";

const DEVICE_KINDS = ["cpu", "cuda"] as const;

const options = {
  queue: { type: "string", valueName: "URL", description: `redis://[user:password@]HOST:PORT[/DB], or "env" for $${REDIS_URL_ENV}; a password may also come from $${REDIS_PASSWORD_ENV}` },
  device: { type: "list", valueName: "KIND", choices: DEVICE_KINDS, description: "device kinds this machine offers: cpu, cuda (default cpu); it takes only units for these" },
  concurrency: { type: "string", valueName: "K", description: "units trained at once (default 1)" },
  "work-dir": { type: "string", valueName: "DIR", description: "local directory for runs in progress (default: a new one under the system's temporary directory)" },
  lease: { type: "string", valueName: "S", description: "seconds after which a unit of a worker that stopped answering goes to another worker (default 30)" },
  allocator: { type: "string", valueName: "NAME", description: ALLOCATOR_HELP },
} as const;

const usage = "noiselab worker --queue URL [options]";
const summary = [
  "Trains run units that `noiselab run SPEC --queue URL` put in a Redis queue, on this machine, until",
  "stopped (Ctrl-C). Needs no store and no shared file system: finished runs go back through Redis.",
  "A worker stopped or killed mid-unit leaves the unit to another worker after the lease. Each unit",
  "trains with its environment's threads: give K × threads cores to --concurrency K.",
].join("\n");

export const workerCommand: Command = {
  async run(argv) {
    const args = parseArgs(argv, options);
    if (args.help) {
      console.log(helpText(usage, summary, options));
      return 0;
    }
    if (args.positionals.length > 0) throw new InputError(`unexpected argument "${args.positionals[0]}" (see --help)`);
    const o = args.options;
    if (o.queue === undefined) throw new InputError("--queue URL is required (or --queue env with $" + REDIS_URL_ENV + ")");
    const target = parseRedisUrl(o.queue);
    const concurrency = intOption(o.concurrency, "concurrency", 1, 1, 1024);
    const leaseSeconds = intOption(o.lease, "lease", 30, 2, 3600);
    const allocator = parseAllocator(o.allocator);
    const workDir = o["work-dir"] ?? join(tmpdir(), `noiselab-worker-${process.pid}`);
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(s, onSignal);
    await serveQueue({
      target,
      workerScript: fileURLToPath(new URL("../train/worker.js", import.meta.url)),
      devices: [...new Set(o.device ?? ["cpu"])],
      concurrency,
      allocator,
      workDir,
      leaseSeconds,
      log: (line) => console.error(`noiselab worker: ${line}`),
      signal: stop.signal,
    });
    if (o["work-dir"] === undefined) rmSync(workDir, { recursive: true, force: true });
    console.error("noiselab worker: stopped; units it was training go to other workers after the lease");
    return 0;
  },
};
