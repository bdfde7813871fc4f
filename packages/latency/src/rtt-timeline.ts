/** One point of an RTT timeline: the worst and the typical RTT of one time bucket. */
export interface RttTimelinePoint {
  /** Bucket start, µs since the epoch. */
  startUs: number;
  /** Highest RTT in the bucket, ms. */
  maxMs: number;
  /** Lowest RTT in the bucket, ms. */
  minMs: number;
  /** RTT samples in the bucket. */
  samples: number;
}

/**
 * A bounded RTT timeline for charts: RTT max/min per bucket, 1 s buckets to
 * start with; when more than `maxPoints` buckets accumulate, neighbours merge
 * and the bucket width doubles, so memory stays at most `maxPoints` points for
 * any capture length while a spike's peak is never averaged away.
 */
export class RttTimeline {
  private readonly points: RttTimelinePoint[] = [];
  private bucketUs: number;

  constructor(
    private readonly maxPoints = 600,
    initialBucketMs = 1000,
  ) {
    if (!(maxPoints >= 2) || !(initialBucketMs > 0)) throw new RangeError("RttTimeline: maxPoints ≥ 2 and initialBucketMs > 0");
    this.bucketUs = initialBucketMs * 1000;
  }

  /** Current bucket width, ms. */
  get bucketMs(): number {
    return this.bucketUs / 1000;
  }

  /** Adds one RTT sample (samples arrive in time order; a late sample joins the last bucket). */
  add(tUs: number, rttMs: number): void {
    const startUs = Math.floor(tUs / this.bucketUs) * this.bucketUs;
    const last = this.points[this.points.length - 1];
    if (last !== undefined && startUs <= last.startUs) {
      if (rttMs > last.maxMs) last.maxMs = rttMs;
      if (rttMs < last.minMs) last.minMs = rttMs;
      last.samples += 1;
      return;
    }
    this.points.push({ startUs, maxMs: rttMs, minMs: rttMs, samples: 1 });
    if (this.points.length > this.maxPoints) this.coarsen();
  }

  private coarsen(): void {
    this.bucketUs *= 2;
    const merged: RttTimelinePoint[] = [];
    for (const point of this.points) {
      const startUs = Math.floor(point.startUs / this.bucketUs) * this.bucketUs;
      const last = merged[merged.length - 1];
      if (last !== undefined && last.startUs === startUs) {
        last.maxMs = Math.max(last.maxMs, point.maxMs);
        last.minMs = Math.min(last.minMs, point.minMs);
        last.samples += point.samples;
      } else merged.push({ ...point, startUs });
    }
    this.points.length = 0;
    this.points.push(...merged);
  }

  /** The timeline, RTTs rounded to µs. */
  toJSON(): RttTimelinePoint[] {
    return this.points.map((point) => ({
      startUs: point.startUs,
      maxMs: Math.round(point.maxMs * 1000) / 1000,
      minMs: Math.round(point.minMs * 1000) / 1000,
      samples: point.samples,
    }));
  }
}
