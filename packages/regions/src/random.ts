/**
 * A small seeded pseudo-random generator (sfc32) so every random choice in
 * this package (bootstrap resampling, synthetic populations) is reproducible.
 * Never use `Math.random` in reports.
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

/** FNV-1a 32-bit hash of a string, used to derive seeds from names. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Creates a {@link SeededRandom} from a numeric or string seed. */
export function createSeededRandom(seed: number | string): SeededRandom {
  const base = typeof seed === "string" ? hashString(seed) : seed >>> 0;
  let a = 0x9e3779b9 ^ base;
  let b = 0x243f6a88 ^ Math.imul(base, 0x85ebca6b);
  let c = 0xb7e15162 ^ Math.imul(base, 0xc2b2ae35);
  let d = 1;
  let spare: number | undefined;
  const nextUint32 = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let warmup = 0; warmup < 15; warmup++) nextUint32();
  const random: SeededRandom = {
    next: () => nextUint32() / 4294967296,
    nextInt: (size: number) => Math.floor((nextUint32() / 4294967296) * size),
    fillInts: (out: Uint32Array, size: number) => {
      const scale = size / 4294967296;
      for (let index = 0; index < out.length; index++) {
        a >>>= 0;
        b >>>= 0;
        c >>>= 0;
        d >>>= 0;
        const t = (a + b + d) >>> 0;
        d = (d + 1) >>> 0;
        a = b ^ (b >>> 9);
        b = (c + (c << 3)) >>> 0;
        c = (c << 21) | (c >>> 11);
        c = (c + t) >>> 0;
        out[index] = Math.floor(t * scale);
      }
    },
    normal: () => {
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return value;
      }
      let u = 0;
      while (u === 0) u = random.next();
      const v = random.next();
      const radius = Math.sqrt(-2 * Math.log(u));
      spare = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
  };
  return random;
}
