import { Type, type Static } from "@sinclair/typebox";
import { ErrorCode, TickscopeError } from "../errors.js";
import { badState, checkState, countSchema, decodeNumber, encodeNumber, encodedNumberSchema } from "./rtt-state.js";

/** Default relative accuracy of {@link QuantileSketch}: 0.5 %. */
export const DEFAULT_SKETCH_RELATIVE_ACCURACY = 0.005;

/** Largest span of bucket indices a dense counter array may cover (32 KB); buckets outside go to a sparse map. */
const MAX_DENSE_SPAN = 8192;
/** Dense array length allocated around the first bucket hit (2 KB: most series never grow it; each growth allocates). */
const INITIAL_DENSE_SPAN = 512;

/**
 * Bucket counters of one sign: a dense `Uint32Array` over a contiguous range
 * of bucket indices (grown by doubling, so `add` is O(1) amortised and
 * allocation-free; promoted to `Float64Array` should a bucket ever pass 2³² − 1),
 * plus a sparse map for the rare buckets that would push the dense range past
 * {@link MAX_DENSE_SPAN} (hostile or absurd values), so memory stays bounded.
 */
class BucketStore {
  private counts: Uint32Array | Float64Array = new Uint32Array(0);
  /** Bucket index of `counts[0]`. */
  private offset = 0;
  private sparse: Map<number, number> | undefined;
  /** Buckets with a non-zero count. */
  size = 0;

  increment(bucket: number, count: number): void {
    let slot = bucket - this.offset;
    if (slot < 0 || slot >= this.counts.length) {
      if (!this.grow(bucket)) {
        this.incrementSparse(bucket, count);
        return;
      }
      slot = bucket - this.offset;
    }
    const previous = this.counts[slot];
    if (previous === 0) this.size += 1;
    const next = previous + count;
    if (next > 0xffffffff && this.counts instanceof Uint32Array) this.counts = Float64Array.from(this.counts);
    this.counts[slot] = next;
  }

  /** Calls `visit(bucket, count)` for every non-empty bucket, in ascending (or descending) bucket order. */
  visit(ascending: boolean, visit: (bucket: number, count: number) => boolean): void {
    const counts = this.counts;
    const sparseKeys = this.sparse === undefined ? [] : [...this.sparse.keys()].sort((a, b) => (ascending ? a - b : b - a));
    let sparseIndex = 0;
    const length = counts.length;
    for (let step = 0; step < length; step++) {
      const slot = ascending ? step : length - 1 - step;
      const count = counts[slot];
      if (count === 0) continue;
      const bucket = slot + this.offset;
      // Sparse buckets lie outside the dense range, so they come entirely before or after it.
      while (sparseIndex < sparseKeys.length && (ascending ? sparseKeys[sparseIndex] < bucket : sparseKeys[sparseIndex] > bucket)) {
        const key = sparseKeys[sparseIndex++];
        if (visit(key, this.sparse!.get(key)!)) return;
      }
      if (visit(bucket, count)) return;
    }
    while (sparseIndex < sparseKeys.length) {
      const key = sparseKeys[sparseIndex++];
      if (visit(key, this.sparse!.get(key)!)) return;
    }
  }

  /** Every non-empty bucket as flat `[bucket, count, bucket, count, …]`, ascending. */
  toPairs(): number[] {
    const pairs: number[] = [];
    this.visit(true, (bucket, count) => {
      pairs.push(bucket, count);
      return false;
    });
    return pairs;
  }

  /** Adds every bucket of `other`. */
  merge(other: BucketStore): void {
    other.visit(true, (bucket, count) => {
      this.increment(bucket, count);
      return false;
    });
  }

  /** Widens the dense range (doubling) to hold `bucket`; false when that would exceed the dense span limit. */
  private grow(bucket: number): boolean {
    if (!Number.isFinite(bucket)) return false; // log(0) with a zero minimumMagnitude
    const counts = this.counts;
    if (counts.length === 0) {
      this.counts = new Uint32Array(INITIAL_DENSE_SPAN);
      this.offset = bucket - (INITIAL_DENSE_SPAN >> 1);
      return true;
    }
    const low = Math.min(bucket, this.offset);
    const high = Math.max(bucket, this.offset + counts.length - 1);
    const needed = high - low + 1;
    if (needed > MAX_DENSE_SPAN) return false;
    let length = counts.length;
    while (length < needed) length *= 2;
    length = Math.min(length, MAX_DENSE_SPAN);
    // Keep the slack on the side that grew, so a series drifting one way keeps growing cheaply.
    const newOffset = bucket < this.offset ? high - length + 1 : low;
    const grown = counts instanceof Uint32Array ? new Uint32Array(length) : new Float64Array(length);
    grown.set(counts, this.offset - newOffset);
    this.counts = grown;
    this.offset = newOffset;
    return true;
  }

  private incrementSparse(bucket: number, count: number): void {
    if (this.sparse === undefined) this.sparse = new Map();
    const previous = this.sparse.get(bucket) ?? 0;
    if (previous === 0) this.size += 1;
    this.sparse.set(bucket, previous + count);
  }
}

/**
 * Most non-empty buckets a saved sketch may hold per sign: every finite double
 * magnitude from 10⁻⁹ up fits in fewer at any relative accuracy ≥ 0.2 %
 * (log(1.8·10³⁰⁸ / 10⁻⁹) / log γ ≈ 180,000 at α = 0.2 %).
 */
export const MAX_SKETCH_STATE_BUCKETS = 200_000;

/** TypeBox schema of {@link QuantileSketchState}. */
export const quantileSketchStateSchema = Type.Object(
  {
    relativeAccuracy: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    minimumMagnitude: Type.Number({ minimum: 0 }),
    count: countSchema,
    sum: Type.Number(),
    min: encodedNumberSchema,
    max: encodedNumberSchema,
    zeroCount: countSchema,
    /** Flat `[bucket, count, …]` pairs, ascending bucket. */
    positive: Type.Array(Type.Integer(), { maxItems: 2 * MAX_SKETCH_STATE_BUCKETS }),
    negative: Type.Array(Type.Integer(), { maxItems: 2 * MAX_SKETCH_STATE_BUCKETS }),
  },
  { additionalProperties: false },
);

/**
 * A {@link QuantileSketch} as JSON-safe plain data ({@link QuantileSketch.saveState}):
 * its accuracy, exact count/sum/min/max (min/max as `"Infinity"` / `"-Infinity"`
 * when empty) and its non-empty buckets per sign as flat `[bucket, count, …]`
 * pairs. Size: 2 numbers per non-empty bucket (a few hundred for an RTT series).
 */
export type QuantileSketchState = Static<typeof quantileSketchStateSchema>;

/**
 * The bucket counts of a {@link QuantileSketch} at one moment
 * ({@link QuantileSketch.checkpoint}): what {@link QuantileSketch.addedSince}
 * subtracts to give the values added after it.
 */
export interface QuantileSketchCheckpoint {
  /** Values in the sketch at the checkpoint. */
  readonly count: number;
  /** Values in the zero bucket at the checkpoint. */
  readonly zeroCount: number;
  /** Non-empty positive buckets as flat `[bucket, count, …]` pairs, ascending bucket. */
  readonly positive: readonly number[];
  /** Non-empty negative buckets as flat `[bucket, count, …]` pairs, ascending bucket. */
  readonly negative: readonly number[];
}

/** Adds to `target` each bucket of `later` minus the same bucket of `earlier` (both ascending pairs); throws when `earlier` holds more. */
function addBucketDifferences(target: BucketStore, later: readonly number[], earlier: readonly number[]): void {
  let earlierIndex = 0;
  for (let index = 0; index < later.length; index += 2) {
    const bucket = later[index];
    let count = later[index + 1];
    while (earlierIndex < earlier.length && earlier[earlierIndex] < bucket) {
      // A bucket the checkpoint held that the sketch no longer does: not a checkpoint of this sketch.
      if (earlier[earlierIndex + 1] > 0) throw new RangeError("QuantileSketch.addedSince: the checkpoint holds a bucket the sketch does not");
      earlierIndex += 2;
    }
    if (earlierIndex < earlier.length && earlier[earlierIndex] === bucket) {
      count -= earlier[earlierIndex + 1];
      earlierIndex += 2;
    }
    if (count < 0) throw new RangeError("QuantileSketch.addedSince: the checkpoint holds more values in a bucket than the sketch");
    if (count > 0) target.increment(bucket, count);
  }
  if (earlierIndex < earlier.length) throw new RangeError("QuantileSketch.addedSince: the checkpoint holds a bucket the sketch does not");
}

/** Checks the pairs of one sign; returns their total count. */
function checkPairs(pairs: readonly number[], path: string): number {
  if (pairs.length % 2 !== 0) badState("quantile sketch state", path, "bucket pairs must come in [bucket, count] pairs");
  let total = 0;
  for (let index = 0; index < pairs.length; index += 2) {
    const count = pairs[index + 1];
    if (count < 1 || !Number.isSafeInteger(count)) badState("quantile sketch state", `${path}/${index + 1}`, "bucket count must be a positive safe integer");
    if (index > 0 && pairs[index] <= pairs[index - 2]) badState("quantile sketch state", `${path}/${index}`, "buckets must ascend");
    total += count;
  }
  return total;
}

/**
 * Bounded-memory quantile sketch with a guaranteed relative error (the
 * DDSketch construction): a value `x` falls in the logarithmic bucket
 * `ceil(log_γ |x|)` with `γ = (1 + α) / (1 − α)`, and a quantile is answered
 * by the bucket's centre, so every quantile is within `α·|true value|` of a
 * value of the exact rank. With α = 0.5 %, a 60 ms RTT p95 is exact to
 * ±0.3 ms. Values with `|x|` below `minimumMagnitude` (default 1 µs
 * expressed in ms, 0.001) count as zero. Memory: per sign, one 4-byte
 * counter per bucket index between the lowest and highest bucket hit (a
 * `Uint32Array` of at least 512 slots, grown by doubling, so `add` is O(1)
 * and allocation-free once the range is reached) — about 2,100 buckets cover
 * 0.001 ms … 10⁶ ms, so a series usually holds 2–8 KB — and buckets that would
 * widen that range past 8,192 indices are kept sparsely, so memory stays
 * bounded whatever the number or spread of the values. The bucket of a value
 * is computed exactly as before the dense layout (`Math.ceil(Math.log(|x|) /
 * Math.log(γ))`), so the answers, and the error bound, are unchanged. `max`,
 * `min`, `count` and `sum` are exact.
 *
 * This is the DDSketch algorithm (Masson, Rim & Lee, VLDB 2019) — the same
 * logarithmic mapping and bucket-centre answer as Datadog's reference
 * implementation, `@datadog/sketches-js` — kept in core for its
 * allocation-free dense store; `rtt-state.test.ts` checks it against that
 * reference on random data (within α of the exact quantile, within 2α of the
 * reference's answer, single and merged from random splits). Its state saves
 * as plain data ({@link saveState}, {@link mergeState}, {@link fromState}).
 */
export class QuantileSketch {
  private readonly logGamma: number;
  private readonly gamma: number;
  private readonly positive = new BucketStore();
  private readonly negative = new BucketStore();
  private zeroCount = 0;
  /** Number of values added. */
  count = 0;
  /** Exact sum of the values added. */
  sum = 0;
  /** Exact smallest value (Infinity when empty). */
  min = Infinity;
  /** Exact largest value (-Infinity when empty). */
  max = -Infinity;
  /**
   * The last bucketed value added (non-zero, finite, at least `minimumMagnitude`
   * in magnitude; NaN before one), its bucket and sign, and how many later adds
   * of that same value are not yet in its bucket counter: a series repeating a
   * value (a game's smoothed RTT estimate) counts it here without touching the
   * bucket store. {@link settle} moves the pending count into the store; every
   * method that reads or merges buckets settles first, so no answer changes.
   */
  private runValue = Number.NaN;
  private runBucket = 0;
  private runPositive = true;
  private runCount = 0;

  constructor(
    /** Relative accuracy α in (0, 1). */
    readonly relativeAccuracy: number = DEFAULT_SKETCH_RELATIVE_ACCURACY,
    /** Magnitudes below this count as zero. */
    readonly minimumMagnitude: number = 0.001,
  ) {
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.logGamma = Math.log(this.gamma);
  }

  /** Adds one value (non-finite values are ignored). O(1), no allocation once the bucket range is established. */
  add(value: number): void {
    if (value === this.runValue) {
      // The last bucketed value again: min and max already hold it, its bucket count waits in runCount.
      this.count += 1;
      this.sum += value;
      this.runCount += 1;
      return;
    }
    if (!Number.isFinite(value)) return;
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const positive = value > 0;
    const magnitude = positive ? value : -value;
    if (magnitude < this.minimumMagnitude) {
      this.zeroCount += 1;
      return;
    }
    const bucket = Math.ceil(Math.log(magnitude) / this.logGamma);
    if (this.runCount > 0) this.settle();
    this.runValue = value;
    this.runBucket = bucket;
    this.runPositive = positive;
    (positive ? this.positive : this.negative).increment(bucket, 1);
  }

  /** Moves the pending count of the repeated last value into its bucket (see `runValue`). */
  private settle(): void {
    const count = this.runCount;
    if (count === 0) return;
    this.runCount = 0;
    (this.runPositive ? this.positive : this.negative).increment(this.runBucket, count);
  }

  /**
   * Adds `value` to this sketch and to `other`, computing its bucket once when
   * both have the same accuracy and minimum magnitude (the same as
   * `this.add(value); other.add(value)`).
   */
  addToBoth(value: number, other: QuantileSketch): void {
    if (other.logGamma !== this.logGamma || other.minimumMagnitude !== this.minimumMagnitude || !Number.isFinite(value)) {
      this.add(value);
      other.add(value);
      return;
    }
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    other.count += 1;
    other.sum += value;
    if (value < other.min) other.min = value;
    if (value > other.max) other.max = value;
    const magnitude = value > 0 ? value : -value;
    if (magnitude < this.minimumMagnitude) {
      this.zeroCount += 1;
      other.zeroCount += 1;
      return;
    }
    const bucket = Math.ceil(Math.log(magnitude) / this.logGamma);
    if (value > 0) {
      this.positive.increment(bucket, 1);
      other.positive.increment(bucket, 1);
    } else {
      this.negative.increment(bucket, 1);
      other.negative.increment(bucket, 1);
    }
  }

  /**
   * The sketch's bucket counts now (O(buckets); allocates the pairs): the
   * values added after it are {@link addedSince}. A series followed both
   * whole and per time slice feeds one sketch and takes a checkpoint per
   * slice, instead of adding every value to two sketches.
   */
  checkpoint(): QuantileSketchCheckpoint {
    this.settle();
    return { count: this.count, zeroCount: this.zeroCount, positive: this.positive.toPairs(), negative: this.negative.toPairs() };
  }

  /**
   * The values added to this sketch since `checkpoint` (one of this sketch's),
   * as a new sketch of the same accuracy: its buckets are the differences of
   * the bucket counts, and its exact `sum`, `min` and `max` are the caller's
   * (tracked in the order the values were added, so `sum` is the same float a
   * sketch fed only those values holds). Every answer, and its saved state,
   * equal those of a sketch fed only the values added since the checkpoint.
   * Throws `RangeError` when `checkpoint` holds values this sketch does not
   * (a checkpoint of another sketch).
   */
  addedSince(checkpoint: QuantileSketchCheckpoint, sum: number, min: number, max: number): QuantileSketch {
    this.settle();
    const since = new QuantileSketch(this.relativeAccuracy, this.minimumMagnitude);
    const count = this.count - checkpoint.count;
    const zeroCount = this.zeroCount - checkpoint.zeroCount;
    if (count < 0 || zeroCount < 0) throw new RangeError("QuantileSketch.addedSince: the checkpoint holds more values than the sketch");
    addBucketDifferences(since.positive, this.positive.toPairs(), checkpoint.positive);
    addBucketDifferences(since.negative, this.negative.toPairs(), checkpoint.negative);
    since.zeroCount = zeroCount;
    since.count = count;
    if (count > 0) {
      since.sum = sum;
      since.min = min;
      since.max = max;
    }
    return since;
  }

  /** Adds every value of another sketch with the same accuracy. */
  merge(other: QuantileSketch): void {
    this.settle();
    other.settle();
    this.positive.merge(other.positive);
    this.negative.merge(other.negative);
    this.zeroCount += other.zeroCount;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /**
   * The sketch as JSON-safe plain data (see {@link QuantileSketchState}):
   * `QuantileSketch.fromState(sketch.saveState())` answers every quantile, and
   * count/sum/min/max, exactly as `sketch` does.
   */
  saveState(): QuantileSketchState {
    this.settle();
    return {
      relativeAccuracy: this.relativeAccuracy,
      minimumMagnitude: this.minimumMagnitude,
      count: this.count,
      sum: this.sum,
      min: encodeNumber(this.min),
      max: encodeNumber(this.max),
      zeroCount: this.zeroCount,
      positive: this.positive.toPairs(),
      negative: this.negative.toPairs(),
    };
  }

  /**
   * Adds every value of a saved sketch (as {@link merge} does with a sketch),
   * after checking it: an input that is not a {@link QuantileSketchState}
   * (wrong shape, counts that do not add up, min above max) throws
   * `E_BAD_PARTIAL`, and one of another accuracy or minimum magnitude throws
   * `E_PARTIAL_MISMATCH` — in both cases before anything is added.
   */
  mergeState(state: QuantileSketchState): void {
    const checked = checkState(quantileSketchStateSchema, state, "quantile sketch state");
    const bucketTotal = checkPairs(checked.positive, "/positive") + checkPairs(checked.negative, "/negative") + checked.zeroCount;
    if (bucketTotal !== checked.count) badState("quantile sketch state", "/count", `count ${checked.count} is not the ${bucketTotal} values in the buckets`);
    const min = decodeNumber(checked.min);
    const max = decodeNumber(checked.max);
    if (checked.count === 0 ? min !== Infinity || max !== -Infinity : !Number.isFinite(min) || !Number.isFinite(max) || min > max) {
      badState("quantile sketch state", "/min", "min/max must be finite with min ≤ max (Infinity / -Infinity when empty)");
    }
    if (checked.relativeAccuracy !== this.relativeAccuracy || checked.minimumMagnitude !== this.minimumMagnitude) {
      throw new TickscopeError(
        ErrorCode.partialMismatch,
        `quantile sketch state of relative accuracy ${checked.relativeAccuracy} (minimum ${checked.minimumMagnitude}) cannot merge into one of ${this.relativeAccuracy} (minimum ${this.minimumMagnitude})`,
      );
    }
    this.settle();
    for (let index = 0; index < checked.positive.length; index += 2) this.positive.increment(checked.positive[index], checked.positive[index + 1]);
    for (let index = 0; index < checked.negative.length; index += 2) this.negative.increment(checked.negative[index], checked.negative[index + 1]);
    this.zeroCount += checked.zeroCount;
    this.count += checked.count;
    this.sum += checked.sum;
    this.min = Math.min(this.min, min);
    this.max = Math.max(this.max, max);
  }

  /**
   * Adds every value of a saved sketch (of this accuracy) shifted by `shift`:
   * each bucket's centre + `shift`, with its count (`dropZeros` values of the
   * zero bucket left out). Count, sum, min and max stay exact; each shifted value
   * is within α·|its unshifted value| of the truth (not α·|shifted value|).
   * Used to rebase a later pass's relative values onto an earlier pass's base.
   * Throws `E_BAD_PARTIAL` / `E_PARTIAL_MISMATCH` as {@link mergeState} before adding anything.
   */
  mergeShiftedState(state: QuantileSketchState, shift: number, dropZeros = 0): void {
    const checked = QuantileSketch.fromState(state);
    if (checked.relativeAccuracy !== this.relativeAccuracy || checked.minimumMagnitude !== this.minimumMagnitude) this.mergeState(state);
    if (!Number.isFinite(shift) || dropZeros < 0 || dropZeros > checked.zeroCount) badState("quantile sketch state", "/zeroCount", "shift must be finite and the zeros dropped at most the zero count");
    const add = (value: number, count: number): void => {
      const magnitude = Math.abs(value);
      if (magnitude < this.minimumMagnitude) this.zeroCount += count;
      else (value > 0 ? this.positive : this.negative).increment(Math.ceil(Math.log(magnitude) / this.logGamma), count);
    };
    this.settle();
    const pairs = [checked.positive.toPairs(), checked.negative.toPairs()];
    for (let sign = 0; sign < 2; sign++) {
      const list = pairs[sign];
      for (let index = 0; index < list.length; index += 2) add((sign === 0 ? 1 : -1) * checked.bucketValue(list[index]) + shift, list[index + 1]);
    }
    if (checked.zeroCount > dropZeros) add(shift, checked.zeroCount - dropZeros);
    const count = checked.count - dropZeros;
    if (count === 0) return;
    this.count += count;
    this.sum += checked.sum + shift * count;
    this.min = Math.min(this.min, checked.min + shift);
    this.max = Math.max(this.max, checked.max + shift);
  }

  /** A sketch rebuilt from a saved state (its accuracy and minimum magnitude), checked as {@link mergeState} checks it. */
  static fromState(state: QuantileSketchState): QuantileSketch {
    const checked = checkState(quantileSketchStateSchema, state, "quantile sketch state");
    const sketch = new QuantileSketch(checked.relativeAccuracy, checked.minimumMagnitude);
    sketch.mergeState(checked);
    return sketch;
  }

  /** Mean of the values (NaN when empty). */
  get mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  /** Number of buckets in use (non-empty buckets; the dense arrays may hold some empty slots between them). */
  get bucketCount(): number {
    this.settle();
    return this.positive.size + this.negative.size + (this.zeroCount > 0 ? 1 : 0);
  }

  /**
   * The `q`-quantile (0 ≤ q ≤ 1), within the relative accuracy, clamped to
   * the exact min/max. NaN when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    this.settle();
    const rank = q * (this.count - 1);
    let seen = 0;
    let found = Number.NaN;
    this.negative.visit(false, (bucket, count) => {
      seen += count;
      if (seen > rank) {
        found = -this.bucketValue(bucket);
        return true;
      }
      return false;
    });
    if (!Number.isNaN(found)) return this.clamp(found);
    seen += this.zeroCount;
    if (seen > rank) return this.clamp(0);
    this.positive.visit(true, (bucket, count) => {
      seen += count;
      if (seen > rank) {
        found = this.bucketValue(bucket);
        return true;
      }
      return false;
    });
    return Number.isNaN(found) ? this.max : this.clamp(found);
  }

  /** The value a bucket answers (its centre). */
  private bucketValue(bucket: number): number {
    return (2 * Math.pow(this.gamma, bucket)) / (this.gamma + 1);
  }

  private clamp(value: number): number {
    return Math.min(this.max, Math.max(this.min, value));
  }
}
