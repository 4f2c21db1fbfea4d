// The TypeScript face of libtorch: `import * as torch from "./torch/index.js"`.
export { Tensor, callOp, op, opInPlace, opSchema } from "./tensor.js";
export type { GeneratorLike, Scalar, TensorOrScalar } from "./tensor.js";
export { EXPOSED_OPERATORS } from "./operators.js";
export type { DType, AnyTypedArray, TypedArrayOf } from "./dtype.js";
export { isFloatingPoint } from "./dtype.js";
export * from "./creation.js";
export * as F from "./functional.js";
export { Generator, manualSeed } from "./random.js";
export { tidy, keep, dispose, memory } from "./scope.js";
export type { MemoryInfo } from "./scope.js";
export {
  buildInfo,
  setNumThreads,
  getNumThreads,
  getDeterminism,
  setDeterminism,
  DETERMINISTIC,
  fastDeterminismSettings,
  checkDevice,
  synchronize,
  noGrad,
  captureWarnings,
} from "./context.js";
export type { BuildInfo, DeterminismFlags } from "./context.js";
export { autocast, isAutocastEnabled, onednnEnabled, setOnednnEnabled } from "./precision.js";
export type { AutocastDtype } from "./precision.js";
export { saveSafetensors, loadSafetensors } from "./serialization.js";
export { startProfiling, stopProfiling, profile, summarizeEvents } from "./profiler.js";
export type { OperatorProfile, Profile, ProfileOptions, ProfilerEvent } from "./profiler.js";
