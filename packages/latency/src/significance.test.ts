import { describe, expect, it } from "vitest";
import { normalUpperTailLog10, poissonUpperTailLog10, surpriseToScore } from "./significance.js";

function poissonTail(k: number, lambda: number): number {
  let term = Math.exp(-lambda);
  let below = 0;
  for (let i = 0; i < k; i++) {
    below += term;
    term *= lambda / (i + 1);
  }
  return 1 - below;
}

describe("significance", () => {
  it("normal upper tail matches known values, deep in the tail too", () => {
    expect(10 ** normalUpperTailLog10(0)).toBeCloseTo(0.5, 6);
    expect(10 ** normalUpperTailLog10(1.959964)).toBeCloseTo(0.025, 6);
    expect(10 ** normalUpperTailLog10(-1.959964)).toBeCloseTo(0.975, 6);
    // P(Z ≥ 10) = 7.62e-24
    expect(normalUpperTailLog10(10)).toBeCloseTo(Math.log10(7.6198530241605e-24), 4);
    expect(Number.isFinite(normalUpperTailLog10(60))).toBe(true);
  });

  it("Poisson upper tail matches a direct sum", () => {
    for (const [k, lambda] of [
      [1, 0.1],
      [3, 0.5],
      [10, 2],
      [5, 5],
      [2, 4],
    ] as const) {
      expect(poissonUpperTailLog10(k, lambda)).toBeCloseTo(Math.log10(poissonTail(k, lambda)), 6);
    }
    expect(poissonUpperTailLog10(0, 1)).toBe(0);
    expect(poissonUpperTailLog10(50, 1)).toBeLessThan(-60);
    expect(poissonUpperTailLog10(400, 100)).toBeLessThan(-50);
  });

  it("maps surprise to a bounded score", () => {
    expect(surpriseToScore(-1)).toBe(0);
    expect(surpriseToScore(3)).toBe(0.5);
    expect(surpriseToScore(27)).toBeCloseTo(0.9, 12);
  });
});
