import { describe, expect, it } from "vitest";
import { savingsRatioInterval, studentT95, Z_95 } from "./savings-interval.js";

describe("savingsRatioInterval", () => {
  it("is the exact value when every unit was measured", () => {
    expect(savingsRatioInterval([100, 200], [50, 100], 2)).toEqual({ low: 0.5, high: 0.5, confidence: 0.95, sampledUnits: 2, populationUnits: 2 });
  });

  it("widens with the spread of the units and narrows with the finite-population correction", () => {
    const before = [100, 100, 100, 100];
    const even = savingsRatioInterval(before, [50, 50, 50, 50], 1000)!;
    expect(even.low).toBe(0.5);
    expect(even.high).toBe(0.5);
    const spread = savingsRatioInterval(before, [30, 70, 40, 60], 1000)!;
    expect(spread.low).toBeLessThan(0.5);
    expect(spread.high).toBeGreaterThan(0.5);
    expect(spread.high - 0.5).toBeCloseTo(0.5 - spread.low, 6);
    // s² = (400 + 400 + 100 + 100) / 3; var = (1 − 4/1000) · s² / (4 · 100²)
    const half = 3.182446 * Math.sqrt(((1 - 4 / 1000) * (1000 / 3)) / (4 * 100 * 100));
    expect(spread.high).toBeCloseTo(0.5 + half, 6);
    const nearlyAll = savingsRatioInterval(before, [30, 70, 40, 60], 5)!;
    expect(nearlyAll.high - nearlyAll.low).toBeLessThan(spread.high - spread.low);
  });

  it("has no interval for nothing measured or one unit of many", () => {
    expect(savingsRatioInterval([], [], 10)).toBeUndefined();
    expect(savingsRatioInterval([0], [0], 1)).toBeUndefined();
    expect(savingsRatioInterval([100], [50], 10)).toBeUndefined();
  });
});

describe("studentT95", () => {
  it("is the t table for few degrees of freedom and tends to the normal quantile", () => {
    expect(studentT95(1)).toBeCloseTo(12.706, 3);
    expect(studentT95(30)).toBeCloseTo(2.042, 3);
    expect(studentT95(1000)).toBeCloseTo(Z_95, 2);
    expect(studentT95(0)).toBe(Number.POSITIVE_INFINITY);
  });
});
