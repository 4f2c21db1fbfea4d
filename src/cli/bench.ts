import { InputError } from "../errors.js";
import { MODEL_NAMES, modelInfo } from "../models/index.js";
import type { ModelName } from "../models/index.js";
import { createTrainingStep } from "../overhead/step.js";
import * as torch from "../torch/index.js";
import { helpText, intOption, parseArgs } from "./args.js";
import type { Command } from "./command.js";

const options = {
  model: { type: "string", valueName: "NAME", description: "model to train (default smallcnn)" },
  batch: { type: "string", valueName: "B", description: "batch size (default 128)" },
  threads: { type: "string", valueName: "N", description: "intra-op threads (default 1)" },
  steps: { type: "string", valueName: "S", description: "timed steps (default 20)" },
  warmup: { type: "string", valueName: "W", description: "untimed warm-up steps (default 3)" },
  device: { type: "string", valueName: "DEVICE", description: "cpu, cuda or cuda:N (default cpu)" },
  json: { type: "boolean", description: "print {\"imagesPerSecond\": …} and the settings as JSON" },
} as const;

export interface TrainBenchResult {
  model: string;
  batch: number;
  threads: number;
  steps: number;
  warmup: number;
  device: string;
  imagesPerSecond: number;
  /** Seconds of each timed step, for the spread. */
  stepSeconds: number[];
}

/**
 * Times training steps (forward, cross-entropy, backward, SGD with momentum)
 * on random data of the model's input shape. CUDA steps are synchronised
 * before each clock read.
 */
export function benchTrain(model: ModelName, batch: number, threads: number, steps: number, warmup: number, device: string): TrainBenchResult {
  torch.setNumThreads(threads);
  const training = createTrainingStep({ model, batch, device });
  const step = training.run;
  for (let i = 0; i < warmup; i++) step();
  torch.synchronize(device);
  const stepSeconds: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    step();
    torch.synchronize(device);
    stepSeconds.push((performance.now() - start) / 1000);
  }
  training.dispose();
  const total = stepSeconds.reduce((a, b) => a + b, 0);
  return { model, batch, threads, steps, warmup, device, imagesPerSecond: (batch * steps) / total, stepSeconds };
}

export const benchCommand: Command = {
  async run(argv) {
    const args = parseArgs(argv, options);
    const usage = "noiselab bench train [--model NAME] [--batch B] [--threads N] [--steps S] [--json]";
    if (args.help) {
      console.log(helpText(usage, `Training throughput in images per second, on random data of the model's input shape.\nmodels: ${MODEL_NAMES.join(", ")}\n(resnet18-cifar is the CIFAR ResNet-18 on 3×32×32; resnet18 is torchvision's ImageNet ResNet-18 on 3×224×224)`, options));
      return 0;
    }
    if (args.positionals[0] !== "train" || args.positionals.length !== 1) throw new InputError(`usage: ${usage}`);
    const o = args.options;
    const model = modelInfo(o.model ?? "smallcnn").name;
    const result = benchTrain(
      model,
      intOption(o.batch, "batch", 128, 1),
      intOption(o.threads, "threads", 1, 1),
      intOption(o.steps, "steps", 20, 1),
      intOption(o.warmup, "warmup", 3, 0),
      o.device ?? "cpu",
    );
    if (o.json) console.log(JSON.stringify(result));
    else console.log(`${result.model}: ${result.imagesPerSecond.toFixed(1)} images/s (batch ${result.batch}, ${result.threads} thread(s), ${result.steps} steps)`);
    return 0;
  },
};
