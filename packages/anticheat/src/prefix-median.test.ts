import { describe, expect, it } from "vitest";
import { deviationMedianOfSorted, medianOfPrefix, medianOfSortedPrefix, sortPrefix, unordered } from "./prefix-median.js";
import { Random } from "./test-support/random.js";

/** The definition: sort a copy, take the middle (mean of the two middle values for an even count). */
function referenceMedian(values: readonly number[]): number {
  const sorted = Float64Array.from(values);
  sortPrefix(sorted, sorted.length);
  return medianOfSortedPrefix(sorted, sorted.length);
}

/** A series of `count` values: continuous, coarse (ties), or with zeros of both signs, NaN and infinities mixed in. */
function series(random: Random, count: number, kind: number): number[] {
  const values: number[] = [];
  for (let index = 0; index < count; index++) {
    const draw = random.next();
    if (kind === 0) values.push(draw * 200 - 100);
    else if (kind === 1) values.push(Math.floor(draw * 4) - 1);
    else values.push(draw < 0.1 ? -0 : draw < 0.15 ? Number.NaN : draw < 0.2 ? Number.POSITIVE_INFINITY : draw < 0.3 ? 0 : Math.round(draw * 20) - 10);
  }
  return values;
}

describe("prefix medians", () => {
  it("selection gives the sorted median bit for bit (ties, zeros, both parities); NaN and −0 fall back to the sort", () => {
    const random = new Random(17);
    for (let trial = 0; trial < 6000; trial++) {
      const count = 1 + (trial % 32);
      const values = series(random, count, trial % 3);
      const ordered = !values.some(unordered);
      const buffer = Float64Array.from(values);
      expect(Object.is(medianOfPrefix(buffer, count, ordered), referenceMedian(values)), `${values.join(",")}`).toBe(true);
    }
  });

  it("the outward merge gives the median absolute deviation of a sorted buffer bit for bit", () => {
    const random = new Random(18);
    for (let trial = 0; trial < 6000; trial++) {
      const count = 1 + (trial % 32);
      const values = series(random, count, trial % 2);
      const sorted = Float64Array.from(values);
      sortPrefix(sorted, count);
      const median = medianOfSortedPrefix(sorted, count);
      const deviations = values.map((value) => Math.abs(value - median));
      expect(Object.is(deviationMedianOfSorted(sorted, count, median), referenceMedian(deviations)), `${values.join(",")}`).toBe(true);
    }
  });

  it("calls NaN, infinities and −0 unordered, every other number ordered", () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0]) expect(unordered(value)).toBe(true);
    for (const value of [0, 1, -1, 1e-300, -1e300, Number.MAX_VALUE]) expect(unordered(value)).toBe(false);
  });

  it("an empty sorted buffer has no median", () => {
    expect(medianOfSortedPrefix(new Float64Array(4), 0)).toBeNaN();
  });
});
