import { BUCKET_COUNT, BUCKET_GROWTH, bucketIndex } from "./log-bucket-index.js";
import { decodeSparse, encodeSparse, type SparseCounts } from "./state-encoding.js";

/** Saved state of a {@link LogHistogram} (JSON-safe; buckets sparse). */
export interface LogHistogramState {
  count: number;
  sum: number;
  max: number;
  /** Non-zero buckets as `[index, count]`. */
  buckets: SparseCounts;
}

/** Saved state of a {@link RunLengthHistogram} (JSON-safe; counts sparse). */
export interface RunLengthState {
  exactLimit: number;
  count: number;
  totalLength: number;
  maxLength: number;
  overflowCount: number;
  overflowLength: number;
  /** Non-zero counts as `[length, runs]`. */
  counts: SparseCounts;
}

/** Summary of a distribution of positive values. */
export interface DistributionSummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

const GROWTH = BUCKET_GROWTH;

/**
 * Fixed-memory histogram of non-negative values with logarithmic buckets
 * (2% relative resolution from 1 to ~10^12 units). Count, sum and maximum are
 * exact; percentiles are accurate to the bucket width. Memory: one
 * `Uint32Array` of 1400 entries, allocated on the first value.
 */
export class LogHistogram {
  private buckets: Uint32Array | undefined;
  /** Number of values recorded. */
  count = 0;
  /** Sum of values recorded. */
  sum = 0;
  /** Largest value recorded (0 when empty). */
  max = 0;

  /** Records one value (negative values count as 0). */
  add(value: number): void {
    const safe = value > 0 ? value : 0;
    if (this.buckets === undefined) this.buckets = new Uint32Array(BUCKET_COUNT);
    this.buckets[bucketOf(safe)]! += 1;
    this.count += 1;
    this.sum += safe;
    if (safe > this.max) this.max = safe;
  }

  /** Adds every value of another histogram into this one. */
  merge(other: LogHistogram): void {
    if (other.buckets === undefined) return;
    if (this.buckets === undefined) this.buckets = new Uint32Array(BUCKET_COUNT);
    for (let index = 0; index < BUCKET_COUNT; index++) this.buckets[index]! += other.buckets[index]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** The histogram as plain data. */
  saveState(): LogHistogramState {
    return { count: this.count, sum: this.sum, max: this.max, buckets: this.buckets === undefined ? [] : encodeSparse(this.buckets) };
  }

  /** A histogram from {@link LogHistogram.saveState} (throws a RangeError on a bucket out of range). */
  static fromState(state: LogHistogramState): LogHistogram {
    const histogram = new LogHistogram();
    histogram.count = state.count;
    histogram.sum = state.sum;
    histogram.max = state.max;
    if (state.buckets.length > 0) {
      histogram.buckets = new Uint32Array(BUCKET_COUNT);
      decodeSparse(state.buckets, histogram.buckets, "histogram bucket");
    }
    return histogram;
  }

  /** Mean (0 when empty). */
  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** Approximate quantile `q` in [0, 1] (0 when empty), never above the exact maximum. */
  quantile(q: number): number {
    if (this.count === 0 || this.buckets === undefined) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let index = 0; index < BUCKET_COUNT; index++) {
      seen += this.buckets[index]!;
      if (seen >= rank) return Math.min(this.max, bucketValue(index));
    }
    /* c8 ignore next */
    return this.max;
  }

  /** Summary with values multiplied by `scale` (e.g. 1/1000 for µs → ms). */
  summary(scale = 1): DistributionSummary {
    return {
      count: this.count,
      mean: round(this.mean * scale),
      p50: round(this.quantile(0.5) * scale),
      p95: round(this.quantile(0.95) * scale),
      p99: round(this.quantile(0.99) * scale),
      max: round(this.max * scale),
    };
  }
}

function bucketOf(value: number): number {
  return bucketIndex(value);
}

function bucketValue(index: number): number {
  if (index === 0) return 0;
  // Geometric middle of [GROWTH^(i-1), GROWTH^i).
  return Math.pow(GROWTH, index - 0.5);
}

/** Rounds to 6 significant decimals for stable JSON. */
export function round(value: number, decimals = 6): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** One bucket of a run-length distribution. */
export interface RunLengthBucket {
  length: number;
  count: number;
}

/** Summary of run lengths. */
export interface RunLengthSummary {
  count: number;
  meanLength: number;
  maxLength: number;
  /** Exact counts per length (lengths above the exact limit are pooled in `overflow`). */
  lengths: RunLengthBucket[];
  /** Runs longer than the exact limit: count and total length. */
  overflow: { count: number; totalLength: number };
}

/**
 * Exact histogram of run lengths (consecutive losses or receptions) up to
 * `exactLimit`; longer runs are pooled (count and total length kept exactly).
 */
export class RunLengthHistogram {
  private readonly counts: Float64Array;
  /** Number of runs. */
  count = 0;
  /** Sum of run lengths. */
  totalLength = 0;
  /** Longest run. */
  maxLength = 0;
  /** Runs longer than the exact limit. */
  overflowCount = 0;
  /** Total length of runs longer than the exact limit. */
  overflowLength = 0;

  constructor(readonly exactLimit = 1024) {
    this.counts = new Float64Array(exactLimit + 1);
  }

  /** Records one run of `length` ≥ 1. */
  add(length: number): void {
    this.count += 1;
    this.totalLength += length;
    if (length > this.maxLength) this.maxLength = length;
    if (length > this.exactLimit) {
      this.overflowCount += 1;
      this.overflowLength += length;
    } else {
      this.counts[length]! += 1;
    }
  }

  /** The histogram as plain data. */
  saveState(): RunLengthState {
    return {
      exactLimit: this.exactLimit,
      count: this.count,
      totalLength: this.totalLength,
      maxLength: this.maxLength,
      overflowCount: this.overflowCount,
      overflowLength: this.overflowLength,
      counts: encodeSparse(this.counts),
    };
  }

  /** A histogram from {@link RunLengthHistogram.saveState} (throws a RangeError on a length out of range). */
  static fromState(state: RunLengthState): RunLengthHistogram {
    const histogram = new RunLengthHistogram(state.exactLimit);
    histogram.count = state.count;
    histogram.totalLength = state.totalLength;
    histogram.maxLength = state.maxLength;
    histogram.overflowCount = state.overflowCount;
    histogram.overflowLength = state.overflowLength;
    decodeSparse(state.counts, histogram.counts, "run length");
    return histogram;
  }

  /** Runs of exactly `length` (0 for lengths above the exact limit). */
  countOf(length: number): number {
    return length >= 1 && length <= this.exactLimit ? this.counts[length]! : 0;
  }

  /**
   * Number of positions whose next `window` slots all fall inside one run:
   * Σ max(0, length − window + 1). For loss runs this is how many inputs are
   * lost when each is carried by `window` consecutive datagrams.
   */
  windowsInside(window: number): number {
    let total = 0;
    const limit = Math.min(this.maxLength, this.exactLimit);
    for (let length = window; length <= limit; length++) total += this.counts[length]! * (length - window + 1);
    if (this.overflowCount > 0) total += this.overflowLength - this.overflowCount * (window - 1);
    return total;
  }

  /** Summary for reports (lengths ascending, zero buckets omitted). */
  summary(): RunLengthSummary {
    const lengths: RunLengthBucket[] = [];
    const limit = Math.min(this.maxLength, this.exactLimit);
    for (let length = 1; length <= limit; length++) {
      const count = this.counts[length]!;
      if (count > 0) lengths.push({ length, count });
    }
    return {
      count: this.count,
      meanLength: this.count === 0 ? 0 : round(this.totalLength / this.count),
      maxLength: this.maxLength,
      lengths,
      overflow: { count: this.overflowCount, totalLength: this.overflowLength },
    };
  }
}
