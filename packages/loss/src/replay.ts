import type { GilbertElliottModel } from "./gilbert-elliott-fit.js";
import type { RunLengthHistogram } from "./histogram.js";

/**
 * Residual input loss when every datagram carries the last `redundancy`
 * inputs (one new input per datagram), replayed exactly on an observed loss
 * trace summarized by its loss-run histogram: an input is lost only when the
 * `redundancy` datagrams carrying it are all lost, i.e. Σ max(0, run − N + 1)
 * over loss runs, divided by the datagrams of the trace.
 */
export function replayResidualInputLoss(lossRuns: RunLengthHistogram, datagrams: number, redundancy: number): number {
  if (datagrams <= 0) return 0;
  return lossRuns.windowsInside(Math.max(1, redundancy)) / datagrams;
}

/** A small seeded PRNG (SplitMix32 variant): deterministic, no `Math.random`. */
export class SeededRandom {
  private state: number;

  /** Seeds from a number or a string (hashed with FNV-1a). */
  constructor(seed: number | string) {
    this.state = seedState(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return mix(this.state);
  }
}

function seedState(seed: number | string): number {
  if (typeof seed === "number") return seed >>> 0;
  let hash = 0x811c9dc5;
  for (let index = 0; index < seed.length; index++) {
    hash ^= seed.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The output of {@link SeededRandom.next} for the advanced state. */
function mix(state: number): number {
  return mixBits(state) / 4294967296;
}

/** The 32 random bits behind {@link mix}, as an unsigned integer. */
function mixBits(state: number): number {
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Re-simulates a Gilbert–Elliott loss process (seeded) for `datagrams`
 * datagrams and measures the residual input loss with `redundancy` inputs per
 * datagram: the model-based cross-check of {@link replayResidualInputLoss}.
 */
export function simulateResidualInputLoss(model: GilbertElliottModel, redundancy: number, datagrams: number, seed: number | string): number {
  // The SeededRandom sequence, with its state in a local. A draw is z / 2^32
  // (exact), so `draw < x` ⇔ `z < x · 2^32` (exact too): compare integers.
  let state = seedState(seed);
  state = (state + 0x9e3779b9) >>> 0;
  let bad = mix(state) < model.p / Math.max(model.p + model.r, 1e-12);
  const enterBad = model.p * 4294967296;
  const leaveBad = model.r * 4294967296;
  const deliverBad = model.h * 4294967296;
  const deliverGood = model.k * 4294967296;
  let run = 0;
  let lostInputs = 0;
  const window = Math.max(1, redundancy);
  for (let index = 0; index < datagrams; index++) {
    state = (state + 0x9e3779b9) >>> 0;
    if (bad) {
      if (mixBits(state) < leaveBad) bad = false;
    } else if (mixBits(state) < enterBad) {
      bad = true;
    }
    state = (state + 0x9e3779b9) >>> 0;
    const lost = mixBits(state) >= (bad ? deliverBad : deliverGood);
    run = lost ? run + 1 : 0;
    if (run >= window) lostInputs += 1;
  }
  return datagrams === 0 ? 0 : lostInputs / datagrams;
}
