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
import { parseVariant } from "../noise/index.js";
import type { RunStore } from "../store/run-store.js";
import type { EpochRecord } from "../train/train.js";
import { InputError } from "../errors.js";
import { planRuns } from "./plan.js";
import type { ExperimentResults, FailedRun, ReplicateRun, VariantGroup } from "./results.js";
import type { ExperimentSpec } from "./spec.js";
import { parseSpec } from "./spec.js";

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

function readAttributes(path: string): Attributes | undefined {
  if (!existsSync(path)) return undefined;
  const table = readCsv(path);
  return Object.fromEntries(table.header.map((name, c) => [name, table.rows.map((row) => row[c])]));
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

export function collectResults(store: RunStore, name: string): ExperimentResults {
  const spec = storedSpec(store, name);
  const epoch = spec.reportEpoch ?? spec.training.epochs;
  const planned = planRuns(spec);
  const groups: VariantGroup[] = [];
  let classNames: string[] = [];
  for (const model of spec.models) {
    for (const variant of spec.variants) {
      const members = planned.filter((r) => r.model === model.label && r.variant === variant);
      const runs: ReplicateRun[] = [];
      const failed: FailedRun[] = [];
      const predictions: Int32Array[] = [];
      const scores: Float32Array[] = [];
      const weights: WeightReplicate[] = [];
      let labels: Int32Array = new Int32Array(0);
      let numClasses = 0;
      let attributes: Attributes | undefined;
      for (const member of members) {
        const record = store.getRun(member.key);
        if (record?.status === "failed") failed.push({ key: member.key, label: member.label, error: record.error ?? "unknown error" });
        if (record?.status !== "done") continue;
        const path = (file: string) => store.artifactPath(member.key, file);
        const result = readJson<{ metrics: Record<string, number | string>; metadata: Record<string, unknown> }>(path("result.json"));
        const probabilities = readNpy(path(`probabilities-e${epoch}.npy`));
        const predicted = readNpy(path(`predictions-e${epoch}.npy`));
        if (predicted.shape.length === 2) {
          // Multi-label: the report analyses the dataset's analysed output (e.g. CelebA's target) as a binary task.
          const binary = binaryTaskOf(predicted.data as Int32Array, probabilities.data as Float32Array, predicted.shape[1], Number(result.metadata.analysedOutput));
          numClasses = 2;
          predictions.push(binary.predictions);
          scores.push(binary.scores);
        } else {
          numClasses = probabilities.shape[1];
          predictions.push(predicted.data as Int32Array);
          scores.push(probabilities.data as Float32Array);
        }
        // Every run of the experiment evaluates the same test set: read its labels and groups once.
        if (labels.length === 0) {
          labels = readNpy(path("test-labels.npy")).data as Int32Array;
          attributes = readAttributes(path("test-groups.csv"));
        }
        const file = readSafetensors(path("weights.safetensors"));
        weights.push({ tensors: Object.fromEntries(Object.entries(file.tensors).map(([n, t]) => [n, { shape: t.shape, data: t.data }])) });
        classNames = (result.metadata.classNames as string[] | undefined) ?? classNames;
        runs.push({
          key: member.key,
          label: member.label,
          replicate: member.replicate,
          testAccuracy: Number(result.metrics.testAccuracy),
          weightsHash: String(result.metrics.weightsHash),
          wallSeconds: Number(result.metrics.wallSeconds),
          curve: readJson<EpochRecord[]>(path("curve.json")),
          metadata: result.metadata,
        });
      }
      const set: ReplicateSet = { labels, predictions, scores, numClasses };
      groups.push({ model: model.label, variant, noise: parseVariant(variant), replicatesPlanned: members.length, runs, failed, set, weights, attributes });
    }
  }
  return { name, spec, epoch, classNames, groups };
}
