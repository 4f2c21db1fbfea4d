import { readCheckOutput } from "../check/output.js";
import { InputError } from "../errors.js";
import { readOverheadResult } from "../overhead/render.js";
import { isLoopback, startServer } from "../serve/server.js";
import { RunStore } from "../store/run-store.js";
import { helpText, intOption, parseArgs } from "./args.js";
import type { Command } from "./command.js";

const options = {
  store: { type: "string", valueName: "DIR", description: "store directory (default ./runs); opened read-only" },
  port: { type: "string", valueName: "P", description: "port (default 8080; 0 picks a free one)" },
  host: { type: "string", valueName: "H", description: "address to listen on (default 127.0.0.1: this machine only)" },
  check: { type: "list", valueName: "FILE", description: "results of noiselab check --out to show on the determinism page and in the reports" },
  overhead: { type: "string", valueName: "FILE", description: "the JSON of noiselab overhead --out to show likewise" },
} as const;

export const serveCommand: Command = {
  async run(argv) {
    const args = parseArgs(argv, options);
    if (args.help) {
      console.log(
        helpText(
          "noiselab serve [--store DIR] [--port P] [--host H] [--check FILE…] [--overhead FILE]",
          "A live dashboard over a store, in the browser: experiments with their runs done, running, failed and\nqueued; each experiment's report with interactive charts; unstable test examples; single runs.\nRead-only; it serves everything itself (no network needed). Stop it with Ctrl-C.",
          options,
        ),
      );
      return 0;
    }
    if (args.positionals.length > 0) throw new InputError(`unexpected argument "${args.positionals[0]}" (see --help)`);
    const port = intOption(args.options.port, "port", 8080, 0, 65535);
    const host = args.options.host ?? "127.0.0.1";
    if (host === "") throw new InputError("--host must not be empty");
    const checks = (args.options.check ?? []).map((file) => ({ file, output: readCheckOutput(file) }));
    const overhead = args.options.overhead === undefined ? null : readOverheadResult(args.options.overhead);
    const store = RunStore.open(args.options.store ?? "runs", { readOnly: true });
    if (!isLoopback(host)) {
      console.error(`noiselab serve: warning: --host ${host} is not a loopback address; anyone who can reach this machine on that network can read every run in ${store.dir} (there is no login)`);
    }
    let running;
    try {
      running = await startServer({ store, host, port, determinism: { checks, overhead } });
    } catch (err) {
      store.close();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE") throw new InputError(`--port ${port}: already in use on ${host} (pick another, or 0 for a free one)`);
      if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EACCES") throw new InputError(`--host ${host} --port ${port}: cannot listen there (${code})`);
      throw err;
    }
    console.log(`noiselab serve: ${running.url}/ (store ${store.dir}, read-only; Ctrl-C stops it)`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        void running.close().then(resolve);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    store.close();
    return 0;
  },
};
