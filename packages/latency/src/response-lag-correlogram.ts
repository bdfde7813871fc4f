import { badState } from "@tickscope/core";

/** Options of {@link ResponseLagCorrelogram}. */
export interface ResponseLagCorrelogramOptions {
  /** Longest request → response lag looked at, ms. Default 600. */
  maximumLagMs?: number;
  /** Bin width of the lag histogram, ms. Default 1. */
  binMs?: number;
  /** Recent requests kept to pair with a response (a ring). Default 64. */
  recentRequests?: number;
}

/** The first significant peak of a {@link ResponseLagCorrelogram}: a consistent request → response lag. */
export interface ResponseLagPeak {
  /** Mean lag of the pairs in the peak, ms (background not subtracted). */
  lagMs: number;
  /** Half width of the peak window, ms. */
  halfWidthMs: number;
  /** Pairs in the peak window. */
  pairs: number;
  /** Pairs in the window above the background (the background's expected count subtracted). */
  excessPairs: number;
  /** Background pairs expected in the window (the local background per bin × the window's bins). */
  backgroundPairs: number;
  /** `excessPairs` / request events: the share of requests that look answered at this lag. */
  responseShare: number;
}

/**
 * Cross-correlogram of two event streams of one session: for every response
 * event, the lag since each recent request event (within `maximumLagMs`) goes
 * into a linear histogram (count and exact sum per bin). Independent streams
 * give a flat histogram; a side that answers the other gives a peak at the
 * answer's lag. Bounded: one ring of recent request times and two arrays of
 * `maximumLagMs / binMs` bins, allocated on the first pair.
 */
export class ResponseLagCorrelogram {
  /** Request events seen. */
  requests = 0;
  /** Response events seen. */
  responses = 0;
  private readonly ring: Float64Array;
  private ringNext = 0;
  private ringSize = 0;
  private counts: Uint32Array | undefined;
  private sums: Float64Array | undefined;
  private readonly maximumLagUs: number;
  private readonly binUs: number;
  private readonly binCount: number;

  constructor(options: ResponseLagCorrelogramOptions = {}) {
    const maximumLagMs = options.maximumLagMs ?? 600;
    const binMs = options.binMs ?? 1;
    this.maximumLagUs = maximumLagMs * 1000;
    this.binUs = binMs * 1000;
    this.binCount = Math.ceil(maximumLagMs / binMs);
    this.ring = new Float64Array(options.recentRequests ?? 64);
  }

  /** The correlogram as plain data: counters, recent requests (oldest first) and `[bin, count, sum]` per non-empty bin. */
  saveState(): { requests: number; responses: number; recent: number[]; bins: [number, number, number][] } {
    const recent: number[] = [];
    const length = this.ring.length;
    for (let step = this.ringSize; step >= 1; step--) recent.push(this.ring[(this.ringNext - step + length) % length]);
    const bins: [number, number, number][] = [];
    if (this.counts !== undefined) for (let bin = 0; bin < this.binCount; bin++) if (this.counts[bin] > 0) bins.push([bin, this.counts[bin], this.sums![bin]]);
    return { requests: this.requests, responses: this.responses, recent, bins };
  }

  /**
   * Adds a saved correlogram (same options): counters and bins add, the recent
   * requests become the saved ones (a later pass's, or a restored pass's).
   * `E_BAD_PARTIAL` (nothing changed) for a bin outside the range or more
   * recent requests than the ring holds.
   */
  mergeState(state: { requests: number; responses: number; recent: readonly number[]; bins: readonly (readonly [number, number, number])[] }): void {
    if (state.recent.length > this.ring.length) badState("packet timing state", "/recent", `${state.recent.length} recent requests, the ring holds ${this.ring.length}`);
    for (const [bin, count] of state.bins) {
      if (!Number.isInteger(bin) || bin < 0 || bin >= this.binCount || !Number.isInteger(count) || count < 1) badState("packet timing state", "/bins", `bin ${bin} (count ${count}) is outside the correlogram`);
    }
    this.requests += state.requests;
    this.responses += state.responses;
    if (state.recent.length > 0) {
      this.ring.fill(0);
      state.recent.forEach((tUs, index) => (this.ring[index] = tUs));
      this.ringSize = state.recent.length;
      this.ringNext = state.recent.length % this.ring.length;
    }
    if (state.bins.length === 0) return;
    if (this.counts === undefined) {
      this.counts = new Uint32Array(this.binCount);
      this.sums = new Float64Array(this.binCount);
    }
    for (const [bin, count, sum] of state.bins) {
      this.counts[bin] += count;
      this.sums![bin] += sum;
    }
  }

  /** A request event at `tUs` (µs, in time order with the responses). */
  onRequest(tUs: number): void {
    this.requests += 1;
    this.ring[this.ringNext] = tUs;
    this.ringNext = (this.ringNext + 1) % this.ring.length;
    if (this.ringSize < this.ring.length) this.ringSize += 1;
  }

  /** A response event at `tUs`: pairs it with every recent request within the maximum lag. */
  onResponse(tUs: number): void {
    this.responses += 1;
    const length = this.ring.length;
    for (let step = 1; step <= this.ringSize; step++) {
      const requestUs = this.ring[(this.ringNext - step + length) % length];
      const lagUs = tUs - requestUs;
      if (lagUs >= this.maximumLagUs) break; // older requests are further away still
      if (lagUs <= 0) continue;
      if (this.counts === undefined) {
        this.counts = new Uint32Array(this.binCount);
        this.sums = new Float64Array(this.binCount);
      }
      const bin = Math.min(this.binCount - 1, Math.floor(lagUs / this.binUs));
      this.counts[bin] += 1;
      this.sums![bin] += lagUs / 1000;
    }
  }

  /**
   * The first (shortest-lag) peak that stands out of its neighbourhood: a
   * window of `2·halfWidthBins + 1` bins holding more pairs than the local
   * background predicts by `6·spread + 3`. The local background is the larger
   * of the median bin left and the median bin right of the window (up to
   * `sideBins` bins each side), so a broad plateau — the answers to earlier
   * requests of an irregular sender, spread over its interval range — is not a
   * peak, only a lag narrower than its surroundings is. The spread is the larger
   * of the Poisson √background and 1.4826·MAD of the side bins (scaled to the
   * window). The lag is the background-subtracted mean of the window, the
   * window taken at the local maximum. `undefined` when none.
   */
  firstPeak(halfWidthBins = 2, sideBins = 12): ResponseLagPeak | undefined {
    const counts = this.counts;
    const sums = this.sums;
    if (counts === undefined || sums === undefined || this.requests === 0) return undefined;
    const width = 2 * halfWidthBins + 1;
    const windowed = new Float64Array(this.binCount);
    for (let center = 0; center < this.binCount; center++) windowed[center] = this.windowCount(center, halfWidthBins);
    for (let center = 0; center < this.binCount; center++) {
      const local = this.localBackground(center, halfWidthBins, sideBins);
      const expected = local.perBin * width;
      const spread = Math.max(Math.sqrt(expected), 1.4826 * local.deviation * Math.sqrt(width));
      if (windowed[center] < expected + 6 * spread + 3) continue;
      // Climb to the local maximum (first of equal values).
      let peak = center;
      while (peak + 1 < this.binCount && windowed[peak + 1] > windowed[peak]) peak += 1;
      const backgroundPerBin = this.localBackground(peak, halfWidthBins, sideBins).perBin;
      let pairs = 0;
      let sum = 0;
      let excessPairs = 0;
      let excessSum = 0;
      for (let bin = Math.max(0, peak - halfWidthBins); bin <= Math.min(this.binCount - 1, peak + halfWidthBins); bin++) {
        pairs += counts[bin];
        sum += sums[bin];
        excessPairs += counts[bin] - backgroundPerBin;
        excessSum += sums[bin] - (backgroundPerBin * (bin + 0.5) * this.binUs) / 1000;
      }
      return {
        lagMs: excessPairs > 0 ? excessSum / excessPairs : sum / pairs,
        halfWidthMs: ((halfWidthBins + 0.5) * this.binUs) / 1000,
        pairs,
        excessPairs: Math.max(0, excessPairs),
        backgroundPairs: backgroundPerBin * width,
        responseShare: Math.min(1, Math.max(0, excessPairs) / this.requests),
      };
    }
    return undefined;
  }

  private windowCount(center: number, halfWidthBins: number): number {
    let total = 0;
    for (let bin = Math.max(0, center - halfWidthBins); bin <= Math.min(this.binCount - 1, center + halfWidthBins); bin++) total += this.counts![bin];
    return total;
  }

  /** Pairs per bin around a window (the larger side median) and the median absolute deviation of the side bins. */
  private localBackground(center: number, halfWidthBins: number, sideBins: number): { perBin: number; deviation: number } {
    const left: number[] = [];
    const right: number[] = [];
    for (let bin = Math.max(0, center - halfWidthBins - sideBins); bin < center - halfWidthBins; bin++) left.push(this.counts![bin]);
    for (let bin = center + halfWidthBins + 1; bin <= Math.min(this.binCount - 1, center + halfWidthBins + sideBins); bin++) right.push(this.counts![bin]);
    const perBin = Math.max(left.length === 0 ? 0 : median(left), right.length === 0 ? 0 : median(right));
    const both = [...left, ...right];
    return { perBin, deviation: both.length === 0 ? 0 : median(both.map((value) => Math.abs(value - perBin))) };
  }
}

/** Median of the values (upper median for an even count). */
function median(values: readonly number[]): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[sorted.length >> 1]!;
}
