// The networks `noiselab overhead` times, by name: every model of the zoo,
// plus `mediumcnn-kN` for the paper's MediumCNN with N×N kernels.
import { InputError } from "../errors.js";
import type { ModelName } from "../models/index.js";
import { MEDIUMCNN_MIN_INPUT, MODEL_NAMES, SMALLCNN_MIN_INPUT, isModelName, modelInfo } from "../models/index.js";
import type { TrainingStepSpec } from "./step.js";

export interface OverheadModel {
  /** The name in tables and charts ("mediumcnn-k5", "resnet50"). */
  id: string;
  model: ModelName;
  /** MediumCNN's kernel side; null for other models. */
  kernelSize: number | null;
  /** [channels, height, width] the model is timed at. */
  inputShape: [number, number, number];
  modelOptions: NonNullable<TrainingStepSpec["modelOptions"]>;
}

/** The paper's Figure 9 (a): MediumCNN with 1×1 to 7×7 kernels. The default model set. */
export const MEDIUMCNN_SWEEP = ["mediumcnn-k1", "mediumcnn-k3", "mediumcnn-k5", "mediumcnn-k7"] as const;

/** The paper's Figure 9 (b) networks: the zoo's ImageNet classifiers (MediumCNN aside), at their ImageNet input size. */
export const IMAGENET_MODELS: readonly ModelName[] = MODEL_NAMES.filter((name) => name !== "mediumcnn" && modelInfo(name).numClasses === 1000);

/** Names that stand for several models. `fig9` is the paper's whole Figure 9: the ImageNet networks, then the kernel sweep. */
export const MODEL_GROUPS: Readonly<Record<string, readonly string[]>> = {
  "mediumcnn-sweep": MEDIUMCNN_SWEEP,
  imagenet: IMAGENET_MODELS,
  fig9: [...IMAGENET_MODELS, ...MEDIUMCNN_SWEEP],
};

const MEDIUMCNN_KERNEL = /^mediumcnn-k(\d+)$/;

/** Every name `resolveModels` accepts, for --help and error messages. */
export function overheadModelNames(): string[] {
  return [...Object.keys(MODEL_GROUPS), "mediumcnn-kN (N odd)", ...MODEL_NAMES];
}

function resolveOne(name: string, inputSize: number | null): OverheadModel {
  const kernel = MEDIUMCNN_KERNEL.exec(name);
  const model = kernel !== null ? "mediumcnn" : name;
  if (!isModelName(model)) throw new InputError(`unknown model "${name}"; valid: ${overheadModelNames().join(", ")}`);
  const info = modelInfo(model);
  const [channels, height, width] = info.inputShape;
  const inputShape: [number, number, number] = inputSize === null ? [channels, height, width] : [channels, inputSize, inputSize];
  const modelOptions: OverheadModel["modelOptions"] = {};
  let kernelSize: number | null = null;
  if (model === "mediumcnn") {
    kernelSize = kernel !== null ? Number(kernel[1]) : 3;
    if (kernelSize % 2 === 0 || kernelSize < 1) throw new InputError(`model "${name}": MediumCNN's kernel size must be odd and positive`);
    modelOptions.kernelSize = kernelSize;
  }
  const minInput = model === "mediumcnn" ? MEDIUMCNN_MIN_INPUT : model === "smallcnn" ? SMALLCNN_MIN_INPUT : 1;
  if (inputShape[1] < minInput) throw new InputError(`model "${name}" needs an input of at least ${minInput}×${minInput} (its max-pools), got ${inputShape[1]}×${inputShape[2]}`);
  return { id: model === "mediumcnn" ? `mediumcnn-k${kernelSize}` : model, model, kernelSize, inputShape, modelOptions };
}

/**
 * The models named in `names` (groups expanded, duplicates dropped, order
 * kept), each at `inputSize`×`inputSize` or, when null, its own input size.
 */
export function resolveModels(names: readonly string[], inputSize: number | null): OverheadModel[] {
  const expanded = names.flatMap((n) => (Object.hasOwn(MODEL_GROUPS, n) ? MODEL_GROUPS[n] : [n]));
  const models = new Map<string, OverheadModel>();
  for (const name of expanded) {
    const resolved = resolveOne(name, inputSize);
    if (!models.has(resolved.id)) models.set(resolved.id, resolved);
  }
  return [...models.values()];
}
