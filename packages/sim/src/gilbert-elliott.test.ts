import { describe, expect, it } from "vitest";
import {
  GilbertElliottLoss,
  gilbertElliottBadStateProbability,
  gilbertElliottFromLossAndBurst,
  gilbertElliottMeanBadRunPackets,
  gilbertElliottStationaryLoss,
  NO_LOSS,
  type GilbertElliottParameters,
} from "./gilbert-elliott.js";
import { PROFILE_NAMES, PROFILES } from "./profiles.js";
import { createRandom } from "./random.js";

function run(parameters: GilbertElliottParameters, packets: number, seed: number): { lossRate: number; meanBurst: number; bursts: number } {
  const process = new GilbertElliottLoss(parameters, createRandom(seed));
  let lost = 0;
  let bursts = 0;
  let previousLost = false;
  for (let index = 0; index < packets; index++) {
    const isLost = process.nextLost();
    if (isLost) {
      lost++;
      if (!previousLost) bursts++;
    }
    previousLost = isLost;
  }
  return { lossRate: lost / packets, meanBurst: bursts === 0 ? 0 : lost / bursts, bursts };
}

describe("Gilbert–Elliott loss", () => {
  it.each(PROFILE_NAMES)("profile %s: long-run loss within 5 percent of stationary, mean burst within 5 percent of 1/r", (name) => {
    const parameters = PROFILES[name].loss;
    const result = run(parameters, 10_000_000, 1234);
    const stationary = gilbertElliottStationaryLoss(parameters);
    expect(stationary).toBeGreaterThan(0);
    expect(Math.abs(result.lossRate - stationary) / stationary).toBeLessThan(0.05);
    // Built-in profiles are simple Gilbert (h = 0, k = 1): loss bursts are Bad-state runs.
    expect(Math.abs(result.meanBurst - 1 / parameters.r) / (1 / parameters.r)).toBeLessThan(0.05);
    expect(result.bursts).toBeGreaterThan(1000);
  });

  it("handles the four-parameter model (losses in Good, deliveries in Bad)", () => {
    const parameters: GilbertElliottParameters = { p: 0.02, r: 0.25, h: 0.3, k: 0.995 };
    const stationary = gilbertElliottStationaryLoss(parameters);
    const bad = gilbertElliottBadStateProbability(parameters);
    expect(stationary).toBeCloseTo((1 - bad) * 0.005 + bad * 0.7, 12);
    const result = run(parameters, 4_000_000, 99);
    expect(Math.abs(result.lossRate - stationary) / stationary).toBeLessThan(0.05);
  });

  it("derives parameters from a loss rate and burst length", () => {
    const parameters = gilbertElliottFromLossAndBurst(0.02, 4);
    expect(parameters.r).toBeCloseTo(0.25, 12);
    expect(gilbertElliottStationaryLoss(parameters)).toBeCloseTo(0.02, 12);
    expect(gilbertElliottMeanBadRunPackets(parameters)).toBeCloseTo(4, 12);
    expect(gilbertElliottFromLossAndBurst(0, 3)).toEqual(NO_LOSS);
    expect(gilbertElliottMeanBadRunPackets({ p: 0, r: 0, h: 0, k: 1 })).toBe(Infinity);
    expect(gilbertElliottBadStateProbability({ p: 0, r: 0, h: 0, k: 1 })).toBe(0);
  });

  it("never loses with the no-loss parameters", () => {
    expect(run(NO_LOSS, 100_000, 1).lossRate).toBe(0);
  });
});
