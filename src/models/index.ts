// The model zoo: every network noiselab trains or times, by name.
import { InputError } from "../errors.js";
import type { Module } from "../nn/index.js";
import type { GeneratorLike } from "../torch/index.js";
import type { ModelOptions } from "./common.js";
import { densenet121, densenet201 } from "./densenet.js";
import { efficientnetB0 } from "./efficientnet.js";
import { inceptionV3 } from "./inception.js";
import { mobilenetV2 } from "./mobilenetv2.js";
import { MediumCNN, PAPER_INITS, SmallCNN } from "./paper.js";
import type { PaperInit } from "./paper.js";
import { resnet152, resnet18, resnet18Cifar, resnet50 } from "./resnet.js";
import { vgg16, vgg19 } from "./vgg.js";

export type { ModelOptions } from "./common.js";
export { DeterministicAdaptiveAvgPool2d, NamedSequential } from "./common.js";
export { SmallCNN, MediumCNN, PAPER_INITS, KERAS_BATCHNORM, SMALLCNN_MIN_INPUT, MEDIUMCNN_MIN_INPUT } from "./paper.js";
export type { SmallCNNOptions, MediumCNNOptions, PaperInit } from "./paper.js";
export { ResNet, BasicBlock, Bottleneck, resnet18, resnet18Cifar, resnet50, resnet152 } from "./resnet.js";
export { VGG, vgg16, vgg19 } from "./vgg.js";
export { MobileNetV2, mobilenetV2 } from "./mobilenetv2.js";
export { DenseNet, densenet121, densenet201 } from "./densenet.js";
export { EfficientNet, StochasticDepth, efficientnetB0 } from "./efficientnet.js";
export { InceptionV3, inceptionV3 } from "./inception.js";
export type { InceptionV3Options } from "./inception.js";

import { MODEL_NAMES } from "./names.js";
import type { ModelName } from "./names.js";

export { MODEL_NAMES };
export type { ModelName };

/** Options of `createModel`: the common ones (all optional here) plus those a model lists in `extraOptions`. */
export interface CreateModelOptions {
  numClasses?: number;
  inChannels?: number;
  initGenerator?: GeneratorLike;
  dropoutGenerator?: GeneratorLike;
  deterministicPooling?: boolean;
  /** smallcnn: BatchNorm after each convolution. */
  batchNorm?: boolean;
  /** smallcnn, mediumcnn: "glorot" (Keras' default, as the paper) or "pytorch" (PyTorch's default layer init). */
  init?: PaperInit;
  /** mediumcnn: kernel side (1, 3, 5, 7 in the paper). */
  kernelSize?: number;
  /** inception-v3: build the auxiliary classifier. */
  auxLogits?: boolean;
}

type ExtraOption = "batchNorm" | "init" | "kernelSize" | "auxLogits";

/**
 * CUDA kernels without a deterministic implementation: under
 * `torch.use_deterministic_algorithms(true)` libtorch raises (or, with
 * warn_only, warns) when their backward runs.
 */
export const ADAPTIVE_AVG_POOL2D_BACKWARD_CUDA = "adaptive_avg_pool2d_backward_cuda";

/** Deterministic replacements for the ops above, by the op name libtorch's alert gives. */
const DETERMINISTIC_ALTERNATIVES: Record<string, string> = {
  [ADAPTIVE_AVG_POOL2D_BACKWARD_CUDA]:
    "build the model with the option deterministicPooling: true — adaptive average pooling becomes a plain mean over H×W (1×1 output) or products with fixed averaging matrices, with the same values",
};

/** A deterministic alternative for `op`, where the zoo has one. */
export function deterministicAlternative(op: string): string | undefined {
  return DETERMINISTIC_ALTERNATIVES[op];
}

export interface ModelInfo {
  name: ModelName;
  description: string;
  /** Where the definition comes from. */
  source: string;
  /** Default input [channels, height, width]. */
  inputShape: [number, number, number];
  numClasses: number;
  /** Model-specific options `createModel` accepts besides the common ones. */
  extraOptions: readonly ExtraOption[];
  /**
   * The model's ops whose CUDA backward has no deterministic kernel, under
   * these options. Empty means none: AdaptiveAvgPool2d to 1×1 is not among
   * them, because ATen computes it as a mean over H×W.
   */
  cudaNondeterministicOps(options?: CreateModelOptions): string[];
  create(options: ModelOptions & CreateModelOptions): Module;
}

const none = (): string[] => [];
const vggOps = (options: CreateModelOptions = {}): string[] => (options.deterministicPooling ? [] : [ADAPTIVE_AVG_POOL2D_BACKWARD_CUDA]);
const IMAGENET: Pick<ModelInfo, "inputShape" | "numClasses" | "extraOptions" | "cudaNondeterministicOps"> = {
  inputShape: [3, 224, 224],
  numClasses: 1000,
  extraOptions: [],
  cudaNondeterministicOps: none,
};
const TORCHVISION = "torchvision 0.14";

export const MODELS: Readonly<Record<ModelName, ModelInfo>> = {
  smallcnn: {
    name: "smallcnn",
    description: "the paper's three-layer small CNN: 3 × [3×3 conv (16, 32, 32), BatchNorm optional, ReLU, max-pool], global pool, dense 32, dense",
    source: "Zhuang et al. 2021, Appendix C and their Keras code",
    inputShape: [3, 32, 32],
    numClasses: 10,
    extraOptions: ["batchNorm", "init"],
    cudaNondeterministicOps: none,
    create: (o) => new SmallCNN(o),
  },
  mediumcnn: {
    name: "mediumcnn",
    description: "the paper's six-layer medium CNN: 6 × [k×k conv (16 … 512), BatchNorm, ReLU, max-pool], global pool, dense",
    source: "Zhuang et al. 2021, Appendix C and their Keras code",
    inputShape: [3, 224, 224],
    numClasses: 1000,
    extraOptions: ["kernelSize", "init"],
    cudaNondeterministicOps: none,
    create: (o) => new MediumCNN(o),
  },
  "resnet18-cifar": {
    name: "resnet18-cifar",
    description: "ResNet-18 with a 3×3 stride-1 stem and no max-pool, for 32×32 images",
    source: `${TORCHVISION} resnet18, stem as in common CIFAR ResNets`,
    inputShape: [3, 32, 32],
    numClasses: 10,
    extraOptions: [],
    cudaNondeterministicOps: none,
    create: resnet18Cifar,
  },
  resnet18: { ...IMAGENET, name: "resnet18", description: "ResNet-18", source: TORCHVISION, create: resnet18 },
  resnet50: { ...IMAGENET, name: "resnet50", description: "ResNet-50 (v1.5)", source: TORCHVISION, create: resnet50 },
  resnet152: { ...IMAGENET, name: "resnet152", description: "ResNet-152 (v1.5)", source: TORCHVISION, create: resnet152 },
  vgg16: { ...IMAGENET, name: "vgg16", description: "VGG-16 without BatchNorm", source: TORCHVISION, cudaNondeterministicOps: vggOps, create: vgg16 },
  vgg19: { ...IMAGENET, name: "vgg19", description: "VGG-19 without BatchNorm", source: TORCHVISION, cudaNondeterministicOps: vggOps, create: vgg19 },
  mobilenetv2: { ...IMAGENET, name: "mobilenetv2", description: "MobileNetV2, width 1.0", source: TORCHVISION, create: mobilenetV2 },
  densenet121: { ...IMAGENET, name: "densenet121", description: "DenseNet-121", source: TORCHVISION, create: densenet121 },
  densenet201: { ...IMAGENET, name: "densenet201", description: "DenseNet-201", source: TORCHVISION, create: densenet201 },
  "efficientnet-b0": {
    ...IMAGENET,
    name: "efficientnet-b0",
    description: "EfficientNet-B0 with stochastic depth",
    source: TORCHVISION,
    create: efficientnetB0,
  },
  "inception-v3": {
    ...IMAGENET,
    name: "inception-v3",
    description: "Inception-v3 (auxiliary classifier optional)",
    source: TORCHVISION,
    inputShape: [3, 299, 299],
    extraOptions: ["auxLogits"],
    create: inceptionV3,
  },
};

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

/** The registry entry of a model; an unknown name is an InputError that lists the valid ones. */
export function modelInfo(name: string): ModelInfo {
  if (!isModelName(name)) throw new InputError(`unknown model "${name}"; valid models: ${MODEL_NAMES.join(", ")}`);
  return MODELS[name];
}

const COMMON_OPTIONS = ["numClasses", "inChannels", "initGenerator", "dropoutGenerator", "deterministicPooling"];

function checkInteger(value: unknown, what: string, valid: (n: number) => boolean, expected: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || !valid(value)) {
    throw new InputError(`${what} must be ${expected}, got ${JSON.stringify(value)}`);
  }
}

function checkOptions(info: ModelInfo, options: Record<string, unknown>): void {
  const allowed = [...COMMON_OPTIONS, ...info.extraOptions];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const what = `model ${info.name}: option ${key}`;
    if (!allowed.includes(key)) throw new InputError(`${what} is not known; valid options: ${allowed.join(", ")}`);
    switch (key) {
      case "numClasses":
      case "inChannels":
        checkInteger(value, what, (n) => n >= 1, "a positive integer");
        break;
      case "kernelSize":
        checkInteger(value, what, (n) => n >= 1 && n % 2 === 1, "an odd positive integer");
        break;
      case "init":
        if (typeof value !== "string" || !(PAPER_INITS as readonly string[]).includes(value)) {
          throw new InputError(`${what} must be one of ${PAPER_INITS.join(", ")}, got ${JSON.stringify(value)}`);
        }
        break;
      case "deterministicPooling":
      case "batchNorm":
      case "auxLogits":
        if (typeof value !== "boolean") throw new InputError(`${what} must be true or false, got ${JSON.stringify(value)}`);
        break;
    }
  }
}

/**
 * Builds a model by registry name, filling in its default class count and
 * checking the options (a bad option or value is an InputError naming it).
 */
export function createModel(name: string, options: CreateModelOptions = {}): Module {
  const info = modelInfo(name);
  checkOptions(info, options as Record<string, unknown>);
  return info.create({ ...options, numClasses: options.numClasses ?? info.numClasses });
}
