// The overhead result as format-neutral blocks (the report's Block type), so
// that the terminal/Markdown output and the HTML page show the same tables.
import type { Block, Table } from "../document/blocks.js";
import { MISSING } from "../document/blocks.js";
import type { OperatorComparison } from "./operators.js";
import type { ConfigSummary, RatioEstimate } from "./summary.js";
import type { ModelOverhead, OverheadResult } from "./run.js";

const ms = (x: number | null): string => (x === null ? MISSING : x.toFixed(x < 10 ? 2 : 1));
const ratio = (r: RatioEstimate | null): string => (r === null ? MISSING : r.median.toFixed(3));
const ratioInterval = (r: RatioEstimate | null): string => (r === null ? MISSING : `${r.interval[0].toFixed(3)}–${r.interval[1].toFixed(3)}`);
const shape = (s: readonly number[]): string => s.join("×");

/** libtorch's first sentence, which names the op; the rest is advice on how to switch the check off. */
export function firstSentence(message: string): string {
  const end = message.indexOf(". ");
  return end < 0 ? message : message.slice(0, end + 1);
}

function environmentText(result: OverheadResult): string {
  const e = result.environment;
  const cudnn = e.cudnnVersion >= 0 ? `, cuDNN ${e.cudnnVersion}` : "";
  return (
    `Device ${e.device}; libtorch ${e.torchVersion}${cudnn}; ${e.cpuModel} (${e.cpuCount} logical CPUs), ${e.threads} intra-op thread(s); ` +
    `Node ${e.node}; batch ${e.batch}${e.deterministicPooling ? "; models built with deterministicPooling" : ""}; ${e.date}.`
  );
}

function methodText(result: OverheadResult): string {
  const p = result.plan;
  return (
    `Each configuration was warmed up with ${p.warmup} untimed step(s), then timed in ${p.repeats} interleaved rounds of ${p.steps} step(s) ` +
    `(every configuration once per round, starting one later each round)${result.environment.device.startsWith("cuda") ? ", synchronising the device before each clock read" : ""}. ` +
    `Step time: median over rounds of the round's mean step time; spread: the interquartile range over rounds. ` +
    `Ratio: median over rounds of the step time divided by the compared configuration's in the same round, with a percentile-bootstrap 95% interval (${p.bootstrapResamples} resamples of the rounds). ` +
    `"default" is the fast setting (deterministic algorithms off, cuDNN benchmark on, TF32 on); each switch is flipped alone from it, and "deterministic" flips them all.`
  );
}

function configRow(model: ModelOverhead, c: ConfigSummary, labels: Map<string, string>): string[] {
  if (c.status === "not-deterministic") return [model.id, c.label, "not deterministic", MISSING, MISSING, MISSING, MISSING];
  const iqr = c.interquartileMs === null ? MISSING : `${ms(c.interquartileMs[0])}–${ms(c.interquartileMs[1])}`;
  return [model.id, c.label, ms(c.medianStepMs), iqr, ratio(c.ratio), ratioInterval(c.ratio), c.baseline === null ? MISSING : (labels.get(c.baseline) ?? c.baseline)];
}

/** Every model × configuration: step time, spread, and the ratio to the configuration it is compared with. */
export function configurationTable(result: OverheadResult): Table {
  const labels = new Map(result.configs.map((c) => [c.id, c.label]));
  return {
    headers: ["Model", "Configuration", "Step ms (median)", "IQR ms", "Ratio", "95% CI", "Compared with"],
    rows: result.models.flatMap((m) => m.configs.map((c) => configRow(m, c, labels))),
    numeric: [false, false, true, true, true, true, false],
  };
}

/** The Figure 9 numbers: deterministic against default, one row per model. */
export function summaryTable(result: OverheadResult): Table {
  const rows = result.models.map((m) => {
    const get = (id: string) => m.configs.find((c) => c.config === id) ?? null;
    const defaults = get("default");
    const deterministic = get("deterministic");
    const outcome = m.status === "error" ? `error: ${m.error}` : m.status === "not-deterministic" ? `not deterministic: ${firstSentence(m.nondeterministicOp ?? "")}` : "";
    return [
      m.id,
      shape(m.inputShape),
      ms(defaults?.medianStepMs ?? null),
      ms(deterministic?.medianStepMs ?? null),
      ratio(deterministic?.ratio ?? null),
      ratioInterval(deterministic?.ratio ?? null),
      outcome,
    ];
  });
  return {
    headers: ["Model", "Input", "Default ms", "Deterministic ms", "Ratio", "95% CI", "Note"],
    rows,
    numeric: [false, false, true, true, true, true, false],
  };
}

/** The top operators (with self times) or, `kernels`, the top GPU kernels (which do not nest) of one model. */
export function operatorTable(rows: readonly OperatorComparison[], kernels = false): Table {
  const calls = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  const selfHeaders = kernels ? [] : ["Default self ms", "Deterministic self ms"];
  return {
    headers: ["#", kernels ? "Kernel" : "Operator", "Default ms/step", "Deterministic ms/step", "Ratio", ...selfHeaders, "Calls/step default", "Calls/step deterministic"],
    rows: rows.map((op) => [
      String(op.rank),
      op.name,
      op.defaultMs.toFixed(3),
      op.deterministicMs.toFixed(3),
      op.defaultMs > 0 ? (op.deterministicMs / op.defaultMs).toFixed(2) : MISSING,
      ...(kernels ? [] : [op.defaultSelfMs.toFixed(3), op.deterministicSelfMs.toFixed(3)]),
      calls(op.defaultCalls),
      calls(op.deterministicCalls),
    ]),
    numeric: [true, false, true, true, true, ...selfHeaders.map(() => true), true, true],
  };
}

function nondeterministicItems(result: OverheadResult): string[] {
  return result.models
    .filter((m) => m.status === "not-deterministic")
    .map((m) => {
      const listed = m.cudaNondeterministicOps.length > 0 ? ` The zoo lists for CUDA: ${m.cudaNondeterministicOps.join(", ")}.` : "";
      const alternative = m.alternative === null ? "" : ` Alternative: ${m.alternative}.`;
      return `${m.id}: ${firstSentence(m.nondeterministicOp ?? "")}${listed}${alternative} Its deterministic configurations have no timing; do not call its training deterministic.`;
    });
}

/** The whole result; the `figures` block marks where the HTML page puts its charts (Markdown leaves it out). */
export function overheadDocument(result: OverheadResult): Block[] {
  const blocks: Block[] = [
    { kind: "heading", level: 1, text: "Cost of determinism (noiselab overhead)" },
    { kind: "paragraph", text: environmentText(result) },
    { kind: "paragraph", text: methodText(result) },
    { kind: "heading", level: 2, text: "Deterministic vs default" },
    { kind: "table", table: summaryTable(result) },
    { kind: "heading", level: 2, text: "Per configuration" },
    { kind: "table", table: configurationTable(result) },
  ];
  if (result.environment.device === "cpu") {
    blocks.push({
      kind: "paragraph",
      text: "On CPU, libtorch's kernels are deterministic with or without the switches, and cuDNN and TF32 do not exist: ratios near 1 are expected, and the cuDNN and TF32 rows time identical code, which shows the noise floor of the measurement.",
    });
  }
  const refused = nondeterministicItems(result);
  if (refused.length > 0) blocks.push({ kind: "heading", level: 2, text: "Ops without a deterministic implementation" }, { kind: "list", items: refused });
  blocks.push({ kind: "figures" });
  const profiled = result.models.filter((m) => m.operators !== null);
  if (profiled.length > 0) {
    blocks.push({
      kind: "paragraph",
      text:
        `Operators: ${result.plan.steps} step(s) per configuration profiled after the timing, with libtorch's profiler (as torch.profiler); times are per step. ` +
        "Inclusive time contains the operators nested inside (aten::conv2d contains aten::convolution); self time does not. " +
        "Autograd nodes (…Backward0) and the backward ops they call are included. Operator times are host-side: on CUDA, dispatch and kernel launch; the kernel tables have the GPU time.",
    });
  }
  for (const m of profiled) {
    blocks.push({ kind: "heading", level: 2, text: `Top ${m.operators!.length} operators: ${m.id}` }, { kind: "table", table: operatorTable(m.operators!) });
    if (m.kernels === null) continue;
    if (m.kernels.length > 0) {
      blocks.push({ kind: "heading", level: 2, text: `Top ${m.kernels.length} CUDA kernels: ${m.id}` }, { kind: "table", table: operatorTable(m.kernels, true) });
    } else {
      blocks.push({
        kind: "paragraph",
        text: `No CUDA kernels were recorded for ${m.id}: this libtorch's profiler has no Kineto/CUPTI, so only the host-side operator times above exist.`,
      });
    }
  }
  return blocks;
}
