import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import { runCapturePipeline } from "@tickscope/capture";
import type { GameMessage, LogEvent, Session } from "@tickscope/core";
import { compileProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import { LatencyAnalyzer, type LatencyReport, type LatencySessionReport } from "@tickscope/latency";
import { createRegionsAnalyzer, type SessionSummary } from "@tickscope/regions";
import { ARENA_DEFINITION, simulateMatchToMemory } from "@tickscope/sim";
import { describe, expect, it } from "vitest";

const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const skip = hasSharedCaptures ? "" : ` (${sharedCapturesSkipReason})`;

/** Runs latency and regions over one capture and returns, per session, both packages' RTT p50/p95/p99. */
async function bothAnalyses(source: string | Uint8Array, definition: ProtocolDefinition, serverPorts?: number[]) {
  const latency = new LatencyAnalyzer();
  const regions = createRegionsAnalyzer({ regionOfSession: () => "here", comparison: { placement: false } });
  await runCapturePipeline({ sources: [source], decoder: compileProtocol(definition), serverPorts, analyzers: [latency, regions] });
  const report = latency.finish() as LatencyReport;
  return { latency: report, regions: regions.sessionSummaries() };
}

/** A session's RTT, spike count and jitter as latency reports them, in the shape of a region summary. */
function latencyFigures(session: LatencySessionReport): Pick<SessionSummary, "rttMs" | "spikeCount" | "jitterMs"> {
  return { rttMs: { p50: session.rttMs.p50, p95: session.rttMs.p95, p99: session.rttMs.p99 }, spikeCount: session.spikes.length, jitterMs: session.jitterMs.rfc3550 };
}

/** The same figures of a region summary. */
function regionFigures(summary: SessionSummary): Pick<SessionSummary, "rttMs" | "spikeCount" | "jitterMs"> {
  return { rttMs: summary.rttMs, spikeCount: summary.spikeCount, jitterMs: summary.jitterMs };
}

describe("one RTT per session: latency and regions agree (issue 13 §2)", () => {
  it.skipIf(!hasSharedCaptures)(`Firefall 1869: the region RTT of the gameplay session is latency's headline (time sync), not seconds${skip}`, async () => {
    const definition = JSON.parse(readFileSync(`${examples}firefall.json`, "utf8")) as ProtocolDefinition;
    const { latency, regions } = await bothAnalyses(sharedCapturePath("firefall_1869_gameplay.pcapng"), definition, [25000, 59238]);
    const game = latency.sessions.find((session) => session.server.endsWith(":59238"))!;
    const region = regions.find((summary) => summary.sessionId === game.id)!;
    expect(game.method).toBe("echo");
    expect(region.rttMs).toEqual({ p50: game.rttMs.p50, p95: game.rttMs.p95, p99: game.rttMs.p99 });
    expect(region.rttMs!.p50).toBeLessThan(70);
    // spikes (of the time series the headline does not contradict) and jitter: one computation too
    expect(regionFigures(region)).toEqual(latencyFigures(game));
    for (const session of latency.sessions) expect(regionFigures(regions.find((summary) => summary.sessionId === session.id)!)).toEqual(latencyFigures(session));
  });

  it("a simulated match captured at the servers: every session's RTT is the same in both packages", async () => {
    const match = simulateMatchToMemory({ seed: 5, players: 8, durationMs: 15_000 });
    const { latency, regions } = await bothAnalyses(match.pcapng, ARENA_DEFINITION as never);
    expect(regions.length).toBe(latency.sessions.length);
    for (const session of latency.sessions) {
      const region = regions.find((summary) => summary.sessionId === session.id)!;
      expect(region.rttMs).toEqual({ p50: session.rttMs.p50, p95: session.rttMs.p95, p99: session.rttMs.p99 });
    }
  });

  it("a simulated match with an injected spike: every session's spike count and jitter are the same in both packages", async () => {
    const match = simulateMatchToMemory({
      seed: 7,
      players: 8,
      durationMs: 30_000,
      networkEvents: [{ kind: "latencySpike", startMs: 12_000, durationMs: 2000, extraDelayMs: 150, playerIds: [1, 4] }],
    });
    const { latency, regions } = await bothAnalyses(match.pcapng, ARENA_DEFINITION as never);
    expect(regions.length).toBe(latency.sessions.length);
    let spikes = 0;
    for (const session of latency.sessions) {
      expect(regionFigures(regions.find((summary) => summary.sessionId === session.id)!)).toEqual(latencyFigures(session));
      spikes += session.spikes.length;
    }
    expect(spikes).toBeGreaterThanOrEqual(2); // the injected spike is seen, and counted alike
  });

  it("server-log RTT values reach both packages by core's one rule (a session whose only RTT is its log)", () => {
    const latency = new LatencyAnalyzer();
    const regions = createRegionsAnalyzer({ regionOfSession: () => "here", comparison: { placement: false } });
    const session: Session = {
      id: "s",
      transport: "udp",
      client: { address: "198.51.100.7", port: 5000 },
      server: { address: "192.0.2.1", port: 7777 },
      firstUs: 0,
      lastUs: 0,
      clientToServer: { packets: 0, bytes: 0 },
      serverToClient: { packets: 0, bytes: 0 },
      player: "p1",
    };
    latency.onSession(session);
    regions.onSession!(session);
    for (let index = 0; index < 200; index++) {
      const tUs = 1e15 + index * 100_000;
      const message: GameMessage = { sessionId: "s", direction: "clientToServer", tUs, packetIndex: index, indexInPacket: 0, type: "input", byteLength: 20, packetWireLength: 62, fields: {}, roles: {} };
      latency.onMessage(message);
      regions.onMessage(message);
      // the server logs the player's RTT every 500 ms, by player (not session), with a 1.5 s spike to 250 ms
      if (index % 5 === 0) {
        const event: LogEvent = { tUs, type: "player_rtt", player: "p1", values: { rttMs: index >= 100 && index < 115 ? 250 : 40 + (index % 3) }, labels: {}, line: index + 1 };
        latency.onLogEvent!(event);
        regions.onLogEvent!(event);
      }
    }
    const report = latency.finish() as LatencyReport;
    const [summary] = regions.sessionSummaries();
    expect(report.sessions).toHaveLength(1);
    expect(report.sessions[0]!.method).toBe("reported");
    expect(summary).toBeDefined();
    expect(regionFigures(summary!)).toEqual(latencyFigures(report.sessions[0]!));
    expect(summary!.rttMs!.p50).toBeCloseTo(41, 0);
  });
  it("a log RTT that names its player before the session's first datagram lands in that session in both packages; an unknown player in neither", () => {
    const latency = new LatencyAnalyzer();
    const regions = createRegionsAnalyzer({ regionOfSession: () => "here", comparison: { placement: false } });
    const rttEvent = (tUs: number, player: string, rttMs: number, line: number): LogEvent => ({ tUs, type: "player_rtt", player, values: { rttMs }, labels: {}, line });
    // the server logs player 7's RTT (300 ms, a bad start) 2 s before the capture sees the player's datagrams,
    // and player 99, who never shows up on the wire
    for (let index = 0; index < 4; index++) {
      for (const event of [rttEvent(1e15 + index * 500_000, "7", 300, index * 2 + 1), rttEvent(1e15 + index * 500_000, "99", 80, index * 2 + 2)]) {
        latency.onLogEvent!(event);
        regions.onLogEvent!(event);
      }
    }
    // the session is only known by its datagrams; the client's own messages name its player (as a capture gives it: no Session.player)
    for (let index = 0; index < 100; index++) {
      const tUs = 1e15 + 2_000_000 + index * 100_000;
      const message: GameMessage = { sessionId: "udp:c-s", direction: "clientToServer", tUs, packetIndex: index, indexInPacket: 0, type: "input", byteLength: 20, packetWireLength: 62, fields: {}, roles: { playerId: 7 } };
      latency.onMessage(message);
      regions.onMessage(message);
      if (index % 5 === 0) {
        const event = rttEvent(tUs, "7", 40, 100 + index);
        latency.onLogEvent!(event);
        regions.onLogEvent!(event);
      }
    }
    const report = latency.finish() as LatencyReport;
    const summaries = regions.sessionSummaries();
    // before: latency filed the early values under a made-up session "player:7" (and "player:99"); regions dropped them
    expect(report.sessions.map((session) => session.id)).toEqual(["udp:c-s"]);
    expect(summaries.map((summary) => summary.sessionId)).toEqual(["udp:c-s"]);
    expect(regionFigures(summaries[0]!)).toEqual(latencyFigures(report.sessions[0]!));
    expect(report.sessions[0]!.rttMs.p99).toBeGreaterThan(250); // the 4 early values count
    expect(report.anomalies.E_LOG_PLAYER_UNKNOWN).toBe(4); // player 99's 4 events
    expect(regions.finish().sessions.skipped.E_LOG_PLAYER_UNKNOWN).toBe(1); // one player skipped
  });
});
