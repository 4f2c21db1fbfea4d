import { FINGERPRINT_FILE, readFingerprint } from "../environment/fingerprint.js";
import { InputError } from "../errors.js";
import { RunStore } from "../store/run-store.js";
import { helpText, parseArgs } from "./args.js";
import type { Command } from "./command.js";

const options = {
  store: { type: "string", valueName: "DIR", description: "store directory (default ./runs)" },
  json: { type: "boolean", description: "print JSON" },
} as const;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd()).join("\n");
}

export const lsCommand: Command = {
  async run(argv) {
    const args = parseArgs(argv, options);
    if (args.help) {
      console.log(helpText("noiselab ls [experiment] [--store DIR] [--json]", "Lists experiments with their run counts, or the runs of one experiment.", options));
      return 0;
    }
    if (args.positionals.length > 1) throw new InputError("expected at most one experiment name");
    const store = RunStore.open(args.options.store ?? "runs", { create: false });
    try {
      const [name] = args.positionals;
      if (name === undefined) {
        const experiments = store.listExperiments();
        if (args.options.json) console.log(JSON.stringify(experiments.map(({ spec: _spec, ...e }) => e), null, 2));
        else if (experiments.length === 0) console.log("no experiments in this store");
        else console.log(table([["experiment", "done", "failed", "created"], ...experiments.map((e) => [e.name, String(e.done), String(e.failed), e.created])]));
        return 0;
      }
      if (!store.getExperiment(name)) throw new InputError(`no experiment "${name}" in the store (see noiselab ls)`);
      const runs = store.runsOf(name).map((r) => {
        const metrics = store.metricsOf(r.key);
        // The machine and libraries the run trained with (docs/experiments.md, Environments).
        const toolchain = r.status === "done" ? (readFingerprint(store.artifactPath(r.key, FINGERPRINT_FILE))?.toolchain ?? null) : null;
        return { label: r.label, key: r.key, status: r.status, testAccuracy: metrics.testAccuracy ?? null, weightsHash: metrics.weightsHash ?? null, toolchain, wallSeconds: r.wallSeconds, error: r.error };
      });
      if (args.options.json) {
        console.log(JSON.stringify(runs, null, 2));
      } else {
        const rows = runs.map((r) => [
          r.label,
          r.status,
          typeof r.testAccuracy === "number" ? r.testAccuracy.toFixed(4) : "-",
          typeof r.weightsHash === "string" ? r.weightsHash.slice(0, 12) : "-",
          r.toolchain?.slice(0, 8) ?? "-",
          `${r.wallSeconds.toFixed(1)}s`,
          // An error's first line is its cause (docs/runner.md).
          r.error?.split("\n")[0] ?? "",
        ]);
        console.log(table([["run", "status", "accuracy", "weights", "toolchain", "time", "error"], ...rows]));
      }
      return 0;
    } finally {
      store.close();
    }
  },
};
