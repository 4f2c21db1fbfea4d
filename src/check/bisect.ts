// Which determinism switch makes training bitwise reproducible: start from
// every switch in its fast, nondeterministic position and flip one at a time.
import type { DeterminismFlags } from "../torch/index.js";
import { buildInfo, fastDeterminismSettings } from "../torch/index.js";
import type { CheckResult, CheckSetup } from "./lockstep.js";
import { lockstepCheck } from "./lockstep.js";

export interface DeterminismSwitch {
  name: string;
  /** The switch's deterministic position. */
  deterministic: Partial<DeterminismFlags>;
}

export function determinismSwitches(): DeterminismSwitch[] {
  return [
    { name: "deterministic algorithms", deterministic: { deterministicAlgorithms: true } },
    { name: "cuDNN deterministic", deterministic: { cudnnDeterministic: true } },
    { name: "cuDNN benchmark off", deterministic: { cudnnBenchmark: false } },
    { name: "TF32 off", deterministic: { allowTF32Matmul: false, allowTF32Cudnn: false } },
    ...(buildInfo().hasFillUninitializedMemory ? [{ name: "fill uninitialized memory", deterministic: { fillUninitializedMemory: true } }] : []),
  ];
}

export interface BisectResult {
  baseline: CheckResult;
  /** Each switch flipped alone from the baseline. */
  single: { switch: string; result: CheckResult }[];
  /** Every switch flipped together. */
  all: CheckResult;
  /** Switches that alone make the check pass; empty if none does. */
  sufficient: string[];
}

export function bisectDeterminism(setup: Omit<CheckSetup, "determinism">): BisectResult {
  const baselineFlags = fastDeterminismSettings();
  const switches = determinismSwitches();
  const baseline = lockstepCheck({ ...setup, determinism: baselineFlags });
  const single = switches.map((s) => ({ switch: s.name, result: lockstepCheck({ ...setup, determinism: { ...baselineFlags, ...s.deterministic } }) }));
  const all = lockstepCheck({ ...setup, determinism: Object.assign({ ...baselineFlags }, ...switches.map((s) => s.deterministic)) });
  return { baseline, single, all, sufficient: single.filter((s) => s.result.deterministic).map((s) => s.switch) };
}
