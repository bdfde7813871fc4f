import { describe, expect, it } from "vitest";
import { compareRegions } from "./compare-regions.js";
import { mergeSessionSummaries, normalizeSessionSummary, resolveServerSite } from "./session-summary.js";

describe("mergeSessionSummaries", () => {
  it("joins labels, latency and loss figures by session id", () => {
    const labels = [
      { sessionId: "b", region: "eu", playTimeMs: 60_000, playerPlace: { city: "London" } },
      { sessionId: "a", region: "na", playTimeMs: 60_000 },
    ];
    const latency = [
      { sessionId: "a", rttMs: { p50: 40, p95: 60, p99: 80 }, jitterMs: 4 },
      { sessionId: "b", rttMs: { p50: 20 }, jitterMs: undefined },
    ];
    const loss = [{ sessionId: "a", lossRate: 0.01, lossBursts: { count: 3, meanLength: 2, maxLength: 4 } }, { sessionId: "c", lossRate: 0 }];
    const merged = mergeSessionSummaries(labels, latency, loss);
    expect(merged.map((summary) => summary.sessionId)).toEqual(["a", "b", "c"]);
    expect(merged[0]).toEqual({
      sessionId: "a",
      region: "na",
      playTimeMs: 60_000,
      rttMs: { p50: 40, p95: 60, p99: 80 },
      jitterMs: 4,
      lossRate: 0.01,
      lossBursts: { count: 3, meanLength: 2, maxLength: 4 },
    });
    const report = compareRegions(merged, { placement: false });
    expect(report.sessions).toMatchObject({ total: 3, analysed: 2, skipped: { E_REGIONS_NO_REGION: 1 } });
    expect(report.sessions.list.map((session) => session.sessionId)).toEqual(["a", "b"]);
    expect(report.regions.find((region) => region.name === "eu")!.locatedSessions).toBe(0); // no server site for "eu"
  });
});

describe("server sites", () => {
  it("resolve catalogue ids, codes, points, custom catalogues, and refuse bad input", () => {
    expect(resolveServerSite("aws:eu-west-1")?.label).toBe("aws:eu-west-1");
    expect(resolveServerSite({ latitude: 1, longitude: 2 })?.label).toBe("1.00,2.00");
    expect(resolveServerSite({ latitude: 100, longitude: 2 })).toBeUndefined();
    expect(resolveServerSite("nope")).toBeUndefined();
    expect(resolveServerSite(undefined)).toBeUndefined();
    const custom = [{ id: "onprem:fra", provider: "aws" as const, code: "fra", city: "Frankfurt", country: "DE", area: "eu" as const, latitude: 50.1, longitude: 8.7 }];
    expect(resolveServerSite("onprem:fra", custom)?.point).toEqual({ latitude: 50.1, longitude: 8.7 });
    // a region named like a catalogue region is located there without configuration
    const normalized = normalizeSessionSummary({ sessionId: "x", region: "eu-west-1", rttMs: { p50: 10 }, playTimeMs: 1 });
    expect(typeof normalized !== "string" && normalized.serverLabel).toBe("aws:eu-west-1");
  });
});
