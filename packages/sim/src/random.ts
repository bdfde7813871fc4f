/**
 * Deterministic pseudo-random numbers for the simulator. The generator
 * (xoshiro128** seeded through splitmix32) lives in `@tickscope/core` so every
 * package draws from the same algorithm; it is re-exported here unchanged, so
 * simulations stay byte-identical.
 */
export { createRandom, hashString32, Xoshiro128, type Seed } from "@tickscope/core";
