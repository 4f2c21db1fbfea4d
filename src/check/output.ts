// What `noiselab check --out FILE` writes, and reading it back (for the report).
import { InputError } from "../errors.js";
import { readJsonInput } from "../io/files.js";
import type { NoiseSetting } from "../noise/index.js";
import type { DeterminismFlags } from "../torch/index.js";
import type { BisectResult } from "./bisect.js";
import type { CheckResult } from "./lockstep.js";

export interface CheckOutput {
  format: "noiselab-check";
  target: string;
  device: string;
  steps: number;
  /** null for `--command`: the script's loader decides. */
  batchSize: number | null;
  /** Sources that differed between the two replicates. */
  noise: NoiseSetting;
  /** Whether the second replicate started one ulp away in one initial weight. */
  perturbOneUlp: boolean;
  /** The step at which the second replicate saw its batch in reverse order, if any. */
  reverseBatchAt: number | null;
  /** A plain check: the switches it ran under, and its result. */
  determinism?: Partial<DeterminismFlags>;
  result?: CheckResult;
  /** A bisection over the switches. */
  bisect?: BisectResult;
}

export function readCheckOutput(path: string): CheckOutput {
  const value = readJsonInput(path, "a check result");
  const output = value as Partial<CheckOutput>;
  if (typeof value !== "object" || value === null || output.format !== "noiselab-check" || (output.result === undefined && output.bisect === undefined)) {
    throw new InputError(`${path}: not a result of noiselab check --out`);
  }
  return output as CheckOutput;
}
