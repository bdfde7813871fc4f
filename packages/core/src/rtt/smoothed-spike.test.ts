import { describe, expect, it } from "vitest";
import { SpikeDetector, type DetectedSpike } from "./spike-detector.js";

/** A game's reported RTT: RFC 6298 SRTT (α = 1/8) of a raw RTT of 50 ms ± 2 with a 2-s excursion to 300 ms from 30 s, reported every `intervalMs`. */
function reportedSeries(intervalMs: number): { tUs: number; srttMs: number }[] {
  const samples: { tUs: number; srttMs: number }[] = [];
  let srttMs = 50;
  for (let tMs = 0; tMs < 60_000; tMs += intervalMs) {
    const rawMs = tMs >= 30_000 && tMs < 32_000 ? 300 : 50 + 2 * Math.sin(tMs / 170);
    srttMs += (rawMs - srttMs) / 8;
    samples.push({ tUs: tMs * 1000, srttMs });
  }
  return samples;
}

function spikesOf(samples: { tUs: number; srttMs: number }[], smoothedInput: boolean): DetectedSpike[] {
  const spikes: DetectedSpike[] = [];
  const detector = new SpikeDetector((spike) => spikes.push({ ...spike }), { smoothedInput });
  for (const [index, sample] of samples.entries()) detector.add(sample.tUs, sample.srttMs, index);
  detector.finish(60_000_000);
  return spikes;
}

describe("spikes of a smoothed (reported) RTT series", () => {
  for (const intervalMs of [100, 250, 1000]) {
    it(`a 2-s excursion reported as SRTT every ${intervalMs} ms lasts about 2 s, not the filter's decay`, () => {
      const samples = reportedSeries(intervalMs);
      const [raw] = spikesOf(samples, false);
      const [smoothed] = spikesOf(samples, true);
      const durationMs = (spike: DetectedSpike) => (spike.endUs - spike.startUs) / 1000;
      // before: the spike ran until the SRTT had decayed back under the exit level (4.3, 7 and 15 s)
      expect(durationMs(raw!)).toBeGreaterThan(3_500);
      // after: it ends at the first sample of the final decline, one report after the excursion
      expect(smoothed!.startUs).toBe(raw!.startUs);
      expect(durationMs(smoothed!)).toBeGreaterThan(2_000 - 3 * intervalMs);
      expect(durationMs(smoothed!)).toBeLessThanOrEqual(2_000 + intervalMs);
      expect(smoothed!.peakMs).toBe(raw!.peakMs);
    });
  }

  it("a raw series (not smoothed) keeps its end at the first sample back under the exit level", () => {
    const spikes: DetectedSpike[] = [];
    const detector = new SpikeDetector((spike) => spikes.push({ ...spike }));
    for (let index = 0; index < 100; index++) detector.add(index * 100_000, index >= 50 && index < 60 ? 300 - (index % 3) : 50, index);
    expect(spikes[0]!.endUs - spikes[0]!.startUs).toBe(1_000_000);
  });
});
