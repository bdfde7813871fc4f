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
    if (typeof seed === "number") {
      this.state = seed >>> 0;
    } else {
      let hash = 0x811c9dc5;
      for (let index = 0; index < seed.length; index++) {
        hash ^= seed.charCodeAt(index);
        hash = Math.imul(hash, 0x01000193) >>> 0;
      }
      this.state = hash;
    }
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  }
}

/**
 * Re-simulates a Gilbert–Elliott loss process (seeded) for `datagrams`
 * datagrams and measures the residual input loss with `redundancy` inputs per
 * datagram: the model-based cross-check of {@link replayResidualInputLoss}.
 */
export function simulateResidualInputLoss(model: GilbertElliottModel, redundancy: number, datagrams: number, seed: number | string): number {
  const random = new SeededRandom(seed);
  let bad = random.next() < model.p / Math.max(model.p + model.r, 1e-12);
  let run = 0;
  let lostInputs = 0;
  const window = Math.max(1, redundancy);
  for (let index = 0; index < datagrams; index++) {
    if (bad) {
      if (random.next() < model.r) bad = false;
    } else if (random.next() < model.p) {
      bad = true;
    }
    const lost = random.next() >= (bad ? model.h : model.k);
    run = lost ? run + 1 : 0;
    if (run >= window) lostInputs += 1;
  }
  return datagrams === 0 ? 0 : lostInputs / datagrams;
}
