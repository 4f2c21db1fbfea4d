// MobileNetV2 (width 1.0) as in torchvision 0.14 (torchvision/models/mobilenetv2.py).
import { BatchNorm2d, Conv2d, Dropout, Linear, Module, ReLU6, Sequential, init } from "../nn/index.js";
import type { GeneratorLike, Tensor } from "../torch/index.js";
import type { ModelOptions } from "./common.js";
import { convNormActivation, globalPool, initialiseModules, makeDivisible, positiveInteger } from "./common.js";

// In place, as torchvision's Conv2dNormActivation makes it.
const relu6 = (): ReLU6 => new ReLU6({ inplace: true });

export class InvertedResidual extends Module {
  readonly conv: Sequential;
  readonly useResidual: boolean;

  constructor(inChannels: number, outChannels: number, stride: number, expandRatio: number, generator: GeneratorLike | undefined) {
    super();
    const hidden = Math.round(inChannels * expandRatio);
    this.useResidual = stride === 1 && inChannels === outChannels;
    const layers = [
      ...(expandRatio !== 1 ? [convNormActivation(inChannels, hidden, { kernelSize: 1, activation: relu6, generator })] : []),
      convNormActivation(hidden, hidden, { stride, groups: hidden, activation: relu6, generator }),
      new Conv2d(hidden, outChannels, 1, { bias: false, generator }),
      new BatchNorm2d(outChannels),
    ];
    this.conv = this.registerModule("conv", new Sequential(...layers));
  }

  forward(input: Tensor): Tensor {
    const out = this.conv.call(input);
    return this.useResidual ? input.add(out) : out;
  }
}

/** [expansion t, channels c, repeats n, first stride s] per stage, as in the paper and torchvision. */
const SETTINGS: [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/**
 * torchvision's MobileNetV2: kaiming_normal(fan_out) convolutions,
 * BatchNorm weight 1 / bias 0, Linear N(0, 0.01²) with zero bias, dropout 0.2.
 */
export class MobileNetV2 extends Module {
  readonly features: Sequential;
  readonly classifier: Sequential;
  readonly deterministicPooling: boolean;

  constructor(options: ModelOptions) {
    super();
    const generator = options.initGenerator;
    let channels = makeDivisible(32, 8);
    const lastChannels = makeDivisible(1280, 8);
    const layers: Module[] = [
      convNormActivation(positiveInteger(options.inChannels ?? 3, "inChannels"), channels, { stride: 2, activation: relu6, generator }),
    ];
    for (const [t, c, n, s] of SETTINGS) {
      const outChannels = makeDivisible(c, 8);
      for (let i = 0; i < n; i++) {
        layers.push(new InvertedResidual(channels, outChannels, i === 0 ? s : 1, t, generator));
        channels = outChannels;
      }
    }
    layers.push(convNormActivation(channels, lastChannels, { kernelSize: 1, activation: relu6, generator }));
    this.features = this.registerModule("features", new Sequential(...layers));
    this.classifier = this.registerModule(
      "classifier",
      new Sequential(new Dropout(0.2, options.dropoutGenerator), new Linear(lastChannels, positiveInteger(options.numClasses, "numClasses"), { generator })),
    );
    this.deterministicPooling = options.deterministicPooling ?? false;
    initialiseModules(this, {
      conv: (m) => {
        init.kaimingNormal_(m.weight, { mode: "fanOut", generator });
        if (m.bias !== null) init.zeros_(m.bias);
      },
      linear: (m) => {
        init.normal_(m.weight, 0, 0.01, generator);
        if (m.bias !== null) init.zeros_(m.bias);
      },
    });
  }

  forward(input: Tensor): Tensor {
    return this.classifier.call(globalPool(this.features.call(input), this.deterministicPooling).flatten(1));
  }
}

export const mobilenetV2 = (options: ModelOptions): MobileNetV2 => new MobileNetV2(options);
