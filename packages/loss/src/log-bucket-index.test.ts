import { describe, expect, it } from "vitest";
import { BUCKET_COUNT, BUCKET_GROWTH, bucketIndex, bucketIndexByFormula } from "./log-bucket-index.js";
import { SeededRandom } from "./replay.js";

/** Doubles `steps` apart from `value` (positive finite values). */
function neighbour(value: number, steps: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  view.setBigUint64(0, view.getBigUint64(0) + BigInt(steps));
  return view.getFloat64(0);
}

describe("log bucket index", () => {
  it("agrees with the formula a few doubles either side of every bucket boundary", () => {
    let checked = 0;
    for (let bucket = 1; bucket < BUCKET_COUNT; bucket++) {
      const near = BUCKET_GROWTH ** (bucket - 1);
      for (let steps = -4; steps <= 4; steps++) {
        const value = neighbour(near, steps);
        expect(bucketIndex(value), `${value}`).toBe(bucketIndexByFormula(value));
        checked += 1;
      }
    }
    expect(checked).toBe((BUCKET_COUNT - 1) * 9);
  });

  it("agrees with the formula at both ends of every table cell (1/256 octave) from 1 to 2^41", () => {
    let checked = 0;
    for (let octave = 0; octave < 41; octave++) {
      for (let step = 0; step < 256; step++) {
        const lower = 2 ** octave * (1 + step / 256);
        const upper = 2 ** octave * (1 + (step + 1) / 256);
        for (const value of [lower, neighbour(lower, 1), neighbour(upper, -2), neighbour(upper, -1)]) {
          if (bucketIndex(value) !== bucketIndexByFormula(value)) expect(bucketIndex(value), `${value}`).toBe(bucketIndexByFormula(value));
          checked += 1;
        }
      }
    }
    expect(checked).toBe(41 * 256 * 4);
  });

  it("agrees with the formula on a million log-uniform values from 1e-3 to 1e14", () => {
    const random = new SeededRandom(16);
    for (let index = 0; index < 1_000_000; index++) {
      const value = 10 ** (random.next() * 17 - 3);
      if (bucketIndex(value) !== bucketIndexByFormula(value)) expect(bucketIndex(value), `${value}`).toBe(bucketIndexByFormula(value));
    }
  });

  it("puts sub-unit, NaN and infinite values where the formula does", () => {
    for (const value of [0, 1e-300, 0.5, 0.999999, 1, 1.0199999, 1.02, 2 ** 40, 2 ** 41, 1e12, 1e15, Number.MAX_VALUE, Number.POSITIVE_INFINITY]) {
      expect(bucketIndex(value), `${value}`).toBe(bucketIndexByFormula(value));
    }
    expect(bucketIndex(Number.NaN)).toBe(0);
    expect(bucketIndex(Number.POSITIVE_INFINITY)).toBe(BUCKET_COUNT - 1);
  });
});
