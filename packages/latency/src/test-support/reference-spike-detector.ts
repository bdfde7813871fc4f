import type { DetectedSpike, SpikeDetectorOptions } from "../spike-detector.js";

/**
 * Test reference: the original SpikeDetector (sorting the window and its
 * deviations on every baseline refresh), kept verbatim so tests can check the
 * incremental version finds exactly the same spikes and baselines.
 */
/**
 * Streaming spike detector over one latency series: a rolling median + MAD
 * baseline (spike samples excluded), hysteresis (exit at half the threshold
 * excess) and a minimum run length on both edges. Memory: the baseline window.
 */
export class ReferenceSpikeDetector {
  private readonly marginMs: number;
  private readonly madMultiplier: number;
  private readonly minSamples: number;
  private readonly warmupSamples: number;
  private readonly levelShiftAfterUs: number;
  private readonly recomputeEvery: number;
  private readonly window: Float64Array;
  private readonly sorted: Float64Array;
  private windowCount = 0;
  private windowNext = 0;
  private sinceRecompute = Number.MAX_SAFE_INTEGER;
  private medianMs = Number.NaN;
  private spreadMs = 0;
  private upperSpreadMs = 0;
  private readonly runTimes: number[] = [];
  private readonly runValues: number[] = [];
  private readonly runPackets: number[] = [];
  private open: DetectedSpike | undefined;
  private belowCount = 0;
  private firstBelowUs = 0;
  private readonly recentSpikeValues: number[] = [];
  /** Samples seen. */
  samples = 0;

  constructor(
    private readonly onSpike: (spike: DetectedSpike) => void,
    options: SpikeDetectorOptions = {},
  ) {
    this.marginMs = options.marginMs ?? 20;
    this.madMultiplier = options.madMultiplier ?? 4;
    this.minSamples = Math.max(1, options.minSamples ?? 2);
    this.warmupSamples = options.warmupSamples ?? 20;
    this.levelShiftAfterUs = (options.levelShiftAfterMs ?? 10_000) * 1000;
    this.recomputeEvery = Math.max(1, options.recomputeEvery ?? 8);
    const size = Math.max(5, options.baselineWindowSamples ?? 101);
    this.window = new Float64Array(size);
    this.sorted = new Float64Array(size);
  }

  /** Current baseline (rolling median), ms. */
  get baselineMs(): number {
    return this.medianMs;
  }

  /**
   * Current detection threshold, ms: median + max(margin, k·σ̂, (p95 − median)
   * + margin/2). The last term keeps multi-modal baselines (e.g. RTT
   * quantized by the peer's send interval) from flagging their upper mode.
   */
  get thresholdMs(): number {
    return this.medianMs + Math.max(this.marginMs, this.madMultiplier * this.spreadMs, this.upperSpreadMs + this.marginMs / 2);
  }

  /** Feeds one sample (time µs, latency ms, packet index). */
  add(tUs: number, valueMs: number, packetIndex: number): void {
    this.samples += 1;
    if (this.samples <= this.warmupSamples) {
      this.pushBaseline(valueMs);
      return;
    }
    this.refreshBaseline();
    const threshold = this.thresholdMs;
    const open = this.open;
    if (open === undefined) {
      if (valueMs > threshold) {
        this.runTimes.push(tUs);
        this.runValues.push(valueMs);
        this.runPackets.push(packetIndex);
        if (this.runValues.length >= this.minSamples) this.openSpike();
        return;
      }
      this.flushRun();
      this.pushBaseline(valueMs);
      return;
    }
    const exitLevel = this.medianMs + (threshold - this.medianMs) / 2;
    if (valueMs <= exitLevel) {
      if (this.belowCount === 0) this.firstBelowUs = tUs;
      this.belowCount += 1;
      this.pushBaseline(valueMs);
      if (this.belowCount >= this.minSamples) this.closeSpike(this.firstBelowUs, false);
      return;
    }
    this.belowCount = 0;
    open.samples += 1;
    if (valueMs > open.peakMs) {
      open.peakMs = valueMs;
      open.peakUs = tUs;
      open.packetIndices[1] = packetIndex;
    }
    this.recentSpikeValues.push(valueMs);
    if (this.recentSpikeValues.length > 32) this.recentSpikeValues.shift();
    if (tUs - open.startUs > this.levelShiftAfterUs) this.closeSpike(tUs, true);
  }

  /** Closes an open spike at `endUs` (end of data). */
  finish(endUs: number): void {
    if (this.open !== undefined) this.closeSpike(this.belowCount > 0 ? this.firstBelowUs : endUs, false);
  }

  private openSpike(): void {
    let peakIndex = 0;
    for (let index = 1; index < this.runValues.length; index++) {
      if (this.runValues[index] > this.runValues[peakIndex]) peakIndex = index;
    }
    this.open = {
      startUs: this.runTimes[0],
      endUs: this.runTimes[0],
      peakMs: this.runValues[peakIndex],
      peakUs: this.runTimes[peakIndex],
      baselineMs: this.medianMs,
      spreadMs: this.spreadMs,
      samples: this.runValues.length,
      levelShift: false,
      afterBaselineMs: this.medianMs,
      packetIndices: [this.runPackets[0], this.runPackets[peakIndex]],
    };
    this.recentSpikeValues.length = 0;
    this.recentSpikeValues.push(...this.runValues);
    this.runTimes.length = 0;
    this.runValues.length = 0;
    this.runPackets.length = 0;
    this.belowCount = 0;
  }

  private closeSpike(endUs: number, levelShift: boolean): void {
    const spike = this.open!;
    this.open = undefined;
    spike.endUs = Math.max(endUs, spike.startUs);
    spike.levelShift = levelShift;
    if (levelShift) {
      // Re-seed the baseline with the new level.
      this.windowCount = 0;
      this.windowNext = 0;
      for (const value of this.recentSpikeValues) this.pushBaseline(value);
      this.sinceRecompute = Number.MAX_SAFE_INTEGER;
      this.refreshBaseline();
      spike.afterBaselineMs = this.medianMs;
    }
    this.belowCount = 0;
    this.onSpike(spike);
  }

  private flushRun(): void {
    if (this.runValues.length === 0) return;
    for (const value of this.runValues) this.pushBaseline(value);
    this.runTimes.length = 0;
    this.runValues.length = 0;
    this.runPackets.length = 0;
  }

  private pushBaseline(valueMs: number): void {
    this.window[this.windowNext] = valueMs;
    this.windowNext = (this.windowNext + 1) % this.window.length;
    if (this.windowCount < this.window.length) this.windowCount += 1;
    this.sinceRecompute += 1;
  }

  private refreshBaseline(): void {
    if (this.sinceRecompute < this.recomputeEvery) return;
    this.sinceRecompute = 0;
    const count = this.windowCount;
    const values = this.sorted.subarray(0, count);
    values.set(this.window.subarray(0, count));
    values.sort();
    const median = medianOfSorted(values);
    this.upperSpreadMs = values[Math.min(count - 1, Math.floor(0.95 * (count - 1)))] - median;
    for (let index = 0; index < count; index++) values[index] = Math.abs(values[index] - median);
    values.sort();
    this.medianMs = median;
    this.spreadMs = 1.4826 * medianOfSorted(values);
  }
}

function medianOfSorted(values: Float64Array): number {
  const middle = values.length >> 1;
  return values.length % 2 === 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}
