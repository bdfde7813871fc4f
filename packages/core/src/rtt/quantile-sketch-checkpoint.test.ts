import { describe, expect, it } from "vitest";
import { QuantileSketch } from "./quantile-sketch.js";

/** A deterministic generator in [0, 1) (mulberry32). */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

describe("QuantileSketch checkpoint / addedSince", () => {
  it("gives exactly the sketch of the values added after the checkpoint (answers and saved state)", () => {
    const random = createRandom(7);
    // RTT-like values, exact repeats, negatives, zeros and magnitudes far apart (sparse buckets).
    const value = (): number => {
      const pick = random();
      if (pick < 0.5) return 20 + random() * 5;
      if (pick < 0.6) return 17;
      if (pick < 0.7) return -(random() * 3);
      if (pick < 0.75) return random() < 0.5 ? 0 : 0.0004;
      if (pick < 0.8) return 1e-6 * (1 + random());
      return random() < 0.5 ? 1e12 * random() : 300 + random() * 3000;
    };
    for (let trial = 0; trial < 20; trial++) {
      const values = Array.from({ length: 200 + Math.floor(random() * 2000) }, value);
      const whole = new QuantileSketch();
      const split = Math.floor(random() * values.length);
      for (let index = 0; index < split; index++) whole.add(values[index]);
      const checkpoint = whole.checkpoint();
      const alone = new QuantileSketch();
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      for (let index = split; index < values.length; index++) {
        whole.add(values[index]);
        alone.add(values[index]);
        sum += values[index];
        min = Math.min(min, values[index]);
        max = Math.max(max, values[index]);
      }
      const since = whole.addedSince(checkpoint, sum, min, max);
      expect(since.saveState()).toEqual(alone.saveState());
      for (const q of [0, 0.01, 0.5, 0.95, 0.99, 1]) expect(Object.is(since.quantile(q), alone.quantile(q))).toBe(true);
      expect(since.bucketCount).toBe(alone.bucketCount);
    }
  });

  it("is an empty sketch when nothing was added since", () => {
    const sketch = new QuantileSketch();
    sketch.add(5);
    sketch.add(-5);
    const since = sketch.addedSince(sketch.checkpoint(), 0, Infinity, -Infinity);
    expect(since.saveState()).toEqual(new QuantileSketch().saveState());
  });

  it("refuses a checkpoint holding values the sketch does not (another sketch's)", () => {
    const small = new QuantileSketch();
    small.add(10);
    const other = new QuantileSketch();
    for (const value of [10, 20, 30]) other.add(value);
    expect(() => small.addedSince(other.checkpoint(), 0, Infinity, -Infinity)).toThrow(RangeError);
    const sameCount = new QuantileSketch();
    sameCount.add(50);
    sameCount.add(60);
    const shifted = new QuantileSketch();
    shifted.add(10);
    shifted.add(20);
    // Same count, other buckets: a bucket of the checkpoint the sketch does not hold.
    expect(() => sameCount.addedSince(shifted.checkpoint(), 0, Infinity, -Infinity)).toThrow(RangeError);
    const higher = new QuantileSketch();
    higher.add(10);
    higher.add(10);
    const lower = new QuantileSketch();
    lower.add(10);
    lower.add(99);
    // One bucket holding more at the checkpoint than now.
    expect(() => lower.addedSince(higher.checkpoint(), 0, Infinity, -Infinity)).toThrow(RangeError);
    const trailing = new QuantileSketch();
    trailing.add(10);
    trailing.add(10);
    const beyond = new QuantileSketch();
    beyond.add(10);
    beyond.add(500);
    // A checkpoint bucket above every bucket of the sketch.
    expect(() => trailing.addedSince(beyond.checkpoint(), 0, Infinity, -Infinity)).toThrow(RangeError);
  });
});
