import { describe, expect, it } from "vitest";
import { MIN_WINDOW_SAMPLES, SUMMARY_WINDOW_US, WindowHistory } from "./window-history.js";

const T0 = 1_760_000_000_000_000;

describe("WindowHistory", () => {
  it("finds an elevated run early in a long series, whatever follows it", () => {
    const history = new WindowHistory((medians) => medians[0]! > 50, 2);
    // 600 s at 2 samples/s: 100 (elevated) in 20–50 s, 0 elsewhere.
    for (let index = 0; index < 1200; index++) {
      const tUs = T0 + index * 500_000;
      const elevated = tUs >= T0 + 20e6 && tUs < T0 + 50e6;
      history.add(tUs, index, false, elevated ? 100 + (index % 3) : index % 3, 7);
    }
    history.flush();
    const run = history.strongestRun()!;
    expect(run.windows).toBe(3);
    expect(run.samples).toBe(60);
    expect(run.medians[0]).toBeCloseTo(101, 0);
    expect(run.medians[1]).toBe(7);
    expect(run.startUs).toBe(T0 + 20e6);
    expect(run.endUs).toBe(T0 + 49.5e6);
    expect(run.standardError).toBeGreaterThan(0);
    expect(run.packetIndices.length).toBe(12);
    expect(history.baselineMedian()).toBeCloseTo(1, 0);
    expect(history.samples).toBe(1200);
    expect(history.windowsJudged).toBe(60);
  });

  it("keeps the run with the most samples, and counts flagged samples", () => {
    const history = new WindowHistory((_medians, flaggedFraction) => flaggedFraction >= 0.5);
    let index = 0;
    const add = (fromS: number, toS: number, flagged: boolean) => {
      for (let tUs = T0 + fromS * 1e6; tUs < T0 + toS * 1e6; tUs += 1e6) history.add(tUs, index++, flagged, 1);
    };
    add(0, 10, true);
    add(10, 20, false);
    add(20, 50, true);
    add(50, 60, false);
    history.flush();
    expect(history.strongestRun()).toMatchObject({ windows: 3, samples: 30, flagged: 30 });
  });

  it("lets sparse windows collect into the next interval, closes full ones early and drops stale under-filled ones", () => {
    const history = new WindowHistory((medians) => medians[0]! > 0, 3);
    // One sample per 15 s: windows close every 3 samples (45 s), all elevated.
    for (let index = 0; index < 9; index++) history.add(T0 + index * 15e6, index, false, 5, 1, 2);
    history.flush();
    expect(history.strongestRun()).toMatchObject({ windows: 3, samples: 9, medians: [5, 1, 2] });
    // 32 samples within one second close a window on their own (capacity).
    const dense = new WindowHistory((medians) => medians[0]! > 0);
    for (let index = 0; index < 67; index++) dense.add(T0 + index * 1000, index, false, 1);
    dense.flush();
    expect(dense.windowsJudged).toBe(3);
    // Two samples, then silence over a minute: the under-filled window is dropped (neutral).
    const stale = new WindowHistory((medians) => medians[0]! > 0);
    stale.add(T0, 0, false, 1);
    stale.add(T0 + 1e6, 1, false, 1);
    stale.add(T0 + 61e6, 2, false, 1);
    stale.flush();
    expect(stale.windowsJudged).toBe(0);
    expect(stale.strongestRun()).toBeUndefined();
    expect(stale.baselineMedian()).toBeNaN();
  });

  it("validates its channel count and exports its window constants", () => {
    expect(() => new WindowHistory(() => true, 0)).toThrow(RangeError);
    expect(() => new WindowHistory(() => true, 4)).toThrow(RangeError);
    expect(SUMMARY_WINDOW_US).toBe(10_000_000);
    expect(MIN_WINDOW_SAMPLES).toBe(3);
  });
});
