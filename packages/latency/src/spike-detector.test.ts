import { describe, expect, it } from "vitest";
import { SpikeDetector, type DetectedSpike } from "./spike-detector.js";
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
});
