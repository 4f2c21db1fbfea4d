// The two CNNs of Zhuang et al. 2021 that are not torchvision models. The
// paper describes them only in prose; docs/models.md gives our reading.
// Layers use PyTorch's default initialisation (Conv2d/Linear
// kaiming_uniform(a=√5), BatchNorm weight 1 and bias 0), drawn from the
// init generator in construction order, exactly as PyTorch draws them.
import { BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential } from "../nn/index.js";
import type { Tensor } from "../torch/index.js";
import type { ModelOptions } from "./common.js";
import { adaptivePool, positiveInteger } from "./common.js";

export interface SmallCNNOptions extends ModelOptions {
  /** BatchNorm after each convolution (the paper's BN ablation). Default false. */
  batchNorm?: boolean;
  /** Input height and width (a number for square inputs); sizes the linear layer. Default 28. */
  inputSize?: number | [number, number];
}

/**
 * The paper's small CNN: conv(in→32, 3×3) [BN] ReLU maxpool2 →
 * conv(32→64, 3×3) [BN] ReLU maxpool2 → flatten → linear(64·H/4·W/4 → classes).
 * Convolutions have a bias only when no BatchNorm follows them.
 */
export class SmallCNN extends Module {
  readonly features: Sequential;
  readonly classifier: Linear;

  constructor(options: SmallCNNOptions) {
    super();
    const inChannels = positiveInteger(options.inChannels ?? 1, "inChannels");
    const [height, width] = typeof options.inputSize === "object" ? options.inputSize : [options.inputSize ?? 28, options.inputSize ?? 28];
    if (height < 4 || width < 4) throw new RangeError(`SmallCNN needs an input of at least 4×4, got ${height}×${width}`);
    const generator = options.initGenerator;
    const bn = options.batchNorm ?? false;
    const stage = (from: number, to: number): Module[] => [
      new Conv2d(from, to, 3, { padding: 1, bias: !bn, generator }),
      ...(bn ? [new BatchNorm2d(to)] : []),
      new ReLU(),
      new MaxPool2d(2),
    ];
    this.features = this.registerModule("features", new Sequential(...stage(inChannels, 32), ...stage(32, 64)));
    const flatFeatures = 64 * Math.floor(height / 4) * Math.floor(width / 4);
    this.classifier = this.registerModule("classifier", new Linear(flatFeatures, positiveInteger(options.numClasses, "numClasses"), { generator }));
  }

  forward(input: Tensor): Tensor {
    return this.classifier.call(this.features.call(input).flatten(1));
  }
}

export interface MediumCNNOptions extends ModelOptions {
  /** Side of every convolution kernel, odd; the paper sweeps 1, 3, 5 and 7. Default 3. */
  kernelSize?: number;
}

/**
 * The paper's six-layer CNN with k×k kernels ("same" padding):
 * conv32 conv32 maxpool2 conv64 conv64 maxpool2 conv128, each conv followed
 * by BatchNorm and ReLU, then global average pooling and linear(128 → classes).
 * Global pooling makes it work at any input size of at least 4×4.
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
    const block = (from: number, to: number): Module[] => [
      new Conv2d(from, to, k, { padding: Math.floor(k / 2), bias: false, generator }),
      new BatchNorm2d(to),
      new ReLU(),
    ];
    this.features = this.registerModule(
      "features",
      new Sequential(
        ...block(positiveInteger(options.inChannels ?? 3, "inChannels"), 32),
        ...block(32, 32),
        new MaxPool2d(2),
        ...block(32, 64),
        ...block(64, 64),
        new MaxPool2d(2),
        ...block(64, 128),
      ),
    );
    this.avgpool = this.registerModule("avgpool", adaptivePool(1, options.deterministicPooling));
    this.classifier = this.registerModule("classifier", new Linear(128, positiveInteger(options.numClasses, "numClasses"), { generator }));
  }

  forward(input: Tensor): Tensor {
    return this.classifier.call(this.avgpool.call(this.features.call(input)).flatten(1));
  }
}
