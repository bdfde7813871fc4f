import type { LogHistogram } from "./histogram.js";

/** Values a {@link HistogramBatch} holds by default before it adds them. */
export const DEFAULT_BATCH_CAPACITY = 256;

/**
 * Values bound for a few {@link LogHistogram}s, held and added in batches, in
 * the order they came: each histogram's count, sum and maximum end up exactly
 * as if every value had been added at once (a sum depends on its order). A
 * value added per snapshot of one stream among hundreds finds that stream's
 * buckets (and the bucket tables) out of the cache; a batch touches them once
 * for many values. The owner calls {@link HistogramBatch.flush} before its
 * histograms are read, saved or merged.
 */
export class HistogramBatch {
  private readonly values: Float64Array;
  private readonly targets: Uint8Array;
  private count = 0;

  /** `histograms`: the targets, by index (at most 256). */
  constructor(
    private readonly histograms: readonly LogHistogram[],
    capacity = DEFAULT_BATCH_CAPACITY,
  ) {
    if (histograms.length === 0 || histograms.length > 256) throw new RangeError(`a histogram batch has 1 to 256 targets, got ${histograms.length}`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`batch capacity must be a positive integer, got ${capacity}`);
    this.values = new Float64Array(capacity);
    this.targets = new Uint8Array(capacity);
  }

  /** Holds `value` for histogram `target` (adding the batch when it is full). */
  add(value: number, target: number): void {
    const count = this.count;
    this.values[count] = value;
    this.targets[count] = target;
    this.count = count + 1;
    if (count + 1 === this.values.length) this.flush();
  }

  /** Adds every held value to its histogram, in the order they came. */
  flush(): void {
    const count = this.count;
    if (count === 0) return;
    this.count = 0;
    const values = this.values;
    const targets = this.targets;
    const histograms = this.histograms;
    for (let index = 0; index < count; index++) histograms[targets[index]!]!.add(values[index]!);
  }
}
