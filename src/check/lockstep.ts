// Two replicates trained in lock-step, compared bitwise after every forward
// and backward: the first module output or parameter gradient that differs is
// where the runs diverge.
import type { Module } from "../nn/index.js";
import type { NoiseSetting } from "../noise/index.js";
import { seedsForReplicate } from "../noise/index.js";
import { SGD } from "../optim/index.js";
import type { DeterminismFlags, Tensor } from "../torch/index.js";
import * as torch from "../torch/index.js";
import { epochBatches } from "../train/batches.js";

/** Training data already on the CPU: images N×C×H×W (float32) and int64 labels. */
export interface CheckData {
  images: Tensor;
  labels: Tensor;
}

export interface CheckSetup {
  /** Builds a fresh model from an init generator (and a dropout generator). */
  buildModel: (init: torch.Generator, dropout: torch.Generator) => Module;
  data: CheckData;
  steps: number;
  batchSize: number;
  /** Sources that differ between the two replicates (replicate 0 vs replicate 1 seeds); CONTROL: none. */
  noise: NoiseSetting;
  /** Determinism switches both replicates run under. */
  determinism: Partial<DeterminismFlags>;
  device: string;
  masterSeed?: number;
  /** Add one ulp to the first element of replicate 1's first parameter after init (Summers & Dinneen 2021). */
  perturbOneUlp?: boolean;
  /** At this step only, replicate 1 sees its batch in reverse order: the same examples, summed in another order. */
  reverseBatchAt?: number;
  /** Record the L2 distance between the two replicates' weights after every step. */
  trajectory?: boolean;
}

export interface Divergence {
  step: number;
  phase: "forward" | "backward";
  /** Dotted module name ("" is the whole model). */
  module: string;
  /** "output", or "grad of <parameter>". */
  tensor: string;
  maxAbsDiff: number;
}

export interface CheckResult {
  /** True only if every compared tensor matched bitwise and no op without a deterministic implementation ran. */
  deterministic: boolean;
  stepsCompared: number;
  firstDivergence: Divergence | null;
  /** Messages of libtorch's deterministic-mode alerts seen during the check (warn-only). */
  nondeterministicOpWarnings: string[];
  /** Op names parsed from those alerts. */
  nondeterministicOps: string[];
  /** L2 distance between the replicates' flattened weights after each step (with `trajectory`). */
  weightDistance: number[];
}

interface Replicate {
  model: Module;
  optimizer: SGD;
  shuffle: torch.Generator;
  batchOrder: torch.Generator;
  /** Index tensors of the batches left in the current epoch (kept across steps). */
  batches: Tensor[];
}

interface StepRecord {
  forward: [string, Tensor][];
  backward: [string, Tensor][];
}

function makeReplicate(setup: CheckSetup, index: number): Replicate {
  const seeds = seedsForReplicate(setup.masterSeed ?? 0, setup.noise, index);
  const model = setup.buildModel(new torch.Generator(seeds.init), new torch.Generator(seeds.dropout, setup.device)).to(setup.device);
  model.train();
  return {
    model,
    optimizer: new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 }),
    shuffle: new torch.Generator(seeds.shuffle),
    batchOrder: new torch.Generator(seeds.batchOrder),
    batches: [],
  };
}

function perturbOneUlp(t: Tensor): void {
  torch.noGrad(() =>
    torch.tidy(() => {
      const values = t.data<"float32">();
      if (!(values instanceof Float32Array)) throw new Error("one-ulp perturbation needs a float32 parameter");
      new Int32Array(values.buffer, 0, 1)[0] += 1;
      t.copy_(torch.tensor(values, t.shape).to({ device: t.device }));
    }),
  );
}

/** The next batch's example indices, cut from epochs exactly as training cuts them (`epochBatches`). The caller disposes it. */
function nextBatch(r: Replicate, setup: CheckSetup): Tensor {
  if (r.batches.length === 0) {
    r.batches = epochBatches(setup.data.labels.numel, setup.batchSize, r.shuffle, r.batchOrder).map((b) => torch.keep(b));
  }
  return r.batches.shift()!;
}

/** One training step that records every module output (rows put back in example order) and every gradient. */
function recordedStep(r: Replicate, setup: CheckSetup, reverseBatch: boolean): StepRecord {
  const batch = nextBatch(r, setup);
  try {
    return recordBatch(r, setup, reverseBatch ? batch.flip([0]) : batch);
  } finally {
    batch.dispose();
  }
}

function recordBatch(r: Replicate, setup: CheckSetup, indices: Tensor): StepRecord {
  // Rows of a module output follow the batch order; sorting by example index makes two replicates comparable.
  const canonical = torch.tensor(sortOrder(indices.toArray()), undefined, { dtype: "int64", device: setup.device });
  const forward: [string, Tensor][] = [];
  const removers = r.model.namedModules().map(([name, m]) =>
    m.registerForwardHook((_module, output) => {
      forward.push([name, torch.keep(torch.noGrad(() => output.detach().indexSelect(0, canonical).cpu()))]);
    }),
  );
  try {
    const x = setup.data.images.indexSelect(0, indices).to({ device: setup.device });
    const y = setup.data.labels.indexSelect(0, indices).to({ device: setup.device });
    r.optimizer.zeroGrad();
    torch.F.crossEntropy(r.model.call(x), y).backward();
  } finally {
    for (const remove of removers) remove();
  }
  const backward: [string, Tensor][] = r.model
    .namedParameters()
    .reverse()
    .flatMap(([name, p]) => {
      const g = p.grad;
      return g === null ? [] : [[name, torch.keep(g.cpu())] as [string, Tensor]];
    });
  r.optimizer.step();
  return { forward, backward };
}

function sortOrder(values: number[]): number[] {
  return values.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
}

function bitwiseEqual(a: Tensor, b: Tensor): boolean {
  if (a.shape.join() !== b.shape.join() || a.dtype !== b.dtype) return false;
  const x = a.data();
  const y = b.data();
  return Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) === 0;
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.shape.join() !== b.shape.join()) return Infinity;
  return torch.tidy(() => a.double().sub(b.double()).abs().max().item());
}

function firstDifference(step: number, a: StepRecord, b: StepRecord): Divergence | null {
  for (const phase of ["forward", "backward"] as const) {
    const left = a[phase];
    const right = b[phase];
    for (let i = 0; i < left.length; i++) {
      const [name, t] = left[i];
      const other = right[i];
      if (other === undefined || other[0] !== name || !bitwiseEqual(t, other[1])) {
        return phase === "forward"
          ? { step, phase, module: name, tensor: "output", maxAbsDiff: other ? maxAbsDiff(t, other[1]) : Infinity }
          : { step, phase, module: name.split(".").slice(0, -1).join("."), tensor: `grad of ${name}`, maxAbsDiff: other ? maxAbsDiff(t, other[1]) : Infinity };
      }
    }
  }
  return null;
}

function weightDistance(a: Module, b: Module): number {
  return torch.tidy(() => {
    let sum = 0;
    const pb = b.parameters();
    a.parameters().forEach((p, i) => {
      sum += p.double().sub(pb[i].double()).square().sum().item();
    });
    return Math.sqrt(sum);
  });
}

const NONDETERMINISTIC_OP = /^(\S+) does not have a deterministic implementation/;

/**
 * Trains two replicates for `steps` steps in lock-step and compares them
 * bitwise after each forward and backward. Deterministic-mode alerts are
 * collected in warn-only mode, so an op without a deterministic kernel is
 * named (and makes the verdict false) instead of aborting the check.
 */
export function lockstepCheck(setup: CheckSetup): CheckResult {
  const previous = torch.getDeterminism();
  // Under deterministic algorithms, alerts become warnings so that every such op is named, not just the first.
  torch.setDeterminism({ ...setup.determinism, ...(setup.determinism.deterministicAlgorithms ? { deterministicAlgorithmsWarnOnly: true } : {}) });
  const replicates = [makeReplicate(setup, 0), makeReplicate(setup, 1)];
  try {
    if (setup.perturbOneUlp) perturbOneUlp(replicates[1].model.parameters()[0]);
    let firstDivergence: Divergence | null = null;
    const distances: number[] = [];
    const warnings: string[] = [];
    let step = 0;
    for (; step < setup.steps; step++) {
      const { result, warnings: stepWarnings } = torch.captureWarnings(() =>
        torch.tidy(() => {
          const [a, b] = replicates.map((r, i) => recordedStep(r, setup, i === 1 && setup.reverseBatchAt === step));
          const difference = firstDifference(step, a, b);
          torch.dispose([a, b]);
          return difference;
        }),
      );
      warnings.push(...stepWarnings.filter((w) => NONDETERMINISTIC_OP.test(w) && !warnings.includes(w)));
      if (setup.trajectory) distances.push(weightDistance(replicates[0].model, replicates[1].model));
      if (result !== null && firstDivergence === null) {
        firstDivergence = result;
        if (!setup.trajectory) {
          step++;
          break;
        }
      }
    }
    const ops = [...new Set(warnings.map((w) => NONDETERMINISTIC_OP.exec(w)![1]))];
    return {
      deterministic: firstDivergence === null && ops.length === 0,
      stepsCompared: step,
      firstDivergence,
      nondeterministicOpWarnings: warnings,
      nondeterministicOps: ops,
      weightDistance: distances,
    };
  } finally {
    for (const r of replicates) {
      r.model.dispose();
      r.optimizer.dispose();
      torch.dispose(r.batches);
    }
    torch.setDeterminism(previous.fillUninitializedMemory === null ? { ...previous, fillUninitializedMemory: undefined } : previous);
  }
}
