// From per-round step times to what the overhead table reports: the median
// step time with its spread, and the median per-round ratio of a
// configuration to its baseline with a bootstrap 95% interval over rounds.
// Pure functions, so that tests can feed them fabricated timings.
import type { Interval } from "../metrics/stats.js";
import { bootstrapInterval, median, quantile } from "../metrics/stats.js";
import type { ConfigId, DeterminismConfig } from "./configs.js";
import { Rng } from "../random.js";

/** What the interleaved measurement of one configuration gave. */
export interface ConfigMeasurement {
  config: ConfigId;
  /** "not-deterministic": libtorch raised because an op has no deterministic implementation. */
  status: "ok" | "not-deterministic";
  /** libtorch's message when not deterministic. */
  message: string | null;
  /** Mean seconds per step of each round, in round order (empty when not deterministic). */
  roundSeconds: number[];
}

export interface RatioEstimate {
  /** Median over rounds of (step time ÷ the baseline's step time in the same round). */
  median: number;
  /** Percentile-bootstrap 95% interval of that median, resampling rounds. */
  interval: Interval;
  rounds: number;
}

export interface ConfigSummary {
  config: ConfigId;
  label: string;
  baseline: ConfigId | null;
  status: ConfigMeasurement["status"];
  message: string | null;
  rounds: number;
  /** Median over rounds of the mean step time, in milliseconds; null when not measured. */
  medianStepMs: number | null;
  /** 25% and 75% quantiles of the rounds' mean step times, in milliseconds. */
  interquartileMs: Interval | null;
  /** Against `baseline`: the cost attributed to this configuration's switch. */
  ratio: RatioEstimate | null;
  /** Against the default configuration (the same as `ratio` unless the baseline is another). */
  ratioToDefault: RatioEstimate | null;
}

export const BOOTSTRAP_RESAMPLES = 2000;
/** Fixed, so that the same timings always give the same interval. */
const BOOTSTRAP_SEED = 20210;

/**
 * The median of the per-round ratios `times[i] / baseline[i]` and its
 * bootstrap interval. Pairing by round cancels the drift that interleaving
 * spreads evenly over configurations (a neighbour's load, clock changes).
 */
export function pairedRatio(times: readonly number[], baseline: readonly number[]): RatioEstimate {
  if (times.length !== baseline.length) throw new RangeError(`pairedRatio: ${times.length} rounds against ${baseline.length} baseline rounds`);
  if (times.length === 0) throw new RangeError("pairedRatio: no rounds");
  const ratios = times.map((t, i) => t / baseline[i]);
  return {
    median: median(ratios),
    interval: bootstrapInterval(ratios, median, BOOTSTRAP_RESAMPLES, new Rng(BOOTSTRAP_SEED)),
    rounds: ratios.length,
  };
}

/** One summary per configuration, in the order of `configs`. */
export function summariseConfigs(configs: readonly DeterminismConfig[], measurements: readonly ConfigMeasurement[]): ConfigSummary[] {
  const byId = new Map(measurements.map((m) => [m.config, m]));
  const measured = (id: ConfigId | null): number[] | null => {
    const m = id === null ? undefined : byId.get(id);
    return m !== undefined && m.status === "ok" && m.roundSeconds.length > 0 ? m.roundSeconds : null;
  };
  return configs.map((config) => {
    const m = byId.get(config.id);
    if (m === undefined) throw new RangeError(`no measurement of configuration "${config.id}"`);
    const times = measured(config.id);
    const baseline = measured(config.baseline);
    const defaults = config.id === "default" ? null : measured("default");
    const ms = (s: number): number => s * 1000;
    return {
      config: config.id,
      label: config.label,
      baseline: config.baseline,
      status: m.status,
      message: m.message,
      rounds: times?.length ?? 0,
      medianStepMs: times === null ? null : ms(median(times)),
      interquartileMs: times === null ? null : [ms(quantile(times, 0.25)), ms(quantile(times, 0.75))],
      ratio: times !== null && baseline !== null ? pairedRatio(times, baseline) : null,
      ratioToDefault: times !== null && defaults !== null ? pairedRatio(times, defaults) : null,
    };
  });
}
