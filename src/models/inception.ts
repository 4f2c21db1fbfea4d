// Inception-v3 as in torchvision 0.14 (torchvision/models/inception.py), for
// 299×299 inputs (75×75 at the least).
import { BatchNorm2d, Conv2d, Dropout, Linear, MaxPool2d, Module } from "../nn/index.js";
import type { GeneratorLike, Tensor } from "../torch/index.js";
import { F, cat } from "../torch/index.js";
import type { ModelOptions } from "./common.js";
import { adaptivePool, globalPool, initialiseModules, positiveInteger, truncNormal_ } from "./common.js";

type Pair = number | [number, number];

/** Bias-free convolution, BatchNorm (eps 0.001) and ReLU. */
export class BasicConv2d extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: { stride?: number; padding?: Pair; generator: GeneratorLike | undefined }) {
    super();
    this.conv = this.registerModule(
      "conv",
      new Conv2d(inChannels, outChannels, kernelSize, { stride: options.stride ?? 1, padding: options.padding ?? 0, bias: false, generator: options.generator }),
    );
    this.bn = this.registerModule("bn", new BatchNorm2d(outChannels, { eps: 0.001 }));
  }

  forward(input: Tensor): Tensor {
    return F.relu(this.bn.call(this.conv.call(input)));
  }
}

/** An Inception block: named BasicConv2d children, wired by `forward`. */
abstract class InceptionBlock extends Module {
  readonly #convs = new Map<string, BasicConv2d>();
  readonly #generator: GeneratorLike | undefined;

  constructor(generator: GeneratorLike | undefined) {
    super();
    this.#generator = generator;
  }

  protected conv(name: string, inChannels: number, outChannels: number, kernelSize: Pair, options: { stride?: number; padding?: Pair } = {}): void {
    this.#convs.set(name, this.registerModule(name, new BasicConv2d(inChannels, outChannels, kernelSize, { ...options, generator: this.#generator })));
  }

  /** Applies the named convolutions one after the other. */
  protected chain(input: Tensor, ...names: string[]): Tensor {
    let x = input;
    for (const name of names) x = (this.#convs.get(name) as BasicConv2d).call(x);
    return x;
  }
}

const avgPool3x3 = (x: Tensor): Tensor => F.avgPool2d(x, 3, { stride: 1, padding: 1 });
const maxPool3x3s2 = (x: Tensor): Tensor => F.maxPool2d(x, 3, { stride: 2 });

export class InceptionA extends InceptionBlock {
  constructor(inChannels: number, poolFeatures: number, generator: GeneratorLike | undefined) {
    super(generator);
    this.conv("branch1x1", inChannels, 64, 1);
    this.conv("branch5x5_1", inChannels, 48, 1);
    this.conv("branch5x5_2", 48, 64, 5, { padding: 2 });
    this.conv("branch3x3dbl_1", inChannels, 64, 1);
    this.conv("branch3x3dbl_2", 64, 96, 3, { padding: 1 });
    this.conv("branch3x3dbl_3", 96, 96, 3, { padding: 1 });
    this.conv("branch_pool", inChannels, poolFeatures, 1);
  }

  forward(x: Tensor): Tensor {
    return cat(
      [
        this.chain(x, "branch1x1"),
        this.chain(x, "branch5x5_1", "branch5x5_2"),
        this.chain(x, "branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"),
        this.chain(avgPool3x3(x), "branch_pool"),
      ],
      1,
    );
  }
}

export class InceptionB extends InceptionBlock {
  constructor(inChannels: number, generator: GeneratorLike | undefined) {
    super(generator);
    this.conv("branch3x3", inChannels, 384, 3, { stride: 2 });
    this.conv("branch3x3dbl_1", inChannels, 64, 1);
    this.conv("branch3x3dbl_2", 64, 96, 3, { padding: 1 });
    this.conv("branch3x3dbl_3", 96, 96, 3, { stride: 2 });
  }

  forward(x: Tensor): Tensor {
    return cat([this.chain(x, "branch3x3"), this.chain(x, "branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"), maxPool3x3s2(x)], 1);
  }
}

export class InceptionC extends InceptionBlock {
  constructor(inChannels: number, c7: number, generator: GeneratorLike | undefined) {
    super(generator);
    this.conv("branch1x1", inChannels, 192, 1);
    this.conv("branch7x7_1", inChannels, c7, 1);
    this.conv("branch7x7_2", c7, c7, [1, 7], { padding: [0, 3] });
    this.conv("branch7x7_3", c7, 192, [7, 1], { padding: [3, 0] });
    this.conv("branch7x7dbl_1", inChannels, c7, 1);
    this.conv("branch7x7dbl_2", c7, c7, [7, 1], { padding: [3, 0] });
    this.conv("branch7x7dbl_3", c7, c7, [1, 7], { padding: [0, 3] });
    this.conv("branch7x7dbl_4", c7, c7, [7, 1], { padding: [3, 0] });
    this.conv("branch7x7dbl_5", c7, 192, [1, 7], { padding: [0, 3] });
    this.conv("branch_pool", inChannels, 192, 1);
  }

  forward(x: Tensor): Tensor {
    return cat(
      [
        this.chain(x, "branch1x1"),
        this.chain(x, "branch7x7_1", "branch7x7_2", "branch7x7_3"),
        this.chain(x, "branch7x7dbl_1", "branch7x7dbl_2", "branch7x7dbl_3", "branch7x7dbl_4", "branch7x7dbl_5"),
        this.chain(avgPool3x3(x), "branch_pool"),
      ],
      1,
    );
  }
}

export class InceptionD extends InceptionBlock {
  constructor(inChannels: number, generator: GeneratorLike | undefined) {
    super(generator);
    this.conv("branch3x3_1", inChannels, 192, 1);
    this.conv("branch3x3_2", 192, 320, 3, { stride: 2 });
    this.conv("branch7x7x3_1", inChannels, 192, 1);
    this.conv("branch7x7x3_2", 192, 192, [1, 7], { padding: [0, 3] });
    this.conv("branch7x7x3_3", 192, 192, [7, 1], { padding: [3, 0] });
    this.conv("branch7x7x3_4", 192, 192, 3, { stride: 2 });
  }

  forward(x: Tensor): Tensor {
    return cat(
      [this.chain(x, "branch3x3_1", "branch3x3_2"), this.chain(x, "branch7x7x3_1", "branch7x7x3_2", "branch7x7x3_3", "branch7x7x3_4"), maxPool3x3s2(x)],
      1,
    );
  }
}

export class InceptionE extends InceptionBlock {
  constructor(inChannels: number, generator: GeneratorLike | undefined) {
    super(generator);
    this.conv("branch1x1", inChannels, 320, 1);
    this.conv("branch3x3_1", inChannels, 384, 1);
    this.conv("branch3x3_2a", 384, 384, [1, 3], { padding: [0, 1] });
    this.conv("branch3x3_2b", 384, 384, [3, 1], { padding: [1, 0] });
    this.conv("branch3x3dbl_1", inChannels, 448, 1);
    this.conv("branch3x3dbl_2", 448, 384, 3, { padding: 1 });
    this.conv("branch3x3dbl_3a", 384, 384, [1, 3], { padding: [0, 1] });
    this.conv("branch3x3dbl_3b", 384, 384, [3, 1], { padding: [1, 0] });
    this.conv("branch_pool", inChannels, 192, 1);
  }

  forward(x: Tensor): Tensor {
    const branch3x3 = this.chain(x, "branch3x3_1");
    const branch3x3dbl = this.chain(x, "branch3x3dbl_1", "branch3x3dbl_2");
    return cat(
      [
        this.chain(x, "branch1x1"),
        cat([this.chain(branch3x3, "branch3x3_2a"), this.chain(branch3x3, "branch3x3_2b")], 1),
        cat([this.chain(branch3x3dbl, "branch3x3dbl_3a"), this.chain(branch3x3dbl, "branch3x3dbl_3b")], 1),
        this.chain(avgPool3x3(x), "branch_pool"),
      ],
      1,
    );
  }
}

export class InceptionAux extends Module {
  readonly conv0: BasicConv2d;
  readonly conv1: BasicConv2d;
  readonly fc: Linear;

  constructor(inChannels: number, numClasses: number, readonly deterministicPooling: boolean, generator: GeneratorLike | undefined) {
    super();
    this.conv0 = this.registerModule("conv0", new BasicConv2d(inChannels, 128, 1, { generator }));
    this.conv1 = this.registerModule("conv1", new BasicConv2d(128, 768, 5, { generator }));
    this.fc = this.registerModule("fc", new Linear(768, numClasses, { generator }));
  }

  forward(input: Tensor): Tensor {
    const x = this.conv1.call(this.conv0.call(F.avgPool2d(input, 5, { stride: 3 })));
    return this.fc.call(globalPool(x, this.deterministicPooling).flatten(1));
  }
}

/** The auxiliary head's 5×5/3 pooling and 5×5 convolution need Mixed_6e's map at 17×17 or more (a 299×299 input). */
function checkAuxInput(x: Tensor): Tensor {
  const [height, width] = x.shape.slice(-2);
  if (height < 17 || width < 17) {
    throw new RangeError(`Inception-v3's auxiliary classifier needs a 299×299 input (Mixed_6e at 17×17), got Mixed_6e at ${height}×${width}`);
  }
  return x;
}

export interface InceptionV3Options extends ModelOptions {
  /** The auxiliary classifier after Mixed_6e, used in training (torchvision's default: true). */
  auxLogits?: boolean;
}

/**
 * torchvision's Inception-v3 (without `transform_input`): every Conv2d and
 * Linear weight drawn from trunc_normal(0, 0.1², [−2, 2]) — the auxiliary
 * classifier's fc from trunc_normal(0, 0.001²) — BatchNorm weight 1 / bias 0,
 * Linear biases left at PyTorch's default, dropout 0.5 before fc.
 */
export class InceptionV3 extends Module {
  readonly stem: Module[];
  readonly mixed6: Module[];
  readonly auxLogits: InceptionAux | null;
  readonly mixed7: Module[];
  readonly avgpool: Module;
  readonly dropout: Dropout;
  readonly fc: Linear;

  constructor(options: InceptionV3Options) {
    super();
    const g = options.initGenerator;
    const numClasses = positiveInteger(options.numClasses, "numClasses");
    const add = <M extends Module>(name: string, m: M): M => this.registerModule(name, m);
    this.stem = [
      add("Conv2d_1a_3x3", new BasicConv2d(positiveInteger(options.inChannels ?? 3, "inChannels"), 32, 3, { stride: 2, generator: g })),
      add("Conv2d_2a_3x3", new BasicConv2d(32, 32, 3, { generator: g })),
      add("Conv2d_2b_3x3", new BasicConv2d(32, 64, 3, { padding: 1, generator: g })),
      add("maxpool1", new MaxPool2d(3, { stride: 2 })),
      add("Conv2d_3b_1x1", new BasicConv2d(64, 80, 1, { generator: g })),
      add("Conv2d_4a_3x3", new BasicConv2d(80, 192, 3, { generator: g })),
      add("maxpool2", new MaxPool2d(3, { stride: 2 })),
      add("Mixed_5b", new InceptionA(192, 32, g)),
      add("Mixed_5c", new InceptionA(256, 64, g)),
      add("Mixed_5d", new InceptionA(288, 64, g)),
    ];
    this.mixed6 = [
      add("Mixed_6a", new InceptionB(288, g)),
      add("Mixed_6b", new InceptionC(768, 128, g)),
      add("Mixed_6c", new InceptionC(768, 160, g)),
      add("Mixed_6d", new InceptionC(768, 160, g)),
      add("Mixed_6e", new InceptionC(768, 192, g)),
    ];
    const deterministic = options.deterministicPooling ?? false;
    this.auxLogits = options.auxLogits ?? true ? add("AuxLogits", new InceptionAux(768, numClasses, deterministic, g)) : null;
    this.mixed7 = [add("Mixed_7a", new InceptionD(768, g)), add("Mixed_7b", new InceptionE(1280, g)), add("Mixed_7c", new InceptionE(2048, g))];
    this.avgpool = add("avgpool", adaptivePool(1, deterministic));
    this.dropout = add("dropout", new Dropout(0.5, options.dropoutGenerator));
    this.fc = add("fc", new Linear(2048, numClasses, { generator: g }));
    // torchvision sets `stddev = 0.01` on AuxLogits.conv1, a BasicConv2d, so
    // its loop (which looks for the attribute on the nn.Conv2d inside) never
    // sees it: only AuxLogits.fc gets a standard deviation other than 0.1.
    const auxFc = this.auxLogits?.fc;
    const truncNormal = (m: Conv2d | Linear): void => {
      truncNormal_(m.weight, { std: m === auxFc ? 0.001 : 0.1, a: -2, b: 2, generator: g });
    };
    initialiseModules(this, { conv: truncNormal, linear: truncNormal });
  }

  /** Logits, and in training with the auxiliary classifier also its logits (torchvision's InceptionOutputs). */
  forwardWithAux(input: Tensor): { logits: Tensor; aux: Tensor | null } {
    return this.#run(input, this.training);
  }

  /** The main logits only, skipping the auxiliary classifier; `forwardWithAux` trains it too. */
  forward(input: Tensor): Tensor {
    return this.#run(input, false).logits;
  }

  #run(input: Tensor, withAux: boolean): { logits: Tensor; aux: Tensor | null } {
    let x = input;
    for (const m of this.stem) x = m.call(x);
    for (const m of this.mixed6) x = m.call(x);
    const aux = withAux && this.auxLogits !== null ? this.auxLogits.call(checkAuxInput(x)) : null;
    for (const m of this.mixed7) x = m.call(x);
    const logits = this.fc.call(this.dropout.call(this.avgpool.call(x)).flatten(1));
    return { logits, aux };
  }
}

export const inceptionV3 = (options: InceptionV3Options): InceptionV3 => new InceptionV3(options);
