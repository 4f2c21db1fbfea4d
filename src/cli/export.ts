import { exportExperiment } from "../bundle/export.js";
import { InputError } from "../errors.js";
import { RunStore } from "../store/run-store.js";
import { helpText, parseArgs } from "./args.js";
import type { Command } from "./command.js";

const options = {
  store: { type: "string", valueName: "DIR", description: "store directory (default ./runs)" },
  out: { type: "string", valueName: "FILE", description: "the bundle file to write (required)" },
} as const;

export const exportCommand: Command = {
  async run(argv) {
    const args = parseArgs(argv, options);
    if (args.help) {
      console.log(
        helpText(
          "noiselab export <experiment> [--store DIR] --out FILE",
          "Writes an experiment's spec, done runs and every file of those runs (predictions, weights, curves,\nmetadata, fingerprints) into one bundle file, with a manifest of each file's size and sha256.\nnoiselab import FILE puts them into another store (docs/bundles.md).",
          options,
        ),
      );
      return 0;
    }
    if (args.positionals.length !== 1) throw new InputError("expected one experiment name (see noiselab ls)");
    const out = args.options.out;
    if (out === undefined || out === "") throw new InputError("--out FILE is required: the bundle file to write");
    const store = RunStore.open(args.options.store ?? "runs", { create: false });
    try {
      const summary = await exportExperiment(store, args.positionals[0], out);
      const leftOut = summary.leftOut > 0 ? ` (${summary.leftOut} failed run(s) left out)` : "";
      console.error(`noiselab export: ${summary.runs} run(s) of "${args.positionals[0]}" in ${out}, ${(summary.bytes / 1e6).toFixed(1)} MB${leftOut}`);
      return 0;
    } finally {
      store.close();
    }
  },
};
