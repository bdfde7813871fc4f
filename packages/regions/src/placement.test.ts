import { hasErrorCode } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { CLOUD_REGIONS, findCloudRegion, type CloudRegion } from "./cloud-regions.js";
import { greatCircleDistanceKm, speedOfLightRttMs, type GeoPoint } from "./geo.js";
import { buildPopulation, candidateSites, fitLatencyModel, optimizePlacement, planPlacement, type PopulationUnit } from "./placement.js";
import { createSeededRandom } from "./random.js";
import { normalizeSessionSummary, type NormalizedSession } from "./session-summary.js";
import { pointNear } from "./test-support/synthetic-population.js";

const model = { overheadMs: 10, routeStretch: 1.5 };

function site(id: string, latitude: number, longitude: number): CloudRegion {
  return { id, provider: "aws", code: id, city: id, country: "XX", area: "eu", latitude, longitude };
}

describe("optimizePlacement finds the known optimum", () => {
  const tokyo = findCloudRegion("aws:ap-northeast-1")!;
  const frankfurt = findCloudRegion("aws:eu-central-1")!;
  const ashburn = findCloudRegion("aws:us-east-1")!;
  const population: PopulationUnit[] = [tokyo, frankfurt, ashburn].map((city, index) => ({
    location: { latitude: city.latitude, longitude: city.longitude },
    weight: 100 + index,
  }));
  const candidates = candidateSites(CLOUD_REGIONS);

  it("players in three metros: the three metro sites, by exact search and by greedy + local search", () => {
    const subset = candidateSites(CLOUD_REGIONS, candidates.slice(0, 20).map((entry) => entry.id).concat([tokyo.id, frankfurt.id, ashburn.id]));
    const exact = optimizePlacement(population, subset, 3, model, { maxExactEvaluations: 1e6 });
    expect(exact.method).toBe("exact");
    expect(exact.sites).toEqual([tokyo.id, frankfurt.id, ashburn.id].sort());
    expect(exact.rttMs).toEqual({ p50: 10, p95: 10, p99: 10 });
    expect(exact.shareUnderTarget).toBe(1);
    const heuristic = optimizePlacement(population, candidates, 3, model);
    expect(heuristic.method).toBe("greedyLocalSearch");
    expect(heuristic.sites).toEqual(exact.sites);
  });

  it("local search escapes the greedy trap (greedy first picks the middle site)", () => {
    const line = [site("west", 0, 0), site("middle", 0, 20), site("east", 0, 40)];
    const twoClusters: PopulationUnit[] = [
      { location: { latitude: 0, longitude: 0 }, weight: 50 },
      { location: { latitude: 0, longitude: 40 }, weight: 50 },
    ];
    const one = optimizePlacement(twoClusters, line, 1, model, { maxExactEvaluations: 0 });
    expect(one.sites).toEqual(["middle"]);
    const two = optimizePlacement(twoClusters, line, 2, model, { maxExactEvaluations: 0 });
    expect(two.method).toBe("greedyLocalSearch");
    expect(two.sites).toEqual(["east", "west"]);
    expect(two.rttMs.p95).toBe(10);
    const exact = optimizePlacement(twoClusters, line, 2, model);
    expect(exact.method).toBe("exact");
    expect(exact.sites).toEqual(["east", "west"]);
  });

  it("greedy + local search is never better than exact and close to it on a random population", () => {
    const random = createSeededRandom(77);
    const centres: GeoPoint[] = [
      { latitude: 40, longitude: -90 },
      { latitude: 48, longitude: 10 },
      { latitude: -23, longitude: -47 },
      { latitude: 1, longitude: 104 },
      { latitude: -34, longitude: 151 },
    ];
    const units: PopulationUnit[] = Array.from({ length: 300 }, (_, index) => ({
      location: pointNear(random, centres[index % 5]!, 1500),
      weight: 1 + random.nextInt(5),
    }));
    const subset = candidates.filter((_, index) => index % 3 === 0);
    const exact = optimizePlacement(units, subset, 3, model, { maxExactEvaluations: 1e6 });
    const heuristic = optimizePlacement(units, subset, 3, model, { maxExactEvaluations: 0 });
    expect(heuristic.rttMs.p95).toBeGreaterThanOrEqual(exact.rttMs.p95);
    expect(heuristic.rttMs.p95).toBeLessThanOrEqual(exact.rttMs.p95 * 1.1);
  });

  it("gives the same answer for huge modelled RTTs (comparator-sort fallback)", () => {
    const line = [site("west", 0, 0), site("middle", 0, 20), site("east", 0, 40)];
    const units: PopulationUnit[] = [
      { location: { latitude: 0, longitude: 0 }, weight: 50 },
      { location: { latitude: 0, longitude: 40 }, weight: 50 },
    ];
    const huge = optimizePlacement(units, line, 2, { overheadMs: 2e6, routeStretch: 1.5 });
    expect(huge.sites).toEqual(["east", "west"]);
    expect(huge.rttMs.p95).toBe(2e6);
  });

  it("maximizes the share under a target when asked", () => {
    const line = [site("west", 0, 0), site("middle", 0, 20), site("east", 0, 40)];
    const skewed: PopulationUnit[] = [
      { location: { latitude: 0, longitude: 0 }, weight: 80 },
      { location: { latitude: 0, longitude: 40 }, weight: 20 },
    ];
    expect(optimizePlacement(skewed, line, 1, model).sites).toEqual(["middle"]);
    const share = optimizePlacement(skewed, line, 1, model, { objective: "maximizeShareUnderTarget", targetMs: 30 });
    expect(share.sites).toEqual(["west"]);
    expect(share.shareUnderTarget).toBe(0.8);
  });

  it("rejects bad k and empty populations", () => {
    expect(() => optimizePlacement(population, candidates, 0, model)).toThrow();
    let caught: unknown;
    try {
      optimizePlacement([], candidates, 1, model);
    } catch (error) {
      caught = error;
    }
    expect(hasErrorCode(caught, "E_INVALID_OPTION")).toBe(true);
  });
});

describe("planPlacement on an observed population", () => {
  const london = { latitude: 51.5, longitude: -0.12 };
  const sydney = { latitude: -33.87, longitude: 151.21 };
  const server = findCloudRegion("aws:eu-west-2")!;
  const random = createSeededRandom(5);
  const sessions: NormalizedSession[] = [];
  for (let index = 0; index < 120; index++) {
    const location = pointNear(random, index < 100 ? london : sydney, 400);
    const bound = speedOfLightRttMs(greatCircleDistanceKm(location, server));
    const normalized = normalizeSessionSummary({
      sessionId: `s${index}`,
      region: "eu-west",
      rttMs: { p50: 10 + 1.5 * bound },
      playTimeMs: 600_000,
      playerLocation: location,
      serverSite: server.id,
    });
    sessions.push(normalized as NormalizedSession);
  }

  it("fits the latency model that generated the measurements", () => {
    const fitted = fitLatencyModel(sessions);
    expect(fitted.routeStretch).toBeCloseTo(1.5, 3);
    expect(fitted.overheadMs).toBeCloseTo(10, 3);
    expect(fitLatencyModel(sessions.slice(0, 0))).toEqual({ overheadMs: 10, routeStretch: 2, fittedSessions: 0 });
  });

  it("reports current, best and the best added site (Sydney players get a Sydney server)", () => {
    const placement = planPlacement(sessions, { objective: "maximizeShareUnderTarget", targetMs: 60 })!;
    expect(placement.k).toBe(1);
    expect(placement.current!.sites).toEqual(["aws:eu-west-2"]);
    expect(placement.current!.shareUnderTarget).toBeCloseTo(100 / 120, 3);
    expect(placement.best.sites).toHaveLength(1);
    expect(findCloudRegion(placement.best.sites[0]!)!.area).toBe("eu");
    expect(placement.addOne!.added).toBe("aws:ap-southeast-2");
    expect(placement.addOne!.shareUnderTarget).toBe(1);
    expect(placement.addOne!.gainP95Ms).toBeGreaterThan(200);
    expect(placement.observed.rttMs.p50).toBeCloseTo(placement.current!.rttMs.p50, -1);
    // sessions within 100 km of the server carry no stretch information and are left out of the fit
    expect(placement.assumptions.join(" ")).toMatch(new RegExp(`fitted on ${placement.model.fittedSessions} sessions`));
    expect(placement.model.fittedSessions).toBeGreaterThan(100);
    expect(placement.model.fittedSessions).toBeLessThan(120);
    const givenModel = planPlacement(sessions, { model: { overheadMs: 5, routeStretch: 2 }, candidateSites: ["aws:eu-west-1", "aws:eu-west-2"], k: 1 })!;
    expect(givenModel.model.overheadMs).toBe(5);
    expect(givenModel.best.sites).toEqual(["aws:eu-west-2"]);
    expect(givenModel.assumptions.join(" ")).toMatch(/given, not fitted/);
  });

  it("handles populations without locations or without current servers", () => {
    expect(planPlacement(sessions.map((entry) => ({ ...entry, playerLocation: undefined })))).toBeNull();
    const unserved = sessions.map((entry) => ({ ...entry, serverLocation: undefined, serverLabel: undefined }));
    const placement = planPlacement(unserved)!;
    expect(placement.current).toBeNull();
    expect(placement.addOne).toBeNull();
    expect(placement.best.gainP95Ms).toBeNull();
    expect(placement.model.fittedSessions).toBe(0);
    expect(buildPopulation(unserved, 1).reduce((sum, unit) => sum + unit.weight, 0)).toBe(120);
  });
});
