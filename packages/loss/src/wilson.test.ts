import { describe, expect, it } from "vitest";
import { normalQuantile, wilsonInterval } from "./wilson.js";

describe("wilsonInterval", () => {
  it("matches the textbook Wilson interval", () => {
    // 5/10 at 95%: [0.2366, 0.7634]; 0/10: [0, 0.2775].
    const half = wilsonInterval(5, 10);
    expect(half.lower).toBeCloseTo(0.2366, 3);
    expect(half.upper).toBeCloseTo(0.7634, 3);
    const none = wilsonInterval(0, 10);
    expect(none.lower).toBe(0);
    expect(none.upper).toBeCloseTo(0.2775, 3);
    expect(none.confidence).toBe(0.95);
  });

  it("narrows with more trials and widens with confidence", () => {
    const small = wilsonInterval(10, 100);
    const large = wilsonInterval(1000, 10000);
    expect(large.upper - large.lower).toBeLessThan(small.upper - small.lower);
    const wide = wilsonInterval(10, 100, 0.99);
    expect(wide.upper - wide.lower).toBeGreaterThan(small.upper - small.lower);
  });

  it("uses an accurate normal quantile", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829, 5);
  });

  it("is the whole range without trials", () => {
    expect(wilsonInterval(0, 0)).toEqual({ lower: 0, upper: 1, confidence: 0.95 });
  });
});
