import { QuantileSketch } from "@tickscope/core";

/** Options of {@link InterarrivalJitter}. */
export interface InterarrivalJitterOptions {
  /** Track RFC 5481 PDV quantiles (one more sketch update per packet). Default true; when false {@link InterarrivalJitter.pdvQuantileMs} is NaN. */
  packetDelayVariation?: boolean;
}

/**
 * RFC 3550 §6.4.1 interarrival jitter of one stream, plus RFC 5481 packet
 * delay variation and per-packet jitter. Feed packets in arrival order with
 * the receive time and the sender's timestamp (both µs):
 * `D = (Rj − Ri) − (Sj − Si)`, `J += (|D| − J) / 16`.
 * Memory is bounded (two sketches, one without PDV).
 */
export class InterarrivalJitter {
  /** Packets fed. */
  packets = 0;
  /** Current RFC 3550 jitter, µs. */
  jitterUs = 0;
  /** Largest RFC 3550 jitter seen, µs. */
  maxJitterUs = 0;
  private jitterSumUs = 0;
  private previousReceiveUs = Number.NaN;
  private previousSendUs = Number.NaN;
  private firstTransitUs = Number.NaN;
  private minimumTransitMs = Infinity;
  /** Per-packet jitter |D| in ms (receive gap − send gap). */
  readonly perPacketMs = new QuantileSketch();
  /** Transit time relative to the first packet's, ms (PDV = this − its minimum). */
  private readonly relativeTransitMs: QuantileSketch | undefined;

  constructor(options: InterarrivalJitterOptions = {}) {
    this.relativeTransitMs = options.packetDelayVariation === false ? undefined : new QuantileSketch();
  }

  /** Feeds one packet. */
  add(receiveUs: number, sendUs: number): void {
    this.packets += 1;
    if (!Number.isNaN(this.previousReceiveUs)) {
      const difference = receiveUs - this.previousReceiveUs - (sendUs - this.previousSendUs);
      const magnitude = Math.abs(difference);
      this.jitterUs += (magnitude - this.jitterUs) / 16;
      if (this.jitterUs > this.maxJitterUs) this.maxJitterUs = this.jitterUs;
      this.perPacketMs.add(magnitude / 1000);
    } else {
      this.firstTransitUs = receiveUs - sendUs;
    }
    this.jitterSumUs += this.jitterUs;
    if (this.relativeTransitMs !== undefined) {
      const relativeMs = (receiveUs - sendUs - this.firstTransitUs) / 1000;
      if (relativeMs < this.minimumTransitMs) this.minimumTransitMs = relativeMs;
      this.relativeTransitMs.add(relativeMs);
    }
    this.previousReceiveUs = receiveUs;
    this.previousSendUs = sendUs;
  }

  /**
   * Mean of the RFC 3550 jitter after each packet but the first (tshark's
   * "Mean Jitter" convention), µs.
   */
  get meanJitterUs(): number {
    return this.packets < 2 ? 0 : this.jitterSumUs / (this.packets - 1);
  }

  /**
   * RFC 5481 PDV quantile: `q`-quantile of (transit − minimum transit), ms.
   * Error ≤ 0.5 % of |transit − first transit|. NaN when empty or built
   * with `packetDelayVariation: false`.
   */
  pdvQuantileMs(q: number): number {
    if (this.packets === 0 || this.relativeTransitMs === undefined) return Number.NaN;
    return Math.max(0, this.relativeTransitMs.quantile(q) - this.minimumTransitMs);
  }
}

/**
 * RTT smoothing of TCP (RFC 6298) and ENet: `srtt += α(r − srtt)`,
 * `rttvar += β(|r − srtt| − rttvar)` with α = 1/8, β = 1/4; the first sample
 * sets srtt = r, rttvar = r/2.
 */
export class SmoothedRtt {
  /** Smoothed RTT, ms (NaN before the first sample). */
  smoothedMs = Number.NaN;
  /** RTT variation, ms. */
  variationMs = Number.NaN;

  constructor(
    readonly alpha = 1 / 8,
    readonly beta = 1 / 4,
  ) {}

  /** Feeds one RTT sample, ms. */
  add(rttMs: number): void {
    if (Number.isNaN(this.smoothedMs)) {
      this.smoothedMs = rttMs;
      this.variationMs = rttMs / 2;
      return;
    }
    this.variationMs += this.beta * (Math.abs(rttMs - this.smoothedMs) - this.variationMs);
    this.smoothedMs += this.alpha * (rttMs - this.smoothedMs);
  }
}
