import type { Xoshiro128 } from "./random.js";

/**
 * Parameters of a Gilbert–Elliott loss process (the four-parameter model of
 * netem's `loss gemodel p r 1-h 1-k`):
 * - `p`: probability of moving Good → Bad per packet;
 * - `r`: probability of moving Bad → Good per packet;
 * - `h`: probability that a packet is *delivered* in the Bad state (loss in Bad = 1 − h);
 * - `k`: probability that a packet is *delivered* in the Good state (loss in Good = 1 − k).
 * Classic Gilbert: h = 0, k = 1. Simple Gilbert loss bursts have mean length 1/r.
 */
export interface GilbertElliottParameters {
  /** Good → Bad transition probability per packet. */
  p: number;
  /** Bad → Good transition probability per packet. */
  r: number;
  /** Delivery probability in the Bad state (default 0). */
  h: number;
  /** Delivery probability in the Good state (default 1). */
  k: number;
}

/** No loss at all. */
export const NO_LOSS: GilbertElliottParameters = { p: 0, r: 1, h: 0, k: 1 };

/** Stationary probability of being in the Bad state: p / (p + r). */
export function gilbertElliottBadStateProbability(parameters: GilbertElliottParameters): number {
  const total = parameters.p + parameters.r;
  return total === 0 ? 0 : parameters.p / total;
}

/** Long-run loss rate: π_G·(1 − k) + π_B·(1 − h). */
export function gilbertElliottStationaryLoss(parameters: GilbertElliottParameters): number {
  const bad = gilbertElliottBadStateProbability(parameters);
  return (1 - bad) * (1 - parameters.k) + bad * (1 - parameters.h);
}

/** Mean sojourn (packets) in the Bad state: 1 / r. Equals the mean loss-burst length when h = 0 and k = 1. */
export function gilbertElliottMeanBadRunPackets(parameters: GilbertElliottParameters): number {
  return parameters.r === 0 ? Infinity : 1 / parameters.r;
}

/**
 * Gilbert–Elliott parameters (h = 0, k = 1) with a target long-run loss rate
 * and mean burst length in packets.
 */
export function gilbertElliottFromLossAndBurst(lossRate: number, meanBurstPackets: number): GilbertElliottParameters {
  if (lossRate <= 0) return { ...NO_LOSS };
  const r = 1 / Math.max(1, meanBurstPackets);
  const p = (lossRate * r) / (1 - lossRate);
  return { p, r, h: 0, k: 1 };
}

/**
 * A running Gilbert–Elliott loss process: call {@link GilbertElliottLoss.nextLost}
 * once per packet. The state transition happens before each packet's verdict.
 */
export class GilbertElliottLoss {
  /** The process parameters. */
  readonly parameters: GilbertElliottParameters;
  private readonly random: Xoshiro128;
  /** True while the process is in the Bad state. */
  bad = false;

  /** Creates the process in the Good state, drawing from `random`. */
  constructor(parameters: GilbertElliottParameters, random: Xoshiro128) {
    this.parameters = parameters;
    this.random = random;
  }

  /** Advances one packet and returns true when that packet is lost. */
  nextLost(): boolean {
    const { p, r, h, k } = this.parameters;
    if (this.bad) {
      if (this.random.next() < r) this.bad = false;
    } else if (p > 0 && this.random.next() < p) {
      this.bad = true;
    }
    const deliver = this.bad ? h : k;
    if (deliver >= 1) return false;
    return this.random.next() >= deliver;
  }
}
