// Expands an experiment into self-contained run units, one per
// model × variant × replicate, each keyed by the hash of its full config.
import type { RunUnit } from "../run-unit/unit.js";
import { contentHash } from "../run-unit/hash.js";
import { STOCHASTIC_LAYER_MODELS } from "../models/names.js";
import { actingNoise, parseVariant, seedsForReplicate } from "../noise/index.js";
import type { RunConfig } from "../train/config.js";
import type { ExperimentSpec } from "./spec.js";

export interface PlannedRun extends RunUnit {
  config: RunConfig;
  model: string;
  variant: string;
  replicate: number;
}

export function runLabel(model: string, variant: string, replicate: number): string {
  return `${model}/${variant}/r${replicate}`;
}

export function planRuns(spec: ExperimentSpec): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (const model of spec.models) {
    const training = { ...spec.training, ...model.training };
    const stochasticLayers = (STOCHASTIC_LAYER_MODELS as readonly string[]).includes(model.name);
    for (const variant of spec.variants) {
      // Only the sources that act in this config are free (no augmentation without augment, no dropout without dropout layers).
      const noise = actingNoise(parseVariant(variant), { augment: training.augment, stochasticLayers });
      for (let replicate = 0; replicate < spec.replicates; replicate++) {
        const config: RunConfig = {
          dataset: spec.dataset,
          model: { name: model.name, options: model.options },
          training,
          variant,
          noise,
          masterSeed: spec.seed,
          // Part of the identity even where every source is fixed: CONTROL replicates are
          // separate runs whose bitwise agreement is what the control check tests.
          replicate,
          seeds: seedsForReplicate(spec.seed, noise, replicate),
        };
        runs.push({ key: contentHash(config), experiment: spec.name, label: runLabel(model.label, variant, replicate), config, model: model.label, variant, replicate });
      }
    }
  }
  return runs;
}
