import { hashString32, Xoshiro128, type Seed } from "@tickscope/core";

/**
 * Seeded pseudo-random numbers for this package (bootstrap resampling,
 * synthetic populations), so every random choice is reproducible. A thin
 * adapter over `@tickscope/core`'s {@link Xoshiro128}: the algorithm lives in
 * core, this only keeps the package's interface. Never use `Math.random` in reports.
 */
export interface SeededRandom {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, size). */
  nextInt(size: number): number;
  /** Standard normal deviate (Box–Muller). */
  normal(): number;
  /** Fills `out` with uniform integers in [0, size) — the fast path of bootstrap resampling. */
  fillInts(out: Uint32Array, size: number): void;
}

/** Hashes a string to 32 bits to derive seeds from names (core's {@link hashString32}). */
export function hashString(text: string): number {
  return hashString32(text);
}

/** Creates a {@link SeededRandom} (core's {@link Xoshiro128}) from a numeric or string seed. */
export function createSeededRandom(seed: Seed): SeededRandom {
  const generator = new Xoshiro128(seed);
  return {
    next: () => generator.next(),
    nextInt: (size: number) => Math.floor(generator.next() * size),
    normal: () => generator.standardNormal(),
    fillInts: (out: Uint32Array, size: number) => {
      // nextUint32 · (size / 2^32) equals next() · size exactly (power-of-two scaling).
      const scale = size / 4294967296;
      for (let index = 0; index < out.length; index++) out[index] = Math.floor(generator.nextUint32() * scale);
    },
  };
}
