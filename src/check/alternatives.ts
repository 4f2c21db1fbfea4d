import { ADAPTIVE_AVG_POOL2D_BACKWARD_CUDA } from "../models/index.js";

/**
 * Deterministic replacements for ops that libtorch flags in deterministic
 * mode, by the op name its alert gives.
 */
const ALTERNATIVES: Record<string, string> = {
  [ADAPTIVE_AVG_POOL2D_BACKWARD_CUDA]:
    "build the model with the option deterministicPooling: true — adaptive average pooling becomes a plain mean over H×W (1×1 output) or products with fixed averaging matrices, with the same values",
};

/** A deterministic alternative for `op`, where noiselab knows one. */
export function deterministicAlternative(op: string): string | undefined {
  return ALTERNATIVES[op];
}
