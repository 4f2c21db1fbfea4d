// Training throughput of noiselab against PyTorch (Debian's python3-torch, the same libtorch build) on
// the same models, thread counts and data shapes, and what each memory allocator costs. In every
// repetition of a cell, one fresh process per side: noiselab under each installed allocator, PyTorch
// as it comes (stock) and PyTorch given noiselab's default allocator; the order of the sides rotates
// from one repetition to the next so that machine noise hits all alike. Writes its two tables into
// docs/benchmarks.md between the bench:train and bench:allocator markers.
//
//   node dist/bench/train.js [--repeats R] [--steps S] [--resnet-steps S] [--batch B] [--resnet-batch B]
//                            [--models smallcnn,resnet18-cifar] [--threads 1,2] [--allocators tcmalloc,glibc,…]
import { execFileSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "../src/cli/args.js";
import type { AllocatorName } from "../src/environment/allocator.js";
import { ALLOCATOR_ENV, allocatorEnv, defaultAllocator, installedAllocators, parseAllocator } from "../src/environment/allocator.js";
import { buildInfo } from "../src/torch/index.js";
import { medianRange, writeBenchmarkSection } from "./benchmarks-doc.js";

const root = process.cwd();
const { options } = parseArgs(process.argv.slice(2), {
  repeats: { type: "string", description: "" },
  steps: { type: "string", description: "" },
  "resnet-steps": { type: "string", description: "" },
  batch: { type: "string", description: "" },
  "resnet-batch": { type: "string", description: "" },
  models: { type: "string", description: "" },
  threads: { type: "string", description: "" },
  allocators: { type: "string", description: "" },
});
const repeats = Number(options.repeats ?? 5);
const models = (options.models ?? "smallcnn,resnet18-cifar").split(",");
const threadCounts = (options.threads ?? "1,2").split(",").map(Number);
const isResnet = (model: string) => model.startsWith("resnet");
const stepsFor = (model: string) => Number(isResnet(model) ? (options["resnet-steps"] ?? 5) : (options.steps ?? 30));
const batchFor = (model: string) => Number(isResnet(model) ? (options["resnet-batch"] ?? 128) : (options.batch ?? 128));
const WARMUP = 2;
const chosen = defaultAllocator();
const others = (options.allocators?.split(",").map(parseAllocator) ?? installedAllocators()).filter((a) => a !== chosen);

interface Measurement {
  imagesPerSecond: number;
  peakRssBytes: number;
  systemSeconds: number;
  minorPageFaults: number;
}

interface Side {
  name: string;
  measure: (model: string, threads: number) => Measurement;
}

function benchArgs(model: string, threads: number): string[] {
  return ["--model", model, "--batch", String(batchFor(model)), "--threads", String(threads), "--steps", String(stepsFor(model)), "--warmup", String(WARMUP)];
}

const noiselabSide = (allocator: AllocatorName): Side => ({
  name: `noiselab ${allocator}`,
  measure: (model, threads) =>
    // Started with the allocator's environment, as `bench` would re-execute itself: one process start, like PyTorch's.
    JSON.parse(
      execFileSync(process.execPath, [join(root, "bin/noiselab.js"), "bench", "train", ...benchArgs(model, threads), "--allocator", allocator, "--json"], { encoding: "utf8", env: allocatorEnv(allocator) }),
    ) as Measurement,
});

const pytorchSide = (allocator: AllocatorName): Side => ({
  name: `PyTorch ${allocator === "system" ? "stock" : allocator}`,
  measure: (model, threads) =>
    JSON.parse(execFileSync("/usr/bin/python3", [join(root, "bench/train_pytorch.py"), ...benchArgs(model, threads)], { encoding: "utf8", env: allocatorEnv(allocator) })) as Measurement,
});

const ours = noiselabSide(chosen);
const stock = pytorchSide("system");
const same = chosen === "system" ? undefined : pytorchSide(chosen);
const sides = [ours, ...others.map(noiselabSide), stock, ...(same ? [same] : [])];

const loads: number[] = [];
const throughputRows: string[] = [];
const allocatorRows: string[] = [];
for (const model of models) {
  for (const threads of threadCounts) {
    const results = new Map<Side, Measurement[]>(sides.map((s) => [s, []]));
    for (let r = 0; r < repeats; r++) {
      for (let i = 0; i < sides.length; i++) {
        const side = sides[(i + r) % sides.length];
        results.get(side)!.push(side.measure(model, threads));
      }
      loads.push(loadavg()[0]);
    }
    const ips = (side: Side) => results.get(side)!.map((m) => m.imagesPerSecond);
    const ratios = (other: Side) => ips(ours).map((x, i) => x / ips(other)[i]);
    const line = `| ${model} | ${threads} | ${medianRange(ips(ours))} | ${medianRange(ips(stock))} | ${medianRange(ratios(stock), 3)} | ${same ? medianRange(ips(same)) : "—"} | ${same ? medianRange(ratios(same), 3) : "—"} |`;
    console.log(line);
    throughputRows.push(line);
    for (const side of sides) {
      const ms = results.get(side)!;
      const row = `| ${model} | ${threads} | ${side.name} | ${medianRange(ips(side))} | ${medianRange(ms.map((m) => m.systemSeconds), 2)} | ${medianRange(ms.map((m) => m.minorPageFaults / 1000), 0)} | ${medianRange(ms.map((m) => m.peakRssBytes / 2 ** 20), 0)} |`;
      console.log(row);
      allocatorRows.push(row);
    }
  }
}

const info = buildInfo();
const torchVersion = execFileSync("/usr/bin/python3", ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" }).trim();
const machine = `Machine: ${cpus().length} × ${cpus()[0].model}; Node ${process.version}; noiselab on libtorch ${info.torchVersion} (${info.libtorchDir}); PyTorch ${torchVersion} (Debian python3-torch, the same libtorch build).`;
const protocol =
  `Protocol: SGD with momentum on random data, batch ${models.map((m) => `${batchFor(m)} (${m})`).join(", ")}; ${WARMUP} warm-up steps, then ${models.map((m) => `${stepsFor(m)} timed steps (${m})`).join(", ")}. ` +
  `Each cell is ${repeats} repetitions; a repetition runs one fresh process per side (${sides.map((s) => s.name).join(", ")}), in an order that rotates by one each repetition. Values: median (min–max).`;
const rerun = `Run on ${new Date().toISOString().slice(0, 10)} with \`node dist/bench/train.js ${process.argv.slice(2).join(" ")}\`; 1-minute load average after each repetition ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${cpus().length} cores (the machine is shared: single cells are noisy, the per-repetition ratios, measured side by side, are the numbers to read).`;

const throughput = [
  "<!-- bench:train:start -->",
  "## Training throughput: noiselab vs PyTorch (`bench/train.ts`)",
  "",
  machine,
  `${protocol} noiselab runs with its default allocator (${chosen}); PyTorch once as it comes (stock: glibc malloc) and once given the same allocator in the same way. Ratio: noiselab / PyTorch per repetition, median (min–max); ≥ 1 means noiselab is at least as fast. Goals: ≥ 1.2 against stock PyTorch, ≥ 1.0 against PyTorch with the same allocator.`,
  "",
  "| model | threads | noiselab images/s | PyTorch stock images/s | ratio | PyTorch + same allocator images/s | ratio |",
  "|---|---|---|---|---|---|---|",
  ...throughputRows,
  "",
  rerun,
  "<!-- bench:train:end -->",
].join("\n");
const allocatorTable = [
  "<!-- bench:allocator:start -->",
  "### Per allocator (the same run)",
  "",
  "Whole-process numbers from `getrusage` (model construction and warm-up included): kernel CPU time, minor page faults, peak resident memory. The allocators' settings (`system`: glibc malloc as it comes): " +
    `${[chosen, ...others].map((a) => `\`${a}\`: ${setupOf(a)}`).join("; ")}.`,
  "",
  "| model | threads | side | images/s | sys s | minor faults (thousands) | peak RSS MiB |",
  "|---|---|---|---|---|---|---|",
  ...allocatorRows,
  "<!-- bench:allocator:end -->",
].join("\n");

/** The environment variables that set an allocator up, as `NAME=value`. */
function setupOf(allocator: AllocatorName): string {
  const env = allocatorEnv(allocator, {});
  const settings = Object.entries(env).filter(([name]) => name !== ALLOCATOR_ENV);
  return settings.length === 0 ? "nothing set" : settings.map(([name, value]) => `\`${name}=${value}\``).join(" ");
}

writeBenchmarkSection("train", throughput);
writeBenchmarkSection("allocator", allocatorTable);
