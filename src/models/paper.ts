// The two CNNs of Zhuang et al. 2021 that are not torchvision models, layer
// for layer as Appendix C and the Keras code of the paper define them
// (docs/models.md). Keras' defaults are kept where they change the numbers:
// Glorot-uniform kernels and zero biases, a bias on every convolution (also
// before BatchNorm), BatchNorm epsilon 1e-3 and momentum 0.99 (0.01 in
// PyTorch's convention). Each layer first draws PyTorch's default
// initialisation when it is constructed, then the init scheme is applied in
// modules() order: all from the init generator, in PyTorch's order.
import { BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential, init } from "../nn/index.js";
import type { GeneratorLike, Tensor } from "../torch/index.js";
import type { ModelOptions } from "./common.js";
import { adaptivePool, initialiseModules, positiveInteger } from "./common.js";

/** How the paper's nets draw their initial weights. */
export const PAPER_INITS = ["glorot", "pytorch"] as const;
export type PaperInit = (typeof PAPER_INITS)[number];

export interface PaperCNNOptions extends ModelOptions {
  /**
   * "glorot" (default): Keras' defaults, which the paper's code used — Glorot-uniform
   * weights and zero biases. "pytorch": PyTorch's default layer initialisation.
   */
  init?: PaperInit;
}

/** Keras' BatchNormalization defaults: epsilon 1e-3, momentum 0.99 (PyTorch counts momentum the other way). */
export const KERAS_BATCHNORM = { eps: 1e-3, momentum: 0.01 } as const;

/** Side of the smallest input each net takes: its 2×2 max-pools (three, six) must leave at least 1×1. */
export const SMALLCNN_MIN_INPUT = 8;
export const MEDIUMCNN_MIN_INPUT = 64;

function checkInputSize(model: string, input: Tensor, min: number): void {
  const [height, width] = input.shape.slice(-2);
  if (height < min || width < min) throw new RangeError(`${model} needs an input of at least ${min}×${min}, got ${height}×${width}`);
}

function initialise(root: Module, scheme: PaperInit, generator: GeneratorLike | undefined): void {
  if (scheme === "pytorch") return;
  const glorot = (m: Conv2d | Linear): void => {
    init.xavierUniform_(m.weight, { generator });
    if (m.bias !== null) init.zeros_(m.bias);
  };
  initialiseModules(root, { conv: glorot, linear: glorot });
}

/** [Conv k×k 'same' (with bias), BatchNorm?, ReLU, MaxPool 2]: one stage of both nets. */
function stage(from: number, to: number, kernelSize: number, batchNorm: boolean, generator: GeneratorLike | undefined): Module[] {
  return [
    new Conv2d(from, to, kernelSize, { padding: Math.floor(kernelSize / 2), generator }),
    ...(batchNorm ? [new BatchNorm2d(to, KERAS_BATCHNORM)] : []),
    new ReLU(),
    new MaxPool2d(2),
  ];
}

export interface SmallCNNOptions extends PaperCNNOptions {
  /** BatchNorm after each convolution (the paper's Figure 3). Default false. */
  batchNorm?: boolean;
}

/**
 * The paper's three-layer small CNN: 3 × [Conv 3×3 'same' (16, 32, 32
 * filters), BatchNorm?, ReLU, MaxPool 2], global average pooling, Dense 32 +
 * ReLU, Dense classes. Needs an input of at least 8×8.
 */
export class SmallCNN extends Module {
  readonly features: Sequential;
  readonly avgpool: Module;
  readonly classifier: Sequential;

  constructor(options: SmallCNNOptions) {
    super();
    const generator = options.initGenerator;
    const bn = options.batchNorm ?? false;
    const inChannels = positiveInteger(options.inChannels ?? 3, "inChannels");
    this.features = this.registerModule(
      "features",
      new Sequential(...stage(inChannels, 16, 3, bn, generator), ...stage(16, 32, 3, bn, generator), ...stage(32, 32, 3, bn, generator)),
    );
    this.avgpool = this.registerModule("avgpool", adaptivePool(1, options.deterministicPooling));
    this.classifier = this.registerModule(
      "classifier",
      new Sequential(new Linear(32, 32, { generator }), new ReLU(), new Linear(32, positiveInteger(options.numClasses, "numClasses"), { generator })),
    );
    initialise(this, options.init ?? "glorot", generator);
  }

  forward(input: Tensor): Tensor {
    checkInputSize("SmallCNN", input, SMALLCNN_MIN_INPUT);
    return this.classifier.call(this.avgpool.call(this.features.call(input)).flatten(1));
  }
}

export interface MediumCNNOptions extends PaperCNNOptions {
  /** Side of every convolution kernel, odd; the paper sweeps 1, 3, 5 and 7. Default 3. */
  kernelSize?: number;
}

/**
 * The paper's six-layer medium CNN with k×k kernels: 6 × [Conv k×k 'same'
 * (16, 32, 64, 128, 256, 512 filters), BatchNorm, ReLU, MaxPool 2], global
 * average pooling, Dense classes (1000 in the paper, at 224×224). Needs an
 * input of at least 64×64.
 */
export class MediumCNN extends Module {
  readonly features: Sequential;
  readonly avgpool: Module;
  readonly classifier: Linear;

  constructor(options: MediumCNNOptions) {
    super();
    const k = options.kernelSize ?? 3;
    if (!Number.isInteger(k) || k < 1 || k % 2 === 0) throw new RangeError(`MediumCNN kernelSize must be an odd positive integer, got ${k}`);
    const generator = options.initGenerator;
    const widths = [positiveInteger(options.inChannels ?? 3, "inChannels"), 16, 32, 64, 128, 256, 512];
    this.features = this.registerModule("features", new Sequential(...widths.slice(1).flatMap((to, i) => stage(widths[i], to, k, true, generator))));
    this.avgpool = this.registerModule("avgpool", adaptivePool(1, options.deterministicPooling));
    this.classifier = this.registerModule("classifier", new Linear(512, positiveInteger(options.numClasses, "numClasses"), { generator }));
    initialise(this, options.init ?? "glorot", generator);
  }

  forward(input: Tensor): Tensor {
    checkInputSize("MediumCNN", input, MEDIUMCNN_MIN_INPUT);
    return this.classifier.call(this.avgpool.call(this.features.call(input)).flatten(1));
  }
}
