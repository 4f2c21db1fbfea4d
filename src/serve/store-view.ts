/**
 * What the dashboard shows of a store, read-only: the experiments with their
 * runs by state, each experiment's report (computed once per state of its
 * runs and filter, then cached), its most unstable test examples, and single
 * runs with their files.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { relative, sep } from "node:path";
import type { Block } from "../document/blocks.js";
import type { Chart } from "../document/charts.js";
import { styledSpec } from "../document/charts.js";
import { InputError } from "../errors.js";
import { collectResults, storedSpec } from "../experiment/collect.js";
import type { ExperimentResults } from "../experiment/results.js";
import { voteStatistics } from "../metrics/churn.js";
import type { ExperimentReport } from "../report/build.js";
import { buildReport } from "../report/build.js";
import { allReportCharts } from "../report/charts.js";
import type { DeterminismEvidence } from "../report/determinism.js";
import { determinismBlocks, determinismCharts } from "../report/determinism.js";
import { reportDocument } from "../report/document.js";
import { isRecord } from "../run-unit/unit.js";
import type { ExperimentRecord, ExperimentRun, RunStore } from "../store/run-store.js";
import { NotFoundError } from "./errors.js";

export interface ExperimentSummary {
  name: string;
  created: string;
  planned: number;
  done: number;
  running: number;
  failed: number;
  queued: number;
}

/** Which runs of an experiment a page shows; empty lists mean all. */
export interface RunFilter {
  variants: string[];
  environments: string[];
}

/** A chart as the browser gets it: the Vega-Lite spec in the house style of the static report. */
export interface ChartView {
  id: string;
  title: string;
  caption: string;
  spec: unknown;
}

export interface ExperimentView {
  name: string;
  state: ExperimentSummary;
  variants: string[];
  environments: string[];
  filter: RunFilter;
  runs: { label: string; key: string; status: string; environment: string; testAccuracy: number | null; wallSeconds: number; error: string | null }[];
  blocks: Block[];
  charts: ChartView[];
}

export interface UnstableQuery {
  model?: string;
  variant?: string;
  environments: string[];
  classIndex?: number;
  attribute?: string;
  value?: string;
  limit: number;
}

export interface UnstableView {
  groups: { model: string; variant: string; runs: number }[];
  model: string | null;
  variant: string | null;
  classNames: string[];
  /** Sub-group attributes of the test set and their values. */
  attributes: Record<string, string[]>;
  runs: string[];
  examples: { index: number; label: number; disagreement: number; predictions: number[]; groups: Record<string, string> }[];
  /** Why there are no examples (fewer than 2 completed runs), or null. */
  note: string | null;
}

export interface RunView {
  key: string;
  status: string;
  error: string | null;
  config: unknown;
  environment: string;
  memberships: { experiment: string; label: string }[];
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  attempts: number;
  metrics: Record<string, unknown>;
  fingerprint: unknown;
  curve: unknown;
  artifacts: { name: string; bytes: number }[];
}

/** The environment a run ran in: its config's environment name (`cpu` for a config without one). */
export function runEnvironment(config: unknown): string {
  const environment = isRecord(config) && isRecord(config.environment) ? config.environment : {};
  return typeof environment.name === "string" ? environment.name : "cpu";
}

/** How many computed reports to keep (one per experiment state and filter). */
const CACHE_SIZE = 24;

type RunState = ReturnType<RunStore["runStatesOf"]>[number];

interface Recorded {
  /** The store's `dataVersion` when this was read. */
  version: number;
  experiments: ExperimentRecord[];
  /** Per experiment, read when first asked for: its runs' states and a hash of them. */
  states: Map<string, { states: RunState[]; token: string }>;
}

interface Snapshot {
  token: string;
  summary: ExperimentSummary;
  runs: ExperimentRun[];
  /** Keys of the experiment's runs being trained now. */
  running: Set<string>;
  environments: string[];
  accuracy: Map<string, number | null>;
}

interface Analysed {
  snapshot: Snapshot;
  results: ExperimentResults;
  report: ExperimentReport;
  view: ExperimentView;
  json?: string;
}

interface Planned {
  /** How many runs the spec plans. */
  runs: number;
  variants: string[];
  dataset: unknown;
}

export class StoreView {
  private readonly planned = new Map<string, Planned>();
  private readonly snapshots = new Map<string, Snapshot>();
  private recordedCache: Recorded | null = null;
  private readonly cache = new Map<string, Analysed>();
  /** How many times an experiment's results were read and its report built (once per state of its runs and filter). */
  reportsComputed = 0;

  constructor(
    readonly store: RunStore,
    private readonly determinism: DeterminismEvidence,
  ) {}

  private plannedOf(name: string): Planned {
    let planned = this.planned.get(name);
    if (!planned) {
      if (!this.store.getExperiment(name)) throw new NotFoundError(`no experiment "${name}" in this store`);
      // A name's spec never changes (the store refuses to redefine it), so it is read once.
      const spec = storedSpec(this.store, name);
      planned = { runs: spec.models.length * spec.variants.length * spec.replicates, variants: spec.variants, dataset: spec.dataset };
      this.planned.set(name, planned);
    }
    return planned;
  }

  /** Keys of the runs being trained now, by experiment. */
  private runningByExperiment(): Map<string, Set<string>> {
    const byExperiment = new Map<string, Set<string>>();
    for (const unit of this.store.runningUnits()) {
      const keys = byExperiment.get(unit.experiment) ?? new Set<string>();
      keys.add(unit.key);
      byExperiment.set(unit.experiment, keys);
    }
    return byExperiment;
  }

  /** The store's experiments and their runs' states, read again only after another process committed a change. */
  private recorded(): Recorded {
    const version = this.store.dataVersion();
    if (this.recordedCache?.version !== version) this.recordedCache = { version, experiments: this.store.listExperiments(), states: new Map() };
    return this.recordedCache;
  }

  private statesOf(name: string): { states: RunState[]; token: string } {
    const recorded = this.recorded();
    let entry = recorded.states.get(name);
    if (!entry) {
      const states = this.store.runStatesOf(name);
      const hash = createHash("sha256");
      for (const r of [...states].sort((x, y) => (x.key < y.key ? -1 : 1))) hash.update(`${r.key}:${r.status}:${r.finishedAt}:${r.attempts}\n`);
      entry = { states, token: hash.digest("hex") };
      recorded.states.set(name, entry);
    }
    return entry;
  }

  experiments(): ExperimentSummary[] {
    const running = this.runningByExperiment();
    return this.recorded().experiments.map((e) => this.summary(e.name, e.created, this.statesOf(e.name).states, running.get(e.name) ?? new Set()));
  }

  /** Runs by state: recorded ones by their status (a failed run being retried counts as running), the rest of the plan queued. */
  private summary(name: string, created: string, states: RunState[], running: Set<string>): ExperimentSummary {
    const planned = this.plannedOf(name).runs;
    const status = new Map(states.map((r) => [r.key, r.status]));
    let done = 0;
    let failed = 0;
    for (const s of status.values()) if (s === "done") done++;
    for (const [key, s] of status) if (s === "failed" && !running.has(key)) failed++;
    const active = [...running].filter((key) => status.get(key) !== "done").length;
    return { name, created, planned, done, running: active, failed, queued: Math.max(0, planned - done - active - failed) };
  }

  /**
   * The experiment's runs as they are now. Read again only when its state token changes: when one of
   * its runs is recorded, changes state or starts (one small query and a directory listing per call).
   */
  private snapshot(name: string): Snapshot {
    const record = this.recorded().experiments.find((e) => e.name === name);
    if (!record) throw new NotFoundError(`no experiment "${name}" in this store`);
    const { states, token: recordedToken } = this.statesOf(name);
    const running = this.runningByExperiment().get(name) ?? new Set<string>();
    const token = `${recordedToken}:${[...running].sort().join(",")}`;
    const cached = this.snapshots.get(name);
    if (cached?.token === token) return cached;
    const runs = this.store.runsOf(name);
    const accuracy = new Map(
      runs.map((r) => {
        const value = r.status === "done" ? this.store.metricsOf(r.key).testAccuracy : null;
        return [r.key, typeof value === "number" ? value : null];
      }),
    );
    const snapshot: Snapshot = {
      token,
      summary: this.summary(name, record.created, states, running),
      runs,
      running,
      environments: [...new Set(runs.map((r) => runEnvironment(r.config)))].sort(),
      accuracy,
    };
    this.snapshots.set(name, snapshot);
    return snapshot;
  }

  private checkFilter(name: string, filter: RunFilter, snapshot: Snapshot): void {
    const variants = this.plannedOf(name).variants;
    for (const v of filter.variants) if (!variants.includes(v)) throw new InputError(`variant: experiment "${name}" has no variant "${v}" (variants: ${variants.join(", ")})`);
    for (const e of filter.environments) {
      if (!snapshot.environments.includes(e)) throw new InputError(`environment: no run of "${name}" ran in "${e}" (environments: ${snapshot.environments.join(", ") || "none yet"})`);
    }
  }

  /** The experiment's results restricted to `filter`, their report and its page: computed once per state of its runs and filter. */
  private analysed(name: string, filter: RunFilter): Analysed {
    const snapshot = this.snapshot(name);
    this.checkFilter(name, filter, snapshot);
    const cacheKey = JSON.stringify([name, snapshot.token, filter]);
    const hit = this.cache.get(cacheKey);
    if (hit) {
      // Most recently used last.
      this.cache.delete(cacheKey);
      this.cache.set(cacheKey, hit);
      return hit;
    }
    this.reportsComputed++;
    const environmentOf = new Map(snapshot.runs.map((r) => [r.key, runEnvironment(r.config)]));
    const results = restrict(collectResults(this.store, name), filter, (key) => environmentOf.get(key) ?? "");
    const report = buildReport(results);
    if (this.determinism.checks.length > 0 || this.determinism.overhead !== null) report.determinism = this.determinism;
    const entry = { snapshot, results, report, view: this.experimentView(name, filter, snapshot, report) };
    this.cache.set(cacheKey, entry);
    while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return entry;
  }

  private experimentView(name: string, filter: RunFilter, snapshot: Snapshot, report: ExperimentReport): ExperimentView {
    const { running } = snapshot;
    const shown = (r: ExperimentRun) =>
      (filter.variants.length === 0 || filter.variants.includes(r.label.split("/")[1])) && (filter.environments.length === 0 || filter.environments.includes(runEnvironment(r.config)));
    return {
      name,
      state: snapshot.summary,
      variants: this.plannedOf(name).variants,
      environments: snapshot.environments,
      filter,
      runs: snapshot.runs.filter(shown).map((r) => ({
        label: r.label,
        key: r.key,
        status: running.has(r.key) && r.status !== "done" ? "running" : r.status,
        environment: runEnvironment(r.config),
        testAccuracy: snapshot.accuracy.get(r.key) ?? null,
        wallSeconds: r.wallSeconds,
        error: r.error,
      })),
      blocks: reportDocument(report),
      charts: allReportCharts(report).map(chartView),
    };
  }

  experiment(name: string, filter: RunFilter): ExperimentView {
    return this.analysed(name, filter).view;
  }

  /** `experiment` as JSON, serialised once per state and filter. */
  experimentJson(name: string, filter: RunFilter): string {
    const entry = this.analysed(name, filter);
    entry.json ??= JSON.stringify(entry.view);
    return entry.json;
  }

  /** One chart of the experiment's report, for the SVG and PNG downloads. */
  chart(name: string, filter: RunFilter, id: string): Chart {
    const chart = allReportCharts(this.analysed(name, filter).report).find((c) => c.id === id);
    if (!chart) throw new NotFoundError(`experiment "${name}" has no chart "${id}"`);
    return chart;
  }

  unstable(name: string, query: UnstableQuery): UnstableView {
    const { results } = this.analysed(name, { variants: [], environments: query.environments });
    const groups = results.groups.map((g) => ({ model: g.model, variant: g.variant, runs: g.runs.length }));
    const wanted = results.groups.filter((g) => (query.model === undefined || g.model === query.model) && (query.variant === undefined || g.variant === query.variant));
    if (query.model !== undefined && !groups.some((g) => g.model === query.model)) throw new InputError(`model: experiment "${name}" has no model "${query.model}"`);
    if (query.variant !== undefined && !groups.some((g) => g.variant === query.variant)) throw new InputError(`variant: experiment "${name}" has no variant "${query.variant}"`);
    // By default the first group whose replicates can disagree: at least 2 completed runs.
    const group = wanted.find((g) => g.runs.length >= 2) ?? wanted[0];
    const empty: UnstableView = { groups, model: group?.model ?? null, variant: group?.variant ?? null, classNames: results.classNames, attributes: {}, runs: [], examples: [], note: null };
    if (!group) return { ...empty, note: "no runs match" };
    const attributes = Object.fromEntries(Object.entries(group.attributes ?? {}).map(([attr, values]) => [attr, [...new Set(Array.from(values))].sort()]));
    if (query.attribute !== undefined && !Object.hasOwn(attributes, query.attribute)) {
      throw new InputError(`attribute: the test set has no attribute "${query.attribute}" (attributes: ${Object.keys(attributes).join(", ") || "none"})`);
    }
    if (query.classIndex !== undefined && query.classIndex >= Math.max(group.set.numClasses, results.classNames.length)) {
      throw new InputError(`class: no class ${query.classIndex} (the experiment has ${results.classNames.length} classes)`);
    }
    const view = { ...empty, attributes, runs: group.runs.map((r) => r.label) };
    if (group.runs.length < 2) return { ...view, note: `${group.model} / ${group.variant} has ${group.runs.length} completed run(s); disagreement needs at least 2` };
    const { disagreement } = voteStatistics(group.set.predictions, group.set.numClasses);
    const { labels } = group.set;
    const candidates: number[] = [];
    for (let i = 0; i < labels.length; i++) {
      if (query.classIndex !== undefined && labels[i] !== query.classIndex) continue;
      if (query.attribute !== undefined && query.value !== undefined && group.attributes![query.attribute][i] !== query.value) continue;
      candidates.push(i);
    }
    candidates.sort((a, b) => disagreement[b] - disagreement[a] || a - b);
    const examples = candidates
      .slice(0, query.limit)
      .filter((i) => disagreement[i] > 0)
      .map((index) => ({
        index,
        label: labels[index],
        disagreement: disagreement[index],
        predictions: group.set.predictions.map((p) => p[index]),
        groups: Object.fromEntries(Object.entries(group.attributes ?? {}).map(([attr, values]) => [attr, values[index]])),
      }));
    return { ...view, examples, note: examples.length === 0 ? "no test example of this selection has replicates that disagree" : null };
  }

  run(key: string): RunView {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new InputError(`"${key}" is not a run key (64 hex digits)`);
    const record = this.store.getRun(key);
    if (!record) throw new NotFoundError(`no run ${key} in this store`);
    const artifacts = record.artifactDir === null ? [] : listFiles(record.artifactDir);
    const json = (name: string): unknown => (artifacts.some((a) => a.name === name) ? readJsonOrNull(this.store.artifactPath(key, name)) : null);
    const running = new Set(this.store.runningUnits().map((u) => u.key));
    return {
      key,
      status: running.has(key) && record.status !== "done" ? "running" : record.status,
      error: record.error,
      config: record.config,
      environment: runEnvironment(record.config),
      memberships: record.memberships,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      wallSeconds: record.wallSeconds,
      attempts: record.attempts,
      metrics: this.store.metricsOf(key),
      fingerprint: json("fingerprint.json"),
      curve: json("curve.json"),
      artifacts,
    };
  }

  /** Absolute path of one artifact file of a done run; never a path outside its run directory (symbolic links included). */
  artifactFile(key: string, name: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new InputError(`"${key}" is not a run key (64 hex digits)`);
    const record = this.store.getRun(key);
    if (!record || record.artifactDir === null) throw new NotFoundError(`run ${key} has no artifacts`);
    const path = this.store.artifactPath(key, name);
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      throw new NotFoundError(`run ${key} has no file "${name}"`);
    }
    const inside = relative(realpathSync(record.artifactDir), real);
    if (inside === "" || inside.startsWith("..") || inside.startsWith(sep) || !statSync(real).isFile()) throw new NotFoundError(`run ${key} has no file "${name}"`);
    return real;
  }

  determinismView(): { blocks: Block[]; charts: ChartView[] } {
    return determinismPage(this.determinism);
  }

  /** The experiment's dataset spec (for thumbnails of its test examples). */
  datasetOf(name: string): unknown {
    return this.plannedOf(name).dataset;
  }
}

function chartView(chart: Chart): ChartView {
  return { id: chart.id, title: chart.title, caption: chart.caption, spec: styledSpec(chart) };
}

function determinismPage(evidence: DeterminismEvidence): { blocks: Block[]; charts: ChartView[] } {
  return { blocks: determinismBlocks(evidence), charts: determinismCharts(evidence).map(chartView) };
}

/** The results with only the groups of `filter.variants` and, within each group, the runs of `filter.environments`. */
export function restrict(results: ExperimentResults, filter: RunFilter, environmentOf: (key: string) => string): ExperimentResults {
  const groups = results.groups
    .filter((g) => filter.variants.length === 0 || filter.variants.includes(g.variant))
    .map((g) => {
      if (filter.environments.length === 0) return g;
      const keep = g.runs.map((r) => filter.environments.includes(environmentOf(r.key)));
      const pick = <T>(xs: T[]): T[] => xs.filter((_, i) => keep[i]);
      return {
        ...g,
        runs: pick(g.runs),
        failed: g.failed.filter((f) => filter.environments.includes(environmentOf(f.key))),
        set: { ...g.set, predictions: pick(g.set.predictions), scores: g.set.scores && pick(g.set.scores) },
        weights: pick(g.weights),
      };
    });
  return { ...results, groups };
}

function listFiles(dir: string): { name: string; bytes: number }[] {
  const files: { name: string; bytes: number }[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = `${entry.parentPath}${sep}${entry.name}`;
    files.push({ name: relative(dir, path), bytes: statSync(path).size });
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

function readJsonOrNull(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
}
