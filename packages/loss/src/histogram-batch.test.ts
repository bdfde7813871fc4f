import { describe, expect, it } from "vitest";
import { LogHistogram } from "./histogram.js";
import { HistogramBatch } from "./histogram-batch.js";

describe("histogram batch", () => {
  it("leaves each histogram exactly as adding every value at once would (order-dependent sums included)", () => {
    const direct = [new LogHistogram(), new LogHistogram(), new LogHistogram()];
    const batched = [new LogHistogram(), new LogHistogram(), new LogHistogram()];
    const batch = new HistogramBatch(batched, 7);
    for (let index = 0; index < 1000; index++) {
      const value = index % 13 === 0 ? -3 : Math.exp(Math.sin(index) * 20) * 0.1 + 1e-9 * index;
      const target = (index * 7) % 3;
      direct[target]!.add(value);
      batch.add(value, target);
      if (index === 500) {
        batch.flush();
        expect(batched.map((histogram) => histogram.saveState())).toEqual(direct.map((histogram) => histogram.saveState()));
      }
    }
    expect(batched[0]!.count).toBeLessThan(direct[0]!.count + 1);
    batch.flush();
    batch.flush();
    expect(batched.map((histogram) => histogram.saveState())).toEqual(direct.map((histogram) => histogram.saveState()));
  });

  it("adds a full batch by itself and rejects impossible shapes", () => {
    const histogram = new LogHistogram();
    const batch = new HistogramBatch([histogram], 4);
    for (let index = 0; index < 3; index++) batch.add(10, 0);
    expect(histogram.count).toBe(0);
    batch.add(10, 0);
    expect(histogram.count).toBe(4);
    expect(() => new HistogramBatch([])).toThrow(RangeError);
    expect(() => new HistogramBatch([histogram], 0)).toThrow(RangeError);
    expect(() => new HistogramBatch(Array.from({ length: 257 }, () => histogram))).toThrow(RangeError);
  });
});
