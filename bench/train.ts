// Training throughput of noiselab against PyTorch (Debian's python3-torch, the same libtorch build) on
// the same models, thread counts and data shapes. Each measurement is a fresh process; the two sides
// alternate within every repetition so that machine noise hits both alike. Writes its table into
// docs/benchmarks.md between the bench:train markers.
//
//   node dist/bench/train.js [--repeats R] [--steps S] [--resnet-steps S] [--models smallcnn,resnet18-cifar]
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../src/io/files.js";
import { parseArgs } from "../src/cli/args.js";
import { median } from "../src/metrics/stats.js";
import { buildInfo } from "../src/torch/index.js";

const root = process.cwd();
const { options } = parseArgs(process.argv.slice(2), {
  repeats: { type: "string", description: "" },
  steps: { type: "string", description: "" },
  "resnet-steps": { type: "string", description: "" },
  models: { type: "string", description: "" },
  threads: { type: "string", description: "" },
});
const repeats = Number(options.repeats ?? 5);
const models = (options.models ?? "smallcnn,resnet18-cifar").split(",");
const threadCounts = (options.threads ?? "1,2").split(",").map(Number);
const stepsFor = (model: string) => (model === "smallcnn" ? Number(options.steps ?? 30) : Number(options["resnet-steps"] ?? 5));
const BATCH = 128;

function measure(side: "noiselab" | "pytorch", model: string, threads: number): number {
  const common = ["--model", model, "--batch", String(BATCH), "--threads", String(threads), "--steps", String(stepsFor(model)), "--warmup", "2"];
  const out =
    side === "noiselab"
      ? execFileSync(process.execPath, [join(root, "bin/noiselab.js"), "bench", "train", ...common, "--json"], { encoding: "utf8" })
      : execFileSync("/usr/bin/python3", [join(root, "bench/train_pytorch.py"), ...common], { encoding: "utf8" });
  return (JSON.parse(out) as { imagesPerSecond: number }).imagesPerSecond;
}

const fmt = (x: number) => x.toFixed(1);
const rows: string[] = [];
for (const model of models) {
  for (const threads of threadCounts) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      // Alternate which side goes first.
      if (r % 2 === 0) {
        ours.push(measure("noiselab", model, threads));
        theirs.push(measure("pytorch", model, threads));
      } else {
        theirs.push(measure("pytorch", model, threads));
        ours.push(measure("noiselab", model, threads));
      }
    }
    const ratios = ours.map((o, i) => o / theirs[i]);
    const line = `| ${model} | ${threads} | ${fmt(median(ours))} (${fmt(Math.min(...ours))}–${fmt(Math.max(...ours))}) | ${fmt(median(theirs))} (${fmt(Math.min(...theirs))}–${fmt(Math.max(...theirs))}) | ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}) |`;
    console.log(line);
    rows.push(line);
  }
}

const info = buildInfo();
const torchVersion = execFileSync("/usr/bin/python3", ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" }).trim();
const section = [
  "<!-- bench:train:start -->",
  "## Training throughput: noiselab vs PyTorch (`bench/train.ts`)",
  "",
  `Machine: ${cpus().length} × ${cpus()[0].model}; Node ${process.version}; noiselab on libtorch ${info.torchVersion} (${info.libtorchDir}); PyTorch ${torchVersion} (Debian python3-torch, the same libtorch build).`,
  `Protocol: batch ${BATCH}, SGD with momentum, random data; each cell is ${repeats} fresh processes per side, alternating sides; 2 warm-up steps, then ${stepsFor("smallcnn")} timed steps (smallcnn) or ${stepsFor("resnet18-cifar")} (resnet18-cifar). Images/s: median (min–max). Ratio: median (min–max) of the per-repetition ratios noiselab / PyTorch; ≥ 1 means noiselab is at least as fast.`,
  "",
  "| model | threads | noiselab images/s | PyTorch images/s | ratio |",
  "|---|---|---|---|---|",
  ...rows,
  "",
  `Run on ${new Date().toISOString().slice(0, 10)} with \`node dist/bench/train.js ${process.argv.slice(2).join(" ")}\` (load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(", ")}). The machine is shared, so single cells are noisy; the per-repetition ratio, measured side by side, is the number to read.`,
  "<!-- bench:train:end -->",
].join("\n");

const path = join(root, "docs/benchmarks.md");
let doc = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n";
const pattern = /<!-- bench:train:start -->[\s\S]*<!-- bench:train:end -->/;
doc = pattern.test(doc) ? doc.replace(pattern, section) : `${doc.trimEnd()}\n\n${section}\n`;
writeFileAtomic(path, doc);
