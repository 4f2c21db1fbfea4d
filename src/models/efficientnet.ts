// EfficientNet-B0 as in torchvision 0.14 (torchvision/models/efficientnet.py),
// with its stochastic depth.
import { Conv2d, Dropout, Linear, Module, SiLU, Sigmoid, Sequential, init } from "../nn/index.js";
import type { GeneratorLike, Tensor } from "../torch/index.js";
import { empty } from "../torch/index.js";
import type { ModelOptions } from "./common.js";
import { adaptivePool, convNormActivation, initialiseModules, makeDivisible, positiveInteger } from "./common.js";

const silu = (): SiLU => new SiLU();

/**
 * Stochastic depth in torchvision's "row" mode: in training, each example's
 * residual branch is kept with probability 1 − p (and scaled by 1/(1 − p)).
 * The draws come from the dropout generator, so they belong to the
 * stochastic-layer noise source.
 */
export class StochasticDepth extends Module {
  constructor(
    readonly p: number,
    public generator?: GeneratorLike,
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    if (!this.training || this.p === 0) return input;
    const survival = 1 - this.p;
    const shape = [input.shape[0], ...input.shape.slice(1).map(() => 1)];
    const keep = empty(shape, { dtype: input.dtype, device: input.device }).bernoulli_(survival, this.generator);
    return input.mul(keep.div(survival));
  }
}

export class SqueezeExcitation extends Module {
  readonly avgpool: Module;
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;
  readonly activation = new SiLU();
  readonly scaleActivation = new Sigmoid();

  constructor(channels: number, squeezeChannels: number, deterministicPooling: boolean | undefined, generator: GeneratorLike | undefined) {
    super();
    this.avgpool = this.registerModule("avgpool", adaptivePool(1, deterministicPooling));
    this.fc1 = this.registerModule("fc1", new Conv2d(channels, squeezeChannels, 1, { generator }));
    this.fc2 = this.registerModule("fc2", new Conv2d(squeezeChannels, channels, 1, { generator }));
    this.registerModule("activation", this.activation);
    this.registerModule("scale_activation", this.scaleActivation);
  }

  forward(input: Tensor): Tensor {
    const scale = this.scaleActivation.call(this.fc2.call(this.activation.call(this.fc1.call(this.avgpool.call(input)))));
    return scale.mul(input);
  }
}

interface StageConfig {
  expandRatio: number;
  kernel: number;
  stride: number;
  inChannels: number;
  outChannels: number;
  numLayers: number;
}

/** Inverted bottleneck with squeeze-and-excitation; the residual branch is subject to stochastic depth. */
export class MBConv extends Module {
  readonly block: Sequential;
  readonly stochasticDepth: StochasticDepth;
  readonly useResidual: boolean;

  constructor(config: StageConfig, stochasticDepthProb: number, options: ModelOptions) {
    super();
    const generator = options.initGenerator;
    this.useResidual = config.stride === 1 && config.inChannels === config.outChannels;
    const expanded = makeDivisible(config.inChannels * config.expandRatio, 8);
    const layers: Module[] = [];
    if (expanded !== config.inChannels) layers.push(convNormActivation(config.inChannels, expanded, { kernelSize: 1, activation: silu, generator }));
    layers.push(
      convNormActivation(expanded, expanded, { kernelSize: config.kernel, stride: config.stride, groups: expanded, activation: silu, generator }),
      new SqueezeExcitation(expanded, Math.max(1, Math.floor(config.inChannels / 4)), options.deterministicPooling, generator),
      convNormActivation(expanded, config.outChannels, { kernelSize: 1, activation: null, generator }),
    );
    this.block = this.registerModule("block", new Sequential(...layers));
    this.stochasticDepth = this.registerModule("stochastic_depth", new StochasticDepth(stochasticDepthProb, options.dropoutGenerator));
  }

  forward(input: Tensor): Tensor {
    const out = this.block.call(input);
    return this.useResidual ? this.stochasticDepth.call(out).add(input) : out;
  }
}

const B0: StageConfig[] = [
  { expandRatio: 1, kernel: 3, stride: 1, inChannels: 32, outChannels: 16, numLayers: 1 },
  { expandRatio: 6, kernel: 3, stride: 2, inChannels: 16, outChannels: 24, numLayers: 2 },
  { expandRatio: 6, kernel: 5, stride: 2, inChannels: 24, outChannels: 40, numLayers: 2 },
  { expandRatio: 6, kernel: 3, stride: 2, inChannels: 40, outChannels: 80, numLayers: 3 },
  { expandRatio: 6, kernel: 5, stride: 1, inChannels: 80, outChannels: 112, numLayers: 3 },
  { expandRatio: 6, kernel: 5, stride: 2, inChannels: 112, outChannels: 192, numLayers: 4 },
  { expandRatio: 6, kernel: 3, stride: 1, inChannels: 192, outChannels: 320, numLayers: 1 },
];

/**
 * torchvision's EfficientNet-B0: kaiming_normal(fan_out) convolutions with
 * zero bias, BatchNorm weight 1 / bias 0, Linear U(±1/√classes) with zero
 * bias, dropout 0.2, stochastic depth rising linearly from 0 to 0.2 over the blocks.
 */
export class EfficientNet extends Module {
  readonly features: Sequential;
  readonly avgpool: Module;
  readonly classifier: Sequential;

  constructor(options: ModelOptions, stochasticDepthProb = 0.2) {
    super();
    const generator = options.initGenerator;
    const layers: Module[] = [
      convNormActivation(positiveInteger(options.inChannels ?? 3, "inChannels"), B0[0].inChannels, { stride: 2, activation: silu, generator }),
    ];
    const totalBlocks = B0.reduce((n, stage) => n + stage.numLayers, 0);
    let blockId = 0;
    for (const stage of B0) {
      const blocks: Module[] = [];
      for (let i = 0; i < stage.numLayers; i++) {
        const config = i === 0 ? stage : { ...stage, inChannels: stage.outChannels, stride: 1 };
        blocks.push(new MBConv(config, (stochasticDepthProb * blockId) / totalBlocks, options));
        blockId++;
      }
      layers.push(new Sequential(...blocks));
    }
    const lastIn = B0[B0.length - 1].outChannels;
    layers.push(convNormActivation(lastIn, 4 * lastIn, { kernelSize: 1, activation: silu, generator }));
    this.features = this.registerModule("features", new Sequential(...layers));
    this.avgpool = this.registerModule("avgpool", adaptivePool(1, options.deterministicPooling));
    const numClasses = positiveInteger(options.numClasses, "numClasses");
    this.classifier = this.registerModule(
      "classifier",
      new Sequential(new Dropout(0.2, options.dropoutGenerator), new Linear(4 * lastIn, numClasses, { generator })),
    );
    initialiseModules(this, {
      conv: (m) => {
        init.kaimingNormal_(m.weight, { mode: "fanOut", generator });
        if (m.bias !== null) init.zeros_(m.bias);
      },
      linear: (m) => {
        const range = 1 / Math.sqrt(m.weight.shape[0]);
        init.uniform_(m.weight, -range, range, generator);
        if (m.bias !== null) init.zeros_(m.bias);
      },
    });
  }

  forward(input: Tensor): Tensor {
    return this.classifier.call(this.avgpool.call(this.features.call(input)).flatten(1));
  }
}

export const efficientnetB0 = (options: ModelOptions): EfficientNet => new EfficientNet(options);
