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

  it("joins a sample to the last bucket after a load, an append and a coarsening", () => {
    const loaded = new RttTimeline(10);
    loaded.loadState({ bucketUs: 1_000_000, points: [{ startUs: 0, maxMs: 20, minMs: 10, samples: 2 }, { startUs: 1_000_000, maxMs: 25, minMs: 15, samples: 1 }] }, "load");
    loaded.add(1_500_000, 30);
    expect(loaded.toJSON().at(-1)).toEqual({ startUs: 1_000_000, maxMs: 30, minMs: 15, samples: 2 });
    const appended = new RttTimeline(10);
    appended.add(0, 12);
    appended.loadState({ bucketUs: 1_000_000, points: [{ startUs: 3_000_000, maxMs: 40, minMs: 40, samples: 1 }] }, "append");
    appended.add(3_900_000, 5);
    expect(appended.toJSON()).toEqual([
      { startUs: 0, maxMs: 12, minMs: 12, samples: 1 },
      { startUs: 3_000_000, maxMs: 40, minMs: 5, samples: 2 },
    ]);
    const coarsened = new RttTimeline(2);
    for (const second of [0, 1, 2]) coarsened.add(second * 1_000_000, 10 + second);
    // Three 1 s buckets over two points: 2 s buckets [0, 2) and [2, 4); 3.5 s joins the second.
    coarsened.add(3_500_000, 50);
    expect(coarsened.toJSON()).toEqual([
      { startUs: 0, maxMs: 11, minMs: 10, samples: 2 },
      { startUs: 2_000_000, maxMs: 50, minMs: 12, samples: 2 },
    ]);
  });

  it("writes the last bucket's held max, min and samples before saving or coarsening", () => {
    const timeline = new RttTimeline(2);
    timeline.add(0, 10);
    timeline.add(1_000_000, 20);
    timeline.add(1_500_000, 35);
    timeline.add(1_600_000, 15);
    expect(timeline.saveState().points.at(-1)).toEqual({ startUs: 1_000_000, maxMs: 35, minMs: 15, samples: 3 });
    timeline.add(1_700_000, 40);
    // A third bucket coarsens to 2 s: [0, 2) joins the first point and the held one.
    timeline.add(2_000_000, 5);
    expect(timeline.toJSON()).toEqual([
      { startUs: 0, maxMs: 40, minMs: 10, samples: 5 },
      { startUs: 2_000_000, maxMs: 5, minMs: 5, samples: 1 },
    ]);
  });

  it("rejects impossible options", () => {
    expect(() => new RttTimeline(1)).toThrow(RangeError);
    expect(() => new RttTimeline(10, 0)).toThrow(RangeError);
  });
});
