import { describe, expect, it } from "vitest";
import { deriveChallenges } from "./challenges.js";
import { deriveProtocolSettings } from "./protocol-settings.js";
import type { RegionFigures } from "./report-schema.js";

function figures(name: string, overrides: Partial<RegionFigures> = {}): RegionFigures {
  return {
    name,
    rank: 1,
    sessions: 100,
    players: 100,
    playTimeMs: 6_000_000,
    rttMs: { p50: 40, p95: 60, p99: 70 },
    jitterMs: 3,
    lossRate: 0.005,
    lossBurstP95Length: 1,
    spikesPerMinute: 0.2,
    experience: { shareUnderMs: { "50": 0.8 }, score: 80 },
    serverSite: null,
    locatedSessions: 0,
    speedOfLightMs: null,
    routeStretch: null,
    ...overrides,
  };
}

describe("region-specific challenges", () => {
  it("with no other region measured, compares with the absolute limit and says so, never 'elsewhere' (firefall eu + unmatched na read '56.8 ms vs 20.0 ms elsewhere')", () => {
    const lone = [figures("eu", { jitterMs: 56.8, lossRate: 0.05 }), figures("na", { jitterMs: null, lossRate: null })];
    const summaries = deriveChallenges(lone, []).map((challenge) => challenge.summary);
    expect(summaries).toContain("eu: median jitter 56.8 ms, above the 20.0 ms limit (no other region measured to compare).");
    expect(summaries).toContain("eu: loss 5.00%, above the 3.00% limit (no other region measured to compare); p95 burst length 1.");
    expect(summaries.join(" ")).not.toContain("elsewhere");
  });

  it("names the out-of-line metric and what it suggests", () => {
    const regions = [
      figures("calm-1"),
      figures("calm-2"),
      figures("jittery", { jitterMs: 15 }),
      figures("bursty", { lossRate: 0.04, lossBurstP95Length: 4 }),
      figures("lossy", { lossRate: 0.04, lossBurstP95Length: 1 }),
      figures("spiky", { spikesPerMinute: 2 }),
      figures("far", { rttMs: { p50: 120, p95: 160, p99: 180 }, routeStretch: 1.8, speedOfLightMs: 60 }),
      figures("tail", { rttMs: { p50: 40, p95: 130, p99: 200 } }),
    ];
    const settings = deriveProtocolSettings(regions.map((region) => ({ figures: region, jitterMs: Float64Array.from([region.jitterMs!]) })));
    const challenges = deriveChallenges(regions, settings);
    const kinds = challenges.map((challenge) => `${challenge.region}:${challenge.kind}`);
    expect(kinds).toEqual([
      "bursty:burstyLoss",
      "far:distance",
      "jittery:highJitter",
      "lossy:randomLoss",
      "spiky:latencySpikes",
      "tail:latencyTail",
    ]);
    const bursty = challenges.find((challenge) => challenge.region === "bursty")!;
    expect(bursty.suggestion).toMatch(/input redundancy/);
    expect(bursty.severity).toBe("high");
    expect(challenges.find((challenge) => challenge.region === "jittery")!.suggestion).toMatch(/interpolation buffer there \(\d+(\.\d)? ms at \d+ Hz\)/);
    expect(challenges.find((challenge) => challenge.region === "far")!.summary).toMatch(/efficient route/);
  });

  it("uses absolute thresholds for a single region", () => {
    const alone = [figures("solo", { jitterMs: 25, lossRate: 0.05, lossBurstP95Length: 3, routeStretch: 3, speedOfLightMs: 10 })];
    const kinds = deriveChallenges(alone, []).map((challenge) => challenge.kind);
    expect(kinds).toEqual(["burstyLoss", "highJitter", "routingInefficiency"]);
    expect(deriveChallenges([figures("fine")], [])).toEqual([]);
  });
});

describe("protocol settings derived from measurements", () => {
  it("picks the lowest snapshot rate meeting the buffer target and sizes redundancy from bursts", () => {
    const [calm, bursty, jittery, lossless] = deriveProtocolSettings([
      { figures: figures("calm", { lossBurstP95Length: 1.2 }), jitterMs: Float64Array.from([2, 3, 4]) },
      { figures: figures("bursty", { lossRate: 0.04, lossBurstP95Length: 4 }), jitterMs: Float64Array.from([3]) },
      { figures: figures("jittery"), jitterMs: Float64Array.from([40]) },
      { figures: figures("lossless", { lossRate: null }), jitterMs: new Float64Array(0) },
    ]);
    // calm: 2 intervals; 20 Hz = 100 + 2×3.9 > 100, 30 Hz = 66.7 + 7.8 ≤ 100
    expect(calm!.snapshotRateHz).toBe(30);
    expect(calm!.interpolationDelayMs).toBeCloseTo(66.7 + 2 * 3.9, 0);
    expect(calm!.inputRedundancy).toBe(2);
    // bursty: 5 intervals; 60 Hz = 83.3 + 6 ≤ 100
    expect(bursty!.snapshotRateHz).toBe(60);
    expect(bursty!.inputRedundancy).toBe(5);
    // jittery: even 60 Hz gives 33.3 + 80 > 100: highest rate, flagged in the rationale
    expect(jittery!.snapshotRateHz).toBe(60);
    expect(jittery!.rationale).toMatch(/above the 100 ms target/);
    expect(lossless!.inputRedundancy).toBe(1);
    expect(lossless!.rationale).toMatch(/no loss measured/);
    const custom = deriveProtocolSettings([{ figures: figures("x"), jitterMs: Float64Array.from([1]) }], {
      candidateSnapshotRatesHz: [-5],
      targetInterpolationDelayMs: 200,
      maxInputRedundancy: 1,
    });
    expect(custom[0]!.snapshotRateHz).toBe(30);
    expect(custom[0]!.inputRedundancy).toBe(1);
  });
});
