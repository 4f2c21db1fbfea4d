// One training run: config in, artifacts and metrics out.
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import type { DatasetInfo } from "../data/index.js";
import { DecodePool, openDataset } from "../data/index.js";
import { formatCsv } from "../io/csv.js";
import { writeNpy } from "../io/npy.js";
import { writeFileAtomic } from "../io/files.js";
import { top1Accuracy } from "../metrics/accuracy.js";
import { argmaxRows, binaryTaskOf } from "../metrics/replicates.js";
import type { Module } from "../nn/index.js";
import type { LrSchedule, Optimizer } from "../optim/index.js";
import { Adam, GradScaler, SGD, cosineWithWarmup, multiStepDecay } from "../optim/index.js";
import type { Tensor } from "../torch/index.js";
import * as torch from "../torch/index.js";
import type { Normalizer, SplitSource } from "./batches.js";
import { augmentBatch, epochBatches, evaluationBatches, normalizerFor, splitSource, trainingBatches } from "./batches.js";
import { EpochTotals } from "./epoch-totals.js";
import { createModelForDataset } from "./model.js";
import type { RunConfig } from "./config.js";
import type { AppliedEnvironment } from "./environment.js";
import { applyEnvironment } from "./environment.js";

export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  seconds: number;
}

export interface RunOutcome {
  metrics: {
    testAccuracy: number;
    finalTrainLoss: number;
    weightsHash: string;
    wallSeconds: number;
    epochs: number;
  };
  /** Epochs whose test predictions were saved, ascending. */
  evalEpochs: number[];
  metadata: Record<string, unknown>;
}

/** The loss became NaN or infinite; the run fails with this reason and the others go on. */
export class DivergedError extends Error {
  override name = "DivergedError";
}

const EVAL_BATCH = 1000;

/** sha256 over every state-dict entry's name, dtype, shape and bytes. */
export function stateDictHash(model: Module): string {
  const hash = createHash("sha256");
  for (const [name, t] of model.stateDict()) {
    hash.update(`${name}|${t.dtype}|${t.shape.join("x")}|`);
    const data = t.data();
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest("hex");
}

function makeOptimizer(config: RunConfig, params: Tensor[], stepsPerEpoch: number): { optimizer: Optimizer; lrAt: LrSchedule; perStep: boolean } {
  const o = config.training.optimizer;
  if (o.kind === "adam") {
    const optimizer = new Adam(params, { lr: o.lr, weightDecay: o.weightDecay });
    return { optimizer, lrAt: multiStepDecay(o.lr, o.decayEpochs, o.gamma), perStep: false };
  }
  const optimizer = new SGD(params, { lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay });
  const total = config.training.epochs * stepsPerEpoch;
  return { optimizer, lrAt: cosineWithWarmup(o.lr, Math.min(total, Math.round(o.warmupEpochs * stepsPerEpoch)), total), perStep: true };
}

/**
 * The model's outputs on a whole dataset, in eval mode: class probabilities
 * (softmax) and predicted labels (argmax), or for multi-label data each
 * output's probability (sigmoid) and 0/1 decision (probability > 0.5); n×K.
 */
async function predict(model: Module, data: SplitSource, multiLabel: boolean, normalizer: Normalizer, applied: AppliedEnvironment, pool: DecodePool): Promise<{ probabilities: Float32Array; predictions: Int32Array; outputs: number }> {
  model.eval();
  const chunks: Float32Array[] = [];
  const batches = evaluationBatches(data, EVAL_BATCH, pool);
  for (let start = 0; start < data.count; start += EVAL_BATCH) {
    const raw = await batches.next();
    torch.noGrad(() =>
      torch.tidy(() => {
        const x = normalizer.apply(raw()).to({ device: applied.device });
        // The forward in the run's precision; probabilities in float32.
        const logits = applied.forward(() => model.call(x)).float();
        chunks.push((multiLabel ? torch.F.sigmoid(logits) : torch.F.softmax(logits, 1)).cpu().data<"float32">());
      }),
    );
  }
  model.train();
  const outputs = chunks[0].length / Math.min(EVAL_BATCH, data.count);
  const probabilities = new Float32Array(data.count * outputs);
  let offset = 0;
  for (const c of chunks) {
    probabilities.set(c, offset);
    offset += c.length;
  }
  const predictions = multiLabel ? Int32Array.from(probabilities, (p) => (p > 0.5 ? 1 : 0)) : argmaxRows(probabilities, outputs);
  return { probabilities, predictions, outputs };
}

/** `test-labels.npy`, and `test-groups.csv` (one column per attribute, quoted where needed) when the dataset has attributes. */
export function writeTestData(dir: string, test: DatasetInfo): void {
  writeNpy(join(dir, "test-labels.npy"), { dtype: "i4", shape: [test.labels.length], data: test.labels });
  if (test.multiLabel) writeNpy(join(dir, "test-targets.npy"), { dtype: "u1", shape: [test.labels.length, test.multiLabel.names.length], data: test.multiLabel.values });
  if (test.attributes) {
    const attributes = test.attributes;
    const names = Object.keys(attributes);
    const rows = Array.from(test.labels, (_, i) => names.map((n) => attributes[n].values[attributes[n].codes[i]]));
    writeFileAtomic(join(dir, "test-groups.csv"), formatCsv(names, rows));
  }
}

/**
 * Trains one run in this process and writes its artifacts into `outDir`:
 * `predictions-e{E}.npy` (int32: n, or n×K 0/1 for multi-label data) and
 * `probabilities-e{E}.npy` (float32, n×C or n×K) for each saved epoch, `weights.safetensors`, `curve.json`,
 * `test-labels.npy`, `test-targets.npy` (uint8 n×K) for multi-label data,
 * and `test-groups.csv` when the dataset has attributes.
 * Training uses the config's environment: its device, intra-op threads, precision and
 * oneDNN switch. Image-file datasets are decoded by as many worker threads while the
 * model trains.
 */
export async function trainRun(config: RunConfig, outDir: string, options: { onProgress?: (fraction: number) => void } = {}): Promise<RunOutcome> {
  const pool = new DecodePool(config.environment.threads);
  try {
    return await train(config, outDir, options, pool);
  } finally {
    await pool.close();
  }
}

async function train(config: RunConfig, outDir: string, options: { onProgress?: (fraction: number) => void }, pool: DecodePool): Promise<RunOutcome> {
  const started = performance.now();
  const { training, seeds } = config;
  const applied = applyEnvironment(config.environment);
  const { device } = applied;
  torch.setDeterminism(
    config.noise.kernels
      ? { deterministicAlgorithms: false, cudnnDeterministic: false, cudnnBenchmark: true }
      : { ...torch.DETERMINISTIC },
  );

  const splits = openDataset(config.dataset);
  const train = splitSource(splits.train);
  const test = splitSource(splits.test);
  const normalizer = normalizerFor(splits.train);
  const generators = {
    init: new torch.Generator(seeds.init),
    shuffle: new torch.Generator(seeds.shuffle),
    augment: new torch.Generator(seeds.augment),
    dropout: new torch.Generator(seeds.dropout, device),
    batchOrder: new torch.Generator(seeds.batchOrder),
  };
  const multiLabel = splits.train.multiLabel;
  const analysed = multiLabel?.analysed ?? 0;
  const model = createModelForDataset(config.model, splits.train, { init: generators.init, dropout: generators.dropout }).to(device);
  model.train();

  const stepsPerEpoch = Math.ceil(train.count / training.batchSize);
  const { optimizer, lrAt, perStep } = makeOptimizer(config, model.parameters(), stepsPerEpoch);
  const scaler = applied.lossScaling ? new GradScaler() : undefined;
  const saveEpochs = new Set([...training.evalEpochs.filter((e) => e <= training.epochs), training.epochs]);
  const curve: EpochRecord[] = [];
  let step = 0;

  for (let epoch = 1; epoch <= training.epochs; epoch++) {
    const epochStart = performance.now();
    if (!perStep) optimizer.lr = lrAt(epoch - 1);
    const totals = new EpochTotals(device, step);
    const batches = torch.tidy(() => epochBatches(train.count, training.batchSize, generators.shuffle, generators.batchOrder)).map((b) => torch.keep(b));
    try {
      const images = trainingBatches(train, batches, pool);
      for (const indices of batches) {
        const raw = await images.next();
        torch.tidy(() => {
          if (perStep) optimizer.lr = lrAt(step);
          let pixels = raw();
          // Augment the stored pixels, so that the crop's zero padding is black, as in torchvision's RandomCrop.
          if (training.augment) pixels = augmentBatch(pixels, generators.augment);
          const x = normalizer.apply(pixels).to({ device });
          const y = train.labels.indexSelect(0, indices).to({ device });
          const { logits, loss } = applied.forward(() => {
            const logits = model.call(x);
            const loss = multiLabel ? torch.F.binaryCrossEntropyWithLogits(logits, y) : torch.F.crossEntropy(logits, y, { labelSmoothing: training.labelSmoothing });
            return { logits, loss };
          });
          optimizer.zeroGrad();
          if (scaler) {
            scaler.scaleLoss(loss).backward();
            scaler.step(optimizer);
          } else {
            loss.backward();
            optimizer.step();
          }
          if (multiLabel) {
            // Accuracy follows the analysed output: as a two-class logit pair [0, z] its argmax is the sigmoid's decision z > 0.
            const z = logits.detach().narrow(1, analysed, 1);
            totals.add(loss, torch.cat([torch.zerosLike(z), z], 1), y.narrow(1, analysed, 1).squeeze(1).long());
          } else {
            totals.add(loss, logits, y);
          }
        });
        step++;
        options.onProgress?.(step / (stepsPerEpoch * training.epochs));
      }
    } finally {
      for (const b of batches) b.dispose();
    }
    const { lossSum, correct, divergence } = totals.read();
    if (divergence) throw new DivergedError(`loss became ${divergence.loss} at epoch ${epoch}, step ${divergence.step}`);
    // Test accuracy every epoch, for the curves; predictions are kept only for the saved epochs.
    const { probabilities, predictions, outputs } = await predict(model, test, multiLabel !== undefined, normalizer, applied, pool);
    const testAccuracy = top1Accuracy(multiLabel ? binaryTaskOf(predictions, probabilities, outputs, analysed).predictions : predictions, splits.test.labels);
    if (saveEpochs.has(epoch)) {
      const n = splits.test.labels.length;
      writeNpy(join(outDir, `predictions-e${epoch}.npy`), { dtype: "i4", shape: multiLabel ? [n, outputs] : [n], data: predictions });
      writeNpy(join(outDir, `probabilities-e${epoch}.npy`), { dtype: "f4", shape: [n, outputs], data: probabilities });
    }
    curve.push({ epoch, lr: optimizer.lr, trainLoss: lossSum / train.count, trainAccuracy: correct / train.count, testAccuracy, seconds: (performance.now() - epochStart) / 1000 });
  }

  const weightsHash = stateDictHash(model);
  torch.saveSafetensors(join(outDir, "weights.safetensors"), model.stateDict(), { weightsHash });
  writeFileAtomic(join(outDir, "curve.json"), JSON.stringify(curve, null, 1));
  writeTestData(outDir, splits.test);
  const wallSeconds = (performance.now() - started) / 1000;
  const info = torch.buildInfo();
  return {
    metrics: { testAccuracy: curve.at(-1)!.testAccuracy, finalTrainLoss: curve.at(-1)!.trainLoss, weightsHash, wallSeconds, epochs: training.epochs },
    evalEpochs: [...saveEpochs].sort((a, b) => a - b),
    metadata: {
      torchVersion: info.torchVersion,
      libtorchDir: info.libtorchDir,
      cudnnVersion: info.cudnnVersion,
      node: process.version,
      host: hostname(),
      device,
      threads: torch.getNumThreads(),
      environment: config.environment,
      onednn: torch.onednnEnabled(),
      determinism: torch.getDeterminism(),
      seeds,
      noise: config.noise,
      parameterCount: model.parameterCount(),
      classNames: splits.test.classNames,
      ...(multiLabel && { outputNames: multiLabel.names, analysedOutput: analysed }),
      trainExamples: train.count,
      testExamples: test.count,
      wallSeconds,
    },
  };
}
