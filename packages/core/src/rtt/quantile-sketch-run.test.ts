import { describe, expect, it } from "vitest";
import { QuantileSketch } from "./quantile-sketch.js";

/** Bucket pairs `[bucket, count, …]` (ascending) of positive values, counted independently of the sketch. */
function expectedPairs(values: readonly number[], relativeAccuracy = 0.005): number[] {
  const logGamma = Math.log((1 + relativeAccuracy) / (1 - relativeAccuracy));
  const counts = new Map<number, number>();
  for (const value of values) {
    const bucket = Math.ceil(Math.log(value) / logGamma);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return [...counts.keys()].sort((a, b) => a - b).flatMap((bucket) => [bucket, counts.get(bucket)!]);
}

describe("QuantileSketch repeated values (pending run count)", () => {
  // A game's smoothed RTT repeats its value for many samples: the repeats wait in a run count, settled before any read.
  const values = [50, 50, 50, 50, 61.25, 61.25, 50, 50, 50, -3, -3, 0, 0, 0.0004, 50, 50, 72.5];

  it("saves the same buckets, count, sum, min and max as counting every value", () => {
    const sketch = new QuantileSketch();
    for (const value of values) sketch.add(value);
    const state = sketch.saveState();
    expect(state.positive).toEqual(expectedPairs(values.filter((value) => value >= 0.001)));
    expect(state.negative).toEqual(expectedPairs([-3, -3].map((value) => -value)));
    expect(state.zeroCount).toBe(3);
    expect(state.count).toBe(values.length);
    expect(state.sum).toBe(values.reduce((sum, value) => sum + value, 0));
    expect([sketch.min, sketch.max]).toEqual([-3, 72.5]);
  });

  it("answers quantiles, bucket counts and checkpoints with the run settled, and keeps counting after", () => {
    const sketch = new QuantileSketch();
    for (let index = 0; index < 9; index++) sketch.add(40);
    expect(sketch.quantile(0.5)).toBeCloseTo(40, 0);
    expect(sketch.bucketCount).toBe(1);
    const checkpoint = sketch.checkpoint();
    expect(checkpoint.positive).toEqual(expectedPairs(Array(9).fill(40)));
    for (let index = 0; index < 5; index++) sketch.add(40);
    sketch.add(80);
    sketch.add(80);
    const since = sketch.addedSince(checkpoint, 40 * 5 + 160, 40, 80);
    expect(since.saveState().positive).toEqual(expectedPairs([40, 40, 40, 40, 40, 80, 80]));
    expect(sketch.saveState().positive).toEqual(expectedPairs([...Array(14).fill(40), 80, 80]));
  });

  it("merges a sketch whose last value is still pending, on either side", () => {
    const left = new QuantileSketch();
    const right = new QuantileSketch();
    for (let index = 0; index < 4; index++) left.add(25);
    for (let index = 0; index < 6; index++) right.add(30);
    left.merge(right);
    expect(left.saveState().positive).toEqual(expectedPairs([...Array(4).fill(25), ...Array(6).fill(30)]));
    expect(right.saveState().positive).toEqual(expectedPairs(Array(6).fill(30)));
    const restored = new QuantileSketch();
    restored.add(25);
    restored.add(25);
    restored.mergeState(right.saveState());
    restored.add(25);
    expect(restored.saveState().positive).toEqual(expectedPairs([25, 25, 25, ...Array(6).fill(30)]));
    const shifted = new QuantileSketch();
    shifted.add(10);
    shifted.add(10);
    shifted.mergeShiftedState(new QuantileSketch().saveState(), 0);
    expect(shifted.saveState().positive).toEqual(expectedPairs([10, 10]));
  });
});
