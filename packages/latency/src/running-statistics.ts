/** Streaming mean and variance (Welford), O(1) memory. */
export class RunningStatistics {
  /** Number of values. */
  count = 0;
  /** Running mean. */
  mean = 0;
  private m2 = 0;

  /** Adds one value (non-finite values are ignored). */
  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.count += 1;
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (value - this.mean);
  }

  /** Sample standard deviation (0 with fewer than two values). */
  get standardDeviation(): number {
    return this.count < 2 ? 0 : Math.sqrt(this.m2 / (this.count - 1));
  }
}
