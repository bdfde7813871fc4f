import { serialDifference, type SerialNumber } from "@tickscope/core";
import { decodeNibbles, decodeSerial, decodeSparse, encodeNibbles, encodeSerial, encodeSparse, type EncodedSerial, type SparseCounts } from "./state-encoding.js";

/** Saved state of an {@link InputCoverage}: everything, its open window included. */
export interface InputCoverageState {
  windowSize: number;
  started: boolean;
  highest: number;
  highestRaw: EncodedSerial;
  base: number;
  finalizeFrom: number;
  redundancyCounts: SparseCounts;
  expectedClosed: number;
  lost: number;
  resets: number;
  messages: number;
  bytes: number;
  /** Open inputs `finalizeFrom..highest`: 1 = carried, one digit each. */
  window: string;
}

/**
 * Residual input loss after the redundancy the protocol already carries: a
 * message with `inputSequence` s and `inputCount` c carries inputs
 * [s − c + 1, s]; an input is lost only if no received message carried it.
 * Bounded memory: a ring of `windowSize` inputs; inputs become final once the
 * highest input is a window ahead. Capture edges never count: inputs before
 * the first carried one or after the last carried one are not expected.
 * Input sequences are exact wire values of any width (u64 included): distances
 * come from core's `serialDifference`, the extended numbering is this
 * tracker's own (it moves by at most half a window, or one window on a reset),
 * so every loop is bounded by the window whatever the input.
 */
export class InputCoverage {
  private readonly mask: number;
  private readonly covered: Uint8Array;
  private started = false;
  private highest = 0;
  private highestRaw: SerialNumber = 0;
  private base = 0;
  private finalizeFrom = 0;
  /** Messages by `inputCount` (index 64 pools ≥ 64), without the current run's: read them through {@link InputCoverage.settledRedundancyCounts}. */
  private readonly redundancyCounts = new Float64Array(65);
  /**
   * The `inputCount` index of the last message and the messages of the
   * current run of that count not yet in `redundancyCounts`: a protocol's
   * redundancy rarely changes, so a message counts here, in this object,
   * without reaching for the count table.
   */
  private runIndex = 0;
  private runMessages = 0;
  /** Inputs expected in closed segments. */
  private expectedClosed = 0;
  /** Final inputs never carried by a received message. */
  lost = 0;
  /** Sequence restarts (jumps larger than half the window). */
  resets = 0;
  /** Messages with input roles seen (per datagram). */
  messages = 0;
  /** Sum of the byte lengths of those messages. */
  bytes = 0;

  constructor(private readonly windowSize = 4096) {
    this.mask = windowSize - 1;
    this.covered = new Uint8Array(windowSize);
  }

  /** Inputs the current segment spans beyond its first (0 before the first input). */
  get segmentProgress(): number {
    return this.started ? this.highest - this.base : 0;
  }

  /** Window of the tracker, inputs. */
  get window(): number {
    return this.windowSize;
  }

  /** Inputs expected so far. */
  get expected(): number {
    return this.expectedClosed + (this.started ? this.highest - this.base + 1 : 0);
  }

  /** The most frequent `inputCount` (the protocol's current redundancy), at least 1. */
  get currentRedundancy(): number {
    const counts = this.settledRedundancyCounts();
    let best = 1;
    for (let count = 1; count < counts.length; count++) {
      if (counts[count]! > counts[best]!) best = count;
    }
    return best;
  }

  /** `redundancyCounts` with the current run added. */
  private settledRedundancyCounts(): Float64Array {
    if (this.runMessages > 0) {
      this.redundancyCounts[this.runIndex]! += this.runMessages;
      this.runMessages = 0;
    }
    return this.redundancyCounts;
  }

  /**
   * Accounts one received message carrying inputs: its highest input
   * sequence (exact wire value), how many inputs it carries, its size, and the
   * width of the input sequence field (wrap-around; unknown = no wrap).
   */
  observe(inputSequence: SerialNumber, inputCount: number | undefined, byteLength: number, inputSequenceBits?: number): void {
    const count = Math.max(1, Math.min(Number.isFinite(inputCount) ? inputCount! : 1, this.windowSize >> 1));
    const index = Math.min(count, 64);
    if (index === this.runIndex) this.runMessages += 1;
    else {
      this.settledRedundancyCounts();
      this.runIndex = index;
      this.runMessages = 1;
    }
    this.messages += 1;
    this.bytes += byteLength;
    const distance = this.started ? serialDifference(this.highestRaw, inputSequence, inputSequenceBits) : 0;
    if (!this.started || !(Math.abs(distance) <= this.windowSize >> 1)) {
      if (this.started) {
        this.resets += 1;
        this.close();
      }
      // A new segment numbered past the old window (no slot shared, numbers stay small).
      const top = this.started ? this.highest + this.windowSize + count : count - 1;
      const bottom = top - count + 1;
      this.highestRaw = inputSequence;
      this.started = true;
      this.base = bottom;
      this.finalizeFrom = bottom;
      this.highest = top;
      for (let input = bottom; input <= top; input++) this.covered[input & this.mask] = 1;
      return;
    }
    const top = this.highest + distance;
    const bottom = top - count + 1;
    if (top > this.highest) {
      this.highestRaw = inputSequence;
      const finalLimit = top - this.windowSize;
      while (this.finalizeFrom <= finalLimit) this.finalize(this.finalizeFrom++);
      for (let input = this.highest + 1; input <= top; input++) this.covered[input & this.mask] = 0;
      this.highest = top;
    }
    const from = Math.max(bottom, this.finalizeFrom);
    for (let input = from; input <= top; input++) this.covered[input & this.mask] = 1;
  }

  private finalize(input: number): void {
    if (this.covered[input & this.mask] === 0) this.lost += 1;
  }

  private close(): void {
    while (this.finalizeFrom <= this.highest) this.finalize(this.finalizeFrom++);
    this.expectedClosed += this.highest - this.base + 1;
  }

  /** The tracker as plain data (nothing finalized). */
  saveState(): InputCoverageState {
    const covered: number[] = [];
    if (this.started) for (let input = this.finalizeFrom; input <= this.highest; input++) covered.push(this.covered[input & this.mask]!);
    return {
      windowSize: this.windowSize,
      started: this.started,
      highest: this.highest,
      highestRaw: encodeSerial(this.highestRaw),
      base: this.base,
      finalizeFrom: this.finalizeFrom,
      redundancyCounts: encodeSparse(this.settledRedundancyCounts()),
      expectedClosed: this.expectedClosed,
      lost: this.lost,
      resets: this.resets,
      messages: this.messages,
      bytes: this.bytes,
      window: encodeNibbles(covered),
    };
  }

  /** A tracker from {@link InputCoverage.saveState} (throws a RangeError when the window does not fit). */
  static fromState(state: InputCoverageState): InputCoverage {
    if (!Number.isInteger(state.windowSize) || state.windowSize < 2 || (state.windowSize & (state.windowSize - 1)) !== 0 || state.windowSize > 1 << 16) {
      throw new RangeError(`input window size ${state.windowSize} is not a power of two ≤ 65536`);
    }
    const coverage = new InputCoverage(state.windowSize);
    const covered = decodeNibbles(state.window, "input window");
    const open = state.started ? state.highest - state.finalizeFrom + 1 : 0;
    if (open < 0 || open > state.windowSize || covered.length !== open) throw new RangeError(`input window of ${covered.length} for ${open} open inputs`);
    coverage.started = state.started;
    coverage.highest = state.highest;
    coverage.highestRaw = decodeSerial(state.highestRaw);
    coverage.base = state.base;
    coverage.finalizeFrom = state.finalizeFrom;
    decodeSparse(state.redundancyCounts, coverage.redundancyCounts, "input redundancy");
    coverage.expectedClosed = state.expectedClosed;
    coverage.lost = state.lost;
    coverage.resets = state.resets;
    coverage.messages = state.messages;
    coverage.bytes = state.bytes;
    for (let offset = 0; offset < open; offset++) coverage.covered[(state.finalizeFrom + offset) & coverage.mask] = covered[offset]! === 0 ? 0 : 1;
    return coverage;
  }

  /** Makes every open input final. */
  finish(): void {
    if (!this.started) return;
    this.close();
    this.started = false;
  }
}
