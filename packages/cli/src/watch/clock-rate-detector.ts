import type { WatchDetectorOptions } from "./watch-options.js";

/** A sender clock running fast, found by {@link ClockRateDetector}. */
export interface ClockRateSuspicion {
  /** Start of the span over which the rate was measured (capture time, µs). */
  startUs: number;
  /** Send-clock advance over capture-time advance. */
  clockRate: number;
  /** Span of the measurement, ms. */
  spanMs: number;
}

/** Buckets kept (each `windowMs / BUCKETS` long). */
const BUCKETS = 20;

/**
 * Compares a sender's clock (`sendTimeUs` role) with capture time over the
 * rolling window. Per bucket it keeps the largest `sendTimeUs − tUs` (the packet
 * with the least queueing delay), so delay spikes and held-then-released
 * packets (lag switches) do not look like clock speed; the rate between the
 * current packet's offset and the highest offset of the buckets at least
 * `minClockSpanMs` older, over the time since the newest of those buckets,
 * gives `rate = 1 + Δoffset / Δt`. The reference is the least-delayed past, so
 * a delay that drops back after a spike does not look like a fast clock; for a
 * clock that keeps gaining, the highest past offset is the newest one, so the
 * rate is its true speed. An honest clock gives ≈ 1; a speedhack its factor.
 */
export class ClockRateDetector {
  private readonly bucketIds = new Float64Array(BUCKETS).fill(-1);
  private readonly maxOffsetUs = new Float64Array(BUCKETS);
  private readonly timeUs = new Float64Array(BUCKETS);
  private readonly bucketUs: number;

  constructor(private readonly options: WatchDetectorOptions) {
    this.bucketUs = (options.windowMs * 1000) / BUCKETS;
  }

  /** Adds one packet's send time; returns a suspicion when the rate over some span exceeds the threshold. */
  add(sendTimeUs: number, tUs: number): ClockRateSuspicion | undefined {
    const offsetUs = sendTimeUs - tUs;
    const bucketId = Math.floor(tUs / this.bucketUs);
    const slot = bucketId % BUCKETS;
    if (this.bucketIds[slot] !== bucketId) {
      this.bucketIds[slot] = bucketId;
      this.maxOffsetUs[slot] = offsetUs;
      this.timeUs[slot] = tUs;
    } else if (offsetUs > this.maxOffsetUs[slot]!) {
      this.maxOffsetUs[slot] = offsetUs;
      this.timeUs[slot] = tUs;
    } else {
      return undefined;
    }
    const minSpanUs = Math.min(this.options.minClockSpanMs, this.options.windowMs / 2) * 1000;
    let referenceOffsetUs = Number.NEGATIVE_INFINITY;
    let referenceTimeUs = Number.NEGATIVE_INFINITY;
    for (let other = 0; other < BUCKETS; other += 1) {
      const otherId = this.bucketIds[other]!;
      if (other === slot || otherId < 0 || otherId <= bucketId - BUCKETS || otherId > bucketId) continue;
      if (tUs - this.timeUs[other]! < minSpanUs) continue;
      if (this.maxOffsetUs[other]! > referenceOffsetUs) referenceOffsetUs = this.maxOffsetUs[other]!;
      if (this.timeUs[other]! > referenceTimeUs) referenceTimeUs = this.timeUs[other]!;
    }
    if (referenceTimeUs === Number.NEGATIVE_INFINITY) return undefined;
    const spanUs = tUs - referenceTimeUs;
    const rate = 1 + (offsetUs - referenceOffsetUs) / spanUs;
    const best = rate > this.options.clockRateThreshold ? { startUs: referenceTimeUs, clockRate: rate, spanMs: spanUs / 1000 } : undefined;
    return best;
  }
}
