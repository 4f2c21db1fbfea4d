// VGG-16 and VGG-19 (configurations D and E, no BatchNorm) as in torchvision
// 0.14 (torchvision/models/vgg.py).
import { Conv2d, Dropout, Linear, MaxPool2d, Module, ReLU, Sequential, init } from "../nn/index.js";
import type { Tensor } from "../torch/index.js";
import type { ModelOptions } from "./common.js";
import { adaptivePool, initialiseModules, positiveInteger } from "./common.js";

type Config = (number | "M")[];

const CONFIGS = {
  vgg16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
  vgg19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
} satisfies Record<string, Config>;

/**
 * torchvision's VGG: kaiming_normal(fan_out, relu) convolutions with zero
 * bias, Linear weights N(0, 0.01²) with zero bias, dropout 0.5. Its
 * AdaptiveAvgPool2d((7, 7)) is the one pooling in the zoo whose CUDA backward
 * has no deterministic kernel; `deterministicPooling` replaces it.
 */
export class VGG extends Module {
  readonly features: Sequential;
  readonly avgpool: Module;
  readonly classifier: Sequential;

  constructor(config: Config, options: ModelOptions) {
    super();
    const generator = options.initGenerator;
    const layers: Module[] = [];
    let channels = positiveInteger(options.inChannels ?? 3, "inChannels");
    for (const v of config) {
      if (v === "M") {
        layers.push(new MaxPool2d(2, { stride: 2 }));
      } else {
        layers.push(new Conv2d(channels, v, 3, { padding: 1, generator }), new ReLU({ inplace: true }));
        channels = v;
      }
    }
    this.features = this.registerModule("features", new Sequential(...layers));
    this.avgpool = this.registerModule("avgpool", adaptivePool(7, options.deterministicPooling));
    const dropout = options.dropoutGenerator;
    this.classifier = this.registerModule(
      "classifier",
      new Sequential(
        new Linear(512 * 7 * 7, 4096, { generator }),
        new ReLU({ inplace: true }),
        new Dropout(0.5, dropout),
        new Linear(4096, 4096, { generator }),
        new ReLU({ inplace: true }),
        new Dropout(0.5, dropout),
        new Linear(4096, positiveInteger(options.numClasses, "numClasses"), { generator }),
      ),
    );
    initialiseModules(this, {
      conv: (m) => {
        init.kaimingNormal_(m.weight, { mode: "fanOut", nonlinearity: "relu", generator });
        if (m.bias !== null) init.zeros_(m.bias);
      },
      linear: (m) => {
        init.normal_(m.weight, 0, 0.01, generator);
        if (m.bias !== null) init.zeros_(m.bias);
      },
    });
  }

  forward(input: Tensor): Tensor {
    return this.classifier.call(this.avgpool.call(this.features.call(input)).flatten(1));
  }
}

export const vgg16 = (options: ModelOptions): VGG => new VGG(CONFIGS.vgg16, options);
export const vgg19 = (options: ModelOptions): VGG => new VGG(CONFIGS.vgg19, options);
