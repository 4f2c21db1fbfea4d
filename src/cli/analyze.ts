/**
 * `noiselab analyze`: stability metrics for replicate predictions made by any
 * framework, from .npy/.csv predictions, labels, groups and weights.
 *
 * All inputs are read and all metrics computed before anything is written;
 * `--out` is written atomically, so a failure never leaves a partial file.
 */
import { extname } from "node:path";
import { InputError } from "../errors.js";
import { readCsv } from "../io/csv.js";
import type { NpyArray } from "../io/npy.js";
import { readNpy } from "../io/npy.js";
import { writeFileAtomic } from "../io/files.js";
import { readSafetensors } from "../io/safetensors.js";
import type { AnalysisReport } from "../metrics/analyze.js";
import { analyzeReplicates } from "../metrics/analyze.js";
import type { ReplicateSet } from "../metrics/replicates.js";
import { replicatesFromScores } from "../metrics/replicates.js";
import type { Attributes } from "../metrics/subgroups.js";
import type { WeightReplicate } from "../metrics/weights.js";
import { choiceOption, helpText, intOption, parseArgs } from "./args.js";
import type { Command } from "./command.js";

const specs = {
  pred: { type: "list", valueName: "FILE", description: "predictions of each replicate: labels (int .npy [n], .csv with one column) or class scores (float .npy [n, C], .csv with C columns)" },
  labels: { type: "string", valueName: "FILE", description: "true labels, int .npy [n] or one-column .csv" },
  groups: { type: "string", valueName: "FILE", description: "sensitive attributes: .csv with one column per attribute and one row per example" },
  weights: { type: "list", valueName: "FILE", description: "weights of each replicate, .safetensors or .npy" },
  "include-buffers": { type: "boolean", description: "include buffers (BatchNorm running stats) in weight distances" },
  classes: { type: "string", valueName: "C", description: "number of classes (default: from the scores, else the largest class seen + 1)" },
  format: { type: "string", valueName: "json|md|html", description: "output format (default json)" },
  out: { type: "string", valueName: "FILE", description: "write the report here (atomically) instead of stdout" },
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

function loadCsv(file: string, what: string): Loaded {
  const table = readCsv(file);
  const columns = table.header.length;
  const values = new Float64Array(table.rows.length * columns);
  table.rows.forEach((row, r) => {
    row.forEach((cell, c) => {
      const v = cell.trim() === "" ? NaN : Number(cell);
      if (Number.isNaN(v) && !/^\s*nan\s*$/i.test(cell)) {
        throw new InputError(`${file}: row ${r + 1}, column "${table.header[c]}": "${cell}" is not a number`);
      }
      values[r * columns + c] = v;
    });
  });
  if (columns === 1) return { kind: "labels", values: toIntegers(values, file, what) };
  return { kind: "scores", values, numClasses: columns };
}

function loadArray(file: string, what: string): Loaded {
  const ext = extname(file).toLowerCase();
  if (ext === ".npy") return loadNpy(file, what);
  if (ext === ".csv") return loadCsv(file, what);
  throw new InputError(`${file}: unsupported file type "${ext}" (use .npy or .csv)`);
}

function loadReplicates(predFiles: string[], labelFile: string, classesOption: number | undefined): ReplicateSet {
  const labelsLoaded = loadArray(labelFile, "labels");
  if (labelsLoaded.kind !== "labels") throw new InputError(`${labelFile}: labels must be one integer per example, got a [n, C] array`);
  const labels = labelsLoaded.values;
  const n = labels.length;
  const loaded = predFiles.map((f) => loadArray(f, "predicted labels"));
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
    if (classesOption !== undefined && classesOption !== numClasses) {
      throw new InputError(`--classes ${classesOption} disagrees with the ${numClasses} score columns of ${predFiles[0]}`);
    }
    return replicatesFromScores(labels, scores.map((s) => s.values), numClasses, names);
  }
  const predictions = loaded.map((l) => l.values as Int32Array);
  let largest = 0;
  for (const a of [labels, ...predictions]) for (const v of a) largest = Math.max(largest, v);
  return { labels, predictions, numClasses: classesOption ?? largest + 1 };
}

function loadGroups(file: string, n: number): Attributes {
  const table = readCsv(file);
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

/** What the command outputs: the report plus the input files it came from. */
export interface AnalyzeOutput extends AnalysisReport {
  inputs: { predictions: string[]; labels: string; groups: string | null; weights: string[] | null };
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
    const weightFiles = options.weights;
    if (weightFiles !== undefined && weightFiles.length < 2) {
      throw new InputError(`${weightFiles[0]}: a single weights file; weight distances need at least 2`);
    }

    const set = loadReplicates(predFiles, options.labels, classes);
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
    const output: AnalyzeOutput = {
      inputs: { predictions: predFiles, labels: options.labels, groups: options.groups ?? null, weights: weightFiles ?? null },
      ...report,
    };
    const text = format === "json" ? formatJson(output) + "\n" : format === "md" ? renderMarkdown(output) : renderHtml(output);
    if (options.out === undefined) {
      process.stdout.write(text);
      return 0;
    }
    try {
      writeFileAtomic(options.out, text);
    } catch (err) {
      throw new InputError(`${options.out}: cannot write the report (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
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

// ---------------------------------------------------------------------------
// Markdown and HTML rendering share one list of titled tables.

interface Table {
  title: string;
  note?: string;
  headers: string[];
  rows: string[][];
}

function num(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(4)));
}

function interval(ci: [number, number]): string {
  return `[${num(ci[0])}, ${num(ci[1])}]`;
}

function tables(o: AnalyzeOutput): Table[] {
  const out: Table[] = [];
  out.push({
    title: "Inputs",
    headers: ["replicates", "examples", "classes", "predictions", "seed"],
    rows: [[String(o.replicates), String(o.examples), String(o.classes), o.predictionKind, String(o.seed)]],
  });
  const acc = [["top-1", o.accuracy.top1] as const, ...(o.accuracy.top5 ? [["top-5", o.accuracy.top5] as const] : [])];
  out.push({
    title: "Accuracy across replicates",
    note: `std is the sample std (ddof=1); intervals are percentile bootstraps over replicates (${o.bootstrapResamples} resamples).`,
    headers: ["metric", "mean", "std", "std (ddof=0)", "mean 95% CI", "std 95% CI", "min", "max"],
    rows: acc.map(([name, s]) => [name, num(s.mean), num(s.std), num(s.stdPopulation), interval(s.meanCi95), interval(s.stdCi95), num(Math.min(...s.perReplicate)), num(Math.max(...s.perReplicate))]),
  });
  out.push({
    title: "Churn",
    note: "churn = share of test examples on which two replicates' top-1 predictions differ, over all pairs; the interval resamples test examples.",
    headers: ["pairs", "mean churn", "std", "min", "max", "mean 95% CI", "agreement", "ambiguity", "discrepancy", "ensemble gain"],
    rows: [
      [
        String(o.churn.pairs),
        num(o.churn.mean),
        num(o.churn.std),
        num(o.churn.min),
        num(o.churn.max),
        interval(o.churn.meanCi95),
        num(o.churn.agreement),
        num(o.churn.ambiguity),
        `${num(o.churn.discrepancy)} (replicate ${o.churn.discrepancyReplicate})`,
        num(o.ensemble.gain),
      ],
    ],
  });
  out.push({
    title: "Most unstable examples",
    headers: ["example", "label", "d(x)", "votes (class: count)"],
    rows: o.churn.unstableExamples.map((e) => [String(e.index), String(e.label), num(e.disagreement), Object.entries(e.votes).map(([c, k]) => `${c}: ${k}`).join(", ")]),
  });
  const byStd = [...o.perClass.classes].sort((a, b) => b.std - a.std).slice(0, 10);
  out.push({
    title: "Per-class accuracy (10 least stable classes)",
    note: `largest per-class std ${num(o.perClass.maxStd)} (class ${o.perClass.maxStdClass}) = ${num(o.perClass.maxStdRatio)}× the overall top-1 std.`,
    headers: ["class", "examples", "mean accuracy", "std"],
    rows: byStd.map((c) => [String(c.class), String(c.count), num(c.mean), num(c.std)]),
  });
  if (o.subgroups) {
    const sg = o.subgroups;
    const cell = (m: { mean: number; std: number; stdRatio: number | null } | null): string =>
      m === null ? "—" : `${num(m.mean)} ± ${num(m.std)} (${num(m.stdRatio)}×)`;
    out.push({
      title: "Sub-groups",
      note: "mean ± std across replicates (std as a multiple of the whole test set's std of the same metric)" + (sg.binary ? "; positive class 1." : "."),
      headers: ["group", "examples", "accuracy", ...(sg.binary ? ["FPR", "FNR"] : [])],
      rows: sg.groups.map((g) => [g.key, String(g.count), cell(g.accuracy), ...(sg.binary ? [cell(g.fpr), cell(g.fnr)] : [])]),
    });
    out.push({
      title: "Disparities between groups",
      note: "per replicate max − min and min / max over a grouping's groups; mean ± std across replicates.",
      headers: ["grouping", "metric", "difference", "ratio"],
      rows: sg.disparities.map((d) => [d.grouping, d.metric, `${num(d.difference.mean)} ± ${num(d.difference.std)}`, `${num(d.ratio.mean)} ± ${num(d.ratio.std)}`]),
    });
  }
  if (o.weights) {
    const w = o.weights;
    out.push({
      title: "Weight distance",
      note: `unit L2 = |a/|a| − b/|b||, the paper's definition, in [0, 2]; ${w.includesBuffers ? "parameters and buffers" : "trainable parameters only"}.`,
      headers: ["replicates", "tensors", "parameters", "unit L2 mean", "unit L2 std", "raw L2 mean", "raw L2 std"],
      rows: [[String(w.replicates), String(w.tensors), String(w.parameters), num(w.unitL2.mean), num(w.unitL2.std), num(w.rawL2.mean), num(w.rawL2.std)]],
    });
    out.push({
      title: "Weight distance per tensor",
      headers: ["tensor", "shape", "size", "unit L2", "raw L2"],
      rows: w.perTensor.map((t) => [t.name, `[${t.shape.join(", ")}]`, String(t.size), num(t.unitL2), num(t.rawL2)]),
    });
  }
  return out;
}

function markdownCell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

function renderMarkdown(o: AnalyzeOutput): string {
  const parts = [`# noiselab analyze`, "", `Predictions: ${o.inputs.predictions.join(", ")}; labels: ${o.inputs.labels}.`];
  for (const t of tables(o)) {
    parts.push("", `## ${t.title}`, "");
    if (t.note) parts.push(t.note, "");
    parts.push(`| ${t.headers.map(markdownCell).join(" | ")} |`, `|${t.headers.map(() => "---").join("|")}|`);
    for (const r of t.rows) parts.push(`| ${r.map(markdownCell).join(" | ")} |`);
  }
  return parts.join("\n") + "\n";
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A horizontal bar chart as inline SVG; bars start at 0 and are scaled to the largest value. */
function svgBars(title: string, labels: string[], values: number[], format: (v: number) => string): string {
  const rowHeight = 18;
  const labelWidth = 110;
  const barWidth = 320;
  const hi = Math.max(...values, 0);
  const scale = (v: number): number => (hi > 0 ? (Math.max(0, v) / hi) * barWidth : 0);
  const bars = values
    .map((v, i) => {
      const y = i * rowHeight;
      return `<text x="0" y="${y + 13}">${escapeHtml(labels[i])}</text><rect x="${labelWidth}" y="${y + 3}" width="${Math.max(1, scale(v)).toFixed(1)}" height="${rowHeight - 6}" fill="#4c78a8"/><text x="${labelWidth + barWidth + 6}" y="${y + 13}">${escapeHtml(format(v))}</text>`;
    })
    .join("");
  const height = values.length * rowHeight;
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 80}" height="${height}" font-size="12" font-family="sans-serif">${bars}</svg></figure>`;
}

function renderHtml(o: AnalyzeOutput): string {
  const body: string[] = [`<h1>noiselab analyze</h1>`, `<p>Predictions: ${escapeHtml(o.inputs.predictions.join(", "))}; labels: ${escapeHtml(o.inputs.labels)}.</p>`];
  for (const t of tables(o)) {
    body.push(`<h2>${escapeHtml(t.title)}</h2>`);
    if (t.note) body.push(`<p class="note">${escapeHtml(t.note)}</p>`);
    const head = t.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
    const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n");
    body.push(`<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`);
    if (t.title === "Accuracy across replicates") {
      const acc = o.accuracy.top1.perReplicate;
      body.push(svgBars("top-1 accuracy per replicate", acc.map((_, r) => `replicate ${r}`), acc, num));
    }
    if (t.title === "Churn") {
      const h = o.churn.disagreementHistogram;
      body.push(svgBars("examples by per-example disagreement d(x)", h.map((_, i) => `[${(i / 10).toFixed(1)}, ${((i + 1) / 10).toFixed(1)}${i === 9 ? "]" : ")"}`), h, String));
    }
  }
  const style = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:0.5em 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}.note{color:#555;font-size:0.9em}figure{margin:0.5em 0}figcaption{font-size:0.9em;color:#555}";
  return `<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>noiselab analyze</title><style>${style}</style></head>\n<body>\n${body.join("\n")}\n</body>\n</html>\n`;
}
