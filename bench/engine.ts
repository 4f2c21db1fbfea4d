// Where a training step's time goes between JS and libtorch's kernels: how many
// calls cross the N-API boundary per step, what one call costs on a tiny tensor
// (against PyTorch's Python binding on the same libtorch), how much of the step
// is spent outside any libtorch operator, and the page faults and kernel (sys)
// time that memory allocation costs. Writes its section into docs/benchmarks.md
// between the bench:engine markers.
//
//   node dist/bench/engine.js [--model smallcnn] [--batch 128] [--steps 30] [--repeats 3]
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "../src/cli/args.js";
import { median } from "../src/metrics/stats.js";
import { modelInfo } from "../src/models/index.js";
import { createTrainingStep } from "../src/overhead/step.js";
import * as torch from "../src/torch/index.js";
import { native } from "../src/torch/native.js";
import { medianRange, writeBenchmarkSection } from "./benchmarks-doc.js";

const { options } = parseArgs(process.argv.slice(2), {
  model: { type: "string", description: "" },
  batch: { type: "string", description: "" },
  steps: { type: "string", description: "" },
  repeats: { type: "string", description: "" },
});
const model = modelInfo(options.model ?? "smallcnn").name;
const batch = Number(options.batch ?? 128);
const steps = Number(options.steps ?? 30);
const repeats = Number(options.repeats ?? 3);
const TINY_OPS = 4000;
const TINY_CHUNKS = 10;

torch.setNumThreads(1);
const training = createTrainingStep({ model, batch, device: "cpu" });
for (let i = 0; i < 3; i++) training.run();

/** CPU milliseconds (user + sys) of this process. Other jobs load the machine, so wall time would measure them too. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

interface StepCost {
  wallMs: number;
  userMs: number;
  sysMs: number;
  /** Minor page faults: memory the allocator got back from the kernel and touches again. */
  faults: number;
}

/** Wall and CPU milliseconds and page faults per step, over `n` plain steps. */
function plainSteps(n: number): StepCost {
  const before = process.resourceUsage();
  const start = performance.now();
  for (let i = 0; i < n; i++) training.run();
  const wallMs = (performance.now() - start) / n;
  const after = process.resourceUsage();
  return {
    wallMs,
    userMs: (after.userCPUTime - before.userCPUTime) / 1000 / n,
    sysMs: (after.systemCPUTime - before.systemCPUTime) / 1000 / n,
    faults: (after.minorPageFault - before.minorPageFault) / n,
  };
}

/** Calls and milliseconds per native function over `n` steps, by wrapping every export of the addon. */
function nativeCalls(n: number): Map<string, { calls: number; ms: number }> {
  const table = native as unknown as Record<string, unknown>;
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  const stats = new Map<string, { calls: number; ms: number }>();
  for (const [name, value] of Object.entries(table)) {
    if (typeof value !== "function" || name === "captureWarnings") continue;
    const fn = value as (...args: unknown[]) => unknown;
    originals.set(name, fn);
    const entry = { calls: 0, ms: 0 };
    stats.set(name, entry);
    table[name] = (...args: unknown[]) => {
      const start = performance.now();
      try {
        return fn(...args);
      } finally {
        entry.ms += performance.now() - start;
        entry.calls++;
      }
    };
  }
  try {
    for (let i = 0; i < n; i++) training.run();
  } finally {
    for (const [name, fn] of originals) table[name] = fn;
  }
  return stats;
}

/**
 * CPU nanoseconds per `a.add(b)` + dispose on one-element tensors, through the
 * Tensor class and through the bare binding: the median of chunks that
 * alternate between the two, so that load from other jobs hits both alike.
 */
function tinyOpCost(): { tensorClass: number; binding: number } {
  const a = torch.keep(torch.ones([1]));
  const b = torch.keep(torch.ones([1]));
  const addId = native.resolveOp("add", "Tensor");
  const args = [a.handle, b.handle, 1];
  const paths = {
    tensorClass: () => a.add(b).dispose(),
    binding: () => native.dispose(native.callOp(addId, args) as Parameters<typeof native.dispose>[0]),
  };
  const samples = { tensorClass: [] as number[], binding: [] as number[] };
  for (let chunk = 0; chunk < TINY_CHUNKS; chunk++) {
    for (const [name, fn] of Object.entries(paths) as [keyof typeof paths, () => void][]) {
      const start = cpuMs();
      for (let i = 0; i < TINY_OPS; i++) fn();
      samples[name].push(((cpuMs() - start) * 1e6) / TINY_OPS);
    }
  }
  a.dispose();
  b.dispose();
  return { tensorClass: median(samples.tensorClass), binding: median(samples.binding) };
}

/** The same for `torch.add(a, b)` in PyTorch (Python), on the same libtorch, 1 thread. */
function pytorchTinyOpCost(): number {
  const script = [
    "import statistics, time, torch",
    "torch.set_num_threads(1)",
    "a = torch.ones(1); b = torch.ones(1)",
    "samples = []",
    `for _ in range(${TINY_CHUNKS}):`,
    "    t = time.process_time_ns()",
    `    for _ in range(${TINY_OPS}): torch.add(a, b, alpha=1)`,
    `    samples.append((time.process_time_ns() - t) / ${TINY_OPS})`,
    "print(statistics.median(samples))",
  ].join("\n");
  return Number(execFileSync("/usr/bin/python3", ["-c", script], { encoding: "utf8" }).trim());
}

/**
 * The share of a step spent outside every libtorch operator (JS, N-API, the
 * autograd engine), from the profiler's operator self times, and the operators
 * with the most self time. Wall time, since the profiler records wall time.
 */
function operatorProfile(n: number): { outsidePercent: number; top: { name: string; percent: number }[] } {
  const start = performance.now();
  const profiled = torch.profile(() => {
    for (let i = 0; i < n; i++) training.run();
  });
  const wallMicros = (performance.now() - start) * 1000;
  const inside = profiled.operators.reduce((sum, o) => sum + o.selfMicros, 0);
  const top = [...profiled.operators]
    .sort((x, y) => y.selfMicros - x.selfMicros)
    .slice(0, 6)
    .map((o) => ({ name: o.name, percent: (100 * o.selfMicros) / wallMicros }));
  return { outsidePercent: (100 * (wallMicros - inside)) / wallMicros, top };
}

const step: StepCost[] = [];
const tiny: { tensorClass: number; binding: number; python: number }[] = [];
const profiles: ReturnType<typeof operatorProfile>[] = [];
let calls = new Map<string, { calls: number; ms: number }>();
for (let r = 0; r < repeats; r++) {
  // Interleaved, so that the load other jobs put on the machine hits every measurement alike.
  step.push(plainSteps(steps));
  calls = nativeCalls(steps);
  tiny.push({ ...tinyOpCost(), python: pytorchTinyOpCost() });
  profiles.push(operatorProfile(steps));
}
training.dispose();

const callRows = [...calls.entries()]
  .filter(([, s]) => s.calls > 0)
  .sort((x, y) => y[1].calls - x[1].calls)
  .map(([name, s]) => `| \`${name}\` | ${(s.calls / steps).toFixed(0)} | ${(s.ms / steps).toFixed(2)} |`);
const callsPerStep = [...calls.values()].reduce((sum, s) => sum + s.calls, 0) / steps;
const info = torch.buildInfo();
const allocator = process.env.LD_PRELOAD
  ? `LD_PRELOAD=${process.env.LD_PRELOAD}`
  : process.env.GLIBC_TUNABLES
    ? `glibc malloc, GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES}`
    : "glibc malloc with its defaults";
const lines = [
  "<!-- bench:engine:start -->",
  "## Between JS and the kernels (`bench/engine.ts`)",
  "",
  `Machine: ${cpus().length} × ${cpus()[0].model}; Node ${process.version}; libtorch ${info.torchVersion} (${info.libtorchDir}), 1 intra-op thread; allocator: ${allocator}.`,
  `Protocol: ${model}, batch ${batch}, SGD with momentum, random data, one process; ${repeats} rounds, each running every measurement in turn over ${steps} steps (interleaved, as other jobs load the machine). Times are CPU time of the process unless marked wall. Values: median (min–max) over the rounds.`,
  "",
  "| measurement | value |",
  "|---|---|",
  `| step: user CPU ms | ${medianRange(step.map((s) => s.userMs), 1)} |`,
  `| step: sys CPU ms | ${medianRange(step.map((s) => s.sysMs), 1)} |`,
  `| step: minor page faults | ${medianRange(step.map((s) => s.faults), 0)} |`,
  `| step: wall ms (the machine is shared) | ${medianRange(step.map((s) => s.wallMs), 1)} |`,
  `| calls into the addon per step | ${callsPerStep.toFixed(0)} |`,
  `| one \`a.add(b)\` + \`dispose()\` on 1-element tensors, ns: through \`Tensor\` | ${medianRange(tiny.map((t) => t.tensorClass), 0)} |`,
  `| … through the bare binding (\`native.callOp\` + \`native.dispose\`) | ${medianRange(tiny.map((t) => t.binding), 0)} |`,
  `| … PyTorch's \`torch.add(a, b)\` from Python, same libtorch | ${medianRange(tiny.map((t) => t.python), 0)} |`,
  `| bound on the per-call cost's share of a step: calls × cost of a tiny op (\`Tensor\` path, libtorch's dispatch included) / step | ${medianRange(tiny.map((t, i) => (100 * callsPerStep * t.tensorClass) / 1e6 / (step[i].userMs + step[i].sysMs)), 2)} % |`,
  `| outside every libtorch operator (JS, N-API, autograd engine), % of the step (profiler, wall) | ${medianRange(profiles.map((p) => p.outsidePercent), 1)} % |`,
  "",
  "Operators with the most self time, % of the step (profiler, wall; last round):",
  "",
  "| operator | % of the step |",
  "|---|---|",
  ...profiles.at(-1)!.top.map((o) => `| \`${o.name}\` | ${o.percent.toFixed(1)} |`),
  "",
  "Calls into the addon per step, and the milliseconds spent inside them (kernels included; last round):",
  "",
  "| native function | calls / step | ms / step |",
  "|---|---|---|",
  ...callRows,
  "",
  `Run on ${new Date().toISOString().slice(0, 10)} with \`node dist/bench/engine.js ${process.argv.slice(2).join(" ")}\` (load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(", ")}).`,
  "<!-- bench:engine:end -->",
];
const section = lines.join("\n");
console.log(section);

writeBenchmarkSection("engine", section);
