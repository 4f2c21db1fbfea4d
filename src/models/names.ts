// The zoo's model names, apart from the models themselves, so that validating a
// spec or reading results never loads the native engine.
export const MODEL_NAMES = [
  "smallcnn",
  "mediumcnn",
  "resnet18-cifar",
  "resnet18",
  "resnet50",
  "resnet152",
  "vgg16",
  "vgg19",
  "mobilenetv2",
  "densenet121",
  "densenet201",
  "efficientnet-b0",
  "inception-v3",
] as const;

export type ModelName = (typeof MODEL_NAMES)[number];

/** The models with stochastic layers (dropout, stochastic depth), on which the dropout noise source acts. */
export const STOCHASTIC_LAYER_MODELS: readonly ModelName[] = ["vgg16", "vgg19", "mobilenetv2", "efficientnet-b0", "inception-v3"];
