import { describe, expect, it } from "vitest";
import { createRandom, hashString32, Xoshiro128 } from "./seeded-random.js";

describe("Xoshiro128", () => {
  it("is deterministic per seed and differs between seeds", () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const first = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(first);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(first);
  });

  it("matches the xoshiro128** reference vectors (same numbers on every machine)", () => {
    // Reference C implementation from state {1, 2, 3, 4}.
    const random = Xoshiro128.fromState(1, 2, 3, 4);
    expect(Array.from({ length: 6 }, () => random.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it("accepts string seeds and large integers", () => {
    expect(createRandom("match-7").seed).toBe(hashString32("match-7"));
    expect(createRandom(2 ** 40 + 5).seed).not.toBe(createRandom(5).seed);
    expect(createRandom(Number.NaN).seed).toBe(0);
    expect(hashString32("a")).not.toBe(hashString32("b"));
  });

  it("produces uniform floats and integers in range", () => {
    const random = createRandom(9);
    let sum = 0;
    const n = 200_000;
    let outOfRange = 0;
    for (let index = 0; index < n; index++) {
      const value = random.next();
      if (value < 0 || value >= 1) outOfRange++;
      sum += value;
    }
    expect(outOfRange).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2);
    const counts = [0, 0, 0];
    for (let index = 0; index < 30_000; index++) counts[random.integer(0, 2)]++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(400);
    expect(random.uniform(5, 6)).toBeGreaterThanOrEqual(5);
    expect(["a", "b"]).toContain(random.pick(["a", "b"]));
    expect(typeof random.chance(0.5)).toBe("boolean");
  });

  it("samples normal, exponential and pareto with the right moments", () => {
    const random = createRandom(11);
    const n = 200_000;
    let normalSum = 0;
    let normalSquares = 0;
    let exponentialSum = 0;
    let paretoSum = 0;
    for (let index = 0; index < n; index++) {
      const normal = random.normal(10, 2);
      normalSum += normal;
      normalSquares += normal * normal;
      exponentialSum += random.exponential(3);
      paretoSum += random.pareto(1, 3);
    }
    const mean = normalSum / n;
    expect(mean).toBeCloseTo(10, 1);
    expect(Math.sqrt(normalSquares / n - mean * mean)).toBeCloseTo(2, 1);
    expect(exponentialSum / n).toBeCloseTo(3, 1);
    expect(paretoSum / n).toBeCloseTo(1.5, 1); // shape 3, scale 1: mean 3/2
  });

  it("forks independent, reproducible streams", () => {
    const parent = createRandom(5);
    const a1 = parent.fork("player:1").nextUint32();
    const a2 = createRandom(5).fork("player:1").nextUint32();
    const b = parent.fork("player:2").nextUint32();
    const numeric = parent.fork(3).nextUint32();
    expect(a1).toBe(a2);
    expect(a1).not.toBe(b);
    expect(numeric).not.toBe(a1);
  });
});
