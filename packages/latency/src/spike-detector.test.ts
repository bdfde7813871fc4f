import { describe, expect, it } from "vitest";
import { SpikeDetector, type DetectedSpike, type SpikeDetectorOptions } from "./spike-detector.js";
import { ReferenceSpikeDetector } from "./test-support/reference-spike-detector.js";
import { createRandom } from "./test-support/synthetic-match.js";

function run(values: (tUs: number, index: number) => number, count: number, options = {}, stepUs = 20_000): DetectedSpike[] {
  const spikes: DetectedSpike[] = [];
  const detector = new SpikeDetector((spike) => spikes.push(spike), options);
  for (let index = 0; index < count; index++) {
    const tUs = index * stepUs;
    detector.add(tUs, values(tUs, index), index);
  }
  detector.finish(count * stepUs);
  return spikes;
}

describe("SpikeDetector", () => {
  it("finds a 45 ms spike at the exact sample, with peak and baseline to the µs", () => {
    const random = createRandom(3);
    const spikes = run((tUs) => 50 + random() * 4 + (tUs >= 10_000_000 && tUs < 10_200_000 ? 45 + (tUs === 10_100_000 ? 10 : 0) : 0), 1500);
    expect(spikes).toHaveLength(1);
    const spike = spikes[0];
    expect(spike.startUs).toBe(10_000_000);
    expect(spike.endUs).toBe(10_200_000);
    expect(spike.peakUs).toBe(10_100_000);
    expect(spike.peakMs).toBeGreaterThan(105);
    expect(spike.baselineMs).toBeGreaterThan(51);
    expect(spike.baselineMs).toBeLessThan(53);
    expect(spike.levelShift).toBe(false);
    expect(spike.packetIndices).toEqual([500, 505]);
    expect(spike.samples).toBe(10);
  });

  it("ignores noise, single outliers and the upper mode of a bimodal (tick-quantized) baseline", () => {
    const random = createRandom(9);
    const spikes = run((_, index) => 50 + (random() < 0.3 ? 16.7 : 0) + random() * 2 + (index % 97 === 0 ? 80 : 0), 5000);
    expect(spikes).toHaveLength(0);
  });

  it("reports a lasting step as a level shift (route change) and re-baselines", () => {
    const spikes = run((tUs) => (tUs < 20_000_000 ? 40 : 90), 3000, { levelShiftAfterMs: 5000 });
    expect(spikes).toHaveLength(1);
    expect(spikes[0].levelShift).toBe(true);
    expect(spikes[0].startUs).toBe(20_000_000);
    expect(spikes[0].baselineMs).toBe(40);
    expect(spikes[0].afterBaselineMs).toBe(90);
  });

  it("a spike whose smoothed RTT decays back for seconds stays a spike; a step that holds is a shift", () => {
    // A client's reported RTT: an EWMA (α = 1/8) of one ping per second, read on every 30 Hz input.
    // The path adds 200 ms for 2 s at 12 s: the reported value climbs to ~70 ms and takes ~12 s to
    // come back within the exit level: longer than levelShiftAfterMs, but receding, not a new level.
    const smoothed = (extraMs: (tUs: number) => number) => {
      let smoothedMs = 23;
      let nextPingUs = 0;
      return (tUs: number): number => {
        if (tUs >= nextPingUs) {
          smoothedMs = smoothedMs * 0.875 + (23 + extraMs(tUs)) * 0.125;
          nextPingUs += 1_000_000;
        }
        return Math.round(smoothedMs);
      };
    };
    const spike = run(smoothed((tUs) => (tUs >= 12_000_000 && tUs < 14_000_000 ? 200 : 0)), 30 * 40, {}, 33_333);
    expect(spike).toHaveLength(1);
    expect(spike[0].levelShift).toBe(false);
    expect(spike[0].startUs).toBeGreaterThanOrEqual(12_000_000);
    expect(spike[0].startUs).toBeLessThan(14_000_000);
    expect(spike[0].endUs).toBeLessThan(30_000_000);
    // A lasting +60 ms route change sampled the same way (raw, with jitter): still a level shift, at levelShiftAfterMs.
    const random = createRandom(5);
    const step = run((tUs) => 23 + random() * 3 + (tUs >= 12_000_000 ? 60 : 0), 30 * 40, {}, 33_333);
    expect(step).toHaveLength(1);
    expect(step[0].levelShift).toBe(true);
    expect(step[0].endUs - step[0].startUs).toBeLessThan(11_000_000);
  });

  it("closes a spike still open at the end and honours the margin option", () => {
    const spikes = run((_, index) => (index < 200 ? 30 : 45), 260, { marginMs: 10 });
    expect(spikes).toHaveLength(1);
    expect(spikes[0].startUs).toBe(200 * 20_000);
    expect(spikes[0].endUs).toBe(260 * 20_000);
    expect(run((_, index) => (index < 200 ? 30 : 45), 260, { marginMs: 20 })).toHaveLength(0);
  });

  it("needs minSamples consecutive samples", () => {
    const two = run((_, index) => (index === 100 || index === 101 ? 90 : 30), 300, { minSamples: 3 });
    expect(two).toHaveLength(0);
    const three = run((_, index) => (index >= 100 && index <= 102 ? 90 : 30), 300, { minSamples: 3 });
    expect(three).toHaveLength(1);
    expect(three[0].endUs).toBe(103 * 20_000);
  });
  it("keeps exactly the original sort-based baseline (median, p95, MAD) and spikes while the window slides", () => {
    const random = createRandom(21);
    const series: { name: string; options: SpikeDetectorOptions; value: (index: number) => number }[] = [
      // tick-quantized RTT (many exact duplicates), spikes, then a level shift
      {
        name: "quantized",
        options: {},
        value: (index) => 33.333 * (1 + (random() < 0.3 ? 1 : 0)) + (index % 1500 < 6 ? 120 : 0) + (index > 6000 ? 60 : 0),
      },
      // continuous jitter, even window, refresh every sample, short level-shift limit
      {
        name: "continuous",
        options: { baselineWindowSamples: 40, recomputeEvery: 1, levelShiftAfterMs: 2000, minSamples: 3 },
        value: (index) => 50 + -Math.log(1 - random()) * 4 + (index % 700 < 30 ? 90 : 0) + (index > 4000 && index < 4200 ? 200 : 0),
      },
      // ±0, exact zeros and a minimal window
      {
        name: "zeros",
        options: { baselineWindowSamples: 5, warmupSamples: 3, marginMs: 1 },
        value: (index) => (index % 90 < 3 ? 9 : index % 3 === 0 ? -0 : index % 3 === 1 ? 0 : random() < 0.2 ? 0.5 : -0),
      },
      // NaN and infinities fed directly (the analyzer never does): the fallback path must agree too
      {
        name: "nan",
        options: { baselineWindowSamples: 21, recomputeEvery: 2 },
        value: (index) => (index % 211 === 0 ? Number.NaN : index % 307 === 0 ? Infinity : 20 + random() * 5 + (index % 400 < 4 ? 50 : 0)),
      },
      // no warm-up: the first refresh sees an empty window
      { name: "empty", options: { warmupSamples: 0 }, value: () => 30 + random() },
      // a smoothed RTT holding each whole-ms value for longer than the window (recomputes over an unchanged window),
      // stepping, spiking and shifting level: the baseline must follow every change after a stretch without one
      {
        name: "held values",
        options: { baselineWindowSamples: 31, smoothedInput: true, levelShiftAfterMs: 3000 },
        value: (index) => (index % 1100 < 5 ? 90 : 17 + Math.floor(index / 400) % 3 + (index > 5000 ? 40 : 0) + (index % 250 === 0 ? 1 : 0)),
      },
      // a refresh far apart (pending values flushed by capacity) over a small window of few, often repeated levels
      {
        name: "sparse refresh",
        options: { baselineWindowSamples: 7, recomputeEvery: 50, warmupSamples: 4, marginMs: 2 },
        value: (index) => (index % 500 < 4 ? 40 : [10, 11, 12, -0, 0][Math.floor(random() * (index % 1000 < 500 ? 2 : 5))]),
      },
    ];
    for (const { name, options, value } of series) {
      const spikes: DetectedSpike[] = [];
      const referenceSpikes: DetectedSpike[] = [];
      const detector = new SpikeDetector((spike) => spikes.push(spike), options);
      const reference = new ReferenceSpikeDetector((spike) => referenceSpikes.push(spike), options);
      for (let index = 0; index < 8000; index++) {
        const sample = value(index);
        detector.add(index * 16_667, sample, index);
        reference.add(index * 16_667, sample, index);
        if (!Object.is(detector.baselineMs, reference.baselineMs) || !Object.is(detector.thresholdMs, reference.thresholdMs)) {
          throw new Error(`${name}: sample ${index}: baseline ${detector.baselineMs}/${reference.baselineMs}, threshold ${detector.thresholdMs}/${reference.thresholdMs}`);
        }
      }
      detector.finish(8000 * 16_667);
      reference.finish(8000 * 16_667);
      expect(spikes, name).toEqual(referenceSpikes);
      if (name !== "empty") expect(spikes.length, name).toBeGreaterThan(0);
    }
  });
});
