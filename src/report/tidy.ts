/**
 * The report as tidy tables for pandas or R: one row per run, and one row
 * per run × class and per run × sub-group. Values are fractions (not
 * percentages); an undefined value is an empty cell.
 */
import type { ExperimentReport } from "./build.js";

export interface TidyTable {
  header: string[];
  rows: (string | number | null)[][];
}

/**
 * One row per run (completed or failed): its group, seeds, hash, and accuracy
 * at the analysed epoch; a failed run has its error's first line and no replicate number.
 * Reports of several environments add each run's environment and tool-chain hash.
 */
export function runsTable(report: ExperimentReport): TidyTable {
  const seedNames = [...new Set(report.groups.flatMap((g) => g.runs.flatMap((r) => Object.keys(r.seeds ?? {}))))].sort();
  const multi = report.tooling !== undefined;
  const rows: (string | number | null)[][] = [];
  for (const g of report.groups) {
    const lead = [report.name, g.model, ...(multi ? [g.environment ?? null] : []), g.variant];
    g.runs.forEach((run, i) => {
      rows.push([
        ...lead,
        run.replicate,
        run.label,
        run.key,
        "completed",
        report.epoch,
        g.accuracy.perReplicate[i] ?? null,
        run.testAccuracy,
        run.weightsHash,
        run.wallSeconds,
        ...seedNames.map((s) => run.seeds?.[s] ?? null),
        ...(multi ? [run.toolchain ?? null] : []),
        null,
      ]);
    });
    for (const f of report.failedRuns.filter((f) => f.model === g.model && f.variant === g.variant && f.environment === g.environment)) {
      rows.push([...lead, null, f.label, f.key, "failed", report.epoch, null, null, null, null, ...seedNames.map(() => null), ...(multi ? [null] : []), f.error.split("\n")[0]]);
    }
  }
  return {
    header: [
      "experiment",
      "model",
      ...(multi ? ["environment"] : []),
      "variant",
      "replicate",
      "run",
      "key",
      "status",
      "epoch",
      "accuracy",
      "final_accuracy",
      "weights_sha256",
      "wall_seconds",
      ...seedNames.map((s) => `seed_${s}`),
      ...(multi ? ["toolchain_sha256"] : []),
      "error",
    ],
    rows,
  };
}

/**
 * One row per same-seed pair across two environments (reports of several
 * environments): the two runs, whether their weights are identical, churn,
 * unit-weight L2 and accuracy difference (a − b, a fraction).
 */
export function pairsTable(report: ExperimentReport): TidyTable {
  const rows = (report.tooling?.pairs ?? []).flatMap((p) =>
    p.perPair.map((x) => [report.name, p.model, p.variant, p.a, p.b, x.replicate, x.runA, x.runB, x.identical ? 1 : 0, x.churn, x.unitL2, x.accuracyDifference]),
  );
  return { header: ["experiment", "model", "variant", "environment_a", "environment_b", "replicate", "run_a", "run_b", "identical_weights", "churn", "unit_l2", "accuracy_difference"], rows };
}

/**
 * One row per completed run × class (`slice` "class", `name` the class name)
 * and per completed run × sub-group (`slice` "group", `name` like
 * "sex=F & age=old"): examples, accuracy, and FPR and FNR for binary sub-groups.
 */
export function slicesTable(report: ExperimentReport): TidyTable {
  const rows: (string | number | null)[][] = [];
  for (const g of report.groups) {
    const a = g.analysis;
    if (a === null) continue;
    g.runs.forEach((run, r) => {
      const lead = [report.name, g.model, g.variant, run.replicate, run.label];
      for (const c of a.perClass.classes) {
        const name = c.class === null ? null : (report.classNames[c.class] ?? `class ${c.class}`);
        rows.push([...lead, "class", name, c.count, c.perReplicate[r] ?? null, null, null]);
      }
      for (const s of a.subgroups?.groups ?? []) {
        rows.push([...lead, "group", s.key, s.count, s.accuracy.perReplicate[r] ?? null, s.fpr?.perReplicate[r] ?? null, s.fnr?.perReplicate[r] ?? null]);
      }
    });
  }
  return { header: ["experiment", "model", "variant", "replicate", "run", "slice", "name", "examples", "accuracy", "fpr", "fnr"], rows };
}
