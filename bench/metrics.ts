/**
 * Benchmark of the stability metrics at ResNet-18 scale:
 * 10 replicates × ResNet-18 (ImageNet) weights, 11.7M float32 parameters
 * each, pairwise unit and raw L2 with per-tensor breakdown; plus pairwise
 * churn and per-example disagreement over 10k test examples.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/metrics.js [repeats]
 */
import { cpus } from "node:os";
import { pairwiseChurn, voteStatistics } from "../src/metrics/churn.js";
import { analyzeReplicates } from "../src/metrics/analyze.js";
import { median, quantile } from "../src/metrics/stats.js";
import type { WeightReplicate } from "../src/metrics/weights.js";
import { weightReport } from "../src/metrics/weights.js";
import { Rng } from "../src/random.js";

const REPLICATES = 10;
const EXAMPLES = 10_000;
const CLASSES = 10;
const repeats = Number(process.argv[2] ?? 7);

/** Trainable parameter shapes of torchvision's resnet18 (BatchNorm buffers omitted). */
function resnet18Shapes(): [string, number[]][] {
  const shapes: [string, number[]][] = [["conv1.weight", [64, 3, 7, 7]]];
  const bn = (name: string, c: number): void => {
    shapes.push([`${name}.weight`, [c]], [`${name}.bias`, [c]]);
  };
  bn("bn1", 64);
  let inC = 64;
  [64, 128, 256, 512].forEach((outC, layer) => {
    for (let block = 0; block < 2; block++) {
      const p = `layer${layer + 1}.${block}`;
      const cin = block === 0 ? inC : outC;
      shapes.push([`${p}.conv1.weight`, [outC, cin, 3, 3]]);
      bn(`${p}.bn1`, outC);
      shapes.push([`${p}.conv2.weight`, [outC, outC, 3, 3]]);
      bn(`${p}.bn2`, outC);
      if (block === 0 && cin !== outC) {
        shapes.push([`${p}.downsample.0.weight`, [outC, cin, 1, 1]]);
        bn(`${p}.downsample.1`, outC);
      }
    }
    inC = outC;
  });
  shapes.push(["fc.weight", [1000, 512]], ["fc.bias", [1000]]);
  return shapes;
}

function makeWeights(): WeightReplicate[] {
  const rng = new Rng(1);
  const shapes = resnet18Shapes();
  return Array.from({ length: REPLICATES }, () => ({
    tensors: Object.fromEntries(
      shapes.map(([name, shape]) => {
        const size = shape.reduce((a, b) => a * b, 1);
        const data = new Float32Array(size);
        for (let i = 0; i < size; i++) data[i] = rng.nextFloat() - 0.5;
        return [name, { shape, data }];
      }),
    ),
  }));
}

function makePredictions(): { labels: Int32Array; predictions: Int32Array[] } {
  const rng = new Rng(2);
  const labels = Int32Array.from({ length: EXAMPLES }, () => rng.nextBelow(CLASSES));
  const predictions = Array.from({ length: REPLICATES }, () => labels.map((y) => (rng.nextFloat() < 0.2 ? rng.nextBelow(CLASSES) : y)));
  return { labels, predictions };
}

function time(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

function describe(name: string, ms: number[]): void {
  const fmt = (x: number): string => x.toFixed(0).padStart(5);
  console.log(
    `${name.padEnd(44)} median ${fmt(median(ms))} ms   min ${fmt(Math.min(...ms))}   max ${fmt(Math.max(...ms))}   IQR ${fmt(quantile(ms, 0.25))}–${fmt(quantile(ms, 0.75)).trim()} ms`,
  );
}

const weights = makeWeights();
const parameters = Object.values(weights[0].tensors).reduce((s, t) => s + t.data.length, 0);
const { labels, predictions } = makePredictions();
console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "unknown"})`);
console.log(`${REPLICATES} replicates × ${parameters.toLocaleString("en")} float32 parameters; churn over ${EXAMPLES.toLocaleString("en")} examples; ${repeats} repeats after 1 warm-up`);

const weightsMs: number[] = [];
const churnMs: number[] = [];
const totalMs: number[] = [];
const analyzeMs: number[] = [];
let check = 0;
for (let r = 0; r <= repeats; r++) {
  let w = 0;
  let c = 0;
  const total = time(() => {
    w = time(() => {
      check += weightReport(weights).unitL2.mean;
    });
    c = time(() => {
      check += pairwiseChurn(predictions)[0] + voteStatistics(predictions, CLASSES).disagreement[0];
    });
  });
  const a = time(() => {
    check += analyzeReplicates({ labels, predictions, numClasses: CLASSES }).churn.mean;
  });
  if (r === 0) continue; // warm-up: JIT compilation
  weightsMs.push(w);
  churnMs.push(c);
  totalMs.push(total);
  analyzeMs.push(a);
}
describe("pairwise weight L2 (unit + raw, per tensor)", weightsMs);
describe("pairwise churn + d(x), 10k examples", churnMs);
describe("total (target < 1000 ms)", totalMs);
describe("analyzeReplicates, 10k examples (bootstraps)", analyzeMs);
if (!Number.isFinite(check)) throw new Error("benchmark produced a non-finite result");
