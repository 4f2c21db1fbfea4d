// What a user's script leaves in NOISELAB_OUTPUT_DIR, checked and turned into
// the artifacts the built-in trainer writes (src/train/train.ts), so that the
// report, the control check and every executor treat the run like any other.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { NpyArray } from "../io/npy.js";
import { readNpy, writeNpy } from "../io/npy.js";
import { readSafetensors } from "../io/safetensors.js";
import { writeFileAtomic } from "../io/files.js";
import { top1Accuracy } from "../metrics/accuracy.js";
import { argmaxRows } from "../metrics/replicates.js";
import { isRecord } from "../run-unit/unit.js";

/** The script's outputs are missing or malformed; the run fails with this one-line reason. */
export class ScriptOutputError extends Error {
  override name = "ScriptOutputError";
}

/** The files a script writes (python/noiselab writes them; a script may also write them itself). */
export const SCRIPT_FILES = {
  /** `predictions-e<EPOCH>.npy`: n predicted labels (integers) or n×C class probabilities (floats). */
  predictions: /^predictions-e([1-9]\d*)\.npy$/,
  /** The n true test labels, integers from 0. */
  labels: "labels.npy",
  weights: "weights.safetensors",
  /** A JSON object of the script's own numbers. */
  metrics: "metrics.json",
} as const;

export interface ScriptOutcome {
  /** Epochs with saved predictions, ascending; the last is the run's final epoch. */
  evalEpochs: number[];
  testAccuracy: number;
  /** sha256 of weights.safetensors, or of the final predictions where the script saved no weights. */
  weightsHash: string;
  hashOf: "weights" | "predictions";
  numClasses: number;
  testExamples: number;
  scriptMetrics: Record<string, unknown> | null;
}

const INTEGER_DTYPES = ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"];

function read(dir: string, file: string): NpyArray {
  try {
    return readNpy(join(dir, file));
  } catch (err) {
    throw new ScriptOutputError(`${file}: ${(err as Error).message.split("\n")[0]}`);
  }
}

function integers(array: NpyArray, file: string): Int32Array {
  const out = new Int32Array(array.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(array.data[i]);
    if (v < 0 || v > 0x7fffffff) throw new ScriptOutputError(`${file}: label ${v} at row ${i} is not a class index (0, 1, …)`);
    out[i] = v;
  }
  return out;
}

function readLabels(dir: string): Int32Array {
  if (!existsSync(join(dir, SCRIPT_FILES.labels))) {
    throw new ScriptOutputError(`the script wrote no ${SCRIPT_FILES.labels} (the test set's true labels): pass labels= to noiselab.save_predictions`);
  }
  const array = read(dir, SCRIPT_FILES.labels);
  if (array.shape.length !== 1 || !INTEGER_DTYPES.includes(array.dtype)) {
    throw new ScriptOutputError(`${SCRIPT_FILES.labels} must hold n integer labels, got dtype ${array.dtype} and shape [${array.shape.join(", ")}]`);
  }
  return integers(array, SCRIPT_FILES.labels);
}

interface EpochPredictions {
  epoch: number;
  file: string;
  predictions: Int32Array;
  /** n×C, row-major; null where the script saved labels only. */
  scores: Float32Array | null;
  numClasses: number;
}

function readPredictions(dir: string, file: string, epoch: number, n: number): EpochPredictions {
  const array = read(dir, file);
  const rows = array.shape[0];
  if (rows !== n) throw new ScriptOutputError(`${file} has ${rows ?? 0} rows, but ${SCRIPT_FILES.labels} has ${n} labels: save predictions for every test example`);
  if (array.shape.length === 1 && INTEGER_DTYPES.includes(array.dtype)) {
    const predictions = integers(array, file);
    return { epoch, file, predictions, scores: null, numClasses: maxOf(predictions) + 1 };
  }
  if (array.shape.length === 2 && (array.dtype === "f4" || array.dtype === "f8") && array.shape[1] >= 2) {
    const scores = Float32Array.from(array.data as Float32Array | Float64Array);
    const bad = scores.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new ScriptOutputError(`${file}: score ${scores[bad]} at row ${Math.floor(bad / array.shape[1])}: scores must be finite (did training diverge?)`);
    return { epoch, file, predictions: argmaxRows(scores, array.shape[1]), scores, numClasses: array.shape[1] };
  }
  throw new ScriptOutputError(`${file} must hold n predicted labels (integers) or n×C class scores (floats, C ≥ 2), got dtype ${array.dtype} and shape [${array.shape.join(", ")}]`);
}

function maxOf(values: Int32Array): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

function oneHot(predictions: Int32Array, numClasses: number): Float32Array {
  const out = new Float32Array(predictions.length * numClasses);
  predictions.forEach((p, i) => (out[i * numClasses + p] = 1));
  return out;
}

function readMetrics(dir: string): Record<string, unknown> | null {
  const path = join(dir, SCRIPT_FILES.metrics);
  if (!existsSync(path)) return null;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ScriptOutputError(`${SCRIPT_FILES.metrics} is not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(value)) throw new ScriptOutputError(`${SCRIPT_FILES.metrics} must hold a JSON object`);
  return value;
}

/**
 * Checks the script's outputs in `scriptDir` and writes the run's artifacts into `runDir`:
 * `predictions-e{E}.npy` (int32 n), `probabilities-e{E}.npy` (float32 n×C; one-hot where the
 * script saved labels only), `test-labels.npy`, `curve.json`, and `weights.safetensors` and
 * `script-metrics.json` where the script wrote them. Nothing is written unless every file is valid.
 */
export function collectScriptOutputs(scriptDir: string, runDir: string): ScriptOutcome {
  const files = existsSync(scriptDir) ? readdirSync(scriptDir) : [];
  const epochFiles = files.flatMap((file) => {
    const match = SCRIPT_FILES.predictions.exec(file);
    return match ? [{ file, epoch: Number(match[1]) }] : [];
  });
  if (epochFiles.length === 0) {
    throw new ScriptOutputError("the script wrote no predictions: call noiselab.save_predictions(outputs, epoch=…, labels=…), or write predictions-e<EPOCH>.npy into $NOISELAB_OUTPUT_DIR");
  }
  epochFiles.sort((a, b) => a.epoch - b.epoch);
  const labels = readLabels(scriptDir);
  const epochs = epochFiles.map(({ file, epoch }) => readPredictions(scriptDir, file, epoch, labels.length));
  const numClasses = Math.max(maxOf(labels) + 1, ...epochs.map((e) => e.numClasses));
  for (const e of epochs) {
    if (e.scores !== null && e.numClasses !== numClasses) throw new ScriptOutputError(`${e.file} has scores for ${e.numClasses} classes, but the labels and predictions need ${numClasses}`);
  }
  let weightsHash: string | undefined;
  const weightsPath = join(scriptDir, SCRIPT_FILES.weights);
  if (existsSync(weightsPath)) {
    try {
      readSafetensors(weightsPath);
    } catch (err) {
      throw new ScriptOutputError(`${SCRIPT_FILES.weights}: ${(err as Error).message.split("\n")[0]}`);
    }
    weightsHash = createHash("sha256").update(readFileSync(weightsPath)).digest("hex");
  }
  const scriptMetrics = readMetrics(scriptDir);

  const curve = [];
  for (const e of epochs) {
    const n = labels.length;
    writeNpy(join(runDir, `predictions-e${e.epoch}.npy`), { dtype: "i4", shape: [n], data: e.predictions });
    writeNpy(join(runDir, `probabilities-e${e.epoch}.npy`), { dtype: "f4", shape: [n, numClasses], data: e.scores ?? oneHot(e.predictions, numClasses) });
    curve.push({ epoch: e.epoch, testAccuracy: top1Accuracy(e.predictions, labels) });
  }
  writeNpy(join(runDir, "test-labels.npy"), { dtype: "i4", shape: [labels.length], data: labels });
  writeFileAtomic(join(runDir, "curve.json"), JSON.stringify(curve, null, 1));
  if (weightsHash !== undefined) copyFileSync(weightsPath, join(runDir, SCRIPT_FILES.weights));
  if (scriptMetrics !== null) writeFileAtomic(join(runDir, "script-metrics.json"), JSON.stringify(scriptMetrics, null, 1));
  const final = epochs.at(-1)!;
  return {
    evalEpochs: epochs.map((e) => e.epoch),
    testAccuracy: top1Accuracy(final.predictions, labels),
    weightsHash: weightsHash ?? createHash("sha256").update(readFileSync(join(runDir, `probabilities-e${final.epoch}.npy`))).digest("hex"),
    hashOf: weightsHash === undefined ? "predictions" : "weights",
    numClasses,
    testExamples: labels.length,
    scriptMetrics,
  };
}
