import { describe, expect, it } from "vitest";
import { createSeededRandom } from "./random.js";
import {
  benjaminiHochbergAdjust,
  bootstrapPValue,
  bootstrapRegion,
  bootstrapWaldPValue,
  complementaryErrorFunction,
  holmAdjust,
  mannWhitneyU,
  percentileInterval,
  quantile,
  quantileInPlace,
  quantileOfSorted,
  twoSidedNormalPValue,
  weightedQuantile,
} from "./statistics.js";

describe("quantiles", () => {
  it("interpolates like R type 7", () => {
    expect(quantileOfSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileOfSorted([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileOfSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(quantileOfSorted([10], 0.95)).toBe(10);
    expect(quantileOfSorted([], 0.5)).toBeNaN();
    expect(quantile([5, 1, 4, 2, 3], 0.25)).toBe(2);
  });

  it("selection-based quantile equals the sorted one on random data", () => {
    const random = createSeededRandom(5);
    for (let trial = 0; trial < 200; trial++) {
      const count = 1 + random.nextInt(60);
      const values = Float64Array.from({ length: count }, () => Math.round(random.next() * 20));
      const sorted = Float64Array.from(values).sort();
      for (const probability of [0, 0.1, 0.5, 0.95, 0.99, 1]) {
        expect(quantileInPlace(Float64Array.from(values), count, probability)).toBeCloseTo(quantileOfSorted(sorted, probability), 12);
      }
    }
    expect(quantileInPlace(new Float64Array(0), 0, 0.5)).toBeNaN();
  });

  it("weighted quantile inverts the weighted CDF", () => {
    expect(weightedQuantile([10, 20, 30], [1, 1, 8], 0.5)).toBe(30);
    expect(weightedQuantile([10, 20, 30], [5, 1, 4], 0.5)).toBe(10);
    expect(weightedQuantile([30, 10, 20], [1, 1, 1], 1)).toBe(30);
    expect(weightedQuantile([], [], 0.5)).toBeNaN();
  });
});

describe("normal tail", () => {
  it("erfc is accurate to 1e-7", () => {
    expect(complementaryErrorFunction(0)).toBeCloseTo(1, 7);
    expect(complementaryErrorFunction(1)).toBeCloseTo(0.157299207, 7);
    expect(complementaryErrorFunction(-1)).toBeCloseTo(1.842700793, 7);
    expect(twoSidedNormalPValue(1.959963985)).toBeCloseTo(0.05, 6);
    expect(twoSidedNormalPValue(0)).toBe(1);
  });
});

describe("Mann–Whitney U", () => {
  it("matches the textbook example (scipy asymptotic, continuity corrected)", () => {
    const result = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(result.u).toBe(0);
    expect(result.cliffsDelta).toBe(-1);
    expect(result.pValue).toBeCloseTo(0.01219, 4);
  });

  it("handles ties, identical samples and empty input", () => {
    const tied = mannWhitneyU([1, 1, 2, 2], [1, 2, 2, 3]);
    expect(tied.probabilityAGreater).toBeCloseTo(5 / 16, 10); // 16 pairs: 3 wins + 4 ties × ½ = 5
    expect(tied.pValue).toBeGreaterThan(0.3);
    expect(mannWhitneyU([4, 4, 4], [4, 4]).pValue).toBe(1);
    expect(mannWhitneyU([], [1]).pValue).toBe(1);
  });

  it("is calibrated: about 5% of null comparisons have p < 0.05", () => {
    const random = createSeededRandom(11);
    let rejections = 0;
    const trials = 1000;
    for (let trial = 0; trial < trials; trial++) {
      const a = Array.from({ length: 40 }, () => random.normal());
      const b = Array.from({ length: 40 }, () => random.normal());
      if (mannWhitneyU(a, b).pValue < 0.05) rejections++;
    }
    // binomial(1000, 0.05): sd 0.0069
    expect(rejections / trials).toBeGreaterThan(0.03);
    expect(rejections / trials).toBeLessThan(0.07);
  });
});

describe("multiple-comparison corrections", () => {
  it("Holm step-down", () => {
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    expect(adjusted.map((value) => Number(value.toFixed(6)))).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(holmAdjust([0.5, 0.9])).toEqual([1, 1]);
  });

  it("Benjamini–Hochberg step-up", () => {
    const adjusted = benjaminiHochbergAdjust([0.01, 0.04, 0.03, 0.005]);
    expect(adjusted.map((value) => Number(value.toFixed(6)))).toEqual([0.02, 0.04, 0.04, 0.02]);
  });
});

describe("bootstrap", () => {
  it("percentile interval and p-values", () => {
    const replicates = Float64Array.from({ length: 101 }, (_, index) => index);
    const [low, high] = percentileInterval(replicates, 0.9);
    expect(low).toBeCloseTo(5, 9);
    expect(high).toBeCloseTo(95, 9);
    expect(bootstrapPValue(Float64Array.from([1, 2, 3, 4]))).toBeCloseTo(0.4, 10);
    expect(bootstrapPValue(Float64Array.from([-1, 1]))).toBe(1);
    expect(bootstrapWaldPValue(0, new Float64Array(1))).toBe(1);
    expect(bootstrapWaldPValue(1, new Float64Array(10))).toBe(0);
    expect(bootstrapWaldPValue(0, new Float64Array(10))).toBe(1);
    expect(bootstrapWaldPValue(1.959963985, Float64Array.from([-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, 0]))).toBeCloseTo(0.05, 4);
  });

  it("region bootstrap is deterministic and centred on the statistics", () => {
    const random = createSeededRandom(3);
    const rtt = Float64Array.from({ length: 500 }, () => 50 + 10 * random.normal());
    const jitter = Float64Array.from({ length: 400 }, () => 5 + random.next());
    const loss = Float64Array.from({ length: 300 }, () => 0.01);
    const weights = new Float64Array(300).fill(1000);
    const first = bootstrapRegion(rtt, jitter, loss, weights, 300, createSeededRandom(9));
    const second = bootstrapRegion(rtt, jitter, loss, weights, 300, createSeededRandom(9));
    expect(first.rttP50Ms).toEqual(second.rttP50Ms);
    const medianOfReplicates = quantile(first.rttP50Ms, 0.5);
    expect(Math.abs(medianOfReplicates - quantile(rtt, 0.5))).toBeLessThan(1);
    expect(first.lossRate.every((value) => Math.abs(value - 0.01) < 1e-12)).toBe(true);
    expect(quantile(first.jitterMs, 0.5)).toBeCloseTo(quantile(jitter, 0.5), 0);
    const empty = bootstrapRegion(rtt, new Float64Array(0), new Float64Array(0), new Float64Array(0), 20, createSeededRandom(1));
    expect(Number.isNaN(empty.jitterMs[0]!)).toBe(true);
    expect(Number.isNaN(empty.lossRate[0]!)).toBe(true);
  });
});
