// DenseNet-121 and DenseNet-201 (DenseNet-BC, growth 32, no dropout) as in
// torchvision 0.14 (torchvision/models/densenet.py).
import { AvgPool2d, BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, ReLU, init } from "../nn/index.js";
import type { GeneratorLike, Tensor } from "../torch/index.js";
import { F, cat } from "../torch/index.js";
import type { ModelOptions } from "./common.js";
import { NamedSequential, globalPool, initialiseModules, positiveInteger } from "./common.js";

const GROWTH = 32;
const BOTTLENECK_WIDTH = 4;

/** BN-ReLU-conv1×1 to 4·growth channels, BN-ReLU-conv3×3 to growth channels; takes the concatenation of all earlier features. */
export class DenseLayer extends Module {
  readonly norm1: BatchNorm2d;
  readonly relu1: ReLU;
  readonly conv1: Conv2d;
  readonly norm2: BatchNorm2d;
  readonly relu2: ReLU;
  readonly conv2: Conv2d;

  constructor(inChannels: number, generator: GeneratorLike | undefined) {
    super();
    const width = BOTTLENECK_WIDTH * GROWTH;
    this.norm1 = this.registerModule("norm1", new BatchNorm2d(inChannels));
    this.relu1 = this.registerModule("relu1", new ReLU({ inplace: true }));
    this.conv1 = this.registerModule("conv1", new Conv2d(inChannels, width, 1, { bias: false, generator }));
    this.norm2 = this.registerModule("norm2", new BatchNorm2d(width));
    this.relu2 = this.registerModule("relu2", new ReLU({ inplace: true }));
    this.conv2 = this.registerModule("conv2", new Conv2d(width, GROWTH, 3, { padding: 1, bias: false, generator }));
  }

  forward(input: Tensor): Tensor {
    const bottleneck = this.conv1.call(this.relu1.call(this.norm1.call(input)));
    return this.conv2.call(this.relu2.call(this.norm2.call(bottleneck)));
  }
}

export class DenseBlock extends Module {
  readonly denseLayers: DenseLayer[] = [];

  constructor(numLayers: number, inChannels: number, generator: GeneratorLike | undefined) {
    super();
    for (let i = 0; i < numLayers; i++) {
      this.denseLayers.push(this.registerModule(`denselayer${i + 1}`, new DenseLayer(inChannels + i * GROWTH, generator)));
    }
  }

  forward(input: Tensor): Tensor {
    const features = [input];
    for (const layer of this.denseLayers) features.push(layer.call(cat(features, 1)));
    return cat(features, 1);
  }
}

const transition = (inChannels: number, outChannels: number, generator: GeneratorLike | undefined): NamedSequential =>
  new NamedSequential([
    ["norm", new BatchNorm2d(inChannels)],
    ["relu", new ReLU({ inplace: true })],
    ["conv", new Conv2d(inChannels, outChannels, 1, { bias: false, generator })],
    ["pool", new AvgPool2d(2, { stride: 2 })],
  ]);

/**
 * torchvision's DenseNet: kaiming_normal (fan_in) convolutions, BatchNorm
 * weight 1 / bias 0, Linear with PyTorch's default weights and zero bias.
 */
export class DenseNet extends Module {
  readonly features: NamedSequential;
  readonly classifier: Linear;
  readonly deterministicPooling: boolean;

  constructor(blockConfig: number[], options: ModelOptions) {
    super();
    const generator = options.initGenerator;
    const initFeatures = 64;
    this.features = this.registerModule(
      "features",
      new NamedSequential([
        ["conv0", new Conv2d(positiveInteger(options.inChannels ?? 3, "inChannels"), initFeatures, 7, { stride: 2, padding: 3, bias: false, generator })],
        ["norm0", new BatchNorm2d(initFeatures)],
        ["relu0", new ReLU({ inplace: true })],
        ["pool0", new MaxPool2d(3, { stride: 2, padding: 1 })],
      ]),
    );
    let channels = initFeatures;
    blockConfig.forEach((numLayers, i) => {
      this.features.add(`denseblock${i + 1}`, new DenseBlock(numLayers, channels, generator));
      channels += numLayers * GROWTH;
      if (i !== blockConfig.length - 1) {
        this.features.add(`transition${i + 1}`, transition(channels, Math.floor(channels / 2), generator));
        channels = Math.floor(channels / 2);
      }
    });
    this.features.add("norm5", new BatchNorm2d(channels));
    this.classifier = this.registerModule("classifier", new Linear(channels, positiveInteger(options.numClasses, "numClasses"), { generator }));
    this.deterministicPooling = options.deterministicPooling ?? false;
    initialiseModules(this, {
      conv: (m) => init.kaimingNormal_(m.weight, { generator }),
      linear: (m) => {
        if (m.bias !== null) init.zeros_(m.bias);
      },
    });
  }

  forward(input: Tensor): Tensor {
    const features = F.relu_(this.features.call(input));
    return this.classifier.call(globalPool(features, this.deterministicPooling).flatten(1));
  }
}

export const densenet121 = (options: ModelOptions): DenseNet => new DenseNet([6, 12, 24, 16], options);
export const densenet201 = (options: ModelOptions): DenseNet => new DenseNet([6, 12, 48, 32], options);
