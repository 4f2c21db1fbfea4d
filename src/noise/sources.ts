import { InputError } from "../errors.js";

/**
 * Algorithmic noise: randomness the training algorithm asks for.
 * - init: weight initialisation
 * - shuffle: the order of examples across batches in each epoch
 * - augment: random crop (4-pixel zero padding) and horizontal flip
 * - dropout: the masks of stochastic layers
 */
export const ALGORITHMIC_SOURCES = ["init", "shuffle", "augment", "dropout"] as const;

/**
 * Implementation noise: randomness the tooling adds.
 * - kernels: nondeterministic kernels (deterministic algorithms off, cuDNN
 *   benchmark on). libtorch's CPU kernels are deterministic, so on CPU this
 *   source adds nothing; on CUDA it is atomics and autotuned algorithm choice.
 * - batchOrder: the same batches with their examples in a different order,
 *   which changes floating-point accumulation order inside each reduction. It
 *   is real implementation noise on every device.
 */
export const IMPLEMENTATION_SOURCES = ["kernels", "batchOrder"] as const;

export const NOISE_SOURCES = [...ALGORITHMIC_SOURCES, ...IMPLEMENTATION_SOURCES] as const;
export type NoiseSource = (typeof NOISE_SOURCES)[number];

/** For each source, whether it is free (varies across replicates) or fixed (identical in every replicate). */
export type NoiseSetting = Record<NoiseSource, boolean>;

function setting(free: (source: NoiseSource) => boolean): NoiseSetting {
  return Object.fromEntries(NOISE_SOURCES.map((s) => [s, free(s)])) as NoiseSetting;
}

const isAlgorithmic = (s: NoiseSource) => (ALGORITHMIC_SOURCES as readonly string[]).includes(s);

/** The paper's four variants. */
export const VARIANTS = {
  "ALGO+IMPL": setting(() => true),
  ALGO: setting(isAlgorithmic),
  IMPL: setting((s) => !isAlgorithmic(s)),
  CONTROL: setting(() => false),
} as const satisfies Record<string, NoiseSetting>;

export type PaperVariant = keyof typeof VARIANTS;
export const PAPER_VARIANTS = Object.keys(VARIANTS) as PaperVariant[];

/**
 * A variant name: one of the paper's four, or `only:<source>[,<source>…]`,
 * which frees just the named sources (an ablation the paper doesn't have).
 */
export function parseVariant(name: string): NoiseSetting {
  if (Object.hasOwn(VARIANTS, name)) return { ...VARIANTS[name as PaperVariant] };
  const match = /^only:(.+)$/.exec(name);
  if (match) {
    const named = match[1].split(",").map((s) => s.trim());
    for (const s of named) {
      if (!(NOISE_SOURCES as readonly string[]).includes(s)) {
        throw new InputError(`variant "${name}": unknown noise source "${s}" (sources: ${NOISE_SOURCES.join(", ")})`);
      }
    }
    return setting((s) => named.includes(s));
  }
  throw new InputError(`unknown variant "${name}" (use ${PAPER_VARIANTS.join(", ")}, or only:<source>,… with sources ${NOISE_SOURCES.join(", ")})`);
}

/** What a run's config lets act, beyond the variant. */
export interface SourceContext {
  /** Whether training augments its data (`training.augment`). */
  augment: boolean;
  /** Whether the model has stochastic layers (dropout, stochastic depth). */
  stochasticLayers: boolean;
}

/**
 * The noise setting a run really has: `noise` with the sources that cannot act
 * under `context` fixed — augmentation where training does not augment, and
 * dropout where the model has no stochastic layer. Freeing such a source
 * changes nothing in training, so it is never listed as free, and a variant
 * whose only free sources cannot act is a control.
 */
export function actingNoise(noise: NoiseSetting, context: SourceContext): NoiseSetting {
  return { ...noise, augment: noise.augment && context.augment, dropout: noise.dropout && context.stochasticLayers };
}
