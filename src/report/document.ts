/**
 * The report's text content as format-neutral blocks of plain text, so that
 * the Markdown and the HTML report show the same tables and sentences and
 * each renderer does its own escaping.
 */
import type { ComparisonSummary, ControlCheck, ExperimentReport, GroupSummary } from "./build.js";
import type { Block, Table } from "../document/blocks.js";
import { MISSING } from "../document/blocks.js";
import { batchSizeSection } from "./batch-size.js";
import { determinismBlocks } from "./determinism.js";
import { toolingBlocks } from "./tooling-document.js";
import { BROWN_FORSYTHE_UNDEFINED, fixed, interval, percent, plusMinus, pValue, shortHash, times } from "./format.js";

const heading = (level: 1 | 2 | 3, text: string): Block => ({ kind: "heading", level, text });
const paragraph = (text: string): Block => ({ kind: "paragraph", text });
const table = (headers: string[], rows: string[][], numeric: boolean[]): Block => ({ kind: "table", table: { headers, rows, numeric } });

const groupName = (g: { model: string; variant: string; environment?: string }): string => `${g.model} / ${g.variant}${g.environment === undefined ? "" : ` / ${g.environment}`}`;
const plural = (n: number, word: string, words = `${word}s`): string => `${n} ${n === 1 ? word : words}`;

/** A row's leading cells: model and variant, with the environment between them when the report spans several. */
function lead(report: ExperimentReport, g: { model: string; variant: string; environment?: string }): string[] {
  return report.tooling ? [g.model, g.environment ?? MISSING, g.variant] : [g.model, g.variant];
}

function leadHeaders(report: ExperimentReport): string[] {
  return report.tooling ? ["Model", "Environment", "Variant"] : ["Model", "Variant"];
}

function className(report: ExperimentReport, index: number | null): string {
  return index === null ? MISSING : (report.classNames[index] ?? `class ${index}`);
}

/** The paper's Table 2: one row per model × variant. */
export function table2(report: ExperimentReport): Table {
  const rows = report.groups.map((g) => {
    const a = g.analysis;
    const top1 = a?.accuracy.top1;
    return [
      ...lead(report, g),
      `${g.replicatesCompleted}/${g.replicatesPlanned}`,
      plusMinus(percent(g.accuracy.mean, 2), percent(g.accuracy.std, 3)),
      interval(top1?.stdCi95, (x) => percent(x, 3)),
      a ? plusMinus(percent(a.churn.mean, 2), percent(a.churn.std, 3)) : MISSING,
      a?.weights ? plusMinus(fixed(a.weights.unitL2.mean, 4), fixed(a.weights.unitL2.std, 4)) : MISSING,
      a ? `${percent(a.perClass.maxStd, 2)} (${className(report, a.perClass.maxStdClass)})` : MISSING,
      a ? times(a.perClass.maxStdRatio) : MISSING,
    ];
  });
  return {
    headers: [
      ...leadHeaders(report),
      "Runs",
      "Accuracy % (mean ± std)",
      "Accuracy std 95% CI",
      "Churn % (mean ± std)",
      "L2 unit weights (mean ± std)",
      "Per-class std max %",
      "Per-class ÷ overall std",
    ],
    rows,
    numeric: [...leadHeaders(report).map(() => false), true, true, true, true, true, true, true],
  };
}

function table2Section(report: ExperimentReport): Block[] {
  const skipped = report.groups.filter((g) => g.analysisSkipped !== null);
  return [
    heading(2, "Stability per model and variant (paper Table 2)"),
    { kind: "table", table: table2(report) },
    paragraph(
      "Accuracy: top-1 test accuracy of each replicate, mean ± sample std (ddof=1) across replicates; the CI is a percentile-bootstrap 95% interval of that std over replicates. " +
        "Churn: share of test examples on which two replicates' top-1 predictions differ, mean ± std over all replicate pairs. " +
        "L2: distance between two replicates' trainable weights, each flattened and normalised to unit length, mean ± std over pairs (0 = same direction, at most 2). " +
        "Per-class: the largest std across replicates of one class's accuracy, and its ratio to the std of overall accuracy (paper Fig. 4).",
    ),
    ...(skipped.length > 0 ? [{ kind: "list", items: skipped.map((g) => `${groupName(g)}: ${g.analysisSkipped}.`) } as Block] : []),
  ];
}

function describeControl(check: ControlCheck, group: GroupSummary | undefined): string {
  const failed = group && group.replicatesFailed > 0 ? ` (${plural(group.replicatesFailed, "planned run")} failed)` : "";
  const name = groupName(check);
  if (check.completedRuns < 2) return `${name}: not checked, only ${plural(check.completedRuns, "completed replicate")}${failed}.`;
  if (check.bitwiseIdentical) {
    return `${name}: ${check.completedRuns}/${check.completedRuns} replicates bitwise identical (weights sha256 ${shortHash(check.referenceHash ?? "")})${failed}.`;
  }
  const shared = check.hashes[0].runs.length;
  const offenders = check.offendingRuns.map((r) => `${r.label} (sha256 ${shortHash(r.weightsHash)})`).join(", ");
  const tie = check.referenceTied
    ? ` No hash has a majority (${check.hashes.length} distinct hashes); the runs are listed against the earliest replicate's hash.`
    : "";
  return `${name}: NOT bitwise identical: ${shared}/${check.completedRuns} replicates share weights sha256 ${shortHash(check.referenceHash ?? "")}; differing: ${offenders}${failed}.${tie}`;
}

function controlSection(report: ExperimentReport): Block[] {
  const blocks: Block[] = [heading(2, "Control check")];
  if (report.controlChecks.length === 0) {
    blocks.push(paragraph("No group has every noise source fixed, so no group must be bitwise reproducible."));
  } else {
    blocks.push(
      paragraph("With every noise source fixed, replicates must have bitwise-identical final weights (equal sha256 of the state dict)."),
      {
        kind: "list",
        items: report.controlChecks.map((c) => describeControl(c, report.groups.find((g) => g.model === c.model && g.variant === c.variant && g.environment === c.environment))),
      },
    );
  }
  const free = report.groups.filter((g) => !g.allSourcesFixed);
  if (free.length > 0) {
    blocks.push(
      paragraph("Groups with free noise sources: how many of their completed runs ended with distinct weights (a free source should make every replicate differ)."),
      table(
        [...leadHeaders(report), "Free sources", "Distinct weight hashes / runs"],
        free.map((g) => [...lead(report, g), g.freeSources.join(", "), `${g.distinctWeightHashes}/${g.replicatesCompleted}`]),
        [...leadHeaders(report).map(() => false), false, true],
      ),
    );
  }
  return blocks;
}

function comparisonRow(report: ExperimentReport, c: ComparisonSummary): string[] {
  const r = c.result;
  return [
    c.model,
    ...(report.tooling ? [c.environment ?? MISSING] : []),
    c.a,
    c.b,
    r ? percent(r.accuracyStd.a, 3) : MISSING,
    r ? percent(r.accuracyStd.b, 3) : MISSING,
    r ? pValue(r.accuracyVarianceBrownForsythe.pValue) : MISSING,
    r ? pValue(r.accuracyVariancePermutation.pValue) : MISSING,
    r ? percent(r.churnMean.a, 2) : MISSING,
    r ? percent(r.churnMean.b, 2) : MISSING,
    r ? pValue(r.churnPermutation.pValue) : MISSING,
  ];
}

function comparisonSection(report: ExperimentReport): Block[] {
  if (report.comparisons.length === 0) return [];
  const skipped = report.comparisons.filter((c) => c.skipped !== null);
  return [
    heading(2, "Comparisons between variants"),
    paragraph(
      `Does variant A differ from B in accuracy variance (Brown–Forsythe test, and a permutation test on median-centred accuracies) and in mean churn (permutation test over replicate pairs; pairs share replicates, so read it as approximate)? Two-sided p-values, ${report.settings.permutations} permutations, seed ${report.settings.seed}.`,
    ),
    table(
      ["Model", ...(report.tooling ? ["Environment"] : []), "A", "B", "Accuracy std % A", "Accuracy std % B", "Variance: Brown–Forsythe p", "Variance: permutation p", "Churn % A", "Churn % B", "Churn: permutation p"],
      report.comparisons.map((c) => comparisonRow(report, c)),
      [false, ...(report.tooling ? [false] : []), false, false, true, true, true, true, true, true, true],
    ),
    ...(report.comparisons.some((c) => c.result !== null && c.result.accuracyVarianceBrownForsythe.pValue === null) ? [paragraph(BROWN_FORSYTHE_UNDEFINED)] : []),
    ...(skipped.length > 0 ? [{ kind: "list", items: skipped.map((c) => `${c.model}${c.environment === undefined ? "" : ` (${c.environment})`}: ${c.a} vs ${c.b} not tested: ${c.skipped}.`) } as Block] : []),
  ];
}

function stdWithRatio(metric: { std: number | null; stdRatio: number | null } | null): string {
  return metric === null ? MISSING : `${percent(metric.std, 3)} (${times(metric.stdRatio)})`;
}

function subgroupSection(report: ExperimentReport): Block[] {
  const withGroups = report.groups.filter((g) => g.analysis?.subgroups);
  if (withGroups.length === 0) return [];
  const blocks: Block[] = [
    heading(2, "Sub-groups (paper Table 5)"),
    paragraph(
      "Per sub-group: accuracy across replicates, and the std of accuracy, false-positive rate FP/(FP+TN) and false-negative rate FN/(FN+TP) (binary tasks, class 1 positive) as a multiple of the same metric's std on the whole test set.",
    ),
  ];
  for (const g of withGroups) {
    const s = g.analysis!.subgroups!;
    blocks.push(
      heading(3, groupName(g)),
      paragraph(
        (s.binary && report.classNames.length === 2 ? `Positive class: ${report.classNames[1]}. ` : "") +
          `Whole test set: accuracy std ${percent(s.overall.accuracy?.std, 3)}%` +
          (s.binary ? `, FPR std ${percent(s.overall.fpr?.std, 3)}%, FNR std ${percent(s.overall.fnr?.std, 3)}%.` : "."),
      ),
      table(
        ["Group", "n", "Accuracy % (mean ± std)", "Accuracy std ÷ overall", "FPR std % (÷ overall)", "FNR std % (÷ overall)"],
        s.groups.map((row) => [
          row.key,
          String(row.count),
          plusMinus(percent(row.accuracy.mean, 2), percent(row.accuracy.std, 3)),
          times(row.accuracy.stdRatio),
          stdWithRatio(row.fpr),
          stdWithRatio(row.fnr),
        ]),
        [false, true, true, true, true, true],
      ),
    );
  }
  return blocks;
}

/** Per model: each class's accuracy across replicates in each variant (the numbers of Fig. 4). */
function perClassSection(report: ExperimentReport): Block[] {
  const analysed = report.groups.filter((g) => g.analysis !== null);
  if (analysed.length === 0) return [];
  const blocks: Block[] = [
    heading(2, "Per-class accuracy (paper Fig. 4)"),
    paragraph("Each class's accuracy (its recall) across replicates, mean ± std, per variant. The largest std of each group is in Table 2."),
  ];
  for (const model of [...new Set(analysed.map((g) => g.model))]) {
    const groups = analysed.filter((g) => g.model === model);
    const classes = [...new Map(groups.flatMap((g) => g.analysis!.perClass.classes.map((c) => [c.class, c.count] as const))).entries()];
    blocks.push(
      heading(3, model),
      table(
        ["Class", "Examples", ...groups.map((g) => `${g.variant}${g.environment === undefined ? "" : ` (${g.environment})`} accuracy %`)],
        classes.map(([c, count]) => [
          className(report, c),
          String(count),
          ...groups.map((g) => {
            const s = g.analysis!.perClass.classes.find((x) => x.class === c);
            return s ? plusMinus(percent(s.mean, 2), percent(s.std, 3)) : MISSING;
          }),
        ]),
        [false, true, ...groups.map(() => true)],
      ),
    );
  }
  return blocks;
}

function moreMetricsSection(report: ExperimentReport): Block[] {
  const analysed = report.groups.filter((g) => g.analysis !== null);
  if (analysed.length === 0) return [];
  return [
    heading(2, "More stability metrics"),
    paragraph(
      "Churn CI: bootstrap 95% interval of the mean churn over test examples. Ambiguity: share of examples on which not all replicates agree. Discrepancy: the largest churn of one replicate against the majority vote. Ensemble gain: majority-vote accuracy minus mean replicate accuracy, in percentage points. Raw L2: distance between unnormalised weights, mean over pairs.",
    ),
    table(
      [...leadHeaders(report), "Churn 95% CI %", "Ambiguity %", "Discrepancy %", "Ensemble gain (pp)", "Top-5 accuracy %", "Raw L2 (mean)"],
      analysed.map((g) => {
        const a = g.analysis!;
        return [
          ...lead(report, g),
          interval(a.churn.meanCi95, (x) => percent(x, 2)),
          percent(a.churn.ambiguity, 2),
          percent(a.churn.discrepancy, 2),
          percent(a.ensemble.gain, 2),
          a.accuracy.top5 ? plusMinus(percent(a.accuracy.top5.mean, 2), percent(a.accuracy.top5.std, 3)) : MISSING,
          a.weights ? fixed(a.weights.rawL2.mean, 4) : MISSING,
        ];
      }),
      [...leadHeaders(report).map(() => false), true, true, true, true, true, true],
    ),
  ];
}

function environmentSection(report: ExperimentReport): Block[] {
  if (report.environment.length === 0) return [];
  return [
    heading(2, "Environment"),
    paragraph("As recorded in each completed run's metadata; determinism switches differ by design between variants that fix or free the kernels source."),
    table(
      ["Setting", "Value", "Runs", "Variants"],
      report.environment.flatMap((e) => e.values.map((v) => [e.setting, v.value, String(v.runs), v.variants.join(", ")])),
      [false, false, true, false],
    ),
  ];
}

function failedSection(report: ExperimentReport): Block[] {
  if (report.failedRuns.length === 0) return [];
  return [
    heading(2, "Failed runs"),
    paragraph(`${plural(report.failedRuns.length, "run")} failed; each is redone the next time the experiment runs.`),
    ...report.failedRuns.flatMap((f): Block[] => [paragraph(`${f.label} (${groupName(f)}):`), { kind: "preformatted", text: f.error }]),
  ];
}

/** The whole report as blocks, in reading order. */
export function reportDocument(report: ExperimentReport): Block[] {
  const completed = report.groups.reduce((s, g) => s + g.replicatesCompleted, 0);
  return [
    heading(1, `noiselab report: ${report.name}`),
    paragraph(
      `Predictions analysed at epoch ${report.epoch}; ${plural(report.classNames.length, "class", "classes")}; ` +
        `${plural(report.groups.length, report.tooling ? "model × environment × variant group" : "model × variant group")}; ${plural(completed, "completed run")}, ${report.failedRuns.length} failed. ` +
        `Bootstrap: ${report.settings.bootstrapResamples} resamples, seed ${report.settings.seed}.`,
    ),
    ...table2Section(report),
    ...controlSection(report),
    { kind: "figures" },
    ...comparisonSection(report),
    ...(report.tooling ? toolingBlocks(report, report.tooling) : []),
    ...subgroupSection(report),
    ...perClassSection(report),
    ...batchSizeSection(report.batchSizes),
    ...moreMetricsSection(report),
    ...(report.determinism ? determinismBlocks(report.determinism) : []),
    ...environmentSection(report),
    ...failedSection(report),
  ];
}
