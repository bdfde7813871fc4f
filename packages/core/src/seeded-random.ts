/**
 * Deterministic pseudo-random numbers: xoshiro128** (Blackman & Vigna), seeded
 * through splitmix32. The same seed gives the same sequence on every machine;
 * nothing here reads `Math.random` or the clock.
 */

/** A seed: a 32-bit integer (any number is truncated to its low 32 bits) or a string (hashed). */
export type Seed = number | string;

/** Hashes a string to 32 bits (FNV-1a followed by a murmur3 finalizer). */
export function hashString32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return finalizeMix32(hash >>> 0);
}

/**
 * MurmurHash3's 32-bit finalizer (fmix32): a bijective mix of 32 bits, so
 * consecutive inputs give uniform-looking, independent outputs. Used for seeds
 * and for hash-based sampling (e.g. which datagrams a sample keeps).
 */
export function finalizeMix32(value: number): number {
  let hash = value >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

function seedToUint32(seed: Seed): number {
  if (typeof seed === "string") return hashString32(seed);
  if (!Number.isFinite(seed)) return 0;
  // Keep integers beyond 32 bits distinct by folding the high part in.
  const low = Number(BigInt.asUintN(32, BigInt(Math.trunc(seed))));
  const high = Math.floor(Math.abs(Math.trunc(seed)) / 4294967296) >>> 0;
  return (low ^ finalizeMix32(high)) >>> 0;
}

const TWO_POW_32 = 4294967296;

/**
 * xoshiro128** generator: 128-bit state, 32-bit outputs, period 2^128 − 1.
 * Fast (no allocation per call) and good enough for Monte-Carlo network models.
 */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal = 0;
  private hasSpareNormal = false;
  /** The seed this generator was created with (as a 32-bit integer). */
  readonly seed: number;

  /** Creates a generator from a seed; equal seeds give equal sequences. */
  constructor(seed: Seed) {
    this.seed = seedToUint32(seed);
    let state = this.seed;
    const next = (): number => {
      // splitmix32
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator with an explicit 128-bit state (for reference test vectors). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Xoshiro128 {
    const random = new Xoshiro128(0);
    random.s0 = s0 >>> 0;
    random.s1 = s1 >>> 0;
    random.s2 = s2 >>> 0;
    random.s3 = s3 >>> 0;
    return random;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform float in (0, 1] (never 0: safe for logarithms). */
  nextOpen(): number {
    return (this.nextUint32() + 1) / TWO_POW_32;
  }

  /** Uniform float in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max] (inclusive). */
  integer(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `probability`. */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** Standard normal sample (Box–Muller, the second value cached). */
  standardNormal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    const radius = Math.sqrt(-2 * Math.log(this.nextOpen()));
    const angle = 2 * Math.PI * this.next();
    this.spareNormal = radius * Math.sin(angle);
    this.hasSpareNormal = true;
    return radius * Math.cos(angle);
  }

  /** Normal sample with the given mean and standard deviation. */
  normal(mean: number, standardDeviation: number): number {
    return mean + standardDeviation * this.standardNormal();
  }

  /** Exponential sample with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(this.nextOpen());
  }

  /** Pareto (type I) sample with scale `minimum` (> 0) and shape `shape` (> 0). */
  pareto(minimum: number, shape: number): number {
    return minimum / Math.pow(this.nextOpen(), 1 / shape);
  }

  /** Picks one element of a non-empty array uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /**
   * An independent generator derived from this one's seed and a label, so
   * that streams (per player, per path) do not shift when others draw more numbers.
   */
  fork(label: Seed): Xoshiro128 {
    const labelHash = typeof label === "string" ? hashString32(label) : seedToUint32(label);
    return new Xoshiro128(finalizeMix32((this.seed ^ Math.imul(labelHash, 0x9e3779b1)) >>> 0) ^ labelHash);
  }
}

/** Creates a {@link Xoshiro128} generator for `seed`. */
export function createRandom(seed: Seed): Xoshiro128 {
  return new Xoshiro128(seed);
}
