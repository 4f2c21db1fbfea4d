/**
 * `noiselab analyze`: stability metrics for replicate predictions made by any
 * framework, from .npy/.csv predictions, labels, groups and weights.
 *
 * All inputs are read and all metrics computed before anything is written;
 * `--out` is written atomically, so a failure never leaves a partial file.
 */
import { extname } from "node:path";
import { InputError } from "../errors.js";
import type { CsvHeaderMode, CsvIndexMode, NumericCsvOptions } from "../io/csv.js";
import { readCsv, readNumericCsv } from "../io/csv.js";
import type { NpyArray } from "../io/npy.js";
import { readNpy } from "../io/npy.js";
import { readSafetensors } from "../io/safetensors.js";
import { analyzeReplicates } from "../metrics/analyze.js";
import type { ReplicateSet } from "../metrics/replicates.js";
import { replicatesFromScores, validateReplicateSet } from "../metrics/replicates.js";
import { compareVariants } from "../metrics/compare.js";
import type { Attributes } from "../metrics/subgroups.js";
import type { WeightReplicate } from "../metrics/weights.js";
import type { AnalyzeOutput } from "../report/analysis.js";
import { analysisCharts, analysisDocument } from "../report/analysis.js";
import { renderHtmlPage } from "../document/html.js";
import { renderMarkdownBlocks } from "../document/markdown.js";
import { choiceOption, helpText, intOption, parseArgs } from "./args.js";
import type { Command } from "./command.js";
import { STDOUT, writeOutput } from "./output.js";

/** More classes than any classifier noiselab measures; a larger count is a stray value, not a class. */
const MAX_CLASSES = 100_000;

const specs = {
  pred: { type: "list", valueName: "FILE", description: "predictions of each replicate: labels (int .npy [n], .csv with one column) or class scores (float .npy [n, C], .csv with C columns)" },
  labels: { type: "string", valueName: "FILE", description: "true labels, int .npy [n] or one-column .csv" },
  groups: { type: "string", valueName: "FILE", description: "sensitive attributes: .csv with one column per attribute and one row per example" },
  weights: { type: "list", valueName: "FILE", description: "weights of each replicate, .safetensors or .npy" },
  compare: { type: "list", valueName: "FILE", description: "predictions of a second set of replicates (another variant) on the same examples: tests whether the two differ in accuracy variance and in churn" },
  "csv-header": { type: "string", valueName: "auto|yes|no", description: "whether the first line of a .csv is column names (default auto: yes when a cell of it is not a number; a first line 0 or 0,1,… is refused as ambiguous)" },
  "csv-index": { type: "string", valueName: "auto|yes|no", description: "whether the first column of a .csv is an index to drop (default auto: yes when its name is empty, as pandas writes it; a column 0, 1, …, n−1 is refused as ambiguous)" },
  "include-buffers": { type: "boolean", description: "include buffers (BatchNorm running stats) in weight distances" },
  classes: { type: "string", valueName: "C", description: `number of classes, at most ${MAX_CLASSES} (default: from the scores, else the largest label + 1)` },
  format: { type: "string", valueName: "json|md|html", description: "output format (default json)" },
  out: { type: "string", valueName: "FILE", description: "write the report here (atomically); - or none: stdout" },
  top: { type: "string", valueName: "K", description: "number of most unstable examples to list (default 10)" },
  seed: { type: "string", valueName: "S", description: "seed of the bootstrap resampling (default 0)" },
} as const;

const usage = "noiselab analyze --pred r0.npy r1.npy … --labels y.npy [--groups groups.csv] [--weights w0.safetensors …] [--format json|md|html] [--out FILE]";
const summary = "Stability metrics (accuracy std, churn, weight distance, per-class and sub-group spread) of replicate predictions";

type Loaded = { kind: "labels"; values: Int32Array } | { kind: "scores"; values: Float32Array | Float64Array; numClasses: number };

function toIntegers(values: ArrayLike<number | bigint>, file: string, what: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v)) throw new InputError(`${file}: ${what} must be integers, got ${v} at example ${i}`);
    if (v < -0x80000000 || v > 0x7fffffff) throw new InputError(`${file}: ${what} ${v} at example ${i} is out of range`);
    out[i] = v;
  }
  return out;
}

function loadNpy(file: string, what: string): Loaded {
  const a: NpyArray = readNpy(file);
  const isFloat = a.dtype === "f4" || a.dtype === "f8";
  if (a.shape.length === 1 || (a.shape.length === 2 && a.shape[1] === 1 && !isFloat)) {
    return { kind: "labels", values: toIntegers(a.data, file, what) };
  }
  if (a.shape.length === 2) {
    const values = isFloat ? (a.data as Float32Array | Float64Array) : Float64Array.from(a.data as ArrayLike<number | bigint>, Number);
    return { kind: "scores", values, numClasses: a.shape[1] };
  }
  throw new InputError(`${file}: expected shape [n] (${what}) or [n, C] (scores), got [${a.shape.join(", ")}]`);
}

function loadCsv(file: string, what: string, csv: NumericCsvOptions): Loaded {
  const table = readNumericCsv(file, csv);
  if (table.width === 1) return { kind: "labels", values: toIntegers(table.values, file, what) };
  return { kind: "scores", values: table.values, numClasses: table.width };
}

function loadArray(file: string, what: string, csv: NumericCsvOptions): Loaded {
  const ext = extname(file).toLowerCase();
  if (ext === ".npy") return loadNpy(file, what);
  if (ext === ".csv") return loadCsv(file, what, csv);
  throw new InputError(`${file}: unsupported file type "${ext}" (use .npy or .csv)`);
}

/** The first value of `values` outside [0, limit), or -1. */
function firstOutOfRange(values: Int32Array, limit: number): number {
  for (let i = 0; i < values.length; i++) if (values[i] < 0 || values[i] >= limit) return i;
  return -1;
}

/**
 * The class count: `--classes`, else the largest label + 1. Labels above
 * MAX_CLASSES are refused, and so are predicted classes outside the count,
 * so that one stray value cannot make a hundred thousand empty classes.
 */
function classCount(labels: Int32Array, labelFile: string, given: GivenClasses | undefined): number {
  if (given !== undefined) {
    const bad = firstOutOfRange(labels, given.count);
    if (bad >= 0) throw new InputError(`${labelFile}: label ${labels[bad]} at example ${bad} is out of range [0, ${given.count}) of ${given.source}`);
    return given.count;
  }
  const bad = firstOutOfRange(labels, MAX_CLASSES);
  if (bad >= 0) {
    throw new InputError(`${labelFile}: label ${labels[bad]} at example ${bad} is out of range [0, ${MAX_CLASSES}); labels are class indices`);
  }
  return labels.reduce((m, v) => Math.max(m, v), 0) + 1;
}

/** A class count fixed before the predictions are read, and where it comes from ("--classes 10"), for messages. */
interface GivenClasses {
  count: number;
  source: string;
}

function loadReplicates(predFiles: string[], labelFile: string, given: GivenClasses | undefined, csv: NumericCsvOptions): ReplicateSet {
  const labelsLoaded = loadArray(labelFile, "labels", csv);
  if (labelsLoaded.kind !== "labels") throw new InputError(`${labelFile}: labels must be one integer per example, got a [n, C] array`);
  const labels = labelsLoaded.values;
  const n = labels.length;
  const loaded = predFiles.map((f) => loadArray(f, "predicted labels", csv));
  const kind = loaded[0].kind;
  loaded.forEach((l, r) => {
    if (l.kind !== kind) throw new InputError(`${predFiles[r]}: holds ${l.kind}, but ${predFiles[0]} holds ${kind}; give all replicates the same kind`);
    const rows = l.kind === "scores" ? l.values.length / l.numClasses : l.values.length;
    if (rows !== n) throw new InputError(`${predFiles[r]}: ${rows} examples, but ${labelFile} has ${n} labels`);
  });
  const names = { labels: labelFile, replicates: predFiles };
  if (kind === "scores") {
    const scores = loaded as Extract<Loaded, { kind: "scores" }>[];
    const numClasses = scores[0].numClasses;
    scores.forEach((s, r) => {
      if (s.numClasses !== numClasses) throw new InputError(`${predFiles[r]}: ${s.numClasses} classes, but ${predFiles[0]} has ${numClasses}`);
    });
    if (given !== undefined && given.count !== numClasses) {
      throw new InputError(`${given.source} disagrees with the ${numClasses} score columns of ${predFiles[0]}`);
    }
    return replicatesFromScores(labels, scores.map((s) => s.values), numClasses, names);
  }
  const predictions = loaded.map((l) => l.values as Int32Array);
  const numClasses = classCount(labels, labelFile, given);
  predictions.forEach((p, r) => {
    const bad = firstOutOfRange(p, numClasses);
    if (bad < 0) return;
    const source = given === undefined ? `the classes of ${labelFile}` : given.source;
    const hint = given === undefined ? "; pass --classes C if the test set lacks some classes" : "";
    throw new InputError(`${predFiles[r]}: predicted class ${p[bad]} at example ${bad} is out of range [0, ${numClasses}) of ${source}${hint}`);
  });
  return { labels, predictions, numClasses };
}

/** Sensitive attributes, one column each; a first column with an empty name is pandas' index and is dropped. */
function loadGroups(file: string, n: number): Attributes {
  const read = readCsv(file);
  const index = read.header.length >= 2 && read.header[0].trim() === "";
  const table = index ? { header: read.header.slice(1), rows: read.rows.map((row) => row.slice(1)) } : read;
  if (table.rows.length !== n) throw new InputError(`${file}: ${table.rows.length} rows, but there are ${n} examples`);
  const attributes: Attributes = {};
  table.header.forEach((name, c) => {
    if (name.trim() === "") throw new InputError(`${file}: column ${c + 1} has no name`);
    if (name in attributes) throw new InputError(`${file}: column "${name}" appears twice`);
    const values = table.rows.map((row) => row[c].trim());
    const empty = values.indexOf("");
    if (empty >= 0) throw new InputError(`${file}: empty group: row ${empty + 1}, column "${name}" has no value`);
    attributes[name] = values;
  });
  return attributes;
}

function loadWeights(file: string): WeightReplicate {
  const ext = extname(file).toLowerCase();
  if (ext === ".safetensors") {
    const st = readSafetensors(file);
    return { tensors: Object.fromEntries(Object.entries(st.tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data }])) };
  }
  if (ext === ".npy") {
    const a = readNpy(file);
    return { tensors: { weights: { shape: a.shape, data: a.data } } };
  }
  throw new InputError(`${file}: unsupported weights file type "${ext}" (use .safetensors or .npy)`);
}


export const analyzeCommand: Command = {
  async run(argv: string[]): Promise<number> {
    const { options, positionals, help } = parseArgs(argv, specs);
    if (help) {
      console.log(helpText(usage, summary, specs));
      return 0;
    }
    if (positionals.length > 0) throw new InputError(`unexpected argument "${positionals[0]}" (see --help)`);
    const format = choiceOption(options.format, "format", ["json", "md", "html"] as const, "json");
    const predFiles = options.pred ?? [];
    if (predFiles.length === 0) throw new InputError("--pred is required (see --help)");
    if (options.labels === undefined) throw new InputError("--labels is required (see --help)");
    if (predFiles.length === 1) {
      throw new InputError(`${predFiles[0]}: a single replicate; churn and stds across replicates need at least 2 --pred files`);
    }
    const topK = intOption(options.top, "top", 10, 0);
    const seed = intOption(options.seed, "seed", 0, 0);
    const classes = options.classes === undefined ? undefined : intOption(options.classes, "classes", 0, 1);
    if (classes !== undefined && classes > MAX_CLASSES) throw new InputError(`--classes must be at most ${MAX_CLASSES}, got ${classes}`);
    const csv: NumericCsvOptions = {
      header: choiceOption<CsvHeaderMode>(options["csv-header"], "csv-header", ["auto", "yes", "no"], "auto"),
      index: choiceOption<CsvIndexMode>(options["csv-index"], "csv-index", ["auto", "yes", "no"], "auto"),
    };
    const weightFiles = options.weights;
    if (weightFiles !== undefined && weightFiles.length < 2) {
      throw new InputError(`${weightFiles[0]}: a single weights file; weight distances need at least 2`);
    }

    const set = loadReplicates(predFiles, options.labels, classes === undefined ? undefined : { count: classes, source: `--classes ${classes}` }, csv);
    const compareFiles = options.compare;
    if (compareFiles !== undefined && compareFiles.length < 2) {
      throw new InputError(`${compareFiles[0]}: a single --compare file; a comparison needs at least 2 replicates`);
    }
    const other = compareFiles === undefined ? undefined : loadReplicates(compareFiles, options.labels, { count: set.numClasses, source: `the ${set.numClasses} classes of the --pred replicates` }, csv);
    const attributes = options.groups !== undefined ? loadGroups(options.groups, set.labels.length) : undefined;
    const weights = weightFiles?.map(loadWeights);
    const report = analyzeReplicates(set, {
      attributes,
      weights,
      weightNames: weightFiles,
      includeBuffers: options["include-buffers"] === true,
      topK,
      seed,
      names: { labels: options.labels, replicates: predFiles },
    });
    if (other !== undefined) validateReplicateSet(other, { labels: options.labels, replicates: compareFiles! });
    const output: AnalyzeOutput = {
      inputs: { predictions: predFiles, labels: options.labels, groups: options.groups ?? null, weights: weightFiles ?? null, compare: compareFiles ?? null },
      ...report,
      comparison: other === undefined ? null : compareVariants(set, other, { seed }),
    };
    const text =
      format === "json"
        ? formatJson(output) + "\n"
        : format === "md"
          ? renderMarkdownBlocks(analysisDocument(output))
          : await renderHtmlPage("noiselab analyze", analysisDocument(output), analysisCharts(output));
    writeOutput(options.out ?? STDOUT, text);
    return 0;
  },
};

/**
 * JSON indented like `JSON.stringify(value, null, 2)`, except that arrays of
 * numbers and strings stay on one line, which keeps per-replicate and
 * per-pair lists readable. NaN and ±Infinity become null, as in JSON.stringify.
 */
function formatJson(value: unknown, indent = ""): string {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object")) return `[${value.map((v) => JSON.stringify(v) ?? "null").join(", ")}]`;
    const inner = indent + "  ";
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const inner = indent + "  ";
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "{}";
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value) ?? "null";
}
