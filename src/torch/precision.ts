// Mixed precision and the oneDNN switch (native/src/precision.cc).
import type { DType } from "./dtype.js";
import { dtypeCode } from "./dtype.js";
import { native } from "./native.js";

export type AutocastDtype = Extract<DType, "bfloat16" | "float16">;

/**
 * Runs `fn` with autocast on for `device`'s type, like `with torch.autocast(device, dtype):`.
 * Ops that autocast lists run in `dtype` (matmuls, convolutions), the others in float32;
 * the state is restored when `fn` returns or throws. Backward runs outside, as in PyTorch.
 */
export function autocast<T>(device: string, dtype: AutocastDtype, fn: () => T): T {
  const previous = native.enterAutocast(device, dtypeCode(dtype));
  try {
    return fn();
  } finally {
    native.exitAutocast(device, previous);
  }
}

/** Whether autocast is on for `device`'s type. */
export function isAutocastEnabled(device: string): boolean {
  return native.autocastState(device).enabled;
}

/** Whether libtorch may use oneDNN (mkldnn) kernels on CPU: `torch.backends.mkldnn.enabled`. */
export function onednnEnabled(): boolean {
  return native.onednnEnabled();
}

/** Turns libtorch's use of oneDNN on CPU on or off; returns the previous setting. */
export function setOnednnEnabled(enabled: boolean): boolean {
  return native.setOnednnEnabled(enabled);
}
