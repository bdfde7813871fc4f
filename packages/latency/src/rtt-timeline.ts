import { badState } from "@tickscope/core";

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
  /** The last of `points` (kept at hand: a sample usually joins it). */
  private last: RttTimelinePoint | undefined;
  /**
   * The last point's start, max, min and samples, held here while samples join
   * it (the truth while `last` is set; written into it by {@link writeLast}
   * before `points` is read): a sample touches this object only. Start is
   * −Infinity without a last point.
   */
  private lastStartUs = -Infinity;
  private lastMaxMs = 0;
  private lastMinMs = 0;
  private lastSamples = 0;
  private bucketUs: number;
  private readonly initialBucketUs: number;

  constructor(
    private readonly maxPoints = 600,
    initialBucketMs = 1000,
  ) {
    if (!(maxPoints >= 2) || !(initialBucketMs > 0)) throw new RangeError("RttTimeline: maxPoints ≥ 2 and initialBucketMs > 0");
    this.bucketUs = initialBucketMs * 1000;
    this.initialBucketUs = this.bucketUs;
  }

  /** Current bucket width, ms. */
  get bucketMs(): number {
    return this.bucketUs / 1000;
  }

  /** Adds one RTT sample (samples arrive in time order; a late sample joins the last bucket). */
  add(tUs: number, rttMs: number): void {
    const startUs = Math.floor(tUs / this.bucketUs) * this.bucketUs;
    if (startUs <= this.lastStartUs) {
      if (rttMs > this.lastMaxMs) this.lastMaxMs = rttMs;
      if (rttMs < this.lastMinMs) this.lastMinMs = rttMs;
      this.lastSamples += 1;
      return;
    }
    this.writeLast();
    const point = { startUs, maxMs: rttMs, minMs: rttMs, samples: 1 };
    this.points.push(point);
    this.setLast(point);
    if (this.points.length > this.maxPoints) this.coarsen();
  }

  /** Writes the held values of the last point into it. */
  private writeLast(): void {
    const last = this.last;
    if (last === undefined) return;
    last.maxMs = this.lastMaxMs;
    last.minMs = this.lastMinMs;
    last.samples = this.lastSamples;
  }

  /** Makes `point` (or none) the last point, holding its values. */
  private setLast(point: RttTimelinePoint | undefined): void {
    this.last = point;
    if (point === undefined) {
      this.lastStartUs = -Infinity;
      return;
    }
    this.lastStartUs = point.startUs;
    this.lastMaxMs = point.maxMs;
    this.lastMinMs = point.minMs;
    this.lastSamples = point.samples;
  }

  private coarsen(): void {
    this.writeLast();
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
    this.setLast(this.points[this.points.length - 1]);
  }

  /** The timeline as plain data: its bucket width and points (JSON-safe: every number is finite). */
  saveState(): { bucketUs: number; points: RttTimelinePoint[] } {
    this.writeLast();
    return { bucketUs: this.bucketUs, points: this.points.map((point) => ({ ...point })) };
  }

  /**
   * Replaces (`mode` "load") or continues (`mode` "append": a later pass's
   * points, in time order after these) the timeline with saved points. Both
   * sides are brought to the wider bucket width, a bucket both hold is joined
   * (max of maxima, min of minima, samples added), and buckets coarsen while
   * more than `maxPoints` remain — the width one pass would have reached, as
   * one pass coarsens by the same doubling. Throws `E_BAD_PARTIAL` on a width
   * that is not the initial width times a power of two, more points than
   * `maxPoints`, or points out of order, before any change.
   */
  loadState(state: { bucketUs: number; points: readonly RttTimelinePoint[] }, mode: "load" | "append"): void {
    let ratio = state.bucketUs / this.initialBucketUs;
    while (ratio > 1 && Number.isInteger(ratio)) ratio /= 2;
    if (ratio !== 1) badState("latency state", "/timeline/bucketUs", `bucket width ${state.bucketUs} µs is not ${this.initialBucketUs} µs times a power of two`);
    if (state.points.length > this.maxPoints) badState("latency state", "/timeline/points", `${state.points.length} points, at most ${this.maxPoints}`);
    for (let index = 1; index < state.points.length; index++) {
      if (!(state.points[index].startUs > state.points[index - 1].startUs)) badState("latency state", `/timeline/points/${index}`, "points must ascend in time");
    }
    this.writeLast();
    if (mode === "load" || this.points.length === 0) {
      this.points.length = 0;
      for (const point of state.points) this.points.push({ ...point });
      this.setLast(this.points[this.points.length - 1]);
      this.bucketUs = state.bucketUs;
      return;
    }
    const bucketUs = Math.max(this.bucketUs, state.bucketUs);
    this.points.push(...state.points.map((point) => ({ ...point })));
    this.bucketUs = bucketUs / 2;
    this.coarsen();
    while (this.points.length > this.maxPoints) this.coarsen();
  }

  /** The timeline, RTTs rounded to µs. */
  toJSON(): RttTimelinePoint[] {
    this.writeLast();
    return this.points.map((point) => ({
      startUs: point.startUs,
      maxMs: Math.round(point.maxMs * 1000) / 1000,
      minMs: Math.round(point.minMs * 1000) / 1000,
      samples: point.samples,
    }));
  }
}
