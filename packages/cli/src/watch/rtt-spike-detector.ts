import { RobustWindow, type RobustBaseline } from "./robust-window.js";
import type { WatchDetectorOptions } from "./watch-options.js";

/** A latency spike confirmed by {@link RttSpikeDetector}. */
export interface RttSpike {
  /** Send time of the first high sample (capture time, µs): the estimated start. */
  startUs: number;
  /** RTT of the confirming sample, ms. */
  rttMs: number;
  /** Baseline median, ms. */
  baselineMs: number;
  /** Baseline MAD, ms. */
  madMs: number;
  /** Threshold the samples exceeded, ms. */
  thresholdMs: number;
}

/** Recompute the baseline every this many accepted samples (the median moves slowly). */
const BASELINE_REFRESH_SAMPLES = 8;
/** MAD → standard deviation for normal data. */
const MAD_TO_SIGMA = 1.4826;

/**
 * Rolling latency-spike detector of one RTT stream: a robust baseline
 * (median + MAD of the last `baselineSamples` normal samples) and a spike once
 * `confirmSamples` consecutive samples exceed it by `max(madFactor σ, minSpikeExcessMs)`.
 * High samples do not enter the baseline (so a spike cannot hide itself) unless
 * the level stays high for a whole baseline (a route change: the new normal).
 */
export class RttSpikeDetector {
  private readonly window: RobustWindow;
  private readonly baseline: RobustBaseline = { median: Number.NaN, mad: Number.NaN };
  private sinceRefresh = BASELINE_REFRESH_SAMPLES;
  private thresholdMs = Number.POSITIVE_INFINITY;
  private highRun = 0;
  private normalRun = 0;
  private firstHighUs = 0;
  /** True while a confirmed spike lasts. */
  inSpike = false;

  constructor(private readonly options: WatchDetectorOptions) {
    this.window = new RobustWindow(options.baselineSamples);
  }

  /** Baseline samples held. */
  get samples(): number {
    return this.window.size;
  }

  /** Adds one RTT sample measured for a packet sent at `sentUs`; returns the spike when this sample confirms one. */
  add(rttMs: number, sentUs: number): RttSpike | undefined {
    const options = this.options;
    if (this.window.size < options.minBaselineSamples) {
      this.accept(rttMs);
      return undefined;
    }
    if (rttMs > this.thresholdMs) {
      this.normalRun = 0;
      this.highRun += 1;
      if (this.highRun === 1) this.firstHighUs = sentUs;
      if (this.highRun > options.baselineSamples) this.accept(rttMs);
      if (this.highRun === options.confirmSamples && !this.inSpike) {
        this.inSpike = true;
        return { startUs: this.firstHighUs, rttMs, baselineMs: this.baseline.median, madMs: this.baseline.mad, thresholdMs: this.thresholdMs };
      }
      return undefined;
    }
    this.highRun = 0;
    if (this.inSpike) {
      this.normalRun += 1;
      if (this.normalRun >= options.recoverySamples) this.inSpike = false;
    }
    this.accept(rttMs);
    return undefined;
  }

  private accept(rttMs: number): void {
    this.window.push(rttMs);
    this.sinceRefresh += 1;
    if (this.sinceRefresh >= BASELINE_REFRESH_SAMPLES && this.window.size >= this.options.minBaselineSamples) {
      this.sinceRefresh = 0;
      this.window.baseline(this.baseline);
      this.thresholdMs = this.baseline.median + Math.max(this.options.madFactor * MAD_TO_SIGMA * this.baseline.mad, this.options.minSpikeExcessMs);
    }
  }
}
