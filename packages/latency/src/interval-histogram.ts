import { badState } from "@tickscope/core";

/** Options of {@link IntervalHistogram}. */
export interface IntervalHistogramOptions {
  /** Smallest interval binned, ms (smaller ones go to the first bin). Default 0.1. */
  minimumMs?: number;
  /** Largest interval binned, ms (larger ones are only counted). Default 2,000. */
  maximumMs?: number;
  /** Ratio between consecutive bin edges. Default 1.02 (2 % wide bins). */
  binRatio?: number;
}

/** The most common interval of an {@link IntervalHistogram}: where its densest ±`windowShare` window lies. */
export interface DominantInterval {
  /** Mean of the intervals inside the densest window, ms. */
  intervalMs: number;
  /** Intervals inside the window (within ±`windowShare` of `intervalMs`). */
  count: number;
  /** `count` / every interval added (including those above the maximum). */
  share: number;
}

/**
 * Logarithmically binned histogram of intervals (ms) that keeps, per bin, the
 * count and the exact sum, so the mean of any window of bins is exact. Used to
 * find the dominant send interval of a stream (the tick) without keeping the
 * intervals: 2 % bins from 0.1 ms to 2 s are about 500 bins (6 KB), allocated
 * on the first interval. Not a quantile sketch (core's `QuantileSketch` answers
 * quantiles); this one answers "where is the mode, and what is its exact mean".
 */
export class IntervalHistogram {
  /** Intervals added (finite and > 0). */
  count = 0;
  /** Intervals above the maximum (counted, not binned). */
  aboveMaximum = 0;
  private counts: Uint32Array | undefined;
  private sums: Float64Array | undefined;
  private readonly logMinimum: number;
  private readonly logRatio: number;
  private readonly binCount: number;
  private readonly maximumMs: number;

  constructor(options: IntervalHistogramOptions = {}) {
    const minimumMs = options.minimumMs ?? 0.1;
    this.maximumMs = options.maximumMs ?? 2000;
    this.logRatio = Math.log(options.binRatio ?? 1.02);
    this.logMinimum = Math.log(minimumMs);
    this.binCount = Math.ceil((Math.log(this.maximumMs) - this.logMinimum) / this.logRatio) + 1;
  }

  /** The histogram as plain data: counts and `[bin, count, sum]` per non-empty bin. */
  saveState(): { count: number; aboveMaximum: number; bins: [number, number, number][] } {
    const bins: [number, number, number][] = [];
    if (this.counts !== undefined) for (let bin = 0; bin < this.binCount; bin++) if (this.counts[bin] > 0) bins.push([bin, this.counts[bin], this.sums![bin]]);
    return { count: this.count, aboveMaximum: this.aboveMaximum, bins };
  }

  /**
   * Adds a saved histogram (of the same options) to this one; `E_BAD_PARTIAL`
   * (nothing added) for a bin outside the range or counts that do not add up.
   */
  mergeState(state: { count: number; aboveMaximum: number; bins: readonly (readonly [number, number, number])[] }): void {
    let binned = 0;
    for (const [bin, count] of state.bins) {
      if (!Number.isInteger(bin) || bin < 0 || bin >= this.binCount || !Number.isInteger(count) || count < 1) badState("packet timing state", "/eventIntervals/bins", `bin ${bin} (count ${count}) is outside the histogram`);
      binned += count;
    }
    if (binned + state.aboveMaximum !== state.count) badState("packet timing state", "/eventIntervals/count", `count ${state.count} is not the ${binned + state.aboveMaximum} intervals binned`);
    this.count += state.count;
    this.aboveMaximum += state.aboveMaximum;
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

  /** Adds one interval, ms (non-finite or negative values are ignored). */
  add(intervalMs: number): void {
    if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) return;
    this.count += 1;
    if (intervalMs > this.maximumMs) {
      this.aboveMaximum += 1;
      return;
    }
    if (this.counts === undefined) {
      this.counts = new Uint32Array(this.binCount);
      this.sums = new Float64Array(this.binCount);
    }
    const bin = this.binOf(intervalMs);
    this.counts[bin] += 1;
    this.sums![bin] += intervalMs;
  }

  /**
   * The dominant interval: the window of bins spanning ±`windowShare` (default
   * 10 %) with the most intervals (ties: the shorter interval), refined once
   * around the mean of that window. `undefined` when fewer than
   * `minimumCount` intervals were binned.
   */
  dominant(windowShare = 0.1, minimumCount = 8): DominantInterval | undefined {
    const counts = this.counts;
    const sums = this.sums;
    if (counts === undefined || sums === undefined || this.count - this.aboveMaximum < minimumCount) return undefined;
    const halfWidth = Math.max(1, Math.round(Math.log(1 + windowShare) / this.logRatio));
    let bestCenter = 0;
    let bestCount = -1;
    let running = 0;
    // Sliding window sum over [center − halfWidth, center + halfWidth].
    for (let bin = 0; bin <= halfWidth && bin < this.binCount; bin++) running += counts[bin];
    for (let center = 0; center < this.binCount; center++) {
      if (running > bestCount) {
        bestCount = running;
        bestCenter = center;
      }
      const leaving = center - halfWidth;
      const entering = center + halfWidth + 1;
      if (leaving >= 0) running -= counts[leaving];
      if (entering < this.binCount) running += counts[entering];
    }
    const mean = this.windowMean(bestCenter - halfWidth, bestCenter + halfWidth);
    // Refine: the window exactly ±windowShare around that mean.
    const low = this.binOf(mean / (1 + windowShare));
    const high = this.binOf(mean * (1 + windowShare));
    const refined = this.windowMean(low, high);
    const count = this.windowCount(low, high);
    return { intervalMs: refined, count, share: count / this.count };
  }

  /** Intervals within ±`share` of `intervalMs` (bin resolution), as a share of every interval added. */
  shareNear(intervalMs: number, share: number): number {
    if (this.count === 0 || this.counts === undefined) return 0;
    return this.windowCount(this.binOf(intervalMs / (1 + share)), this.binOf(intervalMs * (1 + share))) / this.count;
  }

  private binOf(intervalMs: number): number {
    if (intervalMs <= 0) return 0;
    const bin = Math.floor((Math.log(intervalMs) - this.logMinimum) / this.logRatio);
    return bin < 0 ? 0 : bin >= this.binCount ? this.binCount - 1 : bin;
  }

  private windowCount(low: number, high: number): number {
    let count = 0;
    for (let bin = Math.max(0, low); bin <= Math.min(this.binCount - 1, high); bin++) count += this.counts![bin];
    return count;
  }

  private windowMean(low: number, high: number): number {
    let count = 0;
    let sum = 0;
    for (let bin = Math.max(0, low); bin <= Math.min(this.binCount - 1, high); bin++) {
      count += this.counts![bin];
      sum += this.sums![bin];
    }
    return count === 0 ? Number.NaN : sum / count;
  }
}
