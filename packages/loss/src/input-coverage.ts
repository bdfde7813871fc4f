import { serialDifference, type SerialNumber } from "@tickscope/core";

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
  private readonly redundancyCounts = new Float64Array(65);
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

  /** Inputs expected so far. */
  get expected(): number {
    return this.expectedClosed + (this.started ? this.highest - this.base + 1 : 0);
  }

  /** The most frequent `inputCount` (the protocol's current redundancy), at least 1. */
  get currentRedundancy(): number {
    let best = 1;
    for (let count = 1; count < this.redundancyCounts.length; count++) {
      if (this.redundancyCounts[count]! > this.redundancyCounts[best]!) best = count;
    }
    return best;
  }

  /**
   * Accounts one received message carrying inputs: its highest input
   * sequence (exact wire value), how many inputs it carries, its size, and the
   * width of the input sequence field (wrap-around; unknown = no wrap).
   */
  observe(inputSequence: SerialNumber, inputCount: number | undefined, byteLength: number, inputSequenceBits?: number): void {
    const count = Math.max(1, Math.min(Number.isFinite(inputCount) ? inputCount! : 1, this.windowSize >> 1));
    this.redundancyCounts[Math.min(count, 64)]! += 1;
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

  /** Makes every open input final. */
  finish(): void {
    if (!this.started) return;
    this.close();
    this.started = false;
  }
}
