/** Median and MAD of a set of samples. */
export interface RobustBaseline {
  /** Median. */
  median: number;
  /** Median absolute deviation (unscaled). */
  mad: number;
}

/**
 * A fixed-capacity ring of the most recent samples with a robust baseline
 * (median + median absolute deviation). Memory is constant: one `Float64Array`
 * of `capacity` values plus a shared scratch buffer for the sort.
 */
export class RobustWindow {
  private readonly values: Float64Array;
  private readonly scratch: Float64Array;
  private next = 0;
  private count = 0;

  /** @param capacity samples kept (the oldest is overwritten). */
  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
    this.scratch = new Float64Array(capacity);
  }

  /** Samples currently held (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /** Adds a sample, overwriting the oldest when full. */
  push(value: number): void {
    this.values[this.next] = value;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    if (this.count < this.capacity) this.count += 1;
  }

  /** Median and MAD of the samples held (NaN when empty). Writes into `into` to avoid allocation. */
  baseline(into: RobustBaseline): RobustBaseline {
    const count = this.count;
    if (count === 0) {
      into.median = Number.NaN;
      into.mad = Number.NaN;
      return into;
    }
    const scratch = this.scratch.subarray(0, count);
    scratch.set(this.values.subarray(0, count));
    scratch.sort();
    const median = medianOfSorted(scratch);
    for (let index = 0; index < count; index += 1) scratch[index] = Math.abs(scratch[index]! - median);
    scratch.sort();
    into.median = median;
    into.mad = medianOfSorted(scratch);
    return into;
  }
}

function medianOfSorted(sorted: Float64Array): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
