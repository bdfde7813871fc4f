import { describe, expect, it } from "vitest";
import { QuantileSketch } from "./quantile-sketch.js";
import { RunningStatistics } from "./running-statistics.js";
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
