import { describe, expect, it } from "vitest";
import { SpikeDetector } from "./spike-detector.js";

/** Median and 1.4826 · MAD of a window by sorting (the definition). */
function baselineBySorting(window: readonly number[]): { medianMs: number; spreadMs: number } {
  const sorted = Float64Array.from(window).sort();
  const count = sorted.length;
  const middle = count >> 1;
  const median = count % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const deviations = sorted.map((value) => Math.abs(value - median)).sort();
  const mad = count % 2 === 1 ? deviations[middle] : (deviations[middle - 1] + deviations[middle]) / 2;
  return { medianMs: median, spreadMs: 1.4826 * mad };
}

describe("SpikeDetector median absolute deviation", () => {
  it("equals the MAD of the sorted window after every sample, for odd and even windows, ties, negative and repeated values", () => {
    let state = 987654321;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    for (const size of [5, 6, 7, 10, 11, 64, 101]) {
      for (const kind of ["continuous", "few levels", "skewed", "one outlier side"]) {
        // A margin far above every value: no spike opens, every sample joins the baseline after the refresh it is judged by.
        const detector = new SpikeDetector(() => {}, { baselineWindowSamples: size, warmupSamples: 0, recomputeEvery: 1, marginMs: 1e12 });
        const window: number[] = [];
        for (let sample = 0; sample < 400; sample++) {
          const value =
            kind === "continuous"
              ? 20 + random() * 15
              : kind === "few levels"
                ? [-3, 0.5, 18, 18, 19, 40][Math.floor(random() * 6)]
                : kind === "skewed"
                  ? 10 + Math.exp(random() * 6)
                  : random() < 0.8
                    ? 30
                    : 30 + random() * 500;
          detector.add(sample * 1000, value, sample);
          if (window.length > 0) {
            const saved = detector.saveState();
            expect({ medianMs: saved.medianMs, spreadMs: saved.spreadMs }, `${kind}, window ${size}, sample ${sample}`).toEqual(baselineBySorting(window));
          }
          window.push(value);
          if (window.length > size) window.shift();
        }
      }
    }
  });
});
