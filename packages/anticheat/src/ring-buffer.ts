/**
 * Fixed-capacity ring of numbers (keeps the newest `capacity` values). The
 * bounded memory behind every per-session sample series.
 */
export class NumberRing {
  private readonly values: Float64Array;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
  }

  /** Number of values held (≤ capacity). */
  get length(): number {
    return this.count;
  }

  /** Adds a value, overwriting the oldest when full. */
  push(value: number): void {
    this.values[this.next] = value;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    if (this.count < this.capacity) this.count += 1;
  }

  /** The i-th value, oldest first (0 ≤ i < length). */
  at(index: number): number {
    const start = this.count < this.capacity ? 0 : this.next;
    return this.values[(start + index) % this.capacity]!;
  }

  /** Copies the values, oldest first. */
  toArray(): number[] {
    const result = new Array<number>(this.count);
    for (let index = 0; index < this.count; index++) result[index] = this.at(index);
    return result;
  }
}
