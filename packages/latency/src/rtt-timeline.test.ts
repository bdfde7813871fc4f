import { describe, expect, it } from "vitest";
import { RttTimeline } from "./rtt-timeline.js";

describe("RttTimeline", () => {
  it("keeps max and min per 1 s bucket", () => {
    const timeline = new RttTimeline(10);
    timeline.add(1_000_000, 40);
    timeline.add(1_500_000, 180.1234);
    timeline.add(1_400_000, 30);
    timeline.add(2_100_000, 41);
    expect(timeline.toJSON()).toEqual([
      { startUs: 1_000_000, maxMs: 180.123, minMs: 30, samples: 3 },
      { startUs: 2_000_000, maxMs: 41, minMs: 41, samples: 1 },
    ]);
    expect(timeline.bucketMs).toBe(1000);
  });

  it("stays bounded on long captures by doubling the bucket, never losing a peak", () => {
    const timeline = new RttTimeline(8);
    for (let second = 0; second < 1000; second++) timeline.add(second * 1_000_000, second === 777 ? 500 : 40);
    const points = timeline.toJSON();
    expect(points.length).toBeLessThanOrEqual(8);
    expect(Math.max(...points.map((point) => point.maxMs))).toBe(500);
    expect(points.reduce((sum, point) => sum + point.samples, 0)).toBe(1000);
    expect(timeline.bucketMs).toBeGreaterThanOrEqual(128_000);
  });

  it("rejects impossible options", () => {
    expect(() => new RttTimeline(1)).toThrow(RangeError);
    expect(() => new RttTimeline(10, 0)).toThrow(RangeError);
  });
});
