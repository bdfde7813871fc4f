import { describe, expect, it } from "vitest";
import { findCloudRegion } from "./cloud-regions.js";
import { compareRegions } from "./compare-regions.js";
import { speedOfLightRttBetweenMs } from "./geo.js";
import type { SessionSummary } from "./session-summary.js";

const paris = { latitude: 48.86, longitude: 2.35 };
const frankfurt = findCloudRegion("aws:eu-central-1")!;
const bound = speedOfLightRttBetweenMs(paris, frankfurt);

function sessionsWithStretch(prefix: string, asn: string, stretch: number, count: number, region = "eu-central"): SessionSummary[] {
  return Array.from({ length: count }, (_, index) => ({
    sessionId: `${prefix}-${index}`,
    region,
    rttMs: { p50: stretch * bound },
    jitterMs: 2,
    lossRate: 0,
    playTimeMs: 60_000,
    playerLocation: paris,
    clientPrefix: prefix,
    asn,
  }));
}

describe("routing efficiency against the speed of light", () => {
  const summaries = [
    ...sessionsWithStretch("198.51.100.0/24", "AS3215", 1.5, 30),
    ...sessionsWithStretch("203.0.113.0/24", "AS64500", 4, 10),
    ...sessionsWithStretch("192.0.2.0/24", "AS64501", 2, 2), // too few sessions to rank
  ];
  const report = compareRegions(summaries, { serverSites: { "eu-central": "aws:eu-central-1" }, placement: false });

  it("computes the region's bound and stretch", () => {
    const region = report.regions[0]!;
    expect(region.serverSite).toBe("aws:eu-central-1");
    expect(region.speedOfLightMs).toBeCloseTo(bound, 2);
    expect(bound).toBeGreaterThan(4.5); // Paris–Frankfurt ≈ 478 km ⇒ 4.78 ms
    expect(bound).toBeLessThan(5);
    expect(region.routeStretch).toBeCloseTo(1.5, 3);
    expect(region.locatedSessions).toBe(42);
  });

  it("ranks prefixes and ASes by stretch, with the gain achievable at the target stretch", () => {
    expect(report.routing.locatedSessions).toBe(42);
    expect(report.routing.targetRouteStretch).toBeCloseTo(1.5, 3);
    expect(report.routing.worstPrefixes.map((group) => group.group)).toEqual(["203.0.113.0/24", "198.51.100.0/24"]);
    const worst = report.routing.worstPrefixes[0]!;
    expect(worst.routeStretch).toBeCloseTo(4, 3);
    expect(worst.achievableGainMs).toBeCloseTo(2.5 * bound, 2);
    expect(report.routing.worstPrefixes[1]!.achievableGainMs).toBe(0);
    expect(report.routing.worstAses[0]!.group).toBe("AS64500");
    expect(report.routing.worstRegions[0]).toMatchObject({ group: "eu-central", region: "eu-central", sessions: 42 });
  });

  it("flags a region whose routes are far longer than the distance", () => {
    const bad = compareRegions(sessionsWithStretch("203.0.113.0/24", "AS64500", 4, 30, "eu-bad"), {
      serverSites: { "eu-bad": { latitude: frankfurt.latitude, longitude: frankfurt.longitude } },
      placement: false,
    });
    const challenge = bad.challenges.find((entry) => entry.kind === "routingInefficiency")!;
    expect(challenge.region).toBe("eu-bad");
    expect(challenge.value).toBeCloseTo(4, 3);
    expect(challenge.reference).toBe(2.5);
  });
});
