import { hasErrorCode } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { createAnticheatAnalyzer } from "./anticheat-analyzer.js";
import { DEFAULT_ANTICHEAT_OPTIONS, resolveAnticheatOptions } from "./options.js";
import { NumberRing } from "./ring-buffer.js";
import { coefficientOfVariation, modeCoverage } from "./robust-statistics.js";

describe("options", () => {
  it("merges over the defaults", () => {
    const options = resolveAnticheatOptions({ maxSpeedUnitsPerSecond: 20 });
    expect(options.maxSpeedUnitsPerSecond).toBe(20);
    expect(options.clockRateTolerance).toBe(DEFAULT_ANTICHEAT_OPTIONS.clockRateTolerance);
    expect(createAnticheatAnalyzer().options.lagSwitchMinGapMs).toBe(450);
  });

  it("rejects nonsense with E_INVALID_OPTION", () => {
    for (const bad of [{ clockRateTolerance: -1 }, { replayWindow: Number.NaN }, { speedhackWindowPoints: 2 }, { cheatingScore: 0.1, suspiciousScore: 0.5 }]) {
      let error: unknown;
      try {
        resolveAnticheatOptions(bad);
      } catch (caught) {
        error = caught;
      }
      expect(hasErrorCode(error, "E_INVALID_OPTION")).toBe(true);
    }
  });
});

describe("bounded helpers", () => {
  it("a ring keeps the newest values in order", () => {
    const ring = new NumberRing(3);
    for (const value of [1, 2, 3, 4, 5]) ring.push(value);
    expect(ring.length).toBe(3);
    expect(ring.toArray()).toEqual([3, 4, 5]);
  });

  it("robust statistics handle empty and tiny samples", () => {
    expect(coefficientOfVariation([])).toBeNaN();
    expect(coefficientOfVariation([0, 0])).toBeNaN();
    expect(modeCoverage([], 3, 0.03, 10)).toBe(0);
    expect(modeCoverage([100, 101, 102, 500, 900], 1, 0.01, 5)).toBeCloseTo(0.6);
  });
});
