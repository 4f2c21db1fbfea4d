import { native } from "./native.js";
import type { NativeHandle } from "./native.js";

/** Largest seed that survives the trip through a JS number unchanged. */
const MAX_SEED = Number.MAX_SAFE_INTEGER;

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
  }
  return seed;
}

/**
 * An independent random-number stream, like `torch.Generator`. Give each
 * source of randomness (init, shuffling, augmentation, dropout) its own, so
 * that each can be fixed or freed without disturbing the others.
 */
export class Generator {
  readonly handle: NativeHandle;
  readonly device: string;

  constructor(seed: number, device = "cpu") {
    this.device = device;
    this.handle = native.newGenerator(device, checkSeed(seed));
  }

  get initialSeed(): number {
    return native.generatorSeed(this.handle);
  }

  /** Re-seeds the stream, restarting it from the beginning. */
  manualSeed(seed: number): this {
    native.generatorSetSeed(this.handle, checkSeed(seed));
    return this;
  }
}

/** Seeds libtorch's default generators (CPU and every CUDA device), like `torch.manual_seed`. */
export function manualSeed(seed: number): void {
  native.manualSeed(checkSeed(seed));
}
