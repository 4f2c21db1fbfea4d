import { createHash } from "node:crypto";
import type { NoiseSetting, NoiseSource } from "./sources.js";
import { NOISE_SOURCES } from "./sources.js";

/**
 * The seed of one noise source in one replicate:
 *
 *   seedFor(master, source, r) = first 6 bytes (big-endian) of
 *                                SHA-256("noiselab/<master>/<source>/<r>")
 *
 * a 48-bit integer. A fixed source uses stream r = 0 in every replicate, so
 * all replicates share it; a free source uses stream r = i + 1 in replicate i,
 * so a free stream never coincides with the fixed one (otherwise replicate 0
 * of every variant would be the very same run). Any single run can be
 * reproduced from its master seed, replicate index and noise setting alone.
 */
export function seedFor(masterSeed: number, source: NoiseSource, replicate: number): number {
  const digest = createHash("sha256").update(`noiselab/${masterSeed}/${source}/${replicate}`).digest();
  return digest.readUIntBE(0, 6);
}

export type SourceSeeds = Record<NoiseSource, number>;

/** Every source's seed for replicate `replicate` under `noise`. */
export function seedsForReplicate(masterSeed: number, noise: NoiseSetting, replicate: number): SourceSeeds {
  return Object.fromEntries(NOISE_SOURCES.map((s) => [s, seedFor(masterSeed, s, noise[s] ? replicate + 1 : 0)])) as SourceSeeds;
}
