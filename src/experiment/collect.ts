// Gathers an experiment's stored runs into ExperimentResults for the report:
// predictions at the chosen epoch, final weights, curves and metadata.
import { existsSync, readFileSync } from "node:fs";
import { readCsv } from "../io/csv.js";
import { readNpy } from "../io/npy.js";
import { readSafetensors } from "../io/safetensors.js";
import type { ReplicateSet } from "../metrics/replicates.js";
import { binaryTaskOf } from "../metrics/replicates.js";
import type { Attributes } from "../metrics/subgroups.js";
import type { WeightReplicate } from "../metrics/weights.js";
import type { RunStore } from "../store/run-store.js";
import type { EpochRecord } from "../train/train.js";
import { InputError } from "../errors.js";
import { FINGERPRINT_FILE, readFingerprint } from "../environment/fingerprint.js";
import type { PlannedRun } from "./plan.js";
import { planRuns } from "./plan.js";
import type { ExperimentResults, FailedRun, ReplicateRun, VariantGroup } from "./results.js";
import type { ExperimentSpec } from "./spec.js";
import { parseSpec } from "./spec.js";

/** The toolchain of runs whose worker wrote no fingerprint.json. */
export const UNKNOWN_TOOLCHAIN = "unknown";

interface CompletedRun {
  run: ReplicateRun;
  prediction: Int32Array;
  score: Float32Array;
  /** Undefined where a command's script saved no weights. */
  weights: WeightReplicate | undefined;
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (err) {
    throw new InputError(`${path}: the stored run's file is damaged (${(err as Error).message}); delete that run's directory and noiselab run redoes it`);
  }
}

function readAttributes(path: string): Attributes | undefined {
  if (!existsSync(path)) return undefined;
  const table = readCsv(path);
  return Object.fromEntries(table.header.map((name, c) => [name, table.rows.map((row) => row[c])]));
}

/** The column of a multi-label run's outputs to analyse: `attribute`'s, or the one the run analysed. */
function analysedOutput(metadata: Record<string, unknown>, attribute: string | undefined): number {
  if (attribute === undefined) return Number(metadata.analysedOutput);
  const names = metadata.outputNames as string[];
  const k = names.indexOf(attribute);
  if (k < 0) throw new InputError(`--attribute: no output "${attribute}" (outputs: ${names.join(", ")})`);
  return k;
}

/** Column `k` of the n×K 0/1 test targets: the analysed output's labels. */
function targetColumn(targets: Uint8Array, outputs: number, k: number): Int32Array {
  return Int32Array.from({ length: targets.length / outputs }, (_, i) => targets[i * outputs + k]);
}

/** An experiment of commands has no training.epochs: its scripts decide. The last epoch its first done run saved. */
function lastSavedEpoch(store: RunStore, planned: readonly PlannedRun[]): number {
  for (const run of planned) {
    if (store.getRun(run.key)?.status !== "done") continue;
    const { evalEpochs } = readJson<{ evalEpochs?: unknown }>(store.artifactPath(run.key, "result.json"));
    if (Array.isArray(evalEpochs) && evalEpochs.length > 0) return Math.max(...evalEpochs.map(Number));
  }
  // No run is done: no predictions are read at any epoch.
  return 1;
}

/** The spec an experiment was run with, as stored. */
export function storedSpec(store: RunStore, name: string): ExperimentSpec {
  const record = store.getExperiment(name);
  if (!record) {
    const known = store.listExperiments().map((e) => e.name);
    throw new InputError(`no experiment "${name}" in the store${known.length ? ` (experiments: ${known.join(", ")})` : " (it is empty)"}`);
  }
  return parseSpec(record.spec, `experiment ${name}`);
}

/**
 * `attribute`: for multi-label experiments (CelebA), the output to analyse
 * instead of the spec's `target`, from the same runs.
 */
export function collectResults(store: RunStore, name: string, options: { attribute?: string } = {}): ExperimentResults {
  const spec = storedSpec(store, name);
  const planned = planRuns(spec);
  const epoch = spec.reportEpoch ?? spec.training?.epochs ?? lastSavedEpoch(store, planned);
  const groups: VariantGroup[] = [];
  let classNames: string[] = [];
  let multiLabel = false;
  let numClasses = 0;
  for (const model of spec.models) {
    for (const variant of spec.variants) {
      for (const environment of spec.environments) {
        const members = planned.filter((r) => r.model === model.label && r.variant === variant && r.environment === environment.name);
        const failed: FailedRun[] = [];
        const completed: CompletedRun[] = [];
        let labels: Int32Array = new Int32Array(0);
        let attributes: Attributes | undefined;
        for (const member of members) {
          const record = store.getRun(member.key);
          if (record?.status === "failed") failed.push({ key: member.key, label: member.label, error: record.error ?? "unknown error" });
          if (record?.status !== "done") continue;
          const path = (file: string) => store.artifactPath(member.key, file);
          const result = readJson<{ metrics: Record<string, number | string>; metadata: Record<string, unknown> }>(path("result.json"));
          const probabilities = readNpy(path(`probabilities-e${epoch}.npy`));
          const predicted = readNpy(path(`predictions-e${epoch}.npy`));
          let column: { outputs: number; k: number } | null = null;
          let prediction: Int32Array;
          let score: Float32Array;
          if (predicted.shape.length === 2) {
            // Multi-label: the report analyses one output (CelebA's target, or `attribute`) as a binary task.
            multiLabel = true;
            column = { outputs: predicted.shape[1], k: analysedOutput(result.metadata, options.attribute) };
            const binary = binaryTaskOf(predicted.data as Int32Array, probabilities.data as Float32Array, column.outputs, column.k);
            numClasses = 2;
            prediction = binary.predictions;
            score = binary.scores;
            const outputName = (result.metadata.outputNames as string[])[column.k];
            classNames = [`not ${outputName}`, outputName];
          } else {
            numClasses = probabilities.shape[1];
            prediction = predicted.data as Int32Array;
            score = probabilities.data as Float32Array;
          }
          // Every run of the experiment evaluates the same test set: read its labels and groups once.
          if (labels.length === 0) {
            labels = column === null ? (readNpy(path("test-labels.npy")).data as Int32Array) : targetColumn(readNpy(path("test-targets.npy")).data as Uint8Array, column.outputs, column.k);
            attributes = readAttributes(path("test-groups.csv"));
          }
          // A command's script may save no weights; the report then shows no weight distances.
          const file = existsSync(path("weights.safetensors")) ? readSafetensors(path("weights.safetensors")) : undefined;
          if (!multiLabel) classNames = (result.metadata.classNames as string[] | undefined) ?? classNames;
          const fingerprint = readFingerprint(path(FINGERPRINT_FILE));
          completed.push({
            run: {
              key: member.key,
              label: member.label,
              replicate: member.replicate,
              testAccuracy: Number(result.metrics.testAccuracy),
              weightsHash: String(result.metrics.weightsHash),
              wallSeconds: Number(result.metrics.wallSeconds),
              curve: readJson<EpochRecord[]>(path("curve.json")),
              metadata: result.metadata,
              fingerprint,
              toolchain: fingerprint?.toolchain ?? UNKNOWN_TOOLCHAIN,
            },
            prediction,
            score,
            weights: file && { tensors: Object.fromEntries(Object.entries(file.tensors).map(([n, t]) => [n, { shape: t.shape, data: t.data }])) },
          });
        }
        // Runs of one config made with different toolchains are never replicates of each other: a group per toolchain.
        const toolchains = [...new Set(completed.map((c) => c.run.toolchain))];
        if (toolchains.length === 0) toolchains.push(UNKNOWN_TOOLCHAIN);
        toolchains.forEach((toolchain, i) => {
          const mine = completed.filter((c) => c.run.toolchain === toolchain);
          const set: ReplicateSet = { labels, predictions: mine.map((c) => c.prediction), scores: mine.map((c) => c.score), numClasses: mine.length > 0 ? numClasses : 0 };
          groups.push({
            model: model.label,
            variant,
            environment: i === 0 ? environment.name : `${environment.name}@${toolchain.slice(0, 8)}`,
            toolchain,
            // The noise setting the plan gave these runs: only the sources that act in their config are free.
            noise: members[0].config.noise,
            replicatesPlanned: i === 0 ? members.length - (completed.length - mine.length) : mine.length,
            runs: mine.map((c) => c.run),
            failed: i === 0 ? failed : [],
            set,
            weights: mine.flatMap((c) => (c.weights ? [c.weights] : [])),
            attributes,
          });
        });
      }
    }
  }
  if (options.attribute !== undefined && !multiLabel) throw new InputError(`--attribute: experiment "${name}" has no multi-label runs (only CelebA trains several attributes)`);
  return { name, spec, epoch, classNames, groups };
}
