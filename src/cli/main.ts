import { readFileSync } from "node:fs";
import { EXIT_BAD_INPUT, InputError } from "../errors.js";
import type { Command } from "./command.js";
import { nearest } from "./suggest.js";

/** Commands are loaded lazily so that `noiselab analyze` never loads the native engine. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: { summary: "train an experiment's replicates and store them (resumable)", load: async () => (await import("./run.js")).runCommand },
  worker: { summary: "train units from a Redis queue on this machine (noiselab run --queue)", load: async () => (await import("./worker.js")).workerCommand },
  report: { summary: "stability report of a stored experiment (Markdown, HTML, JSON)", load: async () => (await import("./report.js")).reportCommand },
  ls: { summary: "list experiments in a store, or one experiment's runs", load: async () => (await import("./ls.js")).lsCommand },
  bench: { summary: "training-step throughput (bench train)", load: async () => (await import("./bench.js")).benchCommand },
  overhead: { summary: "what determinism costs: training-step time per determinism switch", load: async () => (await import("./overhead.js")).overheadCommand },
  check: { summary: "is training bitwise deterministic, and where do two runs first diverge", load: async () => (await import("./check.js")).checkCommand },
  export: { summary: "write an experiment's runs and their files into one bundle file", load: async () => (await import("./export.js")).exportCommand },
  import: { summary: "put a bundle's runs into a store, checked by hash (another machine's runs)", load: async () => (await import("./import.js")).importCommand },
  serve: { summary: "live dashboard over a store in the browser (read-only, local)", load: async () => (await import("./serve.js")).serveCommand },
  analyze: { summary: "stability metrics of replicate predictions from any framework", load: async () => (await import("./analyze.js")).analyzeCommand },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ["usage: noiselab <command> [options]", "", "commands:", ...rows, "", "Run `noiselab <command> --help` for a command's options, `noiselab --version` for the version."].join("\n");
}

/** The version in package.json (main.js runs from dist/src/cli/). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? EXIT_BAD_INPUT : 0;
  }
  if (name === "--version" || name === "-V") {
    console.log(`noiselab ${version()}`);
    return 0;
  }
  if (!Object.hasOwn(commands, name)) {
    const guess = nearest(name, Object.keys(commands));
    console.error(`noiselab: unknown command "${name}"${guess ? ` (did you mean ${guess}?)` : ""}\n\n${usage()}`);
    return EXIT_BAD_INPUT;
  }
  const entry = commands[name];
  try {
    const command = await entry.load();
    return await command.run(rest);
  } catch (err) {
    if (err instanceof InputError) {
      console.error(`noiselab ${name}: ${err.message}`);
      return EXIT_BAD_INPUT;
    }
    throw err;
  }
}
