import { describe, expect, it } from "vitest";
import { SpikeDetector } from "./spike-detector.js";

const options = { baselineWindowSamples: 5, warmupSamples: 5, recomputeEvery: 1, minSamples: 1 };

describe("SpikeDetector baseline over unchanged values", () => {
  it("recomputes after a load even when the window did not change since", () => {
    const detector = new SpikeDetector(() => undefined, options);
    for (let index = 0; index < 5; index++) detector.add(index * 1000, 40, index);
    const state = detector.saveState();
    // A held value leaves the ordered window as it was: only the load marks the baseline for recompute.
    const restored = new SpikeDetector(() => undefined, options);
    for (let index = 0; index < 7; index++) restored.add(index * 1000, 40, index);
    restored.loadState({ ...state, medianMs: 99, spreadMs: 7 });
    restored.add(5000, 40, 5);
    expect(restored.baselineMs).toBe(40);
    expect(restored.thresholdMs).toBe(60);
  });

  it("keeps the baseline of held values and follows the first change", () => {
    const detector = new SpikeDetector(() => undefined, options);
    for (let index = 0; index < 20; index++) detector.add(index * 1000, 40, index);
    expect(detector.baselineMs).toBe(40);
    for (let index = 20; index < 24; index++) detector.add(index * 1000, 45, index);
    expect(detector.baselineMs).toBe(45);
  });

  it("re-seeds the baseline at a level shift", () => {
    const spikes: number[] = [];
    const detector = new SpikeDetector((spike) => spikes.push(spike.afterBaselineMs), { ...options, levelShiftAfterMs: 4 });
    for (let index = 0; index < 10; index++) detector.add(index * 1000, 40, index);
    for (let index = 10; index < 40; index++) detector.add(index * 1000, 200, index);
    expect(spikes).toEqual([200]);
    expect(detector.baselineMs).toBe(200);
  });

  it("finds the same spikes and threshold fed sample objects (addSample) as fed numbers (add)", () => {
    const byNumbers: unknown[] = [];
    const byObjects: unknown[] = [];
    const numbers = new SpikeDetector((spike) => byNumbers.push(spike), { minSamples: 2 });
    const objects = new SpikeDetector((spike) => byObjects.push(spike), { minSamples: 2 });
    const sample = { tUs: 0, rttMs: 0, packetIndex: 0, method: "ack" };
    for (let index = 0; index < 600; index++) {
      const rttMs = 40 + (index % 7) * 0.5 + (index >= 300 && index < 320 ? 150 : 0);
      numbers.add(index * 20_000, rttMs, index);
      sample.tUs = index * 20_000;
      sample.rttMs = rttMs;
      sample.packetIndex = index;
      objects.addSample(sample);
      expect(objects.thresholdMs).toBe(numbers.thresholdMs);
    }
    numbers.finish(600 * 20_000);
    objects.finish(600 * 20_000);
    expect(byObjects).toEqual(byNumbers);
    expect(byObjects).toHaveLength(1);
  });
});
