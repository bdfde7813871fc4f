import { createRequire } from "node:module";
import { hasErrorCode, stringifyReport } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { compareRegions } from "./compare-regions.js";
import { RegionsReportSchema } from "./report-schema.js";
import { SessionSummarySchema, type SessionSummary } from "./session-summary.js";
import { FIVE_REGIONS, generateSessionSummaries, truthOf, type SyntheticRegionProfile } from "./test-support/synthetic-population.js";

// TypeBox is a dependency of core, not of this package: load it from there, for tests only.
const requireFromCore = createRequire(new URL("../../core/package.json", import.meta.url));
const { Value } = requireFromCore("@sinclair/typebox/value") as {
  Value: { Check(schema: unknown, value: unknown): boolean; Errors(schema: unknown, value: unknown): Iterable<{ path: string; message: string }> };
};

describe("five simulated regions with known profiles (1,200 sessions each)", () => {
  const summaries = generateSessionSummaries(FIVE_REGIONS, 2024);
  const report = compareRegions(summaries, { seed: 7 });

  it("reports each region's RTT percentiles within tolerance of the truth", () => {
    for (const profile of FIVE_REGIONS) {
      const region = report.regions.find((entry) => entry.name === profile.name)!;
      const truth = truthOf(profile);
      expect(Math.abs(region.rttMs.p50 / truth.p50 - 1)).toBeLessThan(0.05);
      expect(Math.abs(region.rttMs.p95 / truth.p95 - 1)).toBeLessThan(0.08);
      expect(Math.abs(region.rttMs.p99 / truth.p99 - 1)).toBeLessThan(0.12);
      expect(Math.abs(region.jitterMs! / profile.jitterMedianMs - 1)).toBeLessThan(0.05);
      expect(Math.abs(region.lossRate! / profile.lossRate - 1)).toBeLessThan(0.06);
      expect(Math.abs(region.spikesPerMinute! / profile.spikesPerMinute - 1)).toBeLessThan(0.1);
      expect(region.sessions).toBe(1200);
      expect(region.players).toBe(1200);
      expect(region.serverSite).toBe(profile.serverSite);
    }
  });

  it("ranks the regions by median RTT correctly", () => {
    expect(report.ranking).toEqual(["eu-west", "na-east", "oceania", "ap-southeast", "sa-east"]);
    expect(report.regions.map((region) => region.name)).toEqual(["ap-southeast", "eu-west", "na-east", "oceania", "sa-east"]);
    const euWest = report.regions.find((region) => region.name === "eu-west")!;
    const saEast = report.regions.find((region) => region.name === "sa-east")!;
    expect(euWest.rank).toBe(1);
    expect(euWest.experience.score).toBeGreaterThan(saEast.experience.score);
    expect(euWest.experience.shareUnderMs["50"]).toBeGreaterThan(0.8); // 35 ms median, σ 0.3: P(< 50) = Φ(ln(50/35)/0.3) = 0.883
    expect(euWest.experience.shareUnderMs["50"]).toBeLessThan(0.93);
  });

  it("finds every designed difference and the designed region-specific challenges", () => {
    const rtt = report.comparisons.filter((comparison) => comparison.metric === "rttP50Ms");
    expect(rtt).toHaveLength(10);
    for (const comparison of rtt) {
      const truthDifference = FIVE_REGIONS.find((p) => p.name === comparison.a)!.rttMedianMs - FIVE_REGIONS.find((p) => p.name === comparison.b)!.rttMedianMs;
      expect(comparison.significant).toBe(true);
      expect(comparison.ci![0]).toBeLessThan(truthDifference + 0.5);
      expect(comparison.ci![1]).toBeGreaterThan(truthDifference - 0.5);
      expect(Math.sign(comparison.effectSize.cliffsDelta!)).toBe(Math.sign(truthDifference));
    }
    // na-east and eu-west share the loss profile: the report must say so
    const loss = report.comparisons.find((comparison) => comparison.a === "eu-west" && comparison.b === "na-east" && comparison.metric === "lossRate")!;
    expect(loss.significant).toBe(false);
    expect(loss.conclusion).toMatch(/^No significant difference in loss rate between eu-west and na-east/);
    const kinds = report.challenges.map((challenge) => `${challenge.region}:${challenge.kind}`);
    expect(kinds).toContain("ap-southeast:highJitter");
    expect(kinds).toContain("sa-east:burstyLoss");
    expect(kinds).toContain("sa-east:latencySpikes");
    expect(kinds.filter((kind) => kind.startsWith("eu-west") || kind.startsWith("na-east"))).toEqual([]);
    expect(report.findings.map((finding) => `${finding.id}:${finding.severity}`)).toEqual(
      report.challenges.map((challenge) => `regions.${challenge.kind}.${challenge.region}:${challenge.severity}`),
    );
    expect(report.findings[0]!.startUs).toBe(0); // summaries without times
  });

  it("is deterministic and matches its TypeBox schema", () => {
    const again = compareRegions(generateSessionSummaries(FIVE_REGIONS, 2024), { seed: 7 });
    expect(stringifyReport(again)).toBe(stringifyReport(report));
    const errors = [...Value.Errors(RegionsReportSchema, JSON.parse(stringifyReport(report)))].slice(0, 3);
    expect(errors).toEqual([]);
    expect(Value.Check(RegionsReportSchema, { regions: [] })).toBe(false);
    expect(Value.Check(SessionSummarySchema, summaries[0])).toBe(true);
    expect(Value.Check(SessionSummarySchema, { sessionId: "x", region: "", playTimeMs: 1 })).toBe(false);
  }, 60_000);
});

function twoRegions(medianA: number, medianB: number, sessions: number): SyntheticRegionProfile[] {
  const base = FIVE_REGIONS[0]!;
  return [
    { ...base, name: "a", sessions, rttMedianMs: medianA },
    { ...base, name: "b", sessions, rttMedianMs: medianB },
  ];
}

describe("significance", () => {
  it("detects a 10 ms median difference at 1,000 sessions per region", { timeout: 60_000 }, () => {
    const report = compareRegions(generateSessionSummaries(twoRegions(60, 50, 1000), 99), { placement: false });
    const median = report.comparisons.find((comparison) => comparison.metric === "rttP50Ms")!;
    expect(median.significant).toBe(true);
    expect(median.pValueAdjusted!).toBeLessThan(1e-6);
    expect(median.ci![0]).toBeGreaterThan(6);
    expect(median.ci![1]).toBeLessThan(14);
    expect(median.ci![0]).toBeLessThan(10);
    expect(median.ci![1]).toBeGreaterThan(10);
    expect(median.conclusion).toMatch(/^a has a significantly higher median RTT than b: /);
    // the two regions share jitter and loss profiles
    expect(report.comparisons.find((comparison) => comparison.metric === "jitterMs")!.significant).toBe(false);
  });

  it("keeps false significance between identically configured regions at or below the nominal 5% (200 seeds)", () => {
    const base = { ...FIVE_REGIONS[0]!, sessions: 300 };
    const profiles = [{ ...base, name: "a" }, { ...base, name: "b" }, { ...base, name: "c" }];
    const seeds = 200;
    let seedsWithAnySignificant = 0;
    let rawMannWhitney = 0;
    let mannWhitneyTests = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const report = compareRegions(generateSessionSummaries(profiles, seed), { seed, bootstrapIterations: 200, placement: false });
      if (report.comparisons.some((comparison) => comparison.significant)) seedsWithAnySignificant++;
      for (const comparison of report.comparisons) {
        if (comparison.test !== "mannWhitneyU") continue;
        mannWhitneyTests++;
        if (comparison.pValue! < 0.05) rawMannWhitney++;
      }
    }
    const familyWiseRate = seedsWithAnySignificant / seeds;
    const rawRate = rawMannWhitney / mannWhitneyTests;
    // family-wise false-positive rate over 12 comparisons per report, after Holm: ≤ alpha
    expect(familyWiseRate).toBeLessThanOrEqual(0.05);
    // uncorrected tests are calibrated (not trivially conservative): within 2 SE of 5%
    const standardError = Math.sqrt((0.05 * 0.95) / mannWhitneyTests);
    expect(rawRate).toBeLessThanOrEqual(0.05 + 2 * standardError);
    expect(rawRate).toBeGreaterThan(0.02);
  }, 300_000);

  it("supports Benjamini–Hochberg, and describes but does not test small regions", () => {
    const summaries = generateSessionSummaries([...twoRegions(60, 50, 200), { ...FIVE_REGIONS[1]!, name: "tiny", sessions: 5 }], 3);
    const report = compareRegions(summaries, { correction: "benjaminiHochberg", bootstrapIterations: 100, placement: false });
    expect(report.method.correction).toBe("benjaminiHochberg");
    const tiny = report.comparisons.filter((comparison) => comparison.a === "tiny" || comparison.b === "tiny");
    expect(tiny.length).toBe(8);
    expect(tiny.every((comparison) => comparison.pValue === null && !comparison.significant && comparison.test === "none")).toBe(true);
    expect(tiny[0]!.conclusion).toMatch(/not tested/);
    expect(report.regions.find((region) => region.name === "tiny")!.sessions).toBe(5);
  });
});

describe("input handling", () => {
  it("counts unusable summaries by reason and uses samples when percentiles are missing", () => {
    const good: SessionSummary = { sessionId: "ok", region: "eu", rttSamplesMs: [30, 40, 50, 200], playTimeMs: 60_000 };
    const summaries: SessionSummary[] = [
      good,
      { sessionId: "1", region: "", rttMs: { p50: 10 }, playTimeMs: 1 },
      { sessionId: "2", region: "eu", playTimeMs: 1 },
      { sessionId: "3", region: "eu", rttMs: { p50: Number.NaN }, playTimeMs: 1 },
      { sessionId: "4", region: "eu", rttSamplesMs: [1, -5], playTimeMs: 1 },
      { sessionId: "5", region: "eu", rttMs: { p50: 10 }, playTimeMs: -1 },
      { sessionId: "6", region: "eu", rttMs: { p50: 10 }, playTimeMs: 1, jitterMs: -1 },
      { sessionId: "7", region: "eu", rttMs: { p50: 10 }, playTimeMs: 1, lossRate: 2 },
      { sessionId: "8", region: "eu", rttMs: { p50: 10 }, playTimeMs: 1, spikeCount: Number.POSITIVE_INFINITY },
      { sessionId: "9", region: "eu", rttMs: { p50: 10, p95: -1 }, playTimeMs: 1 },
      null as unknown as SessionSummary,
      { sessionId: 5 as unknown as string, region: "eu", rttMs: { p50: 10 }, playTimeMs: 1 },
      { sessionId: "10", region: "eu", rttMs: { p50: 10 }, rttSamplesMs: [5, 10, 20], playTimeMs: 1, playerPlace: { city: "Paris" }, serverLocation: { latitude: 50.11, longitude: 8.68 } },
    ];
    const report = compareRegions(summaries, { placement: false });
    expect(report.sessions.skipped).toEqual({
      E_REGIONS_BAD_JITTER: 1,
      E_REGIONS_BAD_LOSS: 1,
      E_REGIONS_BAD_PLAY_TIME: 1,
      E_REGIONS_BAD_RTT: 3,
      E_REGIONS_BAD_SPIKES: 1,
      E_REGIONS_BAD_SUMMARY: 2,
      E_REGIONS_NO_REGION: 1,
      E_REGIONS_NO_RTT: 1,
    });
    expect(report.sessions.analysed).toBe(2);
    const eu = report.regions[0]!;
    expect(eu.rttMs.p50).toBe(27.5); // median of the sessions' medians 45 (from samples) and 10
    expect(eu.jitterMs).toBeNull();
    expect(eu.lossRate).toBeNull();
    expect(eu.spikesPerMinute).toBeNull();
    expect(eu.locatedSessions).toBe(1);
    expect(eu.routeStretch).toBeCloseTo(10 / ((2 * 478) / 200), 0); // Paris–Frankfurt ≈ 478 km
    expect(eu.serverSite).toBe("50.11,8.68");
  });

  it("rejects invalid options", () => {
    for (const options of [{ seed: 1.5 }, { bootstrapIterations: 5 }, { confidence: 1 }, { alpha: 0 }]) {
      let caught: unknown;
      try {
        compareRegions([], options);
      } catch (error) {
        caught = error;
      }
      expect(hasErrorCode(caught, "E_INVALID_OPTION")).toBe(true);
    }
    const empty = compareRegions([]);
    expect(empty.regions).toEqual([]);
    expect(empty.placement).toBeNull();
    expect(empty.routing.targetRouteStretch).toBeNull();
  });
});
