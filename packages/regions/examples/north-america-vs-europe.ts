/**
 * "North America vs Europe": does NA really play worse than EU, why, and what
 * would fix it? Run from the repository root:
 *
 *   npx tsx packages/regions/examples/north-america-vs-europe.ts
 *
 * The sessions are synthetic but shaped like the real thing: RTT = access
 * overhead + route stretch × speed-of-light bound (+ noise). NA is served from
 * aws:us-east-1 while 40% of its players are on the West Coast; one western ISP
 * (AS64510) routes badly; NA loses packets in bursts. EU is served from
 * aws:eu-central-1 and is compact.
 */
import {
  compareRegions,
  createSeededRandom,
  findCloudRegion,
  speedOfLightRttBetweenMs,
  type GeoPoint,
  type SessionSummary,
} from "../src/index.js";

const random = createSeededRandom(2026);

function near(center: GeoPoint, radiusKm: number): GeoPoint {
  const distance = radiusKm * Math.sqrt(random.next());
  const angle = 2 * Math.PI * random.next();
  return {
    latitude: center.latitude + (distance * Math.cos(angle)) / 111.2,
    longitude: center.longitude + (distance * Math.sin(angle)) / (111.2 * Math.cos((center.latitude * Math.PI) / 180)),
  };
}

interface Metro {
  name: string;
  center: GeoPoint;
  share: number;
}

function population(region: string, site: string, metros: Metro[], sessions: number, profile: {
  jitterMs: number;
  lossRate: number;
  burstLength: number;
  badAs?: { asn: string; metro: string; stretch: number };
}): SessionSummary[] {
  const server = findCloudRegion(site)!;
  const summaries: SessionSummary[] = [];
  for (let index = 0; index < sessions; index++) {
    let pick = random.next();
    const metro = metros.find((entry) => (pick -= entry.share) < 0) ?? metros[metros.length - 1]!;
    const location = near(metro.center, 250);
    const bad = profile.badAs !== undefined && metro.name === profile.badAs.metro && random.next() < 0.5;
    const stretch = bad ? profile.badAs!.stretch : 1.6;
    const rttP50Ms = 8 + stretch * speedOfLightRttBetweenMs(location, server) * Math.exp(0.15 * random.normal()) + Math.abs(2 * random.normal());
    const jitterMs = profile.jitterMs * Math.exp(0.3 * random.normal());
    const lossRate = Math.min(0.3, profile.lossRate * Math.exp(0.5 * random.normal() - 0.125));
    const playTimeMs = (10 + 20 * random.next()) * 60_000;
    const lost = lossRate * (playTimeMs / 1000) * 20;
    summaries.push({
      sessionId: `${region}-${index}`,
      region,
      player: `${region}-player-${index}`,
      rttMs: { p50: rttP50Ms },
      jitterMs,
      lossRate,
      lossBursts: { count: Math.max(1, Math.round(lost / profile.burstLength)), meanLength: profile.burstLength, maxLength: profile.burstLength * 3 },
      spikeCount: Math.round(random.next() * 3),
      playTimeMs,
      playerLocation: location,
      serverSite: site,
      asn: bad ? profile.badAs!.asn : `AS${64_600 + (index % 5)}`,
      clientPrefix: `${metro.name}-${index % 4}`,
    });
  }
  return summaries;
}

const northAmerica = population(
  "na-east",
  "aws:us-east-1",
  [
    { name: "new-york", center: { latitude: 40.71, longitude: -74.01 }, share: 0.2 },
    { name: "chicago", center: { latitude: 41.88, longitude: -87.63 }, share: 0.15 },
    { name: "atlanta", center: { latitude: 33.75, longitude: -84.39 }, share: 0.1 },
    { name: "toronto", center: { latitude: 43.65, longitude: -79.38 }, share: 0.15 },
    { name: "los-angeles", center: { latitude: 34.05, longitude: -118.24 }, share: 0.2 },
    { name: "san-francisco", center: { latitude: 37.77, longitude: -122.42 }, share: 0.1 },
    { name: "seattle", center: { latitude: 47.61, longitude: -122.33 }, share: 0.1 },
  ],
  1500,
  { jitterMs: 6, lossRate: 0.012, burstLength: 3, badAs: { asn: "AS64510", metro: "los-angeles", stretch: 3.5 } },
);
const europe = population(
  "eu-central",
  "aws:eu-central-1",
  [
    { name: "paris", center: { latitude: 48.86, longitude: 2.35 }, share: 0.25 },
    { name: "london", center: { latitude: 51.51, longitude: -0.13 }, share: 0.25 },
    { name: "berlin", center: { latitude: 52.52, longitude: 13.4 }, share: 0.2 },
    { name: "madrid", center: { latitude: 40.42, longitude: -3.7 }, share: 0.15 },
    { name: "warsaw", center: { latitude: 52.23, longitude: 21.01 }, share: 0.15 },
  ],
  1500,
  { jitterMs: 3, lossRate: 0.004, burstLength: 1 },
);

const report = compareRegions([...northAmerica, ...europe], {
  seed: 1,
  placement: { objective: "maximizeShareUnderTarget", targetMs: 50 },
});

for (const region of report.regions) {
  console.log(
    `${region.name}: ${region.players} players, RTT p50 ${region.rttMs.p50} / p95 ${region.rttMs.p95} / p99 ${region.rttMs.p99} ms, ` +
      `jitter ${region.jitterMs} ms, loss ${((region.lossRate ?? 0) * 100).toFixed(2)}%, ` +
      `speed-of-light ${region.speedOfLightMs} ms, stretch ${region.routeStretch}, experience score ${region.experience.score}`,
  );
}
console.log("\nComparisons:");
for (const comparison of report.comparisons) console.log(`- ${comparison.conclusion}`);
console.log("\nChallenges:");
for (const challenge of report.challenges) console.log(`- ${challenge.summary} → ${challenge.suggestion}`);
console.log("\nProtocol settings:");
for (const settings of report.protocolSettings) console.log(`- ${settings.region}: ${settings.rationale}`);
const worstAs = report.routing.worstAses[0]!;
console.log(
  `\nWorst AS: ${worstAs.group} (${worstAs.region}) stretch ${worstAs.routeStretch} vs target ${report.routing.targetRouteStretch}: ` +
    `${worstAs.achievableGainMs} ms achievable by better routing`,
);
const placement = report.placement!;
console.log(
  `\nPlacement (${placement.objective}, target ${placement.targetMs} ms; model ${placement.model.overheadMs} ms + ${placement.model.routeStretch} × bound):\n` +
    `- current ${placement.current!.sites.join(", ")}: p95 ${placement.current!.rttMs.p95} ms, ${(placement.current!.shareUnderTarget * 100).toFixed(1)}% under target\n` +
    `- best ${placement.k} sites ${placement.best.sites.join(", ")} (${placement.best.method}): p95 ${placement.best.rttMs.p95} ms, ${(placement.best.shareUnderTarget * 100).toFixed(1)}% under target\n` +
    `- add one: ${placement.addOne!.added}: p95 ${placement.addOne!.rttMs.p95} ms (−${placement.addOne!.gainP95Ms} ms), ${(placement.addOne!.shareUnderTarget * 100).toFixed(1)}% under target`,
);
