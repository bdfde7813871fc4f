/**
 * Residual input loss after the redundancy the protocol already carries: a
 * message with `inputSequence` s and `inputCount` c carries inputs
 * [s − c + 1, s]; an input is lost only if no received message carried it.
 * Bounded memory: a ring of `windowSize` inputs; inputs become final once the
 * highest input is a window ahead. Capture edges never count: inputs before
 * the first carried one or after the last carried one are not expected.
 */
export class InputCoverage {
  private readonly mask: number;
  private readonly covered: Uint8Array;
  private started = false;
  private highest = 0;
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

  /** Accounts one received message carrying inputs. */
  observe(inputSequence: number, inputCount: number | undefined, byteLength: number): void {
    const count = Math.max(1, Math.min(inputCount ?? 1, this.windowSize >> 1));
    this.redundancyCounts[Math.min(count, 64)]! += 1;
    this.messages += 1;
    this.bytes += byteLength;
    const top = inputSequence;
    const bottom = top - count + 1;
    if (!this.started || Math.abs(top - this.highest) > this.windowSize >> 1) {
      if (this.started) {
        this.resets += 1;
        this.close();
      }
      this.started = true;
      this.base = bottom;
      this.finalizeFrom = bottom;
      this.highest = top;
      for (let input = bottom; input <= top; input++) this.covered[input & this.mask] = 1;
      return;
    }
    if (top > this.highest) {
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
