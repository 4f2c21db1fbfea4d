/**
 * noiselab's own seeded pseudo-random generator, for everything outside the
 * engine (splits, subsets, synthetic data, bootstrap and permutation tests),
 * so that those depend only on a seed — never on libtorch, the platform or
 * `Math.random`.
 *
 * Generator: xoshiro128** (32-bit state words, so it runs on plain JS int32
 * arithmetic), with its 128-bit state filled from two outputs of splitmix64
 * applied to the 64-bit seed, as the xoshiro authors recommend.
 */
import { InputError } from "./errors.js";

/** A seed: any integer; it is taken modulo 2^64. */
export type Seed = number | bigint;

const MASK_64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;
const TWO_POW_32 = 0x1_0000_0000;

function seedToUint64(seed: Seed): bigint {
  if (typeof seed === "number" && !Number.isSafeInteger(seed)) {
    throw new InputError(`seed must be an integer, got ${seed}`);
  }
  return BigInt.asUintN(64, BigInt(seed));
}

/** The splitmix64 output function: a bijective 64-bit mixer. */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return z ^ (z >> 31n);
}

/** 64-bit FNV-1a of the UTF-8 bytes of `text`. */
function fnv1a64(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & MASK_64;
  }
  return hash;
}

/**
 * A seed for an independent stream named `label`, derived from `seed`
 * (e.g. the synthetic dataset's "templates", "train" and "test" streams).
 */
export function deriveSeed(seed: Seed, label: string): bigint {
  return mix64(((seedToUint64(seed) ^ fnv1a64(label)) + GOLDEN_GAMMA) & MASK_64);
}

/**
 * x mod bound for integers x < 2^32, bound ≥ 1. `%` on values past 2^31 is a
 * floating-point fmod, ten times slower; the quotient here is exact because
 * its rounding error stays below 1/bound.
 */
function remainder(x: number, bound: number): number {
  return x - Math.floor(x / bound) * bound;
}

function rotl32(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Rng {
  /** The four 32-bit state words. A typed array, because 32-bit values in plain fields exceed V8's small integers and allocate on every step. */
  private readonly s = new Uint32Array(4);
  /** Box–Muller yields normals in pairs; the second one waits here. */
  private spareNormal: number | null = null;

  constructor(seed: Seed) {
    let state = seedToUint64(seed);
    state = (state + GOLDEN_GAMMA) & MASK_64;
    const a = mix64(state);
    state = (state + GOLDEN_GAMMA) & MASK_64;
    const b = mix64(state);
    this.s[0] = Number(a & 0xffffffffn);
    this.s[1] = Number(a >> 32n);
    this.s[2] = Number(b & 0xffffffffn);
    this.s[3] = Number(b >> 32n);
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl32(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl32(s[3], 11);
    return result;
  }

  /** Uniform float in the open interval (0, 1), with 32-bit resolution. */
  nextFloat(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }

  /** Uniform integer in [0, bound), without modulo bias; bound ≤ 2^32. */
  nextBelow(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_POW_32) {
      throw new RangeError(`nextBelow: bound must be an integer in [1, 2^32], got ${bound}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return remainder(x, bound);
    }
  }

  /** Fills `out` with independent draws of `nextBelow(bound)`, in order: the same values, in one tight loop (an Int32Array holds bounds up to 2^31). */
  fillBelow(out: Int32Array | Uint32Array, bound: number): void {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_POW_32) {
      throw new RangeError(`fillBelow: bound must be an integer in [1, 2^32], got ${bound}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    for (let i = 0; i < out.length; i++) {
      let x = this.nextUint32();
      while (x >= limit) x = this.nextUint32();
      out[i] = remainder(x, bound);
    }
  }

  /** Standard normal deviate (Box–Muller). */
  nextNormal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(this.nextFloat()));
    const angle = 2 * Math.PI * this.nextFloat();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Fisher–Yates shuffle in place; returns `items`. */
  shuffle<T extends { length: number; [index: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextBelow(i + 1);
      const held = items[i];
      items[i] = items[j];
      items[j] = held;
    }
    return items;
  }
}
