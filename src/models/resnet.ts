// ResNets as in torchvision 0.14 (torchvision/models/resnet.py), plus the
// CIFAR variant of ResNet-18 (3×3 stride-1 stem, no max-pool).
import { BatchNorm2d, Conv2d, Identity, Linear, MaxPool2d, Module, ReLU, Sequential, init } from "../nn/index.js";
import type { GeneratorLike, Tensor } from "../torch/index.js";
import type { ModelOptions } from "./common.js";
import { adaptivePool, initialiseModules, positiveInteger } from "./common.js";

const conv3x3 = (from: number, to: number, stride: number, generator: GeneratorLike | undefined): Conv2d =>
  new Conv2d(from, to, 3, { stride, padding: 1, bias: false, generator });
const conv1x1 = (from: number, to: number, stride: number, generator: GeneratorLike | undefined): Conv2d =>
  new Conv2d(from, to, 1, { stride, bias: false, generator });

export class BasicBlock extends Module {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Module | null;

  constructor(inPlanes: number, planes: number, stride: number, downsample: Module | null, generator: GeneratorLike | undefined) {
    super();
    this.conv1 = this.registerModule("conv1", conv3x3(inPlanes, planes, stride, generator));
    this.bn1 = this.registerModule("bn1", new BatchNorm2d(planes));
    this.relu = this.registerModule("relu", new ReLU({ inplace: true }));
    this.conv2 = this.registerModule("conv2", conv3x3(planes, planes, 1, generator));
    this.bn2 = this.registerModule("bn2", new BatchNorm2d(planes));
    this.downsample = downsample === null ? null : this.registerModule("downsample", downsample);
  }

  forward(input: Tensor): Tensor {
    const out = this.bn2.call(this.conv2.call(this.relu.call(this.bn1.call(this.conv1.call(input)))));
    const identity = this.downsample === null ? input : this.downsample.call(input);
    return this.relu.call(out.add_(identity));
  }
}

export class Bottleneck extends Module {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly relu: ReLU;
  readonly downsample: Module | null;

  constructor(inPlanes: number, planes: number, stride: number, downsample: Module | null, generator: GeneratorLike | undefined) {
    super();
    this.conv1 = this.registerModule("conv1", conv1x1(inPlanes, planes, 1, generator));
    this.bn1 = this.registerModule("bn1", new BatchNorm2d(planes));
    // torchvision's v1.5 ResNet: the stride sits on the 3×3 convolution.
    this.conv2 = this.registerModule("conv2", conv3x3(planes, planes, stride, generator));
    this.bn2 = this.registerModule("bn2", new BatchNorm2d(planes));
    this.conv3 = this.registerModule("conv3", conv1x1(planes, planes * Bottleneck.expansion, 1, generator));
    this.bn3 = this.registerModule("bn3", new BatchNorm2d(planes * Bottleneck.expansion));
    this.relu = this.registerModule("relu", new ReLU({ inplace: true }));
    this.downsample = downsample === null ? null : this.registerModule("downsample", downsample);
  }

  forward(input: Tensor): Tensor {
    let out = this.relu.call(this.bn1.call(this.conv1.call(input)));
    out = this.relu.call(this.bn2.call(this.conv2.call(out)));
    out = this.bn3.call(this.conv3.call(out));
    const identity = this.downsample === null ? input : this.downsample.call(input);
    return this.relu.call(out.add_(identity));
  }
}

export interface ResNetOptions extends ModelOptions {
  /** The CIFAR stem: a 3×3 stride-1 convolution and no max-pool, for 32×32 inputs. */
  cifarStem?: boolean;
}

type BlockClass = (typeof BasicBlock | typeof Bottleneck) & { readonly expansion: number };

/**
 * torchvision's ResNet: kaiming_normal(fan_out, relu) convolutions,
 * BatchNorm weight 1 / bias 0, and PyTorch's default Linear initialisation.
 */
export class ResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly maxpool: Module;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  readonly avgpool: Module;
  readonly fc: Linear;

  constructor(block: BlockClass, layers: [number, number, number, number], options: ResNetOptions) {
    super();
    const generator = options.initGenerator;
    const inChannels = positiveInteger(options.inChannels ?? 3, "inChannels");
    this.conv1 = this.registerModule(
      "conv1",
      options.cifarStem
        ? new Conv2d(inChannels, 64, 3, { stride: 1, padding: 1, bias: false, generator })
        : new Conv2d(inChannels, 64, 7, { stride: 2, padding: 3, bias: false, generator }),
    );
    this.bn1 = this.registerModule("bn1", new BatchNorm2d(64));
    this.relu = this.registerModule("relu", new ReLU({ inplace: true }));
    this.maxpool = this.registerModule("maxpool", options.cifarStem ? new Identity() : new MaxPool2d(3, { stride: 2, padding: 1 }));
    let inPlanes = 64;
    const makeLayer = (planes: number, blocks: number, stride: number): Sequential => {
      const outPlanes = planes * block.expansion;
      // Built before the block that holds it, as torchvision does, so the
      // default-initialisation draws come in torchvision's order.
      const downsample =
        stride !== 1 || inPlanes !== outPlanes ? new Sequential(conv1x1(inPlanes, outPlanes, stride, generator), new BatchNorm2d(outPlanes)) : null;
      const result = [new block(inPlanes, planes, stride, downsample, generator)];
      inPlanes = outPlanes;
      for (let i = 1; i < blocks; i++) result.push(new block(inPlanes, planes, 1, null, generator));
      return new Sequential(...result);
    };
    this.layer1 = this.registerModule("layer1", makeLayer(64, layers[0], 1));
    this.layer2 = this.registerModule("layer2", makeLayer(128, layers[1], 2));
    this.layer3 = this.registerModule("layer3", makeLayer(256, layers[2], 2));
    this.layer4 = this.registerModule("layer4", makeLayer(512, layers[3], 2));
    this.avgpool = this.registerModule("avgpool", adaptivePool(1, options.deterministicPooling));
    this.fc = this.registerModule("fc", new Linear(512 * block.expansion, positiveInteger(options.numClasses, "numClasses"), { generator }));
    initialiseModules(this, { conv: (m) => init.kaimingNormal_(m.weight, { mode: "fanOut", nonlinearity: "relu", generator }) });
  }

  forward(input: Tensor): Tensor {
    let x = this.maxpool.call(this.relu.call(this.bn1.call(this.conv1.call(input))));
    x = this.layer4.call(this.layer3.call(this.layer2.call(this.layer1.call(x))));
    return this.fc.call(this.avgpool.call(x).flatten(1));
  }
}

export const resnet18 = (options: ModelOptions): ResNet => new ResNet(BasicBlock, [2, 2, 2, 2], options);
export const resnet18Cifar = (options: ModelOptions): ResNet => new ResNet(BasicBlock, [2, 2, 2, 2], { ...options, cifarStem: true });
export const resnet50 = (options: ModelOptions): ResNet => new ResNet(Bottleneck, [3, 4, 6, 3], options);
export const resnet152 = (options: ModelOptions): ResNet => new ResNet(Bottleneck, [3, 8, 36, 3], options);
