import { greatCircleDistanceKm, speedOfLightRttMs } from "./geo.js";
import type { RegionFigures, RouteGroup, Routing } from "./report-schema.js";
import type { NormalizedSession } from "./session-summary.js";
import { quantileOfSorted } from "./statistics.js";

/** Sessions closer than this to their server are left out of stretch figures (the bound is ~0). */
export const MINIMUM_STRETCH_DISTANCE_KM = 100;

interface LocatedSession {
  session: NormalizedSession;
  boundMs: number;
  stretch: number;
}

const median = (values: number[]): number => quantileOfSorted(Float64Array.from(values).sort(), 0.5);
const round = (value: number): number => Math.round(value * 1000) / 1000;

function groupRoutes(
  located: readonly LocatedSession[],
  keyOf: (session: NormalizedSession) => string | undefined,
  targetStretch: number,
  minimumSessions: number,
  limit: number,
): RouteGroup[] {
  const groups = new Map<string, LocatedSession[]>();
  for (const entry of located) {
    const key = keyOf(entry.session);
    if (key === undefined) continue;
    const list = groups.get(key) ?? [];
    list.push(entry);
    groups.set(key, list);
  }
  const result: RouteGroup[] = [];
  for (const [group, entries] of groups) {
    if (entries.length < minimumSessions) continue;
    const regionCounts = new Map<string, number>();
    for (const entry of entries) regionCounts.set(entry.session.region, (regionCounts.get(entry.session.region) ?? 0) + 1);
    const region = [...regionCounts.entries()].sort((left, right) => right[1] - left[1] || (left[0] < right[0] ? -1 : 1))[0]![0];
    result.push({
      group,
      region,
      sessions: entries.length,
      rttP50Ms: round(median(entries.map((entry) => entry.session.rttP50Ms))),
      speedOfLightMs: round(median(entries.map((entry) => entry.boundMs))),
      routeStretch: round(median(entries.map((entry) => entry.stretch))),
      achievableGainMs: round(median(entries.map((entry) => Math.max(0, entry.session.rttP50Ms - targetStretch * entry.boundMs)))),
    });
  }
  return result
    .sort((left, right) => right.routeStretch - left.routeStretch || (left.group < right.group ? -1 : 1))
    .slice(0, limit);
}

/**
 * Routing efficiency against physics. For every session with a known player
 * and server location ≥ 100 km apart: bound = 2 × great-circle distance /
 * 200 km/ms, stretch = measured median RTT / bound. The target stretch is the
 * 25th percentile of observed stretches (what good routes already achieve);
 * the achievable gain of a group is the median of `measured − target × bound`
 * (floored at 0). Fills `speedOfLightMs`, `routeStretch`, `locatedSessions`
 * and `serverSite` of each region's figures.
 */
export function analyseRouting(
  sessions: readonly NormalizedSession[],
  figures: readonly RegionFigures[],
  options: { minimumGroupSessions?: number; limit?: number } = {},
): Routing {
  const minimumSessions = options.minimumGroupSessions ?? 3;
  const limit = options.limit ?? 10;
  const located: LocatedSession[] = [];
  const boundsByRegion = new Map<string, number[]>();
  const sitesByRegion = new Map<string, Map<string, number>>();
  for (const session of sessions) {
    if (session.serverLabel !== undefined) {
      const sites = sitesByRegion.get(session.region) ?? new Map<string, number>();
      sites.set(session.serverLabel, (sites.get(session.serverLabel) ?? 0) + 1);
      sitesByRegion.set(session.region, sites);
    }
    if (session.playerLocation === undefined || session.serverLocation === undefined) continue;
    const distanceKm = greatCircleDistanceKm(session.playerLocation, session.serverLocation);
    const boundMs = speedOfLightRttMs(distanceKm);
    const bounds = boundsByRegion.get(session.region) ?? [];
    bounds.push(boundMs);
    boundsByRegion.set(session.region, bounds);
    if (distanceKm < MINIMUM_STRETCH_DISTANCE_KM) continue;
    located.push({ session, boundMs, stretch: session.rttP50Ms / boundMs });
  }
  for (const region of figures) {
    const sites = sitesByRegion.get(region.name);
    if (sites !== undefined) {
      region.serverSite = [...sites.entries()].sort((left, right) => right[1] - left[1] || (left[0] < right[0] ? -1 : 1))[0]![0];
    }
    const bounds = boundsByRegion.get(region.name);
    region.locatedSessions = bounds?.length ?? 0;
    if (bounds !== undefined) region.speedOfLightMs = round(median(bounds));
    const stretches = located.filter((entry) => entry.session.region === region.name).map((entry) => entry.stretch);
    if (stretches.length > 0) region.routeStretch = round(median(stretches));
  }
  if (located.length === 0) {
    return { locatedSessions: 0, targetRouteStretch: null, worstRegions: [], worstPrefixes: [], worstAses: [] };
  }
  const targetStretch = Math.max(1, quantileOfSorted(Float64Array.from(located, (entry) => entry.stretch).sort(), 0.25));
  return {
    locatedSessions: located.length,
    targetRouteStretch: round(targetStretch),
    worstRegions: groupRoutes(located, (session) => session.region, targetStretch, 1, limit),
    worstPrefixes: groupRoutes(located, (session) => session.clientPrefix, targetStretch, minimumSessions, limit),
    worstAses: groupRoutes(located, (session) => session.asn, targetStretch, minimumSessions, limit),
  };
}
