import { readCheckOutput } from "../check/output.js";
import { collectResults } from "../experiment/collect.js";
import { readOverheadResult } from "../overhead/render.js";
import { InputError } from "../errors.js";
import type { ReportFormat } from "../report/index.js";
import { REPORT_FORMATS, SINGLE_FILE_FORMATS, buildReport, renderReport, writeReport } from "../report/index.js";
import { collectSlurm } from "../slurm/executor.js";
import { RunStore } from "../store/run-store.js";
import { helpText, parseArgs } from "./args.js";
import type { Command } from "./command.js";
import { STDOUT, writeOutput } from "./output.js";

const options = {
  store: { type: "string", valueName: "DIR", description: "store directory (default ./runs)" },
  out: { type: "string", valueName: "PREFIX", description: "output path without extension (default ./<experiment>-report); - writes one format (md unless --format says) to stdout" },
  format: {
    type: "list",
    valueName: "FORMAT",
    choices: REPORT_FORMATS,
    description: `formats to write: ${REPORT_FORMATS.join(", ")} (default all): md, html, json one file each; svg and png one file per chart; csv PREFIX-runs.csv and PREFIX-slices.csv`,
  },
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
          `noiselab report <experiment> [--store DIR] [--out PREFIX|-] [--format ${REPORT_FORMATS.join(" ")}]`,
          "Computes every stability metric per model × variant from the stored runs, checks that CONTROL\nreplicates are bitwise identical, and writes the report files.",
          options,
        ),
      );
      return 0;
    }
    if (args.positionals.length !== 1) throw new InputError("expected one experiment name (see noiselab ls)");
    const [name] = args.positionals;
    const toStdout = args.options.out === STDOUT;
    const formats = (args.options.format ?? (toStdout ? ["md"] : [...REPORT_FORMATS])) as ReportFormat[];
    for (const f of formats) if (!(REPORT_FORMATS as readonly string[]).includes(f)) throw new InputError(`--format: unknown format "${f}" (formats: ${REPORT_FORMATS.join(", ")})`);
    const single = formats.length === 1 && (SINGLE_FILE_FORMATS as readonly string[]).includes(formats[0]) ? (formats[0] as (typeof SINGLE_FILE_FORMATS)[number]) : null;
    if (toStdout && single === null) throw new InputError(`--out - writes one of ${SINGLE_FILE_FORMATS.join(", ")} to stdout; got --format ${formats.join(" ")}`);
    const store = RunStore.open(args.options.store ?? "runs", { create: false });
    let results;
    try {
      // Runs that Slurm array tasks finished since the last look (noiselab run --slurm --detach).
      collectSlurm(store);
      results = collectResults(store, name, { attribute: args.options.attribute });
    } finally {
      store.close();
    }
    const report = buildReport(results);
    const checks = (args.options.check ?? []).map((file) => ({ file, output: readCheckOutput(file) }));
    const overhead = args.options.overhead === undefined ? null : readOverheadResult(args.options.overhead);
    if (checks.length > 0 || overhead !== null) report.determinism = { checks, overhead };
    if (toStdout) {
      writeOutput(STDOUT, await renderReport(report, single!));
      return 0;
    }
    const prefix = args.options.out ?? `${name}-report`;
    let written: string[];
    try {
      written = await writeReport(report, prefix, formats);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === undefined) throw err;
      throw new InputError(`${prefix}: cannot write the report (${code}${(err as NodeJS.ErrnoException).path ? ` at ${(err as NodeJS.ErrnoException).path}` : ""})`);
    }
    for (const path of written) console.log(path);
    return 0;
  },
};
