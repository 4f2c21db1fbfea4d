import { readCheckOutput } from "../check/output.js";
import { collectResults } from "../experiment/collect.js";
import { readOverheadResult } from "../overhead/render.js";
import { InputError } from "../errors.js";
import type { ReportFormat } from "../report/index.js";
import { REPORT_FORMATS, buildReport, writeReport } from "../report/index.js";
import { RunStore } from "../store/run-store.js";
import { helpText, parseArgs } from "./args.js";
import type { Command } from "./command.js";

const options = {
  store: { type: "string", valueName: "DIR", description: "store directory (default ./runs)" },
  out: { type: "string", valueName: "PREFIX", description: "output path without extension (default ./<experiment>-report)" },
  format: { type: "list", valueName: "FORMAT", description: `formats to write: ${REPORT_FORMATS.join(", ")} (default all)` },
  check: { type: "list", valueName: "FILE", description: "results of noiselab check --out to include (verdicts, first divergence, divergence trajectory)" },
  overhead: { type: "string", valueName: "FILE", description: "the JSON of noiselab overhead --out to include (cost of determinism, Figures 8 and 9)" },
  attribute: { type: "string", valueName: "NAME", description: "multi-label experiments (CelebA): analyse this attribute instead of the spec's target, from the same runs" },
} as const;

export const reportCommand: Command = {
  async run(argv) {
    const args = parseArgs(argv, options);
    if (args.help) {
      console.log(
        helpText(
          "noiselab report <experiment> [--store DIR] [--out PREFIX] [--format md html json]",
          "Computes every stability metric per model × variant from the stored runs, checks that CONTROL\nreplicates are bitwise identical, and writes the report files.",
          options,
        ),
      );
      return 0;
    }
    if (args.positionals.length !== 1) throw new InputError("expected one experiment name (see noiselab ls)");
    const [name] = args.positionals;
    const formats = (args.options.format ?? [...REPORT_FORMATS]) as ReportFormat[];
    for (const f of formats) if (!(REPORT_FORMATS as readonly string[]).includes(f)) throw new InputError(`--format: unknown format "${f}" (formats: ${REPORT_FORMATS.join(", ")})`);
    const store = RunStore.open(args.options.store ?? "runs");
    let results;
    try {
      results = collectResults(store, name, { attribute: args.options.attribute });
    } finally {
      store.close();
    }
    const report = buildReport(results);
    const checks = (args.options.check ?? []).map((file) => ({ file, output: readCheckOutput(file) }));
    const overhead = args.options.overhead === undefined ? null : readOverheadResult(args.options.overhead);
    if (checks.length > 0 || overhead !== null) report.determinism = { checks, overhead };
    const prefix = args.options.out ?? `${name}-report`;
    const written = await writeReport(report, prefix, formats);
    for (const path of written) console.log(path);
    return 0;
  },
};
