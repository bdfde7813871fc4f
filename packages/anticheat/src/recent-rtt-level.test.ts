import { describe, expect, it } from "vitest";
import { LEVEL_CAPACITY, LEVEL_MIN_SAMPLES, LEVEL_SPAN_US, RecentRttLevel } from "./recent-rtt-level.js";
import { Random } from "./test-support/random.js";

/** The level computed from scratch: sort the span's samples, walk the weights (the definition). */
function referenceLevel(samples: ReadonlyArray<readonly [number, number]>, tUs: number): number {
  const kept = samples.slice(-LEVEL_CAPACITY);
  const chosen: Array<{ valueMs: number; weight: number; age: number }> = [];
  for (let back = 1; back <= kept.length; back++) {
    const [atUs, valueMs] = kept[kept.length - back]!;
    if (chosen.length >= LEVEL_MIN_SAMPLES && tUs - atUs > LEVEL_SPAN_US) break;
    const previousUs = back < kept.length ? kept[kept.length - back - 1]![0] : atUs;
    const coveredUs = Math.min(atUs - Math.max(previousUs, tUs - LEVEL_SPAN_US), LEVEL_SPAN_US);
    chosen.push({ valueMs, weight: Math.max(coveredUs, 1), age: back });
  }
  chosen.sort((a, b) => a.valueMs - b.valueMs || a.age - b.age);
  const total = chosen.reduce((sum, sample) => sum + sample.weight, 0);
  let cumulative = 0;
  for (let index = 0; index < chosen.length; index++) {
    cumulative += chosen[index]!.weight;
    if (cumulative * 2 > total) return chosen[index]!.valueMs;
    if (cumulative * 2 === total) return (chosen[index]!.valueMs + chosen[index + 1]!.valueMs) / 2;
  }
  return chosen[chosen.length - 1]!.valueMs;
}

describe("RecentRttLevel", () => {
  it("equals the from-scratch time-weighted median on dense, sparse, tied and stalled series", () => {
    const generator = new Random(16);
    const random = (): number => generator.next();
    for (let series = 0; series < 40; series++) {
      const level = new RecentRttLevel();
      const samples: Array<[number, number]> = [];
      let tUs = 1_700_000_000_000_000;
      // Few distinct values in some series (ties and exact halves), continuous ones in others.
      const coarse = series % 2 === 0;
      for (let index = 0; index < 400; index++) {
        const gap = random() < 0.05 ? 300_000 + random() * 2_000_000 : 5_000 + random() * 60_000;
        tUs += Math.round(gap);
        const valueMs = coarse ? 40 + Math.floor(random() * 4) * 5 : 30 + random() * 50;
        samples.push([tUs, valueMs]);
        expect(level.add(tUs, valueMs)).toBe(referenceLevel(samples, tUs));
      }
      expect(level.length).toBe(LEVEL_CAPACITY);
    }
  });

  it("equals the from-scratch median with sub-microsecond arrival times (nanosecond captures) and repeated times", () => {
    const generator = new Random(61);
    const random = (): number => generator.next();
    for (let series = 0; series < 20; series++) {
      const level = new RecentRttLevel();
      const samples: Array<[number, number]> = [];
      let tUs = 1_700_000_000_000_000 + random();
      for (let index = 0; index < 300; index++) {
        // Quarter-microsecond steps, some samples at the same instant, now and then a stall.
        tUs += random() < 0.1 ? 0 : random() < 0.05 ? 1_500_000.25 : Math.floor(random() * 200_000) / 4;
        const valueMs = series % 2 === 0 ? 40 + Math.floor(random() * 3) * 5 : 30 + random() * 50;
        samples.push([tUs, valueMs]);
        expect(level.add(tUs, valueMs)).toBe(referenceLevel(samples, tUs));
      }
    }
  });

  it("equals the from-scratch median when arrival times step back or leave the quarter-microsecond grid, and after they return to it", () => {
    const generator = new Random(62);
    const random = (): number => generator.next();
    for (let series = 0; series < 30; series++) {
      const level = new RecentRttLevel();
      const samples: Array<[number, number]> = [];
      // Small clocks with tenths of a microsecond (off the grid) in some series, huge ones (beyond 2^51) in others.
      let tUs = series % 3 === 0 ? 1_000.5 : series % 3 === 1 ? 2 ** 52 : 1_700_000_000_000_000;
      for (let index = 0; index < 400; index++) {
        const phase = Math.floor(index / 50) % 2 === 0;
        const draw = random();
        // Phases of clean rising times alternate with phases of reordered (earlier) and off-grid times.
        if (!phase && draw < 0.2) tUs -= Math.floor(random() * 40_000);
        else if (!phase && draw < 0.4) tUs += random() * 30_000;
        else tUs += random() < 0.05 ? 1_200_000 : Math.floor(random() * 60_000);
        const valueMs = series % 2 === 0 ? 40 + Math.floor(random() * 3) * 5 : 30 + random() * 50;
        samples.push([tUs, valueMs]);
        expect(level.add(tUs, valueMs)).toBe(referenceLevel(samples, tUs));
      }
    }
  });

  it("keeps its value order through NaN samples: equals the from-scratch median once the last NaN has left the ring", () => {
    const generator = new Random(63);
    const random = (): number => generator.next();
    for (let series = 0; series < 20; series++) {
      const level = new RecentRttLevel();
      const samples: Array<[number, number]> = [];
      let tUs = 1_700_000_000_000_000;
      let lastNaN = -Infinity;
      for (let index = 0; index < 500; index++) {
        tUs += 5_000 + Math.floor(random() * 60_000);
        // Now and then a NaN RTT (the ring's order cannot hold it): inserted by the scan, not the binary search.
        const valueMs = random() < 0.03 ? Number.NaN : series % 2 === 0 ? 40 + Math.floor(random() * 4) * 5 : 30 + random() * 50;
        if (Number.isNaN(valueMs)) lastNaN = index;
        samples.push([tUs, valueMs]);
        const value = level.add(tUs, valueMs);
        if (index - lastNaN > LEVEL_CAPACITY) expect(value).toBe(referenceLevel(samples, tUs));
      }
    }
  });

  it("reports the latest level in levelMs (what addSample leaves for the hot path)", () => {
    const level = new RecentRttLevel();
    expect(level.levelMs).toBeNaN();
    expect(level.add(1_000, 10)).toBe(10);
    expect(level.levelMs).toBe(10);
  });

  it("weighs a sample after a stall by the whole gap, and forgets it after a second", () => {
    const level = new RecentRttLevel();
    const t0 = 1_000_000_000;
    for (let index = 0; index < 30; index++) level.add(t0 + index * 33_000, 50);
    // A 1.5-s stall: the first ack after it measured 1500 ms and stands for the whole last second.
    expect(level.add(t0 + 29 * 33_000 + 1_500_000, 1500)).toBe(1500);
    let tUs = t0 + 29 * 33_000 + 1_500_000;
    let latest = 0;
    for (let index = 0; index < 40; index++) {
      tUs += 33_000;
      latest = level.add(tUs, 50);
    }
    expect(latest).toBe(50);
  });

  it("takes the mean of the two middle values when the weights split exactly in half", () => {
    const level = new RecentRttLevel();
    expect(level.add(1_000, 10)).toBe(10);
    // Weights 1 (first: no sample before it) and 1 (1 µs later): exactly half each.
    expect(level.add(1_001, 20)).toBe(15);
  });
});
