/**
 * The report's determinism section, from results of `noiselab check --out`
 * and `noiselab overhead --out`: verdicts, first divergences, ops without a
 * deterministic implementation, the divergence trajectory, and the cost of
 * determinism (the paper's Figures 8 and 9).
 */
import type { CheckOutput } from "../check/output.js";
import type { CheckResult } from "../check/lockstep.js";
import type { Block, Table } from "../document/blocks.js";
import { MISSING } from "../document/blocks.js";
import type { Chart } from "../document/charts.js";
import type { OverheadResult } from "../overhead/render.js";
import { overheadCharts, overheadSummaryBlocks } from "../overhead/render.js";

export interface DeterminismEvidence {
  /** Check results with the file each came from. */
  checks: { file: string; output: CheckOutput }[];
  overhead: OverheadResult | null;
}

function differing(o: CheckOutput): string {
  const sources = Object.entries(o.noise)
    .filter(([, free]) => free)
    .map(([source]) => source);
  if (o.perturbOneUlp) sources.push("one ulp of one initial weight");
  if (o.reverseBatchAt !== null && o.reverseBatchAt !== undefined) sources.push(`batch order at step ${o.reverseBatchAt}`);
  return sources.join(", ") || "nothing";
}

function verdict(r: CheckResult): string {
  if (r.deterministic) return `bitwise deterministic (${r.stepsCompared} steps)`;
  return r.firstDivergence === null ? "not deterministic: ops without a deterministic implementation ran" : "not deterministic";
}

function divergence(r: CheckResult): string {
  const d = r.firstDivergence;
  return d === null ? MISSING : `step ${d.step}, ${d.phase}, ${d.module || "(model)"}: ${d.tensor}, max |Δ| ${d.maxAbsDiff.toExponential(2)}`;
}

function checkRows(entry: { file: string; output: CheckOutput }): string[][] {
  const o = entry.output;
  const row = (setting: string, r: CheckResult): string[] => [o.target, o.device, differing(o), setting, verdict(r), divergence(r), r.nondeterministicOps.join(", ") || MISSING];
  if (o.result) return [row(o.determinism?.deterministicAlgorithms ? "all switches on" : "switches off", o.result)];
  const b = o.bisect!;
  return [row("all switches off", b.baseline), ...b.single.map((s) => row(`only ${s.switch}`, s.result)), row("all switches on", b.all)];
}

function checksTable(evidence: DeterminismEvidence): Table {
  return {
    headers: ["Target", "Device", "Replicates differ in", "Determinism switches", "Verdict", "First divergence", "Ops without a deterministic implementation"],
    rows: evidence.checks.flatMap(checkRows),
    numeric: [false, false, false, false, false, false, false],
  };
}

export function determinismBlocks(evidence: DeterminismEvidence): Block[] {
  const blocks: Block[] = [];
  if (evidence.checks.length > 0) {
    blocks.push(
      { kind: "heading", level: 2, text: "Determinism checks (noiselab check)" },
      {
        kind: "paragraph",
        text: "Two replicates trained in lock-step and compared bitwise after every step: every module output (rows in example order) and every parameter gradient. A run is not called deterministic while an op without a deterministic implementation ran, even if the replicates agreed.",
      },
      { kind: "table", table: checksTable(evidence) },
    );
  }
  if (evidence.overhead !== null) {
    blocks.push({ kind: "heading", level: 2, text: "Cost of determinism (noiselab overhead)" }, ...overheadSummaryBlocks(evidence.overhead));
  }
  return blocks;
}

/** The divergence trajectory of every check that recorded one, and the overhead figures. */
export function determinismCharts(evidence: DeterminismEvidence): Chart[] {
  const rows = evidence.checks.flatMap(({ file, output }) =>
    (output.result?.weightDistance ?? []).map((distance, step) => ({ run: `${output.target} (${file})`, step: step + 1, distance })),
  );
  const charts: Chart[] = [];
  if (rows.length > 0) {
    charts.push({
      id: "trajectory",
      title: "Divergence trajectory",
      caption: "L2 distance between the weights of two replicates that start one ulp apart (or differ in one noise source), after each training step; log scale. It shows how fast a tiny difference grows.",
      spec: {
        data: { values: rows },
        width: 520,
        height: 260,
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "step", type: "quantitative", title: "training step" },
          y: { field: "distance", type: "quantitative", title: "weight L2 distance", scale: { type: "log" } },
          color: { field: "run", type: "nominal", title: "check" },
        },
      },
    });
  }
  if (evidence.overhead !== null) charts.push(...overheadCharts(evidence.overhead));
  return charts;
}
