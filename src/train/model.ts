import type { Dataset } from "../data/index.js";
import { createModel } from "../models/index.js";
import type { Module } from "../nn/index.js";
import type { GeneratorLike } from "../torch/index.js";
import type { ModelConfig } from "./config.js";

/** Builds a run's model for a dataset: output count (classes, or a multi-label set's targets) and input channels come from the data. */
export function createModelForDataset(model: ModelConfig, data: Pick<Dataset, "shape" | "numClasses" | "multiLabel">, generators: { init?: GeneratorLike; dropout?: GeneratorLike } = {}): Module {
  const [, channels] = data.shape;
  return createModel(model.name, {
    ...model.options,
    numClasses: data.multiLabel?.names.length ?? data.numClasses,
    inChannels: channels,
    initGenerator: generators.init,
    dropoutGenerator: generators.dropout,
  });
}
