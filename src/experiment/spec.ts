// The experiment spec: what to train, under which noise variants, how often.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { DatasetSpec } from "../data/index.js";
import { DATASET_KINDS } from "../data/index.js";
import type { EnvironmentConfig } from "../environment/config.js";
import { readEnvironments } from "./environments.js";
import { InputError } from "../errors.js";
import { MODEL_NAMES } from "../models/names.js";
import { parseVariant } from "../noise/index.js";
import type { OptimizerConfig, TrainingConfig } from "../train/config.js";
import { Validator, join } from "./validate.js";

export interface ModelEntry {
  /** Name of the model in the zoo (see `noiselab run --help`); for a `command` entry, just its name. */
  name: string;
  /** Name in reports; defaults to `name`. Must be unique in the spec. */
  label: string;
  options: Record<string, unknown>;
  /**
   * Training settings of this entry that differ from the spec's `training`
   * (the data-order experiment trains one entry per batch size). Part of each
   * run's config, hence of its identity.
   */
  training?: ModelTrainingOverrides;
  /** The user's own training script, run once per run (docs/command.md): program and arguments, no shell. */
  command?: string[];
  /** Directory the command runs in; a spec file's entry defaults to the file's directory. */
  cwd?: string;
  /** sha256 of the files the command names, pinned when the experiment is defined (src/command/config.ts). */
  files?: Record<string, string>;
}

/** The training settings a model entry may set for itself. */
export type ModelTrainingOverrides = Partial<Pick<TrainingConfig, "batchSize">>;

export interface ExperimentSpec {
  name: string;
  /** Required unless every model is a `command` (a script brings its own data and recipe). */
  dataset?: DatasetSpec;
  models: ModelEntry[];
  /** Paper variants (ALGO+IMPL, ALGO, IMPL, CONTROL) or ablations `only:<source>,…`. */
  variants: string[];
  replicates: number;
  /** Master seed from which every source's seed is derived (docs/experiments.md). */
  seed: number;
  /** Required unless every model is a `command`. */
  training?: TrainingConfig;
  /** The tool chains every model × variant trains in (default: one, `cpu`; docs/experiments.md). */
  environments: EnvironmentConfig[];
  /** Epoch whose predictions the report analyses; defaults to the last. */
  reportEpoch?: number;
}

/** A spec that trains built-in models, which need a dataset and a training recipe (every preset is one). */
export type BuiltInSpec = ExperimentSpec & { dataset: DatasetSpec; training: TrainingConfig };

/** Most replicates per model × variant, and most runs per experiment, that a spec may ask for. */
export const MAX_REPLICATES = 1000;
export const MAX_RUNS = 100_000;

/** The paper's small-model recipe: Adam, lr 4e-4, ×0.1 steps. */
export function defaultTraining(epochs: number): TrainingConfig {
  return {
    epochs,
    batchSize: 128,
    optimizer: { kind: "adam", lr: 4e-4, decayEpochs: [], gamma: 0.1, weightDecay: 0 },
    augment: false,
    evalEpochs: [],
    labelSmoothing: 0,
  };
}

const DATASET_KEYS: Record<string, readonly string[]> = {
  "fashion-mnist": ["dir"],
  mnist: ["dir"],
  cifar10: ["dir"],
  cifar100: ["dir", "label"],
  "image-folder": ["dir", "name", "attributes", "channels", "imageSize", "testFraction", "seed"],
  celeba: ["dir", "target", "groups", "imageSize"],
  synthetic: ["trainSize", "testSize", "numClasses", "imageSize", "minorityFraction", "minorityShift", "noise", "seed"],
};

function readDataset(v: Validator, value: unknown, path: string): DatasetSpec {
  const record = v.object(value, path);
  const kind = v.required(record, "kind", path, (x, p) => v.choice(x, p, DATASET_KINDS));
  v.object(record, path, ["kind", "trainSubset", "testSubset", "subsetSeed", ...DATASET_KEYS[kind]]);
  for (const key of ["trainSubset", "testSubset", "subsetSeed", "trainSize", "testSize", "numClasses", "seed"]) {
    if (record[key] !== undefined) v.integer(record[key], join(path, key), key.endsWith("Seed") || key === "seed" ? 0 : 1);
  }
  for (const key of ["dir", "name", "attributes", "label", "target"]) if (record[key] !== undefined) v.string(record[key], join(path, key));
  if (record.groups !== undefined) v.array(record.groups, join(path, "groups"), (x, p) => v.string(x, p));
  for (const key of ["testFraction", "minorityFraction"]) if (record[key] !== undefined) v.number(record[key], join(path, key), 0, 1);
  for (const key of ["minorityShift", "noise"]) if (record[key] !== undefined) v.number(record[key], join(path, key), 0);
  if (kind === "synthetic") {
    v.required(record, "trainSize", path, (x, p) => v.integer(x, p, 1));
    v.required(record, "testSize", path, (x, p) => v.integer(x, p, 1));
  } else if (kind !== "fashion-mnist") {
    v.required(record, "dir", path, (x, p) => v.string(x, p));
  }
  return record as unknown as DatasetSpec;
}

function readCommandModel(v: Validator, record: Record<string, unknown>, path: string): ModelEntry {
  v.object(record, path, ["name", "label", "command", "cwd", "files", "options"]);
  if (record.options !== undefined && Object.keys(v.object(record.options, join(path, "options"))).length > 0) v.fail(join(path, "options"), "a command takes no options: pass them in the command");
  const name = v.required(record, "name", path, (x, p) => v.string(x, p));
  const entry: ModelEntry = {
    name,
    label: v.optional(record, "label", path, (x, p) => v.string(x, p), name),
    options: {},
    command: v.required(record, "command", path, (x, p) => v.array(x, p, (a, q) => v.string(a, q), 1)),
  };
  if (record.cwd !== undefined) entry.cwd = v.string(record.cwd, join(path, "cwd"));
  if (record.files !== undefined) {
    const files = v.object(record.files, join(path, "files"));
    for (const [file, hash] of Object.entries(files)) if (typeof hash !== "string" || !/^[0-9a-f]{64}$/.test(hash)) v.fail(join(join(path, "files"), file), "must be a sha256 hex digest");
    entry.files = files as Record<string, string>;
  }
  return entry;
}

function readModel(v: Validator, value: unknown, path: string): ModelEntry {
  if (typeof value === "object" && value !== null && "command" in value) return readCommandModel(v, value as Record<string, unknown>, path);
  const record = typeof value === "string" ? { name: value } : v.object(value, path, ["name", "label", "options", "training"]);
  const name = v.required(record, "name", path, (x, p) => v.choice(x, p, MODEL_NAMES));
  const entry: ModelEntry = {
    name,
    label: v.optional(record, "label", path, (x, p) => v.string(x, p), name),
    options: v.optional(record, "options", path, (x, p) => v.object(x, p), {}),
  };
  if (record.training !== undefined) {
    const training = v.object(record.training, join(path, "training"), ["batchSize"]);
    entry.training = {};
    if (training.batchSize !== undefined) entry.training.batchSize = v.integer(training.batchSize, join(join(path, "training"), "batchSize"), 1);
  }
  return entry;
}

function readOptimizer(v: Validator, value: unknown, path: string): OptimizerConfig {
  const record = v.object(value, path);
  const kind = v.required(record, "kind", path, (x, p) => v.choice(x, p, ["adam", "sgd"] as const));
  const lr = v.optional(record, "lr", path, (x, p) => v.number(x, p, 0), kind === "adam" ? 4e-4 : 0.1);
  const weightDecay = v.optional(record, "weightDecay", path, (x, p) => v.number(x, p, 0), kind === "adam" ? 0 : 5e-4);
  if (kind === "adam") {
    v.object(record, path, ["kind", "lr", "decayEpochs", "gamma", "weightDecay"]);
    return {
      kind,
      lr,
      weightDecay,
      decayEpochs: v.optional(record, "decayEpochs", path, (x, p) => v.array(x, p, (e, q) => v.integer(e, q, 1)), []),
      gamma: v.optional(record, "gamma", path, (x, p) => v.number(x, p, 0, 1), 0.1),
    };
  }
  v.object(record, path, ["kind", "lr", "momentum", "nesterov", "weightDecay", "warmupEpochs"]);
  return {
    kind,
    lr,
    weightDecay,
    momentum: v.optional(record, "momentum", path, (x, p) => v.number(x, p, 0, 1), 0.9),
    nesterov: v.optional(record, "nesterov", path, (x, p) => v.boolean(x, p), false),
    warmupEpochs: v.optional(record, "warmupEpochs", path, (x, p) => v.number(x, p, 0), 1),
  };
}

function readTraining(v: Validator, value: unknown, path: string): TrainingConfig {
  const record = v.object(value, path);
  if (record.device !== undefined) v.fail(join(path, "device"), "has moved to environments[].device (docs/experiments.md, Environments)");
  v.object(record, path, ["epochs", "batchSize", "optimizer", "augment", "evalEpochs", "labelSmoothing"]);
  const defaults = defaultTraining(1);
  const training: TrainingConfig = {
    epochs: v.required(record, "epochs", path, (x, p) => v.integer(x, p, 1)),
    batchSize: v.optional(record, "batchSize", path, (x, p) => v.integer(x, p, 1), defaults.batchSize),
    optimizer: v.optional(record, "optimizer", path, (x, p) => readOptimizer(v, x, p), defaults.optimizer),
    augment: v.optional(record, "augment", path, (x, p) => v.boolean(x, p), defaults.augment),
    evalEpochs: v.optional(record, "evalEpochs", path, (x, p) => v.array(x, p, (e, q) => v.integer(e, q, 1)), []),
    labelSmoothing: v.optional(record, "labelSmoothing", path, (x, p) => v.number(x, p, 0, 1), 0),
  };
  training.evalEpochs.forEach((e, i) => {
    if (e > training.epochs) v.fail(`${join(path, "evalEpochs")}[${i}]`, `epoch ${e} is after the last epoch (${training.epochs})`);
  });
  return training;
}

/** Validates a parsed spec; errors name `source` and the path of the bad field. */
export function parseSpec(value: unknown, source: string): ExperimentSpec {
  const v = new Validator(source);
  const record = v.object(value, "", ["name", "dataset", "models", "variants", "replicates", "seed", "training", "environments", "reportEpoch"]);
  const models = v.required(record, "models", "", (x, p) => v.array(x, p, (m, q) => readModel(v, m, q), 1));
  // A script brings its own data and recipe: an experiment of commands alone has neither.
  const builtIn = models.some((m) => m.command === undefined);
  for (const key of ["dataset", "training"]) {
    if (!builtIn && record[key] !== undefined) v.fail(key, "every model is a command, which trains on its own data with its own recipe; leave it out");
  }
  const spec: ExperimentSpec = {
    name: v.required(record, "name", "", (x, p) => v.string(x, p)),
    ...(builtIn && { dataset: v.required(record, "dataset", "", (x, p) => readDataset(v, x, p)) }),
    models,
    variants: v.required(record, "variants", "", (x, p) =>
      v.array(x, p, (name, q) => {
        const s = v.string(name, q);
        try {
          parseVariant(s);
        } catch (err) {
          v.fail(q, (err as Error).message);
        }
        return s;
      }, 1),
    ),
    replicates: v.required(record, "replicates", "", (x, p) => v.integer(x, p, 1, MAX_REPLICATES)),
    seed: v.optional(record, "seed", "", (x, p) => v.integer(x, p, 0), 0),
    ...(builtIn && { training: v.required(record, "training", "", (x, p) => readTraining(v, x, p)) }),
    environments: readEnvironments(v, record.environments, "environments"),
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(spec.name)) v.fail("name", "may contain only letters, digits, '.', '_' and '-'");
  spec.variants.forEach((variant, i) => {
    if (spec.variants.indexOf(variant) !== i) v.fail(`variants[${i}]`, `"${variant}" is listed twice`);
  });
  const total = spec.models.length * spec.variants.length * spec.environments.length * spec.replicates;
  if (total > MAX_RUNS) v.fail("replicates", `${total} runs (models × variants × environments × replicates) is more than ${MAX_RUNS}`);
  const labels = spec.models.map((m) => m.label);
  labels.forEach((l, i) => {
    if (labels.indexOf(l) !== i) v.fail(`models[${i}].label`, `"${l}" is used twice; give each model entry a distinct label`);
  });
  if (spec.dataset?.kind === "celeba" && spec.training?.labelSmoothing) v.fail("training.labelSmoothing", "CelebA trains 40 sigmoid outputs with binary cross-entropy, which has no label smoothing; leave it at 0");
  if (record.reportEpoch !== undefined) {
    spec.reportEpoch = v.integer(record.reportEpoch, "reportEpoch", 1);
  }
  // A script's epochs are its own: a command experiment's reportEpoch is checked against the files its runs saved.
  if (spec.reportEpoch !== undefined && spec.training) {
    if (spec.reportEpoch > spec.training.epochs) v.fail("reportEpoch", `epoch ${spec.reportEpoch} is after the last epoch (${spec.training.epochs})`);
    if (spec.reportEpoch !== spec.training.epochs && !spec.training.evalEpochs.includes(spec.reportEpoch)) {
      v.fail("reportEpoch", `predictions are only saved at training.evalEpochs and the last epoch; add ${spec.reportEpoch} to training.evalEpochs`);
    }
  }
  return spec;
}

/** Reads a YAML or JSON spec file (JSON is YAML). */
export function readSpecFile(path: string): ExperimentSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new InputError(`${path}: cannot read the spec: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new InputError(`${path}: not valid YAML/JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  const spec = parseSpec(value, path);
  // A command runs in its entry's cwd, relative to the spec file: stored absolute, so the runs do not depend on where noiselab was started.
  for (const model of spec.models) if (model.command) model.cwd = resolve(dirname(path), model.cwd ?? ".");
  return spec;
}
