import { Type, type Static } from "@sinclair/typebox";
import type { GameMessage } from "@tickscope/core";
import { decodeFloat, EncodedFloatSchema, encodeFloat } from "../state-encoding.js";
import { round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import type { AnticheatOptions } from "../options.js";
import type { SessionTimeline } from "../session-timeline.js";
import { LEVEL_SAMPLE, RecentRttLevel } from "../recent-rtt-level.js";
import { WINDOW_SAMPLE, WindowHistory, WindowHistoryStateSchema } from "../window-history.js";

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

/** Smoothing time constants tried (the slowest allowed, then halved each time). */
const SMOOTHINGS = 5;
/** Part of `fakeLatencyMinExcessMs` a smoothing credit must exceed before it counts (10 ms by default). */
const CREDIT_FLOOR_FRACTION = 0.25;
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
 * (time-weighted median of the last second, {@link RecentRttLevel}) is smoothed exponentially with time constants from
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
  /** Recent measured wire samples and their time-weighted median. */
  private readonly level = new RecentRttLevel();
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
  /** From this arrival time on, µs, the first-report credit is 0 for good ({@link initialCredit}). */
  private initialCreditGoneUs = Number.POSITIVE_INFINITY;

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
      LEVEL_SAMPLE[0] = message.tUs;
      LEVEL_SAMPLE[1] = timeline.lastWireRttMs;
      this.updateCredit();
    }
    if (timeline.rttSerial !== this.rttSerial) {
      this.rttSerial = timeline.rttSerial;
      const measured = timeline.lastRttMs;
      // Past the time the first-report credit is gone for good, it is 0 without a call.
      const initial = message.tUs >= this.initialCreditGoneUs ? 0 : this.initialCredit(message.tUs);
      const credit = Math.max(this.creditMs, initial);
      if (!Number.isNaN(this.lastReportedRttMs)) {
        if (credit > this.maxCreditMs) this.maxCreditMs = credit;
        if (this.creditMs > this.maxContinuingCreditMs) this.maxContinuingCreditMs = this.creditMs;
        // Where the first-report credit decides, fork the history a rotation cut continues with (rare: the first seconds).
        if (initial > this.creditMs && this.continuing === undefined) this.continuing = this.history.copy();
        WINDOW_SAMPLE[0] = message.tUs;
        WINDOW_SAMPLE[1] = this.lastReportedRttMs - measured - credit;
        WINDOW_SAMPLE[2] = measured;
        WINDOW_SAMPLE[3] = credit;
        this.history.addSample(message.packetIndex, false);
        if (this.continuing !== undefined) {
          WINDOW_SAMPLE[0] = message.tUs;
          WINDOW_SAMPLE[1] = this.lastReportedRttMs - measured - this.creditMs;
          WINDOW_SAMPLE[2] = measured;
          WINDOW_SAMPLE[3] = this.creditMs;
          this.continuing.addSample(message.packetIndex, false);
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
    if (!(timeConstantUs > 0) || Number.isNaN(this.currentLevelMs) || Number.isNaN(this.firstReportedMs) || tUs >= this.initialCreditGoneUs) return 0;
    const decay = Math.exp(-(tUs - this.firstReportedUs) / timeConstantUs);
    const height = (this.firstReportedMs - this.currentLevelMs) * decay;
    const floorMs = this.options.fakeLatencyMinExcessMs * CREDIT_FLOOR_FRACTION;
    // Measured levels are never negative, so the first report itself bounds the height: once it has
    // decayed below half the floor, no later sample gets this credit (no exp per sample from then on).
    if (this.firstReportedMs * decay < floorMs / 2) this.initialCreditGoneUs = tUs;
    return Math.max(0, height - floorMs);
  }

  /**
   * Adds the measured sample in {@link LEVEL_SAMPLE} (arrival µs, RTT ms) and sets
   * {@link creditMs} to the smoothing credit at its arrival: how far a client's
   * smoothing of the measured RTT (any time constant up to
   * `reportedRttSmoothingMs`) can still be above the current level, ms.
   */
  private updateCredit(): void {
    const tUs = LEVEL_SAMPLE[0]!;
    this.level.addSample();
    const level = this.level.levelMs;
    this.currentLevelMs = level;
    const smoothed = this.smoothedMs;
    const elapsedUs = Math.max(0, tUs - this.smoothedUs);
    this.smoothedUs = tUs;
    let highest = level;
    const timeConstantUs = this.options.reportedRttSmoothingMs * 1000;
    // Continuous-time smoothing (the gain depends on the time elapsed, not on the sample rate). The
    // time constants halve, so each decay factor is the square of the one before: one exp per sample.
    let decay = timeConstantUs > 0 ? Math.exp(-elapsedUs / timeConstantUs) : 0;
    for (let index = 0; index < SMOOTHINGS; index++) {
      const previous = smoothed[index]!;
      const value = Number.isNaN(previous) || !(timeConstantUs > 0) ? level : level + (previous - level) * decay;
      smoothed[index] = value;
      if (value > highest) highest = value;
      decay *= decay;
    }
    // A slow smoothing lags a slowly falling RTT (a mobile path's drift) by its slope × time
    // constant; a credit of a few ms is that wander, not a rise a report could still carry.
    this.creditMs = Math.max(0, highest - level - this.options.fakeLatencyMinExcessMs * CREDIT_FLOOR_FRACTION);
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
