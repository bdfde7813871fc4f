import { Type, type Static } from "@sinclair/typebox";
import type { GameMessage } from "@tickscope/core";
import { decodeFloat, EncodedFloatSchema, encodeFloat } from "../state-encoding.js";
import { round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import type { AnticheatOptions } from "../options.js";
import type { SessionTimeline } from "../session-timeline.js";
import { WindowHistory, WindowHistoryStateSchema } from "../window-history.js";

/**
 * Saved state of a {@link FakeLatencyDetector}: its window history and the
 * largest smoothing credit granted (what the finding needs), and the history
 * without the first-report credit when that credit decided a sample: a pass
 * that begins inside a session (a rotation) takes its first reported RTT for
 * the session's first, and the continuation uses this history instead. The
 * recent wire level and smoothings are not saved: after a cut they restart
 * from the later pass's first samples.
 */
export const FakeLatencyStateSchema = Type.Object({
  history: WindowHistoryStateSchema,
  maxCreditMs: EncodedFloatSchema,
  /** The history without the first-report credit, when it differs (what a rotation cut continues with). */
  continuing: Type.Union([WindowHistoryStateSchema, Type.Null()]),
  maxContinuingCreditMs: EncodedFloatSchema,
});

/** See {@link FakeLatencyStateSchema}. */
export type FakeLatencyState = Static<typeof FakeLatencyStateSchema>;

/** Measured RTT samples kept for the recent level (the last second, at least {@link LEVEL_MIN_SAMPLES}). */
const LEVEL_CAPACITY = 32;
/** Span of the recent measured level, µs (robust to one late ack or echo, follows a real rise within a second). */
const LEVEL_SPAN_US = 1_000_000;
/** Samples the recent level takes at least (sparse echoes: the last three, whatever their age). */
const LEVEL_MIN_SAMPLES = 3;
/** Smoothing time constants tried (the slowest allowed, then halved each time). */
const SMOOTHINGS = 5;
/** Part of `fakeLatencyMinExcessMs` a smoothing credit must exceed before it counts (10 ms by default). */
const CREDIT_FLOOR_FRACTION = 0.25;
/** Sort buffer of the level median (single-threaded; ≤ {@link LEVEL_CAPACITY} values). */
const LEVEL_SCRATCH = new Float64Array(LEVEL_CAPACITY);
/** Weights of {@link LEVEL_SCRATCH}'s values, µs. */
const LEVEL_WEIGHTS = new Float64Array(LEVEL_CAPACITY);

/**
 * Artificial latency claimed in the client's reported RTT: the RTT the client
 * reports against the RTT measured from echo pairs on the wire, paired at
 * each new measurement. The differences are judged per 10-s window through a
 * {@link WindowHistory} (bounded; an inflation early in a long capture is
 * found as surely as one at its end): the strongest run of windows whose
 * median excess is above max(`fakeLatencyMinExcessMs`, `fakeLatencyRelativeExcess`
 * × measured RTT) is the finding when its pooled median clears that by 2
 * robust standard errors. Selective delay of shots is
 * {@link SelectiveDelayDetector}'s.
 *
 * A client reports a smoothed RTT: after a real latency spike its report
 * decays for several seconds while the wire is back to normal. Such a spike
 * is on the wire too (the measured RTT rose first — in the acks of the
 * delayed client messages, {@link SessionTimeline.lastWireRttMs}), so the
 * excess is taken beyond a *smoothing credit*: the recent wire RTT level
 * (median of the last second) is smoothed exponentially with time constants from
 * `reportedRttSmoothingMs` down to 1/16 of it, and the highest smoothing's
 * height above the current level is what an honest smoothed report may still
 * show (a fast smoothing follows a short spike fully and forgets it fast, a
 * slow one carries a fraction of it for long). Fake latency — a report
 * inflated without the wire's RTT rising — gets no credit.
 */
export class FakeLatencyDetector implements SessionDetector {
  private lastReportedRttMs = Number.NaN;
  private rttSerial = 0;
  private wireRttSerial = 0;
  /** Smoothing credit at the latest wire RTT sample, ms. */
  private creditMs = 0;
  private readonly history: WindowHistory;
  /** Recent measured samples (ring): arrival µs and RTT ms. */
  private readonly levelUs = new Float64Array(LEVEL_CAPACITY);
  private readonly levelMs = new Float64Array(LEVEL_CAPACITY);
  private levelCount = 0;
  private levelNext = 0;
  /**
   * Exponential smoothings of the measured level with time constants `reportedRttSmoothingMs`
   * / 2^k (k = 0..{@link SMOOTHINGS} − 1), ms; NaN before the first sample.
   */
  private readonly smoothedMs = new Float64Array(SMOOTHINGS).fill(Number.NaN);
  private smoothedUs = 0;
  /** Largest smoothing credit granted to a pair, ms (evidence). */
  private maxCreditMs = 0;
  /**
   * The history as a session continuing from an earlier capture file sees it: without the
   * first-report credit (that report was not the session's first, the earlier file had it).
   * Forked from {@link history} at the first sample where that credit decided; undefined while
   * both are the same. Only a rotation cut uses it ({@link continueWith}).
   */
  private continuing: WindowHistory | undefined;
  /** Largest smoothing credit without the first-report credit, ms. */
  private maxContinuingCreditMs = 0;
  /** The client's first reported RTT, ms, and when it came, µs (NaN before). */
  private firstReportedMs = Number.NaN;
  private firstReportedUs = Number.NaN;
  /** Measured level at the latest wire sample, ms. */
  private currentLevelMs = Number.NaN;

  constructor(private readonly options: AnticheatOptions) {
    this.history = new WindowHistory((medians) => medians[0]! > this.threshold(medians[1]!), 3);
  }

  private threshold(measuredMs: number): number {
    return Math.max(this.options.fakeLatencyMinExcessMs, this.options.fakeLatencyRelativeExcess * measuredMs);
  }

  onClientMessage(message: GameMessage, _claimedUs: number | undefined, timeline: SessionTimeline): void {
    const reported = message.roles.reportedRttMs;
    if (reported !== undefined) {
      this.lastReportedRttMs = reported;
      // A report of 0 before the client's first measurement is no sample.
      if (Number.isNaN(this.firstReportedMs) && reported > 0) {
        this.firstReportedMs = reported;
        this.firstReportedUs = message.tUs;
      }
    }
    if (timeline.wireRttSerial !== this.wireRttSerial) {
      this.wireRttSerial = timeline.wireRttSerial;
      this.creditMs = this.smoothingCredit(message.tUs, timeline.lastWireRttMs);
    }
    if (timeline.rttSerial !== this.rttSerial) {
      this.rttSerial = timeline.rttSerial;
      const measured = timeline.lastRttMs;
      const initial = this.initialCredit(message.tUs);
      const credit = Math.max(this.creditMs, initial);
      if (!Number.isNaN(this.lastReportedRttMs)) {
        if (credit > this.maxCreditMs) this.maxCreditMs = credit;
        if (this.creditMs > this.maxContinuingCreditMs) this.maxContinuingCreditMs = this.creditMs;
        // Where the first-report credit decides, fork the history a rotation cut continues with (rare: the first seconds).
        if (initial > this.creditMs && this.continuing === undefined) this.continuing = this.history.copy();
        this.history.add(message.tUs, message.packetIndex, false, this.lastReportedRttMs - measured - credit, measured, credit);
        if (this.continuing !== undefined) {
          this.continuing.add(message.tUs, message.packetIndex, false, this.lastReportedRttMs - measured - this.creditMs, measured, this.creditMs);
        }
      }
    }
  }

  /**
   * What a report may still carry from the client's first RTT sample, ms: an SRTT starts at its
   * first sample (RFC 6298 §2.2) — which may have been taken during connection setup, before the
   * wire shows any sample here — and forgets it at its smoothing rate. The first report's height
   * above the measured level decays with the slowest time constant (`reportedRttSmoothingMs`);
   * a report inflated for good stays above it once that has decayed.
   */
  private initialCredit(tUs: number): number {
    const timeConstantUs = this.options.reportedRttSmoothingMs * 1000;
    if (!(timeConstantUs > 0) || Number.isNaN(this.currentLevelMs) || Number.isNaN(this.firstReportedMs)) return 0;
    const height = (this.firstReportedMs - this.currentLevelMs) * Math.exp(-(tUs - this.firstReportedUs) / timeConstantUs);
    return Math.max(0, height - this.options.fakeLatencyMinExcessMs * CREDIT_FLOOR_FRACTION);
  }

  /**
   * Adds a measured sample and returns the smoothing credit at `tUs`: how far a
   * client's smoothing of the measured RTT (any time constant up to
   * `reportedRttSmoothingMs`) can still be above the current level, ms.
   */
  private smoothingCredit(tUs: number, measuredMs: number): number {
    this.levelUs[this.levelNext] = tUs;
    this.levelMs[this.levelNext] = measuredMs;
    this.levelNext = (this.levelNext + 1) % LEVEL_CAPACITY;
    if (this.levelCount < LEVEL_CAPACITY) this.levelCount += 1;
    const level = this.recentLevel(tUs);
    this.currentLevelMs = level;
    const smoothed = this.smoothedMs;
    const elapsedUs = Math.max(0, tUs - this.smoothedUs);
    this.smoothedUs = tUs;
    let highest = level;
    let timeConstantUs = this.options.reportedRttSmoothingMs * 1000;
    for (let index = 0; index < SMOOTHINGS; index++) {
      const previous = smoothed[index]!;
      // Continuous-time smoothing (the gain depends on the time elapsed, not on the sample rate).
      const value = Number.isNaN(previous) || !(timeConstantUs > 0) ? level : level + (previous - level) * Math.exp(-elapsedUs / timeConstantUs);
      smoothed[index] = value;
      if (value > highest) highest = value;
      timeConstantUs /= 2;
    }
    // A slow smoothing lags a slowly falling RTT (a mobile path's drift) by its slope × time
    // constant; a credit of a few ms is that wander, not a rise a report could still carry.
    return Math.max(0, highest - level - this.options.fakeLatencyMinExcessMs * CREDIT_FLOOR_FRACTION);
  }

  /**
   * Time-weighted median of the measured samples of the last second (at least the last
   * {@link LEVEL_MIN_SAMPLES}), ms: each sample weighs the time since the sample before it (what
   * a probe sent in that time would have measured). Dense samples weigh alike, so one late ack
   * among many moves nothing; a sample after a gap — a stall that held every datagram, so no
   * newer ack came (its value is the oldest newly acknowledged datagram's RTT, see
   * {@link SessionTimeline.lastWireRttMs}) — stands for the whole gap, as it does in a client's
   * SRTT when its ping fell into the stall (a 1.5-s Wi-Fi stall sampled by a 1-Hz ping raises
   * an SRTT by 1.5 s / 8).
   */
  private recentLevel(tUs: number): number {
    let count = 0;
    let total = 0;
    for (let back = 1; back <= this.levelCount; back++) {
      const slot = (this.levelNext - back + LEVEL_CAPACITY) % LEVEL_CAPACITY;
      const sampleUs = this.levelUs[slot]!;
      if (count >= LEVEL_MIN_SAMPLES && tUs - sampleUs > LEVEL_SPAN_US) break;
      const previousUs = back < this.levelCount ? this.levelUs[(slot - 1 + LEVEL_CAPACITY) % LEVEL_CAPACITY]! : Number.NaN;
      // The part of the last second the sample covers (a sparse sample: at least a share of it).
      const coveredUs = Math.min(sampleUs - Math.max(Number.isNaN(previousUs) ? sampleUs : previousUs, tUs - LEVEL_SPAN_US), LEVEL_SPAN_US);
      const weight = Math.max(coveredUs, 1);
      // Insertion into the sorted prefix (≤ 32 values, no allocation).
      const value = this.levelMs[slot]!;
      let position = count - 1;
      while (position >= 0 && LEVEL_SCRATCH[position]! > value) {
        LEVEL_SCRATCH[position + 1] = LEVEL_SCRATCH[position]!;
        LEVEL_WEIGHTS[position + 1] = LEVEL_WEIGHTS[position]!;
        position -= 1;
      }
      LEVEL_SCRATCH[position + 1] = value;
      LEVEL_WEIGHTS[position + 1] = weight;
      count += 1;
      total += weight;
    }
    let cumulative = 0;
    for (let index = 0; index < count; index++) {
      cumulative += LEVEL_WEIGHTS[index]!;
      if (cumulative * 2 > total) return LEVEL_SCRATCH[index]!;
      if (cumulative * 2 === total) return (LEVEL_SCRATCH[index]! + LEVEL_SCRATCH[index + 1]!) / 2;
    }
    return LEVEL_SCRATCH[count - 1]!;
  }

  /** The state as plain data; the detector is unchanged. */
  saveState(): FakeLatencyState {
    return {
      history: this.history.saveState(),
      maxCreditMs: encodeFloat(this.maxCreditMs),
      continuing: this.continuing === undefined ? null : this.continuing.saveState(),
      maxContinuingCreditMs: encodeFloat(this.maxContinuingCreditMs),
    };
  }

  /** True when a saved state fits this detector (channels). */
  stateFits(state: FakeLatencyState): boolean {
    return this.history.stateFits(state.history) && (state.continuing === null || this.history.stateFits(state.continuing));
  }

  /** Replaces the state by a validated saved one (packet indices moved by `packetIndexOffset`). */
  loadState(state: FakeLatencyState, packetIndexOffset: number): void {
    this.history.loadState(state.history, packetIndexOffset);
    this.maxCreditMs = decodeFloat(state.maxCreditMs);
    if (state.continuing !== null) {
      this.continuing = this.history.copy();
      this.continuing.loadState(state.continuing, packetIndexOffset);
    }
    this.maxContinuingCreditMs = decodeFloat(state.maxContinuingCreditMs);
  }

  /** Continues with the same session's detector after a rotation cut (see {@link WindowHistory.continueWith}). */
  continueWith(later: FakeLatencyDetector): void {
    this.history.continueWith(later.continuing ?? later.history);
    if (later.maxContinuingCreditMs > this.maxCreditMs) this.maxCreditMs = later.maxContinuingCreditMs;
    // Samples after the cut go on as this history's; a fork of this pass's own start is no longer needed.
    this.continuing = undefined;
    this.maxContinuingCreditMs = Math.max(this.maxContinuingCreditMs, later.maxContinuingCreditMs);
  }

  finish(timeline: SessionTimeline, events: DetectorEvent[]): void {
    const minimum = this.options.latencyMinSamples;
    this.history.flush();
    const run = this.history.strongestRun();
    if (run === undefined || run.samples < minimum || timeline.measuredRttMs.length < minimum) return;
    const excess = run.medians[0]!;
    const measured = run.medians[1]!;
    const credit = run.medians[2]!;
    // The run's pooled excess must clear the threshold by 2 robust standard errors: one
    // window of a drifting mobile path can sit above it by chance, a lying client stays there.
    const threshold = this.threshold(measured) + 2 * run.standardError;
    if (!(excess > threshold)) return;
    const reported = measured + credit + excess;
    events.push({
      kind: "fakeLatency",
      startUs: run.startUs,
      endUs: run.endUs,
      confidence: round3(Math.min(0.99, 0.6 + 0.3 * Math.min(1, excess / threshold - 1))),
      summary: `Client reports a median RTT of ${round3(reported)} ms while the wire shows ${round3(measured)} ms (+${round3(excess)} ms beyond ${round3(credit)} ms a smoothed report may still carry from an earlier measured rise, threshold ${round3(threshold)} ms; ${run.samples} pairs over ${run.windows} 10-s window(s)).`,
      values: {
        reportedRttMedianMs: round3(reported),
        measuredRttMedianMs: round3(measured),
        excessMs: round3(excess),
        smoothingCreditMs: round3(credit),
        maxSmoothingCreditMs: round3(this.maxCreditMs),
        thresholdMs: round3(threshold),
        pairs: run.samples,
        windows: run.windows,
        measuredSamples: timeline.measuredRttMs.length,
      },
      packetIndices: [...run.packetIndices],
    });
  }
}
