import { InputError } from "../errors.js";
import { STDOUT, writeOutput } from "./output.js";
import { MEDIUMCNN_SWEEP, overheadModelNames, resolveModels } from "../overhead/models.js";
import { renderOverheadHtml, renderOverheadJson, renderOverheadMarkdown } from "../overhead/render.js";
import { runOverhead } from "../overhead/run.js";
import { ALLOCATOR_HELP, parseAllocator } from "../environment/allocator.js";
import { runWithAllocator } from "./reexec.js";
import * as torch from "../torch/index.js";
import { helpText, intOption, parseArgs } from "./args.js";
import type { Command } from "./command.js";

const options = {
  models: { type: "list", valueName: "NAME", description: `models to time (default ${MEDIUMCNN_SWEEP.join(" ")}: the paper's Figure 9 right, MediumCNN at 224×224; fig9: all of Figure 9)` },
  device: { type: "string", valueName: "DEVICE", description: "cpu, cuda or cuda:N (default cpu)" },
  batch: { type: "string", valueName: "B", description: "batch size (default 64)" },
  input: { type: "string", valueName: "SIZE", description: "input height and width for every model, e.g. 224 or 32 (default: each model's own)" },
  threads: { type: "string", valueName: "N", description: "intra-op threads (default 1)" },
  repeats: { type: "string", valueName: "R", description: "interleaved rounds (default 10)" },
  steps: { type: "string", valueName: "S", description: "timed steps per configuration and round (default 5)" },
  warmup: { type: "string", valueName: "W", description: "untimed steps per configuration before the first round (default 3)" },
  profile: { type: "boolean", description: "also profile S steps per model and list the top-20 operators, default vs deterministic" },
  "deterministic-pooling": { type: "boolean", description: "build models with a plain mean over H×W instead of adaptive average pooling" },
  json: { type: "boolean", description: "print the result as JSON instead of tables" },
  allocator: { type: "string", valueName: "NAME", description: ALLOCATOR_HELP },
  out: { type: "string", valueName: "PREFIX", description: "also write PREFIX.md, PREFIX.html (with the charts) and PREFIX.json; - writes the JSON to stdout, and the Markdown to stderr" },
} as const;

const USAGE = "noiselab overhead [--models NAME…] [--device cpu|cuda] [--batch B] [--input SIZE] [--threads N] [--repeats R] [--steps S] [--warmup W] [--profile] [--json] [--out PREFIX]";

export const overheadCommand: Command = {
  async run(argv) {
    const args = parseArgs(argv, options);
    if (args.help) {
      const summary =
        "Times training steps with determinism off and on, and with each switch flipped alone\n" +
        "(deterministic algorithms, cuDNN benchmark off, fill uninitialised memory, TF32 off).\n" +
        `models: ${overheadModelNames().join(", ")}`;
      console.log(helpText(USAGE, summary, options));
      return 0;
    }
    if (args.positionals.length > 0) throw new InputError(`unexpected argument "${args.positionals[0]}"; usage: ${USAGE}`);
    const o = args.options;
    const exitCode = await runWithAllocator(parseAllocator(o.allocator), "overhead", argv);
    if (exitCode !== undefined) return exitCode;
    const device = o.device ?? "cpu";
    try {
      torch.checkDevice(device);
    } catch (err) {
      throw new InputError((err as Error).message);
    }
    const input = o.input === undefined ? null : intOption(o.input, "input", 0, 4);
    // Names may also be comma-separated ("--models a,b").
    const names = o.models?.flatMap((v) => v.split(",")).filter((v) => v !== "");
    const models = resolveModels(names ?? MEDIUMCNN_SWEEP, input);
    const plan = { warmup: intOption(o.warmup, "warmup", 3, 0), repeats: intOption(o.repeats, "repeats", 10, 1), steps: intOption(o.steps, "steps", 5, 1) };
    const result = runOverhead({
      models,
      device,
      batch: intOption(o.batch, "batch", 64, 1),
      threads: intOption(o.threads, "threads", 1, 1),
      plan,
      profile: o.profile ?? false,
      deterministicPooling: o["deterministic-pooling"] ?? false,
      log: (line) => console.error(line),
    });
    const markdown = renderOverheadMarkdown(result);
    if (o.out === STDOUT) {
      // stdout holds the JSON (what noiselab report --overhead reads); the Markdown goes to stderr.
      writeOutput(STDOUT, renderOverheadJson(result));
      process.stderr.write(markdown);
      return result.models.some((m) => m.status === "error") ? 1 : 0;
    }
    if (o.out !== undefined) {
      // Rendered first, written last: a failure leaves no partial set of files.
      const files: [string, string][] = [
        [`${o.out}.md`, markdown],
        [`${o.out}.html`, await renderOverheadHtml(result)],
        [`${o.out}.json`, renderOverheadJson(result)],
      ];
      for (const [path, contents] of files) writeOutput(path, contents);
      console.error(`wrote ${files.map(([path]) => path).join(", ")}`);
    }
    process.stdout.write(o.json ? renderOverheadJson(result) : markdown);
    return result.models.some((m) => m.status === "error") ? 1 : 0;
  },
};
