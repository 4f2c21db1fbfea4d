// One training step (forward, cross-entropy, backward, SGD with momentum) on
// fixed random data: what `noiselab bench train` and `noiselab overhead` time.
import type { CreateModelOptions, ModelName } from "../models/index.js";
import { createModel, modelInfo } from "../models/index.js";
import { SGD } from "../optim/index.js";
import * as torch from "../torch/index.js";

export interface TrainingStepSpec {
  model: ModelName;
  batch: number;
  device: string;
  /** [channels, height, width]; the model's default input when omitted. */
  inputShape?: [number, number, number];
  /** Model-specific options (kernelSize, inputSize, deterministicPooling…). */
  modelOptions?: Omit<CreateModelOptions, "numClasses" | "inChannels" | "initGenerator">;
  /** Seed of the weights and the data. Default 0. */
  seed?: number;
}

export interface TrainingStep {
  readonly inputShape: [number, number, number];
  /** Runs one step; returns once libtorch has queued it (call `torch.synchronize` before reading a clock on CUDA). */
  run(): void;
  /** Frees the model, the optimizer state and the data. */
  dispose(): void;
}

/** Builds a model, an SGD optimizer and one batch of random data on `device`. */
export function createTrainingStep(spec: TrainingStepSpec): TrainingStep {
  torch.checkDevice(spec.device);
  const info = modelInfo(spec.model);
  const inputShape = spec.inputShape ?? info.inputShape;
  const generator = new torch.Generator(spec.seed ?? 0);
  const net = createModel(spec.model, { ...spec.modelOptions, numClasses: info.numClasses, inChannels: inputShape[0], initGenerator: generator }).to(spec.device);
  const optimizer = new SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = torch.keep(torch.randn([spec.batch, ...inputShape], { generator }).to({ device: spec.device }));
  const y = torch.keep(torch.randint(0, info.numClasses, [spec.batch], { generator }).to({ device: spec.device }));
  return {
    inputShape,
    run: () =>
      torch.tidy(() => {
        optimizer.zeroGrad();
        torch.F.crossEntropy(net.call(x), y).backward();
        optimizer.step();
      }),
    dispose: () => {
      optimizer.dispose();
      net.dispose();
      x.dispose();
      y.dispose();
    },
  };
}
