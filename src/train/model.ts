import type { Dataset } from "../data/index.js";
import { createModel, modelInfo } from "../models/index.js";
import type { Module } from "../nn/index.js";
import type { GeneratorLike } from "../torch/index.js";
import type { ModelConfig } from "./config.js";

/** Builds a run's model for a dataset: output count (classes, or a multi-label set's targets), input channels and (where the model needs it) input size come from the data. */
export function createModelForDataset(model: ModelConfig, data: Pick<Dataset, "shape" | "numClasses" | "multiLabel">, generators: { init?: GeneratorLike; dropout?: GeneratorLike } = {}): Module {
  const [, channels, height, width] = data.shape;
  const sized = modelInfo(model.name).extraOptions.includes("inputSize") ? { inputSize: [height, width] as [number, number] } : {};
  return createModel(model.name, {
    ...sized,
    ...model.options,
    numClasses: data.multiLabel?.names.length ?? data.numClasses,
    inChannels: channels,
    initGenerator: generators.init,
    dropoutGenerator: generators.dropout,
  });
}
