import { runCapturePipeline } from "@tickscope/capture";
import { compileProtocol } from "@tickscope/core/protocol";
import { ARENA_DEFINITION, simulateMatchToMemory } from "@tickscope/sim";
import { describe, expect, it } from "vitest";
import type { GeoPoint } from "./geo.js";
import { createRegionsAnalyzer } from "./regions-analyzer.js";
import type { RegionsReport } from "./report-schema.js";
import { quantile } from "./statistics.js";

// A simulated multi-region match from @tickscope/sim, captured at the servers, decoded with the
// arena protocol by @tickscope/capture, analysed from messages. Truth comes from the simulator.
const REGIONS = [
  { name: "na-east", latitude: 39.04, longitude: -77.49 },
  { name: "eu-central", latitude: 50.11, longitude: 8.68 },
  { name: "ap-southeast", latitude: 1.35, longitude: 103.82 },
  { name: "sa-east", latitude: -23.55, longitude: -46.63 },
  { name: "oceania", latitude: -33.87, longitude: 151.21 },
];

describe("a simulated 5-region match (@tickscope/sim → capture → regions)", async () => {
  const match = simulateMatchToMemory({ seed: 11, players: 100, durationMs: 20_000, regions: REGIONS, crossRegionShare: 0.3 });
  const players = new Map(match.truth.players.map((player) => [`${player.address}:${player.port}`, player]));
  const playerOf = (session: { client: { address: string; port: number } } | undefined) =>
    session === undefined ? undefined : players.get(`${session.client.address}:${session.client.port}`);
  const analyzer = createRegionsAnalyzer({
    regionOfSession: (_id, session) => playerOf(session)?.region,
    playerLocationOfSession: (_id, session) => {
      const player = playerOf(session);
      return player === undefined ? undefined : { latitude: player.latitude, longitude: player.longitude };
    },
    comparison: {
      bootstrapIterations: 200,
      serverSites: Object.fromEntries(REGIONS.map((region): [string, GeoPoint] => [region.name, region])),
    },
  });
  const sessionsSeen = new Map<string, { address: string; port: number }>();
  const recorder = { name: "sessions", onSession: (session: { id: string; client: { address: string; port: number } }) => sessionsSeen.set(session.id, session.client), onMessage: () => {}, finish: () => null };
  const result = await runCapturePipeline({ sources: [match.pcapng], decoder: compileProtocol(ARENA_DEFINITION as never, {}), analyzers: [recorder, analyzer] });
  const report = result.reports[1] as RegionsReport;
  const summaries = analyzer.sessionSummaries();

  it("analyses every player's session with no decode anomaly", () => {
    expect(result.decodeAnomalies).toEqual({});
    expect(report.sessions.analysed).toBe(100);
    expect(report.regions.map((region) => region.name).sort()).toEqual(REGIONS.map((region) => region.name).sort());
  });

  it("recovers per-session RTT and jitter, and per-region loss, from the simulator's truth", () => {
    let rttWithin4Ms = 0;
    const jitterRatios: number[] = [];
    for (const summary of summaries) {
      const player = players.get(`${sessionsSeen.get(summary.sessionId)!.address}:${sessionsSeen.get(summary.sessionId)!.port}`)!;
      const truthRttMs = player.paths.clientToServer.baseDelayMs + player.paths.serverToClient.baseDelayMs;
      if (Math.abs(quantile(summary.rttSamplesMs!, 0.5) - truthRttMs) <= 4) rttWithin4Ms++;
      const path = player.paths.clientToServer;
      // mean |D| of one-way normal jitter σ is 2σ/√π (the capture is at the server: client→server is incoming)
      if (path.jitterDistribution === "normal") jitterRatios.push(summary.jitterMs! / ((2 * path.jitterMs) / Math.sqrt(Math.PI)));
    }
    expect(rttWithin4Ms).toBeGreaterThanOrEqual(95);
    expect(jitterRatios.length).toBeGreaterThan(90);
    expect(Math.abs(quantile(jitterRatios, 0.5) - 1)).toBeLessThan(0.05);
    const lostTruth = match.truth.summary.lostClientToServer / match.truth.summary.sentClientToServer;
    const lossMeasured = summaries.reduce((sum, summary) => sum + summary.lossRate! * summary.playTimeMs, 0) / summaries.reduce((sum, summary) => sum + summary.playTimeMs, 0);
    expect(Math.abs(lossMeasured - lostTruth)).toBeLessThan(0.1 * lostTruth);
  });

  it("sees cross-region players in the tail and fits the simulator's route model", () => {
    for (const region of report.regions) expect(region.rttMs.p95).toBeGreaterThan(region.rttMs.p50);
    const placement = report.placement!;
    const stretches = match.truth.players.map((player) => player.paths.clientToServer.routeStretch);
    const accessRttMs = quantile(match.truth.players.map((player) => player.paths.clientToServer.accessDelayMs + player.paths.serverToClient.accessDelayMs), 0.5);
    expect(Math.abs(placement.model.routeStretch - quantile(stretches, 0.5))).toBeLessThan(0.05);
    expect(Math.abs(placement.model.overheadMs - accessRttMs)).toBeLessThan(2);
    expect(placement.current!.sites).toHaveLength(5);
    expect(placement.best.rttMs.p95).toBeLessThanOrEqual(placement.current!.rttMs.p95);
  });
});
