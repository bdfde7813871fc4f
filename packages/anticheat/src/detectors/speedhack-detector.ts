import { Type, type Static } from "@sinclair/typebox";
import type { GameMessage } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import { CountSchema, decodeFloat, EncodedFloatSchema, encodeFloat, EvidencePacketsSchema, PacketIndexSchema, placePacketIndex, placePacketIndices } from "../state-encoding.js";
import type { AnticheatOptions } from "../options.js";
import { sortPrefix } from "../prefix-median.js";
import type { SessionTimeline } from "../session-timeline.js";

/** Saved state of a {@link SpeedhackDetector}. */
export const SpeedhackStateSchema = Type.Object({
  violations: CountSchema,
  evaluations: CountSchema,
  worstRate: EncodedFloatSchema,
  rateSum: EncodedFloatSchema,
  firstViolationUs: EncodedFloatSchema,
  lastViolationUs: EncodedFloatSchema,
  packetIndices: EvidencePacketsSchema,
  lastPacketIndex: PacketIndexSchema,
});

/** See {@link SpeedhackStateSchema}. */
export type SpeedhackState = Static<typeof SpeedhackStateSchema>;

/**
 * Speedhack / timing: the rate of the client's claimed clock (send time or
 * tick) against arrival time, over a sliding window of one-second
 * lower-envelope points (queueing removed). The slope is the median of slopes
 * between points half a window apart, so a stall or flush cannot move it.
 * A slope off 1 by more than the tolerance (default 2%, 100× crystal drift),
 * sustained, means the client claims more (or less) time than really passed.
 */
export class SpeedhackDetector implements SessionDetector {
  private violations = 0;
  private evaluations = 0;
  private worstRate = 1;
  private rateSum = 0;
  private firstViolationUs = Number.NaN;
  private lastViolationUs = Number.NaN;
  private readonly packetIndices: number[] = [];
  private lastPacketIndex = -1;
  /** Slopes of the window being evaluated (scratch, sized at the first evaluation). */
  private slopes: Float64Array | undefined;

  constructor(private readonly options: AnticheatOptions) {}

  /** Hooks the timeline's window close. */
  attach(timeline: SessionTimeline): void {
    timeline.onWindowClosed = () => this.evaluate(timeline);
  }

  onClientMessage(message: GameMessage): void {
    this.lastPacketIndex = message.packetIndex;
  }

  private evaluate(timeline: SessionTimeline): void {
    const arrival = timeline.envelopeArrivalUs;
    const claimed = timeline.envelopeClaimedUs;
    const count = arrival.length;
    if (count < this.options.speedhackWindowPoints) return;
    const half = count >> 1;
    const slopes = (this.slopes ??= new Float64Array(count));
    let slopeCount = 0;
    let ordered = true;
    for (let index = 0; index + half < count; index++) {
      const deltaArrival = arrival.at(index + half) - arrival.at(index);
      if (deltaArrival > 0) {
        const slope = (claimed.at(index + half) - claimed.at(index)) / deltaArrival;
        if (slope !== slope) ordered = false;
        slopes[slopeCount++] = slope;
      }
    }
    if (slopeCount === 0) return;
    // A stable insertion sort orders as Array#sort with (a, b) => a − b does, NaN aside (rare: sorted that way).
    if (ordered) sortPrefix(slopes, slopeCount);
    else slopes.set(Array.from(slopes.subarray(0, slopeCount)).sort((a, b) => a - b));
    const rate = slopes[slopeCount >> 1]!;
    this.evaluations += 1;
    if (Math.abs(rate - 1) > this.options.clockRateTolerance) {
      this.violations += 1;
      this.rateSum += rate;
      if (Math.abs(rate - 1) > Math.abs(this.worstRate - 1)) this.worstRate = rate;
      const endUs = arrival.at(count - 1);
      if (Number.isNaN(this.firstViolationUs)) this.firstViolationUs = arrival.at(0);
      this.lastViolationUs = endUs;
      addEvidencePacket(this.packetIndices, this.lastPacketIndex);
    }
  }

  /** The state as plain data; the detector is unchanged. */
  saveState(): SpeedhackState {
    return {
      violations: this.violations,
      evaluations: this.evaluations,
      worstRate: encodeFloat(this.worstRate),
      rateSum: encodeFloat(this.rateSum),
      firstViolationUs: encodeFloat(this.firstViolationUs),
      lastViolationUs: encodeFloat(this.lastViolationUs),
      packetIndices: [...this.packetIndices],
      lastPacketIndex: this.lastPacketIndex,
    };
  }

  /** Replaces the state by a validated saved one (packet indices moved by `packetIndexOffset`). */
  loadState(state: SpeedhackState, packetIndexOffset: number): void {
    this.violations = state.violations;
    this.evaluations = state.evaluations;
    this.worstRate = decodeFloat(state.worstRate);
    this.rateSum = decodeFloat(state.rateSum);
    this.firstViolationUs = decodeFloat(state.firstViolationUs);
    this.lastViolationUs = decodeFloat(state.lastViolationUs);
    this.packetIndices.push(...placePacketIndices(state.packetIndices, packetIndexOffset));
    this.lastPacketIndex = placePacketIndex(state.lastPacketIndex, packetIndexOffset);
  }

  /** Continues with the same session's detector after a rotation cut: evaluations and violations add, evidence follows. */
  continueWith(later: SpeedhackDetector): void {
    this.violations += later.violations;
    this.evaluations += later.evaluations;
    this.rateSum += later.rateSum;
    if (Math.abs(later.worstRate - 1) > Math.abs(this.worstRate - 1)) this.worstRate = later.worstRate;
    if (Number.isNaN(this.firstViolationUs)) this.firstViolationUs = later.firstViolationUs;
    if (!Number.isNaN(later.lastViolationUs)) this.lastViolationUs = later.lastViolationUs;
    for (const packet of later.packetIndices) addEvidencePacket(this.packetIndices, packet);
    if (later.lastPacketIndex >= 0) this.lastPacketIndex = later.lastPacketIndex;
  }

  finish(_timeline: SessionTimeline, events: DetectorEvent[]): void {
    if (this.violations < this.options.speedhackMinViolations) return;
    const meanRate = this.rateSum / this.violations;
    const excess = Math.abs(meanRate - 1) / this.options.clockRateTolerance;
    const sustained = this.violations / Math.max(1, this.evaluations);
    const confidence = round3(Math.min(0.99, 0.5 + 0.2 * Math.min(excess - 1, 2) + 0.1 * sustained));
    events.push({
      kind: "speedhack",
      startUs: this.firstViolationUs,
      endUs: this.lastViolationUs,
      confidence: Math.max(0.5, confidence),
      summary: `Client clock ran at ${round3(meanRate)}× real time (tolerance ±${this.options.clockRateTolerance * 100}%) in ${this.violations} of ${this.evaluations} windows.`,
      values: {
        meanClockRate: round3(meanRate),
        worstClockRate: round3(this.worstRate),
        violatingWindows: this.violations,
        evaluatedWindows: this.evaluations,
        toleranceRate: this.options.clockRateTolerance,
      },
      packetIndices: [...this.packetIndices],
    });
  }
}
