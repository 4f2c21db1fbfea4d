// Puts a run's environment into effect in this process: device, intra-op
// threads, the oneDNN switch and the precision of the forward pass.
import type { EnvironmentConfig } from "../environment/config.js";
import { isCudaDevice } from "../environment/config.js";
import * as torch from "../torch/index.js";

export interface AppliedEnvironment {
  device: string;
  /** Runs a forward pass (and its loss) in the environment's precision: under autocast for bf16 and fp16. */
  forward<T>(fn: () => T): T;
  /** 16-bit autocast on CUDA scales the loss (GradScaler); bf16 on CPU needs no scaling, as in PyTorch. */
  lossScaling: boolean;
}

/**
 * Sets the process-wide switches of `environment`. fp32 and bf16 turn TF32 off for cuBLAS and cuDNN
 * (libtorch allows it in cuDNN by default), tf32 turns it on for both.
 */
export function applyEnvironment(environment: EnvironmentConfig): AppliedEnvironment {
  const device = torch.checkDevice(environment.device);
  torch.setNumThreads(environment.threads);
  torch.setOnednnEnabled(environment.onednn);
  const tf32 = environment.precision === "tf32";
  torch.setDeterminism({ allowTF32Matmul: tf32, allowTF32Cudnn: tf32 });
  const dtype = environment.precision === "bf16" ? "bfloat16" : environment.precision === "fp16" ? "float16" : undefined;
  return {
    device,
    forward: dtype === undefined ? (fn) => fn() : (fn) => torch.autocast(device, dtype, fn),
    lossScaling: dtype !== undefined && isCudaDevice(device),
  };
}
