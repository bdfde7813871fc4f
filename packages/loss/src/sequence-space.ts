import { serialDifference, type SerialNumber } from "@tickscope/core";
import { LossPatternCounter, type LossPatternState } from "./gilbert-elliott-fit.js";
import { LogHistogram, RunLengthHistogram, type LogHistogramState, type RunLengthState } from "./histogram.js";
import {
  decodeFloat,
  decodeNibbles,
  decodeSerial,
  decodeSeries,
  encodeFloat,
  encodeNibbles,
  encodeSerial,
  encodeSeries,
  type EncodedFloat,
  type EncodedSerial,
  type EncodedSeries,
} from "./state-encoding.js";

/** Why a discontinuity in a sequence space was treated as a reset instead of loss. */
export type ResetReason = "jump" | "restart" | "pause";

/** A sequence discontinuity reported as a pause/reset candidate (never counted as loss). */
export interface ResetCandidate {
  reason: ResetReason;
  /** Arrival time of the first packet of the new segment, µs. */
  tUs: number;
  packetIndex: number;
  /** Last sequence of the previous segment (exactly as on the wire). */
  fromSequence: SerialNumber;
  /** First sequence of the new segment (exactly as on the wire). */
  toSequence: SerialNumber;
  /** Silence before the new segment, ms. */
  pauseMs: number;
  /** Sequences skipped forward (0 for a backward restart). */
  skippedSequences: number;
}

/** A run of final slots: lost or received, and its length. */
export interface RunState {
  lost: boolean;
  length: number;
}

/** Saved state of a {@link SequenceSpace}: everything, the open window included (nothing is finalized by saving). */
export interface SequenceSpaceState {
  bits: number | null;
  started: boolean;
  highest: number;
  highestRaw: EncodedSerial;
  segmentBase: number;
  finalizeFrom: number;
  lastArrivalUs: number;
  minTransitUs: EncodedFloat;
  pending: { raw: EncodedSerial; tUs: number; packetIndex: number; reason: ResetReason } | null;
  run: RunState;
  ackRun: RunState;
  expectedClosed: number;
  received: number;
  lost: number;
  duplicates: number;
  reordered: number;
  late: number;
  strays: number;
  resetCount: number;
  resetCandidates: { reason: ResetReason; tUs: number; packetIndex: number; fromSequence: EncodedSerial; toSequence: EncodedSerial; pauseMs: number; skippedSequences: number }[];
  lastWaitUs: number;
  lastSkipped: number;
  gapPacketIndices: number[];
  arrivalGaps: { tUs: number; skipped: number }[];
  resendCounts: number[];
  lossRuns: RunLengthState;
  receiveRuns: RunLengthState;
  patterns: LossPatternState;
  stallUs: LogHistogramState;
  retransmissionDelayUs: LogHistogramState;
  ackCovered: number;
  ackAcknowledged: number;
  ackLost: number;
  ackMentions: number;
  acksBeyondHighest: number;
  /** Sender-view structures, once the first ack arrived. */
  ack: { lossRuns: RunLengthState; receiveRuns: RunLengthState; patterns: LossPatternState } | null;
  /** Open slots `finalizeFrom..highest`: flags (hex digit per slot), arrival/reset times, ack counts (when acks exist). */
  window: { flags: string; timesUs: EncodedSeries; ackCounts: number[] | null };
  /** Runs that were in progress at {@link SequenceSpace.mark} and ended since (null: not ended, or no mark). */
  marked: { run: RunState | null; ackRun: RunState | null } | null;
}

/** Tuning of a {@link SequenceSpace}. */
export interface SequenceSpaceOptions {
  /** Reorder window in sequences (power of two). A slot is final once the highest sequence is this far ahead. */
  windowSize: number;
  /** Largest forward jump still counted as loss; larger jumps need confirmation and become resets. */
  maxGap: number;
  /** Silence (µs) after which a jump is a pause candidate rather than loss. */
  pauseThresholdUs: number;
  /** Minimum skipped sequences for a pause to be a candidate (smaller gaps after a pause stay loss). */
  pauseMinimumSkipped: number;
  /**
   * A copy of an already received sequence arriving this long (µs) after the
   * original is a restart candidate (confirmed by the next packet), not a duplicate.
   */
  maxDuplicateDelayUs: number;
  /** Playout/interpolation deadline, µs: a packet later than this is `late`. */
  playoutDelayUs: number;
  /** Pattern length of the Gilbert–Elliott counters. */
  patternLength: number;
  /** Longest run length kept exactly in the run histograms. */
  runLengthLimit: number;
  /** Reset candidates kept per space (the count is always exact). */
  maxResetCandidates: number;
}

/** Observation outcomes of {@link SequenceSpace.observe}. */
export const Observation = {
  /** New highest sequence (or first of a segment). */
  advanced: 0,
  /** Filled a hole: arrived after a higher sequence (RFC 4737 reordered). */
  reordered: 1,
  /** Already received. */
  duplicate: 2,
  /** Held back: a big jump waiting for the next packet to confirm a reset. */
  pending: 3,
} as const;

/** One of the {@link Observation} outcomes. */
export type ObservationValue = (typeof Observation)[keyof typeof Observation];

/** Most arrival gaps a sequence space keeps (the largest): enough to mark a chart, bounded for any capture. */
export const MAX_ARRIVAL_GAPS = 32;

const RECEIVED = 1;
const COVERED = 2;
const ACKED = 4;
/** The flag bits of a slot (its low byte). */
const FLAG_MASK = RECEIVED | COVERED | ACKED;
/** A slot's ack count sits above its flags. */
const ACK_COUNT_SHIFT = 8;
/** Ack counts are capped (a slot's high byte). */
const MAX_ACK_COUNT = 255;

/** A received slot the peer acknowledged: covered, acked, and one more ack counted (up to {@link MAX_ACK_COUNT}). */
function acknowledged(slot: number): number {
  return (slot >>> ACK_COUNT_SHIFT < MAX_ACK_COUNT ? slot + (1 << ACK_COUNT_SHIFT) : slot) | COVERED | ACKED;
}

/**
 * Loss accounting of one sequence space (session × direction × channel, or
 * also × message type): bounded memory (a ring of `windowSize` slots), wrap
 * around by `sequenceBits`, reorder/duplicate detection, reset and pause
 * detection with confirmation, late arrivals, reliable-channel stalls, and the
 * sender-side view from the peer's acks. Slots become final — and feed the
 * burst statistics — once the window has moved past them.
 *
 * Sequences are exact wire values (a u64 netcode sequence from 2^63 included):
 * distances come from core's `serialDifference`, and the extended numbering
 * is the space's own (it only moves by at most `maxGap`, or one window on a
 * reset), so every loop is bounded by the window whatever the input.
 */
export class SequenceSpace {
  private readonly mask: number;
  /**
   * Per slot, the flags (`RECEIVED`, `COVERED`, `ACKED`) in the low byte and the
   * peer's ack count (capped at 255; 0 until the first ack) in the high byte:
   * one array, so an arrival, an ack and a finalization each touch one slot
   * of one table instead of a flag array and a count array.
   */
  private readonly slots: Uint16Array;
  private readonly slotTimeUs: Float64Array;
  /** Sequence width (wrap-around), undefined when unknown (no wrap for numbers, 64 bits for bigints). */
  private bits: number | undefined;
  private started = false;
  private highest = 0;
  private highestRaw: SerialNumber = 0;
  private segmentBase = 0;
  private finalizeFrom = 0;
  private lastArrivalUs = 0;
  private minTransitUs = Number.POSITIVE_INFINITY;
  private hasPending = false;
  private pendingRaw: SerialNumber = 0;
  private pendingTimeUs = 0;
  private pendingPacketIndex = 0;
  private pendingReason: ResetReason = "jump";
  private runLost = false;
  private runLength = 0;
  private ackRunLost = false;
  private ackRunLength = 0;
  /** Set by {@link SequenceSpace.mark}: the first receive-view and sender-view runs flushed since are remembered. */
  private marked = false;
  private markedRun: RunState | null = null;
  private markedAckRun: RunState | null = null;

  /** Sequences expected (sum over segments of highest − base + 1). */
  expectedClosed = 0;
  /** Unique sequences received. */
  received = 0;
  /** Final missing sequences. */
  lost = 0;
  /** Copies of already received sequences. */
  duplicates = 0;
  /** Unique sequences that arrived after a higher one. */
  reordered = 0;
  /** Unique sequences that arrived after the playout deadline. */
  late = 0;
  /** Packets ignored: too old for the window, or an unconfirmed jump. */
  strays = 0;
  /** Number of resets (confirmed jumps, restarts and pauses). */
  resetCount = 0;
  /** The first reset candidates. */
  readonly resetCandidates: ResetCandidate[] = [];
  /** Time the last `reordered` packet filled its hole after it was noticed, µs. */
  lastWaitUs = 0;
  /** Missing sequences skipped by the last `advanced` observation. */
  lastSkipped = 0;
  /** Packet indices of the first gaps (evidence). */
  readonly gapPacketIndices: number[] = [];
  /**
   * The largest gaps noticed at arrival (at most {@link MAX_ARRIVAL_GAPS}):
   * sequence numbers skipped by one arrival, and its time. A reordered packet
   * may fill part of a gap later (the final `lost` count says what stayed lost).
   */
  readonly arrivalGaps: { tUs: number; skipped: number }[] = [];
  /** Messages that carried a resend count > 0, by count (index 7 pools ≥ 7). */
  readonly resendCounts = new Float64Array(8);
  /** Loss-run lengths (receiver view). */
  readonly lossRuns: RunLengthHistogram;
  /** Receive-run lengths (receiver view). */
  readonly receiveRuns: RunLengthHistogram;
  /** Pattern counts for the Gilbert–Elliott fit (receiver view). */
  readonly patterns: LossPatternCounter;
  /** Reorder stall: time from noticing a hole to its filling, µs (head-of-line blocking on ordered channels). */
  readonly stallUs = new LogHistogram();
  /** Delay between a first transmission and its resend, µs (resent messages only). */
  readonly retransmissionDelayUs = new LogHistogram();

  /** Sender view: sequences covered by an ack window of the peer. */
  ackCovered = 0;
  /** Sender view: covered sequences the peer acknowledged. */
  ackAcknowledged = 0;
  /** Sender view: covered sequences never acknowledged (inferred lost). */
  ackLost = 0;
  /** Sender view: acknowledgements counted over acknowledged sequences (redundancy numerator). */
  ackMentions = 0;
  /** Acks for sequences never seen sent. */
  acksBeyondHighest = 0;
  /** Sender view loss runs / patterns, allocated on the first ack. */
  ackLossRuns: RunLengthHistogram | undefined;
  ackReceiveRuns: RunLengthHistogram | undefined;
  ackPatterns: LossPatternCounter | undefined;

  constructor(private readonly options: SequenceSpaceOptions) {
    this.mask = options.windowSize - 1;
    this.slots = new Uint16Array(options.windowSize);
    this.slotTimeUs = new Float64Array(options.windowSize);
    this.lossRuns = new RunLengthHistogram(options.runLengthLimit);
    this.receiveRuns = new RunLengthHistogram(options.runLengthLimit);
    this.patterns = new LossPatternCounter(options.patternLength);
  }

  /** Sets the sequence width (wrap-around, 1–64 bits); 0 or undefined = unknown. */
  setSequenceBits(bits: number | undefined): void {
    this.bits = bits === undefined || !Number.isInteger(bits) || bits <= 0 || bits > 64 ? undefined : bits;
  }

  /** Sequence width in use (undefined when unknown). */
  get sequenceBits(): number | undefined {
    return this.bits;
  }

  /** Sequences the current segment spans beyond its first (0 before the first packet). */
  get segmentProgress(): number {
    return this.started ? this.highest - this.segmentBase : 0;
  }

  /** Expected sequences so far (closed segments + the open one). */
  get expected(): number {
    return this.expectedClosed + (this.started ? this.highest - this.segmentBase + 1 : 0);
  }

  private delta(from: SerialNumber, to: SerialNumber): number {
    return serialDifference(from, to, this.bits);
  }

  /**
   * Accounts one packet of this space. `sendTimeUs` (sender clock) enables
   * transit-based lateness; `resendCount` > 0 marks a retransmission.
   */
  observe(sequence: SerialNumber, tUs: number, packetIndex: number, sendTimeUs: number | undefined, resendCount: number): ObservationValue {
    if (resendCount > 0) this.resendCounts[resendCount > 7 ? 7 : resendCount]! += 1;
    if (this.hasPending) {
      const pendingRaw = this.pendingRaw;
      this.hasPending = false;
      const continuation = this.delta(pendingRaw, sequence);
      // Confirmed when the next packet continues the held one and is closer to it than to the current stream.
      if (continuation > 0 && continuation <= this.options.maxGap && continuation < Math.abs(this.delta(this.highestRaw, sequence))) {
        this.restart(this.pendingReason, pendingRaw, this.pendingTimeUs, this.pendingPacketIndex);
        this.countArrival(this.pendingTimeUs, undefined, false, 0);
      } else {
        this.strays += 1;
      }
    }
    if (!this.started) {
      this.started = true;
      this.beginSegment(sequence, 0, tUs);
      this.lastSkipped = 0;
      this.countArrival(tUs, sendTimeUs, false, 0);
      return Observation.advanced;
    }
    const difference = this.delta(this.highestRaw, sequence);
    if (difference > 0) {
      const silenceUs = tUs - this.lastArrivalUs;
      if (difference - 1 >= this.options.pauseMinimumSkipped && silenceUs > this.options.pauseThresholdUs) {
        this.restart("pause", sequence, tUs, packetIndex);
        this.lastSkipped = 0;
        this.countArrival(tUs, sendTimeUs, false, 0);
        return Observation.advanced;
      }
      if (difference > this.options.maxGap) return this.hold("jump", sequence, tUs, packetIndex);
      this.advance(difference, tUs);
      this.highestRaw = sequence;
      this.resetSlot(this.highest & this.mask, RECEIVED, tUs);
      this.lastSkipped = difference - 1;
      if (difference > 1) {
        if (this.gapPacketIndices.length < 5) this.gapPacketIndices.push(packetIndex);
        this.noteArrivalGap(tUs, difference - 1);
      }
      this.countArrival(tUs, sendTimeUs, false, 0);
      return Observation.advanced;
    }
    const extended = this.highest + difference;
    const withinWindow = this.highest - extended <= this.mask;
    if (withinWindow && (extended >= this.finalizeFrom || this.finalizeFrom === this.segmentBase)) {
      if (extended < this.segmentBase) {
        // Arrived before the first packet seen of this segment (capture start edge): extend the base.
        for (let missing = extended; missing < this.segmentBase; missing++) this.resetSlot(missing & this.mask, 0, tUs);
        this.segmentBase = extended;
        this.finalizeFrom = extended;
      }
      const slot = extended & this.mask;
      const flags = this.slots[slot]!;
      if ((flags & RECEIVED) !== 0) {
        if (tUs - this.slotTimeUs[slot]! > this.options.maxDuplicateDelayUs) return this.hold("restart", sequence, tUs, packetIndex);
        this.duplicates += 1;
        if (resendCount > 0) this.retransmissionDelayUs.add(tUs - this.slotTimeUs[slot]!);
        return Observation.duplicate;
      }
      const waitedUs = tUs - this.slotTimeUs[slot]!;
      this.slots[slot] = flags | RECEIVED;
      this.slotTimeUs[slot] = tUs;
      this.reordered += 1;
      this.stallUs.add(waitedUs);
      this.lastWaitUs = waitedUs;
      if (resendCount > 0) this.retransmissionDelayUs.add(waitedUs);
      this.countArrival(tUs, sendTimeUs, true, waitedUs);
      return Observation.reordered;
    }
    return this.hold("restart", sequence, tUs, packetIndex);
  }

  private hold(reason: ResetReason, sequence: SerialNumber, tUs: number, packetIndex: number): ObservationValue {
    this.hasPending = true;
    this.pendingRaw = sequence;
    this.pendingTimeUs = tUs;
    this.pendingPacketIndex = packetIndex;
    this.pendingReason = reason;
    return Observation.pending;
  }

  private countArrival(tUs: number, sendTimeUs: number | undefined, reordered: boolean, waitedUs: number): void {
    this.received += 1;
    if (tUs > this.lastArrivalUs) this.lastArrivalUs = tUs;
    if (sendTimeUs !== undefined) {
      const transitUs = tUs - sendTimeUs;
      if (transitUs < this.minTransitUs) this.minTransitUs = transitUs;
      if (transitUs - this.minTransitUs > this.options.playoutDelayUs) this.late += 1;
    } else if (reordered && waitedUs > this.options.playoutDelayUs) {
      this.late += 1;
    }
  }

  private resetSlot(slot: number, flags: number, tUs: number): void {
    // The whole slot: flags, and an ack count of 0.
    this.slots[slot] = flags;
    this.slotTimeUs[slot] = tUs;
  }

  private beginSegment(sequence: SerialNumber, extended: number, tUs: number): void {
    this.highest = extended;
    this.highestRaw = sequence;
    this.segmentBase = extended;
    this.finalizeFrom = extended;
    this.resetSlot(extended & this.mask, RECEIVED, tUs);
    this.lastArrivalUs = tUs;
  }

  private restart(reason: ResetReason, sequence: SerialNumber, tUs: number, packetIndex: number): void {
    const fromSequence = this.highestRaw;
    const forward = this.delta(fromSequence, sequence);
    this.resetCount += 1;
    if (this.resetCandidates.length < this.options.maxResetCandidates) {
      this.resetCandidates.push({
        reason,
        tUs,
        packetIndex,
        fromSequence,
        toSequence: sequence,
        pauseMs: Math.round((tUs - this.lastArrivalUs) / 1) / 1000,
        skippedSequences: reason === "restart" || forward <= 0 ? 0 : forward - 1,
      });
    }
    this.closeSegment();
    // Continue far beyond the old window so no slot is shared.
    this.beginSegment(sequence, this.highest + this.options.windowSize + 1, tUs);
  }

  private closeSegment(): void {
    while (this.finalizeFrom <= this.highest) this.finalizeSlot(this.finalizeFrom++);
    this.expectedClosed += this.highest - this.segmentBase + 1;
    this.flushRuns();
    this.patterns.breakTrace();
    this.ackPatterns?.breakTrace();
  }

  private flushRuns(): void {
    if (this.runLength > 0) this.addRun();
    this.runLength = 0;
    if (this.ackRunLength > 0) this.addAckRun();
    this.ackRunLength = 0;
  }

  /** Adds the run in progress to its histogram (remembering it when it is the first since a mark). */
  private addRun(): void {
    (this.runLost ? this.lossRuns : this.receiveRuns).add(this.runLength);
    if (this.marked && this.markedRun === null) this.markedRun = { lost: this.runLost, length: this.runLength };
  }

  private addAckRun(): void {
    (this.ackRunLost ? this.ackLossRuns! : this.ackReceiveRuns!).add(this.ackRunLength);
    if (this.marked && this.markedAckRun === null) this.markedAckRun = { lost: this.ackRunLost, length: this.ackRunLength };
  }

  /** Keeps the {@link MAX_ARRIVAL_GAPS} largest gaps (the earliest among equals). */
  private noteArrivalGap(tUs: number, skipped: number): void {
    if (this.arrivalGaps.length < MAX_ARRIVAL_GAPS) {
      this.arrivalGaps.push({ tUs, skipped });
      return;
    }
    let smallest = 0;
    for (let index = 1; index < this.arrivalGaps.length; index++) if (this.arrivalGaps[index]!.skipped < this.arrivalGaps[smallest]!.skipped) smallest = index;
    if (skipped > this.arrivalGaps[smallest]!.skipped) this.arrivalGaps[smallest] = { tUs, skipped };
  }

  private advance(difference: number, tUs: number): void {
    const newHighest = this.highest + difference;
    const finalLimit = newHighest - this.options.windowSize;
    while (this.finalizeFrom <= finalLimit) this.finalizeSlot(this.finalizeFrom++);
    for (let missing = this.highest + 1; missing < newHighest; missing++) this.resetSlot(missing & this.mask, 0, tUs);
    this.highest = newHighest;
  }

  private finalizeSlot(extended: number): void {
    const slot = extended & this.mask;
    const flags = this.slots[slot]!;
    const lost = (flags & RECEIVED) === 0;
    if (lost) this.lost += 1;
    this.patterns.add(lost);
    if (this.runLength > 0 && lost !== this.runLost) {
      this.addRun();
      this.runLength = 0;
    }
    this.runLost = lost;
    this.runLength += 1;
    if (this.ackPatterns === undefined) return;
    if ((flags & COVERED) === 0) {
      // Not observable from the sender side (not sent in view, or never inside an ack window).
      this.ackPatterns.breakTrace();
      if (this.ackRunLength > 0) this.addAckRun();
      this.ackRunLength = 0;
      return;
    }
    const notAcked = (flags & ACKED) === 0;
    this.ackCovered += 1;
    if (notAcked) this.ackLost += 1;
    else {
      this.ackAcknowledged += 1;
      this.ackMentions += flags >>> ACK_COUNT_SHIFT;
    }
    this.ackPatterns.add(notAcked);
    if (this.ackRunLength > 0 && notAcked !== this.ackRunLost) {
      this.addAckRun();
      this.ackRunLength = 0;
    }
    this.ackRunLost = notAcked;
    this.ackRunLength += 1;
  }

  /**
   * Applies one acknowledgement from the peer (sender-side vantage point):
   * `ack` and, for each set bit i of `ackBits`, `ack − 1 − i` were received;
   * every sequence in `[ack − ackBitsWidth, ack]` that this space saw sent is
   * covered, and covered sequences never acknowledged are inferred lost.
   */
  onAck(ack: SerialNumber, ackBits: number, ackBitsWidth: number): void {
    if (!this.started) return;
    if (this.ackPatterns === undefined) {
      this.ackPatterns = new LossPatternCounter(this.options.patternLength);
      this.ackLossRuns = new RunLengthHistogram(this.options.runLengthLimit);
      this.ackReceiveRuns = new RunLengthHistogram(this.options.runLengthLimit);
    }
    const extended = this.highest + this.delta(this.highestRaw, ack);
    if (extended > this.highest) {
      this.acksBeyondHighest += 1;
      return;
    }
    const lowest = Math.max(extended - ackBitsWidth, this.finalizeFrom, this.segmentBase);
    const slots = this.slots;
    const mask = this.mask;
    if (extended >= lowest) {
      // The ack itself (offset 0) is always acknowledged.
      const slot = extended & mask;
      const flags = slots[slot]!;
      if ((flags & RECEIVED) !== 0) slots[slot] = acknowledged(flags);
    }
    if (ackBitsWidth <= 32) {
      // Bit (offset − 1) of ackBits acknowledges extended − offset; offset ≤ 32 here.
      let bits = ackBits >>> 0;
      for (let target = extended - 1; target >= lowest; target--, bits >>>= 1) {
        const slot = target & mask;
        const flags = slots[slot]!;
        if ((flags & RECEIVED) === 0) continue;
        // acknowledged(flags), written out: this loop runs for up to 32 slots per ack.
        if ((bits & 1) === 0) slots[slot] = flags | COVERED;
        else slots[slot] = (flags < MAX_ACK_COUNT << ACK_COUNT_SHIFT ? flags + (1 << ACK_COUNT_SHIFT) : flags) | COVERED | ACKED;
      }
      return;
    }
    for (let target = extended - 1; target >= lowest; target--) {
      const slot = target & mask;
      const flags = slots[slot]!;
      if ((flags & RECEIVED) === 0) continue;
      slots[slot] = Math.floor(ackBits / 2 ** (extended - target - 1)) % 2 === 1 ? acknowledged(flags) : flags | COVERED;
    }
  }

  /**
   * Marks a checkpoint (the end of a pass's head, see the analyzer's state):
   * the runs in progress now are the ones a merge may lengthen, so the first
   * run of each view flushed after this call is remembered.
   */
  mark(): void {
    this.marked = true;
    this.markedRun = null;
    this.markedAckRun = null;
  }

  /** The space as plain data (nothing is finalized: the open window is saved slot by slot). */
  saveState(): SequenceSpaceState {
    const window = { flags: "", timesUs: encodeSeries([]), ackCounts: null as number[] | null };
    if (this.started) {
      const flags: number[] = [];
      const times: number[] = [];
      const counts: number[] = [];
      for (let extended = this.finalizeFrom; extended <= this.highest; extended++) {
        const slot = extended & this.mask;
        const value = this.slots[slot]!;
        flags.push(value & FLAG_MASK);
        times.push(this.slotTimeUs[slot]!);
        counts.push(value >>> ACK_COUNT_SHIFT);
      }
      window.flags = encodeNibbles(flags);
      window.timesUs = encodeSeries(times);
      // Ack counts exist once the first ack came (when the sender view begins).
      window.ackCounts = this.ackPatterns === undefined ? null : counts;
    }
    return {
      bits: this.bits ?? null,
      started: this.started,
      highest: this.highest,
      highestRaw: encodeSerial(this.highestRaw),
      segmentBase: this.segmentBase,
      finalizeFrom: this.finalizeFrom,
      lastArrivalUs: this.lastArrivalUs,
      minTransitUs: encodeFloat(this.minTransitUs),
      pending: this.hasPending
        ? { raw: encodeSerial(this.pendingRaw), tUs: this.pendingTimeUs, packetIndex: this.pendingPacketIndex, reason: this.pendingReason }
        : null,
      run: { lost: this.runLost, length: this.runLength },
      ackRun: { lost: this.ackRunLost, length: this.ackRunLength },
      expectedClosed: this.expectedClosed,
      received: this.received,
      lost: this.lost,
      duplicates: this.duplicates,
      reordered: this.reordered,
      late: this.late,
      strays: this.strays,
      resetCount: this.resetCount,
      resetCandidates: this.resetCandidates.map((candidate) => ({
        ...candidate,
        fromSequence: encodeSerial(candidate.fromSequence),
        toSequence: encodeSerial(candidate.toSequence),
      })),
      lastWaitUs: this.lastWaitUs,
      lastSkipped: this.lastSkipped,
      gapPacketIndices: [...this.gapPacketIndices],
      arrivalGaps: this.arrivalGaps.map((gap) => ({ ...gap })),
      resendCounts: [...this.resendCounts],
      lossRuns: this.lossRuns.saveState(),
      receiveRuns: this.receiveRuns.saveState(),
      patterns: this.patterns.saveState(),
      stallUs: this.stallUs.saveState(),
      retransmissionDelayUs: this.retransmissionDelayUs.saveState(),
      ackCovered: this.ackCovered,
      ackAcknowledged: this.ackAcknowledged,
      ackLost: this.ackLost,
      ackMentions: this.ackMentions,
      acksBeyondHighest: this.acksBeyondHighest,
      ack:
        this.ackPatterns === undefined
          ? null
          : { lossRuns: this.ackLossRuns!.saveState(), receiveRuns: this.ackReceiveRuns!.saveState(), patterns: this.ackPatterns.saveState() },
      window,
      marked: this.marked ? { run: this.markedRun, ackRun: this.markedAckRun } : null,
    };
  }

  /**
   * A space from {@link SequenceSpace.saveState}, with `packetIndexOffset`
   * added to its packet indices. Throws a RangeError when the state does not
   * fit the options (window larger than `windowSize`, pattern length).
   */
  static fromState(options: SequenceSpaceOptions, state: SequenceSpaceState, packetIndexOffset: number): SequenceSpace {
    const space = new SequenceSpace(options);
    const flags = decodeNibbles(state.window.flags, "window flags");
    const times = decodeSeries(state.window.timesUs);
    const open = state.started ? state.highest - state.finalizeFrom + 1 : 0;
    if (open < 0 || open > options.windowSize || flags.length !== open || times.length !== open) {
      throw new RangeError(`window of ${flags.length} flags / ${times.length} times for ${open} open slots (window size ${options.windowSize})`);
    }
    if (state.window.ackCounts !== null && state.window.ackCounts.length !== open) throw new RangeError(`${state.window.ackCounts.length} ack counts for ${open} open slots`);
    if (state.patterns.patternLength !== options.patternLength) throw new RangeError(`pattern length ${state.patterns.patternLength}, expected ${options.patternLength}`);
    space.setSequenceBits(state.bits ?? undefined);
    space.started = state.started;
    space.highest = state.highest;
    space.highestRaw = decodeSerial(state.highestRaw);
    space.segmentBase = state.segmentBase;
    space.finalizeFrom = state.finalizeFrom;
    space.lastArrivalUs = state.lastArrivalUs;
    space.minTransitUs = decodeFloat(state.minTransitUs);
    if (state.pending !== null) {
      space.hasPending = true;
      space.pendingRaw = decodeSerial(state.pending.raw);
      space.pendingTimeUs = state.pending.tUs;
      space.pendingPacketIndex = state.pending.packetIndex + packetIndexOffset;
      space.pendingReason = state.pending.reason;
    }
    space.runLost = state.run.lost;
    space.runLength = state.run.length;
    space.ackRunLost = state.ackRun.lost;
    space.ackRunLength = state.ackRun.length;
    space.expectedClosed = state.expectedClosed;
    space.received = state.received;
    space.lost = state.lost;
    space.duplicates = state.duplicates;
    space.reordered = state.reordered;
    space.late = state.late;
    space.strays = state.strays;
    space.resetCount = state.resetCount;
    for (const candidate of state.resetCandidates) {
      space.resetCandidates.push({
        ...candidate,
        packetIndex: candidate.packetIndex + packetIndexOffset,
        fromSequence: decodeSerial(candidate.fromSequence),
        toSequence: decodeSerial(candidate.toSequence),
      });
    }
    space.lastWaitUs = state.lastWaitUs;
    space.lastSkipped = state.lastSkipped;
    for (const packetIndex of state.gapPacketIndices) space.gapPacketIndices.push(packetIndex + packetIndexOffset);
    for (const gap of state.arrivalGaps) space.arrivalGaps.push({ tUs: gap.tUs, skipped: gap.skipped });
    for (let index = 0; index < 8; index++) space.resendCounts[index] = state.resendCounts[index]!;
    copyRuns(space.lossRuns, state.lossRuns);
    copyRuns(space.receiveRuns, state.receiveRuns);
    Object.assign(space, { patterns: LossPatternCounter.fromState(state.patterns) });
    space.stallUs.merge(LogHistogram.fromState(state.stallUs));
    space.stallUs.sum = state.stallUs.sum;
    space.retransmissionDelayUs.merge(LogHistogram.fromState(state.retransmissionDelayUs));
    space.retransmissionDelayUs.sum = state.retransmissionDelayUs.sum;
    space.ackCovered = state.ackCovered;
    space.ackAcknowledged = state.ackAcknowledged;
    space.ackLost = state.ackLost;
    space.ackMentions = state.ackMentions;
    space.acksBeyondHighest = state.acksBeyondHighest;
    if (state.ack !== null) {
      space.ackLossRuns = RunLengthHistogram.fromState(state.ack.lossRuns);
      space.ackReceiveRuns = RunLengthHistogram.fromState(state.ack.receiveRuns);
      space.ackPatterns = LossPatternCounter.fromState(state.ack.patterns);
    }
    const ackCounts = state.ack !== null ? state.window.ackCounts : null;
    for (let offset = 0; offset < open; offset++) {
      const slot = (state.finalizeFrom + offset) & space.mask;
      // `& 0xff`: a byte, as the count array it was saved from held.
      const count = ackCounts === null ? 0 : Math.min(MAX_ACK_COUNT, ackCounts[offset]!) & 0xff;
      space.slots[slot] = (flags[offset]! & FLAG_MASK) | (count << ACK_COUNT_SHIFT);
      space.slotTimeUs[slot] = times[offset]!;
    }
    if (state.marked !== null) {
      space.marked = true;
      space.markedRun = state.marked.run;
      space.markedAckRun = state.marked.ackRun;
    }
    return space;
  }

  /** Ends the space: pending jump becomes a stray, every open slot becomes final. */
  finish(): void {
    if (this.hasPending) {
      this.hasPending = false;
      this.strays += 1;
    }
    if (!this.started) return;
    this.closeSegment();
    this.started = false;
  }
}

function copyRuns(target: RunLengthHistogram, state: RunLengthState): void {
  if (state.exactLimit !== target.exactLimit) throw new RangeError(`run-length limit ${state.exactLimit}, expected ${target.exactLimit}`);
  const restored = RunLengthHistogram.fromState(state);
  Object.assign(target, restored);
}
