import { InputError } from "../errors.js";
import { MODEL_NAMES, modelInfo } from "../models/index.js";
import type { ModelName } from "../models/index.js";
import { createTrainingStep } from "../overhead/step.js";
import type { AllocatorName } from "../environment/allocator.js";
import { ALLOCATOR_HELP, activeAllocator, parseAllocator } from "../environment/allocator.js";
import { runWithAllocator } from "./reexec.js";
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
  allocator: { type: "string", valueName: "NAME", description: ALLOCATOR_HELP },
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
  /** The allocator this process ran with. */
  allocator: AllocatorName;
  /** Of the whole process, model construction included: peak resident memory, kernel CPU time, minor page faults. */
  peakRssBytes: number;
  systemSeconds: number;
  minorPageFaults: number;
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
  const usage = process.resourceUsage();
  return {
    model, batch, threads, steps, warmup, device, imagesPerSecond: (batch * steps) / total, stepSeconds,
    allocator: activeAllocator(), peakRssBytes: usage.maxRSS * 1024, systemSeconds: usage.systemCPUTime / 1e6, minorPageFaults: usage.minorPageFault,
  };
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
    const exitCode = await runWithAllocator(parseAllocator(o.allocator), "bench", argv);
    if (exitCode !== undefined) return exitCode;
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
    else console.log(`${result.model}: ${result.imagesPerSecond.toFixed(1)} images/s (batch ${result.batch}, ${result.threads} thread(s), ${result.steps} steps, allocator ${result.allocator}, peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB)`);
    return 0;
  },
};
