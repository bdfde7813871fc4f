import { Xoshiro128 } from "@tickscope/core";
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

/**
 * The package's seeded PRNG: core's {@link Xoshiro128} (xoshiro128** seeded
 * through splitmix32) under the name this package has always exported.
 * Deterministic, no `Math.random`.
 */
export class SeededRandom extends Xoshiro128 {}

/**
 * Re-simulates a Gilbert–Elliott loss process (seeded) for `datagrams`
 * datagrams and measures the residual input loss with `redundancy` inputs per
 * datagram: the model-based cross-check of {@link replayResidualInputLoss}.
 */
export function simulateResidualInputLoss(model: GilbertElliottModel, redundancy: number, datagrams: number, seed: number | string): number {
  // The SeededRandom sequence. A draw is z / 2^32 (exact), so `draw < x` ⇔
  // `z < x · 2^32` (exact too): compare the raw 32-bit outputs, no allocation per draw.
  const random = new SeededRandom(seed);
  let bad = random.next() < model.p / Math.max(model.p + model.r, 1e-12);
  const enterBad = model.p * 4294967296;
  const leaveBad = model.r * 4294967296;
  const deliverBad = model.h * 4294967296;
  const deliverGood = model.k * 4294967296;
  let run = 0;
  let lostInputs = 0;
  const window = Math.max(1, redundancy);
  for (let index = 0; index < datagrams; index++) {
    if (bad) {
      if (random.nextUint32() < leaveBad) bad = false;
    } else if (random.nextUint32() < enterBad) {
      bad = true;
    }
    const lost = random.nextUint32() >= (bad ? deliverBad : deliverGood);
    run = lost ? run + 1 : 0;
    if (run >= window) lostInputs += 1;
  }
  return datagrams === 0 ? 0 : lostInputs / datagrams;
}
