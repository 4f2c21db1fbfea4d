// Expands an experiment into self-contained run units, one per
// model × variant × environment × replicate, each keyed by the hash of its
// full config (the environment included).
import { resolve } from "node:path";
import type { CommandRunConfig } from "../command/config.js";
import { hashCommandFiles } from "../command/config.js";
import type { RunUnit } from "../run-unit/unit.js";
import { contentHash } from "../run-unit/hash.js";
import { STOCHASTIC_LAYER_MODELS } from "../models/names.js";
import { actingNoise, parseVariant, seedsForReplicate } from "../noise/index.js";
import type { RunConfig } from "../train/config.js";
import type { ExperimentSpec } from "./spec.js";

export interface PlannedRun extends RunUnit {
  config: RunConfig | CommandRunConfig;
  model: string;
  variant: string;
  /** The environment's name in the spec. */
  environment: string;
  replicate: number;
}

/** `model/variant/rN`, or `model/variant/environment/rN` when the spec has several environments. */
export function runLabel(model: string, variant: string, replicate: number, environment?: string): string {
  return environment === undefined ? `${model}/${variant}/r${replicate}` : `${model}/${variant}/${environment}/r${replicate}`;
}

export function planRuns(spec: ExperimentSpec): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (const model of spec.models) {
    if (model.command) {
      runs.push(...planCommandRuns(spec, model.label, model.command, resolve(model.cwd ?? "."), model.files));
      continue;
    }
    if (!spec.training || !spec.dataset) throw new Error(`model "${model.label}": a built-in model needs the spec's dataset and training (parseSpec checks this)`);
    const training = { ...spec.training, ...model.training };
    const stochasticLayers = (STOCHASTIC_LAYER_MODELS as readonly string[]).includes(model.name);
    for (const variant of spec.variants) {
      // Only the sources that act in this config are free (no augmentation without augment, no dropout without dropout layers).
      const noise = actingNoise(parseVariant(variant), { augment: training.augment, stochasticLayers });
      for (const environment of spec.environments) {
        const labelled = spec.environments.length > 1 ? environment.name : undefined;
        for (let replicate = 0; replicate < spec.replicates; replicate++) {
          const config: RunConfig = {
            dataset: spec.dataset,
            model: { name: model.name, options: model.options },
            training,
            environment,
            variant,
            noise,
            masterSeed: spec.seed,
            // Part of the identity even where every source is fixed: CONTROL replicates are
            // separate runs whose bitwise agreement is what the control check tests.
            replicate,
            // The same seeds in every environment: same-seed runs of two environments form pairs.
            seeds: seedsForReplicate(spec.seed, noise, replicate),
          };
          const label = runLabel(model.label, variant, replicate, labelled);
          runs.push({ key: contentHash(config), experiment: spec.name, label, config, model: model.label, variant, environment: environment.name, replicate });
        }
      }
    }
  }
  return runs;
}

/**
 * The runs of a command entry. Every source the variant frees is free: noiselab cannot see whether
 * the script augments or has dropout. `files` pins the script's content; without it, it is hashed now.
 */
function planCommandRuns(spec: ExperimentSpec, label: string, command: string[], cwd: string, files = hashCommandFiles(command, cwd)): PlannedRun[] {
  return spec.variants.flatMap((variant) => {
    const noise = parseVariant(variant);
    return spec.environments.flatMap((environment) =>
      Array.from({ length: spec.replicates }, (_, replicate) => {
        const config: CommandRunConfig = { kind: "command", command, cwd, files, environment, variant, noise, masterSeed: spec.seed, replicate, seeds: seedsForReplicate(spec.seed, noise, replicate) };
        const labelled = spec.environments.length > 1 ? environment.name : undefined;
        return { key: contentHash(config), experiment: spec.name, label: runLabel(label, variant, replicate, labelled), config, model: label, variant, environment: environment.name, replicate };
      }),
    );
  });
}
