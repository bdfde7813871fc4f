import { Type, type Static } from "@sinclair/typebox";
import { badState, checkState, countSchema, decodeNumber, encodeNumber, encodedNumberSchema } from "./rtt-state.js";

/** Options of {@link SpikeDetector}. */
export interface SpikeDetectorOptions {
  /** A spike needs latency above baseline + max(marginMs, madMultiplier·σ̂) (σ̂ = 1.4826·MAD). Default 20. */
  marginMs?: number;
  /** Multiplier of the robust standard deviation. Default 4. */
  madMultiplier?: number;
  /** Samples in the rolling baseline window. Default 101. */
  baselineWindowSamples?: number;
  /** Consecutive samples above threshold to open a spike (and below to close it). Default 2. */
  minSamples?: number;
  /** Samples needed before detection starts. Default 20. */
  warmupSamples?: number;
  /**
   * A spike lasting longer than this whose level persists is a baseline level
   * shift (route change), ms: the mean excess over the baseline in its latest
   * half of this span must be at least {@link LEVEL_SHIFT_PERSISTENCE} of the
   * half before. A spike receding towards the baseline (a smoothed RTT decaying
   * after a 2 s spike) stays a spike. Default 10,000.
   */
  levelShiftAfterMs?: number;
  /** The baseline median/MAD are recomputed every this many samples. Default 8. */
  recomputeEvery?: number;
  /**
   * The series is a smoothed estimate (a game's reported RTT, e.g. an RFC 6298
   * SRTT): it keeps rising or holding while the raw RTT is above it and falls
   * from the moment the raw RTT is back, so the excursion it shows ended where
   * the spike's final, uninterrupted decline began; the slow decay after that
   * is the filter's, not latency. A spike then ends at the first sample of that
   * decline (a raw series reported this way ends at its last high sample).
   * Default false.
   */
  smoothedInput?: boolean;
}

/** A latency spike found by {@link SpikeDetector}. */
export interface DetectedSpike {
  /** Time of the first sample above threshold, µs. */
  startUs: number;
  /** Time of the first sample back under the exit level, µs. */
  endUs: number;
  /** Highest latency in the spike, ms. */
  peakMs: number;
  /** When the peak sample was taken, µs. */
  peakUs: number;
  /** Rolling median before the spike, ms. */
  baselineMs: number;
  /** Robust spread (1.4826·MAD) before the spike, ms. */
  spreadMs: number;
  /** Samples inside the spike. */
  samples: number;
  /** True when the spike never came back: the baseline moved (route change). */
  levelShift: boolean;
  /** New baseline after a level shift, ms (equals baselineMs otherwise). */
  afterBaselineMs: number;
  /** Packet index of the first and of the peak sample. */
  packetIndices: number[];
}

/** Most samples a saved detector's baseline window may hold (the option's window, capped). */
export const MAX_DETECTOR_STATE_WINDOW = 100_000;

/** TypeBox schema of a {@link DetectedSpike} in a saved state. */
export const detectedSpikeStateSchema = Type.Object(
  {
    startUs: Type.Number(),
    endUs: Type.Number(),
    peakMs: Type.Number(),
    peakUs: Type.Number(),
    baselineMs: encodedNumberSchema,
    spreadMs: encodedNumberSchema,
    samples: countSchema,
    levelShift: Type.Boolean(),
    afterBaselineMs: encodedNumberSchema,
    packetIndices: Type.Array(countSchema, { minItems: 2, maxItems: 2 }),
  },
  { additionalProperties: false },
);

/** TypeBox schema of {@link SpikeDetectorState}. */
export const spikeDetectorStateSchema = Type.Object(
  {
    /** Length of the baseline window the detector was created with (must equal the restoring detector's). */
    windowSize: Type.Integer({ minimum: 5, maximum: MAX_DETECTOR_STATE_WINDOW }),
    samples: countSchema,
    /** The baseline window, oldest first. */
    window: Type.Array(encodedNumberSchema, { maxItems: MAX_DETECTOR_STATE_WINDOW }),
    sinceRecompute: countSchema,
    medianMs: encodedNumberSchema,
    spreadMs: encodedNumberSchema,
    upperSpreadMs: encodedNumberSchema,
    /** The run of samples above threshold not yet a spike: `[tUs, valueMs, packetIndex]` each. */
    run: Type.Array(Type.Tuple([Type.Number(), encodedNumberSchema, countSchema]), { maxItems: 1024 }),
    open: Type.Union([detectedSpikeStateSchema, Type.Null()]),
    belowCount: countSchema,
    firstBelowUs: Type.Number(),
    recentSpikeValues: Type.Array(encodedNumberSchema, { maxItems: 32 }),
    segmentStartUs: Type.Number(),
    segmentSumMs: encodedNumberSchema,
    segmentCount: countSchema,
    olderSegmentMeanMs: encodedNumberSchema,
    latestSegmentMeanMs: encodedNumberSchema,
    declineStartUs: encodedNumberSchema,
    previousSpikeValueMs: encodedNumberSchema,
  },
  { additionalProperties: false },
);

/**
 * A {@link SpikeDetector}'s whole state as JSON-safe plain data
 * ({@link SpikeDetector.saveState}): the baseline window (oldest first) and
 * its cached median/spread, the run above threshold, the open spike and its
 * level-shift half-spans. A detector restored from it ({@link SpikeDetector.loadState},
 * same options) continues exactly as the saving one would: the same samples
 * afterwards give the same spikes. Size: the window (101 numbers by default).
 */
export type SpikeDetectorState = Static<typeof spikeDetectorStateSchema>;

/** One sample for {@link SpikeDetector.addSample} (an RTT sample fits). */
export interface SpikeDetectorSample {
  /** Start time, µs. */
  tUs: number;
  /** The value (RTT), ms. */
  rttMs: number;
  /** Packet index of the sample. */
  packetIndex: number;
}

/**
 * Share of the previous half-span's mean excess over the baseline that the
 * latest half-span of a long spike must keep for the spike to be a level shift
 * ({@link SpikeDetectorOptions.levelShiftAfterMs}). A step to a new level keeps
 * about all of it; an exponentially smoothed RTT returning from a spike (α = 1/8
 * per 1 s ping) keeps about half per 5 s, raw samples returning keep none.
 */
export const LEVEL_SHIFT_PERSISTENCE = 0.75;

/**
 * Streaming spike detector over one latency series: a rolling median + MAD
 * baseline (spike samples excluded), hysteresis (exit at half the threshold
 * excess) and a minimum run length on both edges. The window is kept sorted
 * as it slides, so a baseline refresh reads the median and p95 directly and
 * finds the MAD by a partial merge — no sorting per sample. Memory: the
 * baseline window, twice (ring and sorted copy).
 */
export class SpikeDetector {
  private readonly marginMs: number;
  private readonly madMultiplier: number;
  private readonly minSamples: number;
  private readonly warmupSamples: number;
  private readonly levelShiftAfterUs: number;
  private readonly recomputeEvery: number;
  private readonly smoothedInput: boolean;
  /** First sample of the open spike's current uninterrupted decline, µs (NaN when the latest sample did not fall). */
  private declineStartUs = Number.NaN;
  /** The open spike's latest sample, ms. */
  private previousSpikeValueMs = Number.NaN;
  private readonly window: Float64Array;
  /**
   * The baseline window's values in ascending order (NaN last, −0 before +0,
   * as a typed-array sort orders them) as of the last {@link flushOrdered}:
   * `orderedCount` values; the values pushed and evicted since wait in the
   * pending lists and are merged in when the baseline is next recomputed.
   */
  private readonly ordered: Float64Array;
  private orderedCount = 0;
  /**
   * Whether the ordered values changed since the baseline was last computed
   * from them (set by every merge, sort and load): a recompute over unchanged
   * values (a held smoothed RTT, a value leaving as it enters) would give the
   * same median, spread and p95, so it is skipped.
   */
  private baselineStale = true;
  /** Values pushed into / evicted from the window since the last {@link flushOrdered} (at most `pendingCapacity` each). */
  private readonly pendingAdded: Float64Array;
  private readonly pendingRemoved: Float64Array;
  private pendingAddedCount = 0;
  private pendingRemovedCount = 0;
  /** Pending values flushed at most: never more than the window, so an evicted value was always merged before. */
  private readonly pendingCapacity: number;
  /** Scratch space for the rare window holding NaN (then the median/MAD fall back to sorting). */
  private scratch: Float64Array | undefined;
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
  /** The open spike's current half-span (of `levelShiftAfterMs`): start, sum and count of its values. */
  private segmentStartUs = 0;
  private segmentSumMs = 0;
  private segmentCount = 0;
  /** Mean of the open spike's last two complete half-spans, ms (NaN until complete): older, latest. */
  private olderSegmentMeanMs = Number.NaN;
  private latestSegmentMeanMs = Number.NaN;
  /** Samples seen. */
  samples = 0;
  /** {@link thresholdMs}, recomputed whenever the median or a spread changes. */
  private currentThresholdMs = Number.NaN;
  /** The sample {@link add} passes to {@link addSample}. */
  private readonly input: SpikeDetectorSample = { tUs: 0, rttMs: 0, packetIndex: 0 };

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
    this.smoothedInput = options.smoothedInput === true;
    const size = Math.max(5, options.baselineWindowSamples ?? 101);
    this.window = new Float64Array(size);
    this.ordered = new Float64Array(size);
    this.pendingCapacity = Math.min(16, size);
    this.pendingAdded = new Float64Array(this.pendingCapacity);
    this.pendingRemoved = new Float64Array(this.pendingCapacity);
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
    return this.currentThresholdMs;
  }

  /** Recomputes {@link thresholdMs} after the median or a spread changed (read per sample as a field: no number boxed per call). */
  private updateThreshold(): void {
    this.currentThresholdMs = this.medianMs + Math.max(this.marginMs, this.madMultiplier * this.spreadMs, this.upperSpreadMs + this.marginMs / 2);
  }

  /** Feeds one sample (time µs, latency ms, packet index). */
  add(tUs: number, valueMs: number, packetIndex: number): void {
    const input = this.input;
    input.tUs = tUs;
    input.rttMs = valueMs;
    input.packetIndex = packetIndex;
    this.addSample(input);
  }

  /**
   * Feeds one sample given as an object (an RTT sample: start µs, RTT ms,
   * packet index), the same as `add(sample.tUs, sample.rttMs, sample.packetIndex)`;
   * a caller holding its sample in an object passes it without its numbers
   * being boxed for the call.
   */
  addSample(sample: SpikeDetectorSample): void {
    const tUs = sample.tUs;
    const valueMs = sample.rttMs;
    const packetIndex = sample.packetIndex;
    this.samples += 1;
    if (this.samples <= this.warmupSamples) {
      this.pushBaseline(valueMs);
      return;
    }
    this.refreshBaseline();
    const threshold = this.currentThresholdMs;
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
    if (valueMs < this.previousSpikeValueMs) {
      if (Number.isNaN(this.declineStartUs)) this.declineStartUs = tUs;
    } else this.declineStartUs = Number.NaN;
    this.previousSpikeValueMs = valueMs;
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
    this.addToSegment(tUs, valueMs);
    if (tUs - open.startUs > this.levelShiftAfterUs && this.levelPersists(open.baselineMs)) this.closeSpike(tUs, true);
  }

  /** Adds an open spike's sample to its half-span, closing the half-span first when the sample lies beyond it. */
  private addToSegment(tUs: number, valueMs: number): void {
    const segmentUs = this.levelShiftAfterUs / 2;
    const elapsedUs = tUs - this.segmentStartUs;
    if (elapsedUs >= segmentUs) {
      if (this.segmentCount > 0) {
        this.olderSegmentMeanMs = this.latestSegmentMeanMs;
        this.latestSegmentMeanMs = this.segmentSumMs / this.segmentCount;
      }
      this.segmentStartUs = tUs - (elapsedUs % segmentUs);
      this.segmentSumMs = 0;
      this.segmentCount = 0;
    }
    this.segmentSumMs += valueMs;
    this.segmentCount += 1;
  }

  /** Whether the open spike's latest half-span keeps {@link LEVEL_SHIFT_PERSISTENCE} of the excess of the one before (a new level, not a return). */
  private levelPersists(baselineMs: number): boolean {
    const older = this.olderSegmentMeanMs - baselineMs;
    const latest = this.latestSegmentMeanMs - baselineMs;
    return latest >= LEVEL_SHIFT_PERSISTENCE * older;
  }

  /** The detector's state as JSON-safe plain data (see {@link SpikeDetectorState}); feeding may continue. */
  saveState(): SpikeDetectorState {
    const size = this.window.length;
    const count = this.windowCount;
    const window: (number | null | "Infinity" | "-Infinity")[] = [];
    const oldest = count < size ? 0 : this.windowNext;
    for (let index = 0; index < count; index++) window.push(encodeNumber(this.window[(oldest + index) % size]));
    const open = this.open;
    return {
      windowSize: size,
      samples: this.samples,
      window,
      sinceRecompute: Math.min(this.sinceRecompute, Number.MAX_SAFE_INTEGER),
      medianMs: encodeNumber(this.medianMs),
      spreadMs: encodeNumber(this.spreadMs),
      upperSpreadMs: encodeNumber(this.upperSpreadMs),
      run: this.runValues.map((value, index) => [this.runTimes[index], encodeNumber(value), this.runPackets[index]] as [number, number | null | "Infinity" | "-Infinity", number]),
      open:
        open === undefined
          ? null
          : {
              startUs: open.startUs,
              endUs: open.endUs,
              peakMs: open.peakMs,
              peakUs: open.peakUs,
              baselineMs: encodeNumber(open.baselineMs),
              spreadMs: encodeNumber(open.spreadMs),
              samples: open.samples,
              levelShift: open.levelShift,
              afterBaselineMs: encodeNumber(open.afterBaselineMs),
              packetIndices: [...open.packetIndices],
            },
      belowCount: this.belowCount,
      firstBelowUs: this.firstBelowUs,
      recentSpikeValues: this.recentSpikeValues.map(encodeNumber),
      segmentStartUs: this.segmentStartUs,
      segmentSumMs: encodeNumber(this.segmentSumMs),
      segmentCount: this.segmentCount,
      olderSegmentMeanMs: encodeNumber(this.olderSegmentMeanMs),
      latestSegmentMeanMs: encodeNumber(this.latestSegmentMeanMs),
      declineStartUs: encodeNumber(this.declineStartUs),
      previousSpikeValueMs: encodeNumber(this.previousSpikeValueMs),
    };
  }

  /**
   * Replaces this detector's state with a saved one (created with the same
   * options), adding `packetIndexOffset` to the packet indices it holds. A
   * state that does not fit (wrong shape, another window size, more window
   * values than the window holds) throws `E_BAD_PARTIAL` before anything changes.
   */
  loadState(state: SpikeDetectorState, packetIndexOffset = 0): void {
    const checked = checkState(spikeDetectorStateSchema, state, "spike detector state");
    const size = this.window.length;
    if (checked.windowSize !== size) badState("spike detector state", "/windowSize", `window of ${checked.windowSize} samples, this detector's holds ${size} (create it with the same options)`);
    if (checked.window.length > size) badState("spike detector state", "/window", `${checked.window.length} values for a window of ${size}`);
    const count = checked.window.length;
    this.window.fill(0);
    for (let index = 0; index < count; index++) this.window[index] = decodeNumber(checked.window[index]);
    this.ordered.fill(0);
    this.ordered.set(this.window.subarray(0, count));
    this.ordered.subarray(0, count).sort();
    this.orderedCount = count;
    this.baselineStale = true;
    this.pendingAddedCount = 0;
    this.pendingRemovedCount = 0;
    this.windowCount = count;
    this.windowNext = count % size;
    this.samples = checked.samples;
    this.sinceRecompute = checked.sinceRecompute;
    this.medianMs = decodeNumber(checked.medianMs);
    this.spreadMs = decodeNumber(checked.spreadMs);
    this.upperSpreadMs = decodeNumber(checked.upperSpreadMs);
    this.updateThreshold();
    this.runTimes.length = 0;
    this.runValues.length = 0;
    this.runPackets.length = 0;
    for (const [tUs, value, packetIndex] of checked.run) {
      this.runTimes.push(tUs);
      this.runValues.push(decodeNumber(value));
      this.runPackets.push(packetIndex + packetIndexOffset);
    }
    const open = checked.open;
    this.open =
      open === null
        ? undefined
        : {
            startUs: open.startUs,
            endUs: open.endUs,
            peakMs: open.peakMs,
            peakUs: open.peakUs,
            baselineMs: decodeNumber(open.baselineMs),
            spreadMs: decodeNumber(open.spreadMs),
            samples: open.samples,
            levelShift: open.levelShift,
            afterBaselineMs: decodeNumber(open.afterBaselineMs),
            packetIndices: open.packetIndices.map((index) => index + packetIndexOffset),
          };
    this.belowCount = checked.belowCount;
    this.firstBelowUs = checked.firstBelowUs;
    this.recentSpikeValues.length = 0;
    for (const value of checked.recentSpikeValues) this.recentSpikeValues.push(decodeNumber(value));
    this.segmentStartUs = checked.segmentStartUs;
    this.segmentSumMs = decodeNumber(checked.segmentSumMs);
    this.segmentCount = checked.segmentCount;
    this.olderSegmentMeanMs = decodeNumber(checked.olderSegmentMeanMs);
    this.latestSegmentMeanMs = decodeNumber(checked.latestSegmentMeanMs);
    this.declineStartUs = decodeNumber(checked.declineStartUs);
    this.previousSpikeValueMs = decodeNumber(checked.previousSpikeValueMs);
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
    this.segmentStartUs = this.runTimes[0];
    this.segmentSumMs = 0;
    for (const value of this.runValues) this.segmentSumMs += value;
    this.segmentCount = this.runValues.length;
    this.olderSegmentMeanMs = Number.NaN;
    this.latestSegmentMeanMs = Number.NaN;
    this.declineStartUs = Number.NaN;
    for (let index = 1; index < this.runValues.length; index++) {
      if (this.runValues[index] < this.runValues[index - 1]) {
        if (Number.isNaN(this.declineStartUs)) this.declineStartUs = this.runTimes[index];
      } else this.declineStartUs = Number.NaN;
    }
    this.previousSpikeValueMs = this.runValues[this.runValues.length - 1];
    this.runTimes.length = 0;
    this.runValues.length = 0;
    this.runPackets.length = 0;
    this.belowCount = 0;
  }

  private closeSpike(endUs: number, levelShift: boolean): void {
    const spike = this.open!;
    this.open = undefined;
    // A smoothed series' excursion ended where its final decline began; the decay after it is the filter's.
    const smoothedEndUs = this.smoothedInput && !levelShift && this.declineStartUs < endUs ? this.declineStartUs : endUs;
    spike.endUs = Math.max(smoothedEndUs, spike.startUs);
    spike.levelShift = levelShift;
    if (levelShift) {
      // Re-seed the baseline with the new level (the ordered copy empties with the window).
      this.windowCount = 0;
      this.windowNext = 0;
      this.orderedCount = 0;
      this.baselineStale = true;
      this.pendingAddedCount = 0;
      this.pendingRemovedCount = 0;
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
    const size = this.window.length;
    const next = this.windowNext;
    if (this.windowCount < size) this.windowCount += 1;
    else {
      const evicted = this.window[next];
      // The same value (and sign) leaving as entering leaves the ordered values as they are.
      if (evicted === valueMs ? valueMs !== 0 || 1 / evicted === 1 / valueMs : false) {
        this.window[next] = valueMs;
        this.windowNext = next + 1 === size ? 0 : next + 1;
        this.sinceRecompute += 1;
        return;
      }
      this.pendingRemoved[this.pendingRemovedCount++] = evicted;
    }
    this.pendingAdded[this.pendingAddedCount++] = valueMs;
    this.window[next] = valueMs;
    this.windowNext = next + 1 === size ? 0 : next + 1;
    this.sinceRecompute += 1;
    if (this.pendingAddedCount === this.pendingCapacity) this.flushOrdered();
  }

  /**
   * Brings the ordered copy up to date: drops the evicted values (one pass,
   * both lists ascending), then merges the pushed ones in from the back — the
   * window's values in ascending order, as sorting it would give, for O(window)
   * per recompute instead of a shift per sample.
   */
  private flushOrdered(): void {
    const added = this.pendingAdded;
    const removed = this.pendingRemoved;
    const addedCount = this.pendingAddedCount;
    const removedCount = this.pendingRemovedCount;
    this.pendingAddedCount = 0;
    this.pendingRemovedCount = 0;
    if (addedCount === 0 && removedCount === 0) return;
    this.baselineStale = true;
    sortSmall(added, addedCount);
    sortSmall(removed, removedCount);
    const ordered = this.ordered;
    const orderedCount = this.orderedCount;
    let kept = 0;
    let removedIndex = 0;
    let next = removedCount === 0 ? 0 : removed[0];
    for (let index = 0; index < orderedCount; index++) {
      const value = ordered[index];
      // sameValue(value, next), written out (NaN is NaN, −0 is not +0).
      if (removedIndex < removedCount && (value === next ? value !== 0 || 1 / value === 1 / next : value !== value && next !== next)) {
        removedIndex += 1;
        if (removedIndex < removedCount) next = removed[removedIndex];
      } else ordered[kept++] = value;
    }
    if (removedIndex !== removedCount || kept + addedCount !== this.windowCount) {
      // Not reachable while the invariants hold; the window itself is the truth.
      this.sortWindow();
      return;
    }
    let from = kept - 1;
    let addedIndex = addedCount - 1;
    let to = kept + addedCount - 1;
    while (addedIndex >= 0) {
      if (from >= 0 && orderedBefore(added[addedIndex], ordered[from])) ordered[to--] = ordered[from--];
      else ordered[to--] = added[addedIndex--];
    }
    this.orderedCount = this.windowCount;
  }

  /** Rebuilds the ordered copy by sorting the window. */
  private sortWindow(): void {
    this.baselineStale = true;
    const count = this.windowCount;
    this.ordered.set(this.window.subarray(0, count));
    this.ordered.subarray(0, count).sort();
    this.orderedCount = count;
  }

  /**
   * Median, p95 − median and 1.4826·MAD of the window, every `recomputeEvery`
   * samples. The window is kept ordered (the values pushed and evicted since
   * the last recompute merged in at once, O(window), no sort), so the median and p95 are read off directly and the MAD
   * is the median of two already-ordered deviation runs (values below the
   * median walking down, values above walking up), merged only up to the
   * middle: the same numbers as sorting the window and its deviations.
   */
  private refreshBaseline(): void {
    if (this.sinceRecompute < this.recomputeEvery) return;
    this.sinceRecompute = 0;
    this.flushOrdered();
    if (!this.baselineStale) return;
    this.baselineStale = false;
    const count = this.windowCount;
    const ordered = this.ordered;
    if (Number.isNaN(ordered[count - 1])) {
      this.refreshBaselineBySorting(count);
      return;
    }
    const middle = count >> 1;
    const median = count % 2 === 1 ? ordered[middle] : (ordered[middle - 1] + ordered[middle]) / 2;
    this.upperSpreadMs = ordered[Math.min(count - 1, Math.floor(0.95 * (count - 1)))] - median;
    // ordered[0 .. middle − 1] ≤ median ≤ ordered[middle ..]: deviations ascend walking outwards from the middle.
    let below = middle - 1;
    let above = middle;
    let previous = 0;
    let current = 0;
    for (let taken = 0; taken <= middle; taken++) {
      previous = current;
      if (above >= count || (below >= 0 && Math.abs(ordered[below] - median) <= Math.abs(ordered[above] - median))) {
        current = Math.abs(ordered[below] - median);
        below -= 1;
      } else {
        current = Math.abs(ordered[above] - median);
        above += 1;
      }
    }
    this.medianMs = median;
    this.spreadMs = 1.4826 * (count % 2 === 1 ? current : (previous + current) / 2);
    this.updateThreshold();
  }

  /** The original sort-based computation, for a window holding NaN (only when a caller feeds NaN directly). */
  private refreshBaselineBySorting(count: number): void {
    if (this.scratch === undefined) this.scratch = new Float64Array(this.window.length);
    const values = this.scratch.subarray(0, count);
    values.set(this.window.subarray(0, count));
    values.sort();
    const median = medianOfSorted(values);
    this.upperSpreadMs = values[Math.min(count - 1, Math.floor(0.95 * (count - 1)))] - median;
    for (let index = 0; index < count; index++) values[index] = Math.abs(values[index] - median);
    values.sort();
    this.medianMs = median;
    this.spreadMs = 1.4826 * medianOfSorted(values);
    this.updateThreshold();
  }
}

/** Whether `left` comes strictly before `right` in typed-array sort order (NaN last, −0 before +0). */
function orderedBefore(left: number, right: number): boolean {
  return left < right || (left === right ? left === 0 && 1 / left < 1 / right : right !== right && left === left);
}

/** Sorts `values[0 .. count)` in typed-array sort order (insertion sort: a recompute's few pending values). */
function sortSmall(values: Float64Array, count: number): void {
  for (let index = 1; index < count; index++) {
    const value = values[index];
    let at = index;
    while (at > 0 && orderedBefore(value, values[at - 1])) {
      values[at] = values[at - 1];
      at -= 1;
    }
    values[at] = value;
  }
}

function medianOfSorted(values: Float64Array): number {
  const middle = values.length >> 1;
  return values.length % 2 === 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}
