// Where a training step's time goes, operator by operator, in noiselab and in PyTorch (Debian's
// python3-torch, the same libtorch build), both with noiselab's default allocator: libtorch's profiler
// over the same steps of the same model on each side, one fresh process per side and repetition (the
// sides alternate; each operator's median over the repetitions is reported). Shows whether a
// throughput difference is in the kernels (then both sides' operators differ) or between them (our JS
// and N-API against Python). Writes its table into docs/benchmarks.md between the bench:profile markers.
//
//   node dist/bench/profile.js [--model resnet18-cifar] [--threads 1] [--batch 128] [--steps 3] [--warmup 2] [--repeats 3]
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "../src/cli/args.js";
import { median } from "../src/metrics/stats.js";
import { allocatorEnv, defaultAllocator } from "../src/environment/allocator.js";
import type { ModelName } from "../src/models/index.js";
import { createTrainingStep } from "../src/overhead/step.js";
import * as torch from "../src/torch/index.js";
import { medianRange, writeBenchmarkSection } from "./benchmarks-doc.js";

const { options } = parseArgs(process.argv.slice(2), {
  model: { type: "string", description: "" },
  threads: { type: "string", description: "" },
  batch: { type: "string", description: "" },
  steps: { type: "string", description: "" },
  warmup: { type: "string", description: "" },
  repeats: { type: "string", description: "" },
  side: { type: "string", description: "" },
});
const model = (options.model ?? "resnet18-cifar") as ModelName;
const threads = Number(options.threads ?? 1);
const batch = Number(options.batch ?? 128);
const steps = Number(options.steps ?? 3);
const warmup = Number(options.warmup ?? 2);
const repeats = Number(options.repeats ?? 3);
if (!(warmup >= 1)) throw new RangeError("--warmup must be at least 1");
const TOP = 12;

/** Per operator name: [calls per step, self milliseconds per step]. */
type Operators = Record<string, [number, number]>;

/** The noiselab side, run in a child process started with the allocator's environment. */
function profileHere(): Operators {
  torch.setNumThreads(threads);
  const training = createTrainingStep({ model, batch, device: "cpu" });
  for (let i = 0; i < warmup; i++) training.run();
  const profiled = torch.profile(() => {
    for (let i = 0; i < steps; i++) training.run();
  });
  training.dispose();
  return Object.fromEntries(profiled.operators.map((o) => [o.name, [o.calls / steps, o.selfMicros / steps / 1000]]));
}

if (options.side === "noiselab") {
  process.stdout.write(JSON.stringify(profileHere()));
} else {
  const root = process.cwd();
  const allocator = defaultAllocator();
  const env = allocatorEnv(allocator);
  const args = ["--model", model, "--threads", String(threads), "--batch", String(batch)];
  const profileNoiselab = () =>
    JSON.parse(
      execFileSync(process.execPath, [join(root, "dist/bench/profile.js"), ...args, "--warmup", String(warmup), "--steps", String(steps), "--side", "noiselab"], { encoding: "utf8", env }),
    ) as Operators;
  // The peer's one timed step counts as the last of its warm-up steps.
  const pytorchArgs = [...args, "--warmup", String(warmup - 1), "--steps", "1", "--profile", String(steps)];
  const profilePytorch = () =>
    (JSON.parse(execFileSync("/usr/bin/python3", [join(root, "bench/train_pytorch.py"), ...pytorchArgs], { encoding: "utf8", env })) as { operators: Operators }).operators;
  const runs: { ours: Operators[]; theirs: Operators[] } = { ours: [], theirs: [] };
  for (let r = 0; r < repeats; r++) {
    // Alternate which side goes first, so that drifting machine load hits both alike.
    if (r % 2 === 0) {
      runs.ours.push(profileNoiselab());
      runs.theirs.push(profilePytorch());
    } else {
      runs.theirs.push(profilePytorch());
      runs.ours.push(profileNoiselab());
    }
  }
  /** Each operator's median calls and self time over the repetitions (absent counts as 0). */
  const medianOf = (profiles: Operators[]): Operators => {
    const names = new Set(profiles.flatMap((p) => Object.keys(p)));
    return Object.fromEntries(
      [...names].map((name) => [name, [0, 1].map((k) => median(profiles.map((p) => p[name]?.[k] ?? 0))) as [number, number]]),
    );
  };
  const ours = medianOf(runs.ours);
  const theirs = medianOf(runs.theirs);

  // ATen operators only: both sides also record autograd nodes, and PyTorch its Python-level ranges
  // ("Optimizer.step#SGD.step"), whose self time is interpreter time, not kernels.
  const isOperator = (name: string) => name.startsWith("aten::");
  const total = (ops: Operators) => Object.entries(ops).reduce((sum, [name, [, ms]]) => (isOperator(name) ? sum + ms : sum), 0);
  const self = (ops: Operators, name: string) => ops[name]?.[1] ?? 0;
  const calls = (ops: Operators, name: string) => ops[name]?.[0] ?? 0;
  const totals = (profiles: Operators[]) => profiles.map(total);
  const names = [...new Set([...Object.keys(ours), ...Object.keys(theirs)])].filter(isOperator);
  const top = names.sort((a, b) => Math.max(self(ours, b), self(theirs, b)) - Math.max(self(ours, a), self(theirs, a))).slice(0, TOP);
  const rows = top.map((name) => `| \`${name}\` | ${calls(ours, name).toFixed(0)} | ${self(ours, name).toFixed(1)} | ${calls(theirs, name).toFixed(0)} | ${self(theirs, name).toFixed(1)} |`);
  const differing = names.filter((name) => calls(ours, name) !== calls(theirs, name));

  const info = torch.buildInfo();
  const torchVersion = execFileSync("/usr/bin/python3", ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" }).trim();
  const section = [
    "<!-- bench:profile:start -->",
    "## Operator by operator: noiselab vs PyTorch (`bench/profile.ts`)",
    "",
    `Machine: ${cpus().length} × ${cpus()[0].model}; Node ${process.version}; noiselab on libtorch ${info.torchVersion}; PyTorch ${torchVersion} (the same libtorch build); allocator ${allocator} on both sides.`,
    `Protocol: ${model}, batch ${batch}, ${threads} intra-op thread(s), SGD with momentum on random data; ${warmup} warm-up steps, then ${steps} steps under libtorch's profiler; ${repeats} repetitions, each one fresh process per side, alternating which side goes first. Self time: an operator's own time, nested operators excluded, per step; each value is the median over the repetitions.`,
    "",
    "| operator | noiselab calls / step | noiselab self ms / step | PyTorch calls / step | PyTorch self ms / step |",
    "|---|---|---|---|---|",
    ...rows,
    `| **all ATen operators**, median (min–max) | ${names.reduce((s, n) => s + calls(ours, n), 0).toFixed(0)} | **${medianRange(totals(runs.ours))}** | ${names.reduce((s, n) => s + calls(theirs, n), 0).toFixed(0)} | **${medianRange(totals(runs.theirs))}** |`,
    "",
    differing.length === 0
      ? "Both sides call the same operators the same number of times."
      : `Operators whose call counts differ (noiselab / PyTorch per step): ${differing.map((n) => `\`${n}\` ${calls(ours, n).toFixed(0)} / ${calls(theirs, n).toFixed(0)}`).join(", ")}.`,
    "",
    `Run on ${new Date().toISOString().slice(0, 10)} with \`node dist/bench/profile.js ${process.argv.slice(2).join(" ")}\`; 1-minute load average at the end ${loadavg()[0].toFixed(1)}.`,
    "<!-- bench:profile:end -->",
  ].join("\n");
  console.log(section);

  writeBenchmarkSection("profile", section);
}
