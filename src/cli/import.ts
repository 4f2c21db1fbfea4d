import { importBundle } from "../bundle/import.js";
import { MACHINE_NAME } from "../bundle/machine.js";
import { InputError } from "../errors.js";
import { helpText, parseArgs } from "./args.js";
import type { Command } from "./command.js";

const options = {
  store: { type: "string", valueName: "DIR", description: "store directory (default ./runs; created when missing)" },
  machine: { type: "string", valueName: "NAME", description: "import the runs as environments <environment>@NAME, next to the store's own (for runs from another machine or library)" },
} as const;

export const importCommand: Command = {
  async run(argv) {
    const args = parseArgs(argv, options);
    if (args.help) {
      console.log(
        helpText(
          "noiselab import <bundle> [--store DIR] [--machine NAME]",
          "Puts the runs of a bundle (noiselab export) into a store. Every member is checked against the\nbundle's manifest first; nothing is written when anything is wrong. A run the store has already\n(same weights, predictions and tool chain) is skipped; one with the same key but other content or\nanother tool chain is refused, unless --machine keeps the bundle's runs apart (docs/bundles.md).",
          options,
        ),
      );
      return 0;
    }
    if (args.positionals.length !== 1) throw new InputError("expected one bundle file (made by noiselab export)");
    const machine = args.options.machine;
    if (machine !== undefined && !MACHINE_NAME.test(machine)) {
      throw new InputError(`--machine must be a name of letters, digits and . _ + - (e.g. laptop or libtorch2.6), got "${machine}"`);
    }
    const storeDir = args.options.store ?? "runs";
    const summary = await importBundle(args.positionals[0], storeDir, { machine });
    console.error(
      `noiselab import: experiment "${summary.experiment}": ${summary.imported.length} run(s) imported, ${summary.skipped.length} already in store ${storeDir}`,
    );
    return 0;
  },
};
