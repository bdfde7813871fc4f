import { describe, expect, it } from "vitest";
import { LogHistogram, RunLengthHistogram, round } from "./histogram.js";

describe("LogHistogram", () => {
  it("keeps exact count, mean, max and 2%-accurate quantiles", () => {
    const histogram = new LogHistogram();
    for (let value = 1; value <= 1000; value++) histogram.add(value);
    expect(histogram.count).toBe(1000);
    expect(histogram.mean).toBe(500.5);
    expect(histogram.max).toBe(1000);
    expect(Math.abs(histogram.quantile(0.5) - 500) / 500).toBeLessThan(0.02);
    expect(Math.abs(histogram.quantile(0.95) - 950) / 950).toBeLessThan(0.02);
    const summary = histogram.summary(0.001);
    expect(summary.max).toBe(1);
    expect(summary.count).toBe(1000);
  });

  it("handles empty, zero, negative and huge values", () => {
    const histogram = new LogHistogram();
    expect(histogram.quantile(0.5)).toBe(0);
    expect(histogram.summary()).toEqual({ count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 });
    histogram.add(-5);
    histogram.add(0);
    histogram.add(1e300);
    expect(histogram.quantile(0.1)).toBe(0);
    expect(histogram.quantile(1)).toBeGreaterThan(1e10);
  });
});

describe("RunLengthHistogram", () => {
  it("counts runs exactly, pools long ones and counts windows inside runs", () => {
    const runs = new RunLengthHistogram(4);
    for (const length of [1, 1, 2, 3, 10]) runs.add(length);
    expect(runs.countOf(1)).toBe(2);
    expect(runs.countOf(10)).toBe(0);
    expect(runs.countOf(0)).toBe(0);
    // windows of 1 = total length; of 2: 0+0+1+2+9 = 12; of 3: 1 + 8 = 9.
    expect(runs.windowsInside(1)).toBe(17);
    expect(runs.windowsInside(2)).toBe(12);
    expect(runs.windowsInside(3)).toBe(9);
    const summary = runs.summary();
    expect(summary).toEqual({
      count: 5,
      meanLength: 3.4,
      maxLength: 10,
      lengths: [
        { length: 1, count: 2 },
        { length: 2, count: 1 },
        { length: 3, count: 1 },
      ],
      overflow: { count: 1, totalLength: 10 },
    });
    expect(new RunLengthHistogram().summary().meanLength).toBe(0);
  });

  it("rounds stably", () => {
    expect(round(1 / 3)).toBe(0.333333);
    expect(round(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });
});
