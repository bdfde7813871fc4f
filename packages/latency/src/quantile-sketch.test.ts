import { describe, expect, it } from "vitest";
import { QuantileSketch } from "@tickscope/core";
import { RunningStatistics } from "./running-statistics.js";
import { ReferenceQuantileSketch } from "./test-support/reference-quantile-sketch.js";
import { createRandom } from "./test-support/synthetic-match.js";

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

describe("QuantileSketch", () => {
  it("answers every quantile within the documented 0.5 % relative error", () => {
    const random = createRandom(42);
    const sketch = new QuantileSketch();
    const values: number[] = [];
    for (let index = 0; index < 50_000; index++) {
      const value = 20 + -Math.log(1 - random()) * 15 + (random() < 0.01 ? 300 : 0);
      values.push(value);
      sketch.add(value);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999]) {
      const exact = exactQuantile(values, q);
      // Bucket error α·x, plus one rank of slack at the boundary.
      const neighbor = values[Math.min(values.length - 1, Math.floor(q * (values.length - 1)) + 1)];
      const error = Math.min(Math.abs(sketch.quantile(q) - exact), Math.abs(sketch.quantile(q) - neighbor));
      expect(error).toBeLessThanOrEqual(0.005 * exact + 1e-9);
    }
    expect(sketch.max).toBe(values[values.length - 1]);
    expect(sketch.min).toBe(values[0]);
    expect(sketch.quantile(0)).toBe(values[0]);
    expect(sketch.quantile(1)).toBe(values[values.length - 1]);
    expect(sketch.bucketCount).toBeLessThan(1200);
    expect(sketch.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
  });

  it("handles negative values, zeros, empty sketches, non-finite input and merging", () => {
    const empty = new QuantileSketch();
    expect(empty.quantile(0.5)).toBeNaN();
    expect(empty.mean).toBeNaN();
    const a = new QuantileSketch();
    const b = new QuantileSketch();
    for (const value of [-10, -5, 0, 0.0001]) a.add(value);
    for (const value of [5, 10, Number.NaN, Infinity]) b.add(value);
    a.merge(b);
    expect(a.count).toBe(6);
    // rank = q·(n − 1) over -10, -5, 0, ~0, 5, 10
    expect(Math.abs(a.quantile(0.1) + 10)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(a.quantile(0.2) + 5)).toBeLessThanOrEqual(0.025);
    expect(a.quantile(0.5)).toBe(0);
    expect(Math.abs(a.quantile(0.9) - 5)).toBeLessThanOrEqual(0.025);
    expect(a.quantile(1)).toBe(10);
    expect(a.bucketCount).toBe(5);
  });

  it("answers exactly as the original map-based sketch (same buckets, same quantiles), also for hostile spreads", () => {
    const random = createRandom(7);
    const quantiles = [0, 1e-6, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.999999, 1];
    const generators: ((index: number) => number)[] = [
      // RTT-like: jitter around 50 ms with rare multi-second outliers
      () => 50 + -Math.log(1 - random()) * 3 + (random() < 0.001 ? 4000 : 0),
      // per-packet jitter / PDV: signed, many near zero, exact zeros
      (index) => (index % 97 === 0 ? 0 : (random() - 0.4) * Math.exp(random() * 14 - 9)),
      // hostile: magnitudes over 600 orders (dense range limit → sparse buckets), both signs, −0, sub-minimum values
      (index) => (index % 5 === 0 ? -0 : (random() < 0.5 ? -1 : 1) * Math.pow(10, random() * 600 - 300)),
      // a drifting series growing the dense range downwards then upwards
      (index) => (index < 5000 ? 1000 / (1 + index) : index * 0.37),
    ];
    for (const [accuracy, minimum] of [
      [0.005, 0.001],
      [0.02, 1e-9],
      [0.0005, 0.5],
    ]) {
      for (const generate of generators) {
        const sketch = new QuantileSketch(accuracy, minimum);
        const reference = new ReferenceQuantileSketch(accuracy, minimum);
        for (let index = 0; index < 20_000; index++) {
          const value = generate(index);
          sketch.add(value);
          reference.add(value);
          if (index % 4999 === 0) for (const q of quantiles) expect(Object.is(sketch.quantile(q), reference.quantile(q))).toBe(true);
        }
        for (const q of quantiles) expect(Object.is(sketch.quantile(q), reference.quantile(q))).toBe(true);
        expect(sketch.bucketCount).toBe(reference.bucketCount);
        expect([sketch.count, sketch.sum, sketch.min, sketch.max]).toEqual([reference.count, reference.sum, reference.min, reference.max]);
        // Merging (into an empty sketch, then into itself) keeps the equivalence.
        const merged = new QuantileSketch(accuracy, minimum);
        const mergedReference = new ReferenceQuantileSketch(accuracy, minimum);
        merged.merge(sketch);
        mergedReference.merge(reference);
        merged.add(1e-300);
        mergedReference.add(1e-300);
        merged.merge(sketch);
        mergedReference.merge(reference);
        for (const q of quantiles) expect(Object.is(merged.quantile(q), mergedReference.quantile(q))).toBe(true);
        expect(merged.bucketCount).toBe(mergedReference.bucketCount);
      }
    }
  });

  it("addToBoth equals adding to each sketch (shared bucket, or two adds when the sketches differ)", () => {
    const values = [-5, -0.0001, -0, 0, 3, 60.2, 1e-300, Number.NaN, Infinity, 1e300, 47.9, 47.9];
    const first = new QuantileSketch();
    const second = new QuantileSketch();
    const coarse = new QuantileSketch(0.02);
    const firstReference = new ReferenceQuantileSketch();
    const secondReference = new ReferenceQuantileSketch();
    const coarseReference = new ReferenceQuantileSketch(0.02);
    for (const value of values) {
      first.addToBoth(value, second);
      firstReference.add(value);
      secondReference.add(value);
      second.addToBoth(value, coarse);
      secondReference.add(value);
      coarseReference.add(value);
    }
    for (const [sketch, reference] of [
      [first, firstReference],
      [second, secondReference],
      [coarse, coarseReference],
    ] as const) {
      expect([sketch.count, sketch.sum, sketch.min, sketch.max, sketch.bucketCount]).toEqual([reference.count, reference.sum, reference.min, reference.max, reference.bucketCount]);
      for (const q of [0.05, 0.2, 0.4, 0.5, 0.6, 0.8, 0.95]) expect(Object.is(sketch.quantile(q), reference.quantile(q))).toBe(true);
    }
  });

  it("keeps bucket counts exact past 2³² (merging a sketch into itself 33 times)", () => {
    const sketch = new QuantileSketch();
    sketch.add(5);
    for (let index = 0; index < 33; index++) sketch.merge(sketch);
    sketch.add(7);
    expect(sketch.count).toBe(2 ** 33 + 1);
    // A wrapped 32-bit counter would hold 0 for the bucket of 5 and answer 7.
    expect(Math.abs(sketch.quantile(1 - 1e-12) - 5)).toBeLessThanOrEqual(0.025);
    expect(sketch.quantile(1)).toBe(7);
    expect(sketch.bucketCount).toBe(2);
  });

  it("treats an exact zero like the original when the minimum magnitude is 0 (log 0 = −∞ bucket)", () => {
    const sketch = new QuantileSketch(0.01, 0);
    const reference = new ReferenceQuantileSketch(0.01, 0);
    for (const value of [0, 0, 0, 5, -3, 7]) {
      sketch.add(value);
      reference.add(value);
    }
    for (const q of [0.1, 0.3, 0.5, 0.7, 0.9]) expect(Object.is(sketch.quantile(q), reference.quantile(q))).toBe(true);
    expect(sketch.bucketCount).toBe(reference.bucketCount);
  });
});

describe("RunningStatistics", () => {
  it("computes mean and sample standard deviation", () => {
    const stats = new RunningStatistics();
    expect(stats.standardDeviation).toBe(0);
    for (const value of [2, 4, 4, 4, 5, 5, 7, 9, Number.NaN]) stats.add(value);
    expect(stats.count).toBe(8);
    expect(stats.mean).toBe(5);
    expect(stats.standardDeviation).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });
});
