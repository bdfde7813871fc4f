import { PassThrough } from "node:stream";
import type { Direction, GameMessage, MessageRoles } from "@tickscope/core";
import { beforeAll, describe, expect, it } from "vitest";
import { ARENA_DEFINITION, simulateMatchToMemory, type InMemoryMatch } from "@tickscope/sim";
import { runWatch } from "./run-watch.js";
import type { WatchAlert } from "./watch-alert.js";
import { WatchAnalyzer, type WatchStateSize, type WatchSummary } from "./watch-analyzer.js";
import { feedSyntheticTraffic, syntheticClients } from "./test-support/synthetic-traffic.js";

interface WatchRun {
  alerts: WatchAlert[];
  summary: WatchSummary;
  /** Alerts already emitted when each chunk had been written (proves they come while streaming). */
  alertsBeforeEnd: number;
}

/** Streams the capture through a PassThrough in chunks (not paced) into `runWatch`. */
async function watchInChunks(bytes: Uint8Array, chunkBytes = 32 * 1024): Promise<WatchRun> {
  const stream = new PassThrough();
  const alerts: WatchAlert[] = [];
  const done = runWatch({ source: stream, protocolDefinition: ARENA_DEFINITION, onAlert: (alert) => alerts.push(alert) });
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
    if (!stream.write(bytes.subarray(offset, offset + chunkBytes))) await new Promise((resolve) => stream.once("drain", resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const alertsBeforeEnd = alerts.length;
  stream.end();
  return { alerts, summary: await done, alertsBeforeEnd };
}

function sessionOf(match: InMemoryMatch, playerId: number): string {
  const player = match.truth.players.find((candidate) => candidate.playerId === playerId)!;
  return `udp:${player.address}:${player.port}-`;
}

describe("tickscope watch on a simulated match (spike, loss burst, speedhack, tampering)", () => {
  let match: InMemoryMatch;
  let run: WatchRun;
  const startUs = 1_767_225_600_000_000;

  beforeAll(async () => {
    match = simulateMatchToMemory({
      seed: 42,
      players: 8,
      durationMs: 16_000,
      startUs,
      cheats: [
        { playerId: 3, kind: "speedhack", startMs: 6000 },
        { playerId: 4, kind: "tampering", startMs: 4000 },
      ],
      networkEvents: [
        { kind: "latencySpike", startMs: 8000, durationMs: 2000, extraDelayMs: 150, playerIds: [1] },
        { kind: "lossBurst", startMs: 5000, durationMs: 1000, playerIds: [2] },
      ],
    });
    run = await watchInChunks(match.pcapng);
  }, 120_000);

  const alertsOf = (playerId: number, kind?: WatchAlert["alert"]) =>
    run.alerts.filter((alert) => alert.session.startsWith(sessionOf(match, playerId)) && (kind === undefined || alert.alert === kind));

  it("alerts on the injected latency spike within 1 s of capture time", () => {
    const eventStartUs = startUs + 8000 * 1000;
    const spikes = alertsOf(1, "latencySpike");
    expect(spikes).toHaveLength(1);
    const spike = spikes[0]!;
    expect(spike.detectedAtUs).toBeGreaterThanOrEqual(eventStartUs);
    expect(spike.detectedAtUs - eventStartUs).toBeLessThanOrEqual(1_000_000);
    expect(spike.tUs).toBeGreaterThanOrEqual(eventStartUs - 50_000);
    expect(spike.tUs).toBeLessThanOrEqual(spike.detectedAtUs);
    // a 150 ms one-way delay on both directions adds ≈ 300 ms to the RTT
    expect(Number(spike.values.rttMs) - Number(spike.values.baselineMs)).toBeGreaterThan(200);
    expect(spike.values.method).toBe("ack");
    expect(spike.summary).toContain("RTT");
  });

  it("alerts on the injected loss burst within 1 s", () => {
    const eventStartUs = startUs + 5000 * 1000;
    const bursts = alertsOf(2, "lossBurst");
    expect(bursts.length).toBeGreaterThanOrEqual(1);
    expect(bursts.length).toBeLessThanOrEqual(2); // at most one per direction
    for (const burst of bursts) {
      expect(burst.detectedAtUs).toBeGreaterThanOrEqual(eventStartUs);
      expect(burst.detectedAtUs - eventStartUs).toBeLessThanOrEqual(1_000_000);
      expect(Number(burst.values.lostPackets)).toBeGreaterThanOrEqual(8);
    }
  });

  it("raises cheat suspicions for the speedhack (clock rate) and the tampering (decode anomalies)", () => {
    const speedhack = alertsOf(3, "cheatSuspicion");
    expect(speedhack).toHaveLength(1);
    expect(speedhack[0]!.values.reason).toBe("clockRate");
    expect(Number(speedhack[0]!.values.clockRate)).toBeGreaterThan(1.1);
    expect(speedhack[0]!.detectedAtUs - (startUs + 6000 * 1000)).toBeLessThanOrEqual(1_500_000);
    const tampering = alertsOf(4, "cheatSuspicion");
    expect(tampering).toHaveLength(1);
    expect(tampering[0]!.values.reason).toBe("decodeAnomalies");
    expect(tampering[0]!.detectedAtUs).toBeGreaterThanOrEqual(startUs + 4000 * 1000);
    expect(run.summary.decodeAnomalies).toBeGreaterThan(0);
  });

  it("stays quiet for the honest players and emits while streaming, not at the end", () => {
    for (const playerId of [0, 5, 6, 7]) expect(alertsOf(playerId)).toEqual([]);
    expect(run.alerts.length).toBeLessThanOrEqual(6);
    expect(run.alertsBeforeEnd).toBe(run.alerts.length);
    expect(run.summary.peakSessions).toBe(8);
    expect(run.summary.alerts.latencySpike).toBe(alertsOf(1, "latencySpike").length);
    expect(run.summary.packets).toBeGreaterThan(8 * 16 * 60);
  });
});

describe("tickscope watch on an honest quiet match", () => {
  it("emits no alert", async () => {
    const match = simulateMatchToMemory({ seed: 11, players: 12, durationMs: 20_000 });
    const run = await watchInChunks(match.pcapng, 64 * 1024);
    expect(run.alerts).toEqual([]);
    expect(run.summary.packets).toBeGreaterThan(12 * 20 * 60);
    expect(run.summary.alerts).toEqual({ latencySpike: 0, lossBurst: 0, cheatSuspicion: 0 });
  }, 120_000);
});

describe("WatchAnalyzer memory", () => {
  it("keeps a constant state size over a long stream (20 players, 10 minutes at 60 Hz)", () => {
    const alerts: WatchAlert[] = [];
    const analyzer = new WatchAnalyzer((alert) => alerts.push(alert));
    const clients = syntheticClients(20);
    const sizes: WatchStateSize[] = [];
    let packetIndex = 0;
    for (let minute = 0; minute < 10; minute += 1) {
      packetIndex = feedSyntheticTraffic(analyzer, clients, 1e15 + minute * 60e6, 60e6, packetIndex);
      sizes.push(analyzer.stateSize());
    }
    // Two overlapping batch-anticheat epochs, each holding the 20 sessions.
    expect(sizes[0]).toEqual({ sessions: 20, lossStreams: 40, rttDetectors: 60, rttSamplerSessions: 20, clockDetectors: 40, pendingEchoes: 0, anomalyCodes: 0, anticheatAnalyzers: 2, anticheatSessions: 40 });
    for (const size of sizes) expect(size).toEqual(sizes[0]);
    expect(alerts).toEqual([]);
    expect(analyzer.finish().messages).toBe(packetIndex);
  });

  it("forgets idle sessions, so churn over hours stays bounded", () => {
    const analyzer = new WatchAnalyzer(() => {}, { sessionIdleMs: 30_000 });
    let packetIndex = 0;
    let peak = 0;
    let samplerPeak = 0;
    for (let round = 0; round < 40; round += 1) {
      // every 10 s a new set of 5 players replaces the previous one
      packetIndex = feedSyntheticTraffic(analyzer, syntheticClients(5, `round-${round}`), 1e15 + round * 10e6, 10e6, packetIndex);
      peak = Math.max(peak, analyzer.stateSize().sessions);
      samplerPeak = Math.max(samplerPeak, analyzer.stateSize().rttSamplerSessions);
    }
    const summary = analyzer.finish();
    expect(peak).toBeLessThanOrEqual(5 * 5);
    // core's RTT sampler forgets the same idle sessions (its send rings would otherwise grow with churn)
    expect(samplerPeak).toBeLessThanOrEqual(peak);
    expect(analyzer.stateSize().rttSamplerSessions).toBeLessThanOrEqual(5 * 5);
    expect(summary.sessionsEvicted).toBeGreaterThanOrEqual(5 * 30);
    expect(summary.peakSessions).toBe(peak);
  });

  it("never tracks more than maxSessions", () => {
    const analyzer = new WatchAnalyzer(() => {}, { maxSessions: 5 });
    feedSyntheticTraffic(analyzer, syntheticClients(12), 1e15, 2e6);
    expect(analyzer.stateSize().sessions).toBe(5);
    // an evicted session's RTT sampler state goes with it
    expect(analyzer.stateSize().rttSamplerSessions).toBeLessThanOrEqual(5);
    expect(analyzer.finish().sessionsEvicted).toBeGreaterThan(0);
  });

  it("keeps up with 120 players at 60 Hz far faster than real time", () => {
    const analyzer = new WatchAnalyzer(() => {});
    const started = performance.now();
    const packets = feedSyntheticTraffic(analyzer, syntheticClients(120), 1e15, 30e6);
    const elapsedMs = performance.now() - started;
    expect(packets).toBeGreaterThan(120 * 30 * 90);
    // 30 s of capture time; allow a loaded shared machine a wide margin
    expect(elapsedMs).toBeLessThan(15_000);
  });
});

describe("WatchAnalyzer RTT comes from core's sampler", () => {
  /** A client sending on channel 1 every 16 ms, the server acking it on control channel 0 (ackChannel 1) 40 ms later, 200 ms from 3 s to 3.5 s. */
  function channelledExchange(analyzer: WatchAnalyzer): void {
    const messages: GameMessage[] = [];
    for (let index = 0; index < 400; index += 1) {
      const sentUs = 1e15 + index * 16_000;
      const rttUs = sentUs >= 1e15 + 3e6 && sentUs < 1e15 + 3.5e6 ? 200_000 : 40_000;
      messages.push(message("clientToServer", sentUs, { sequence: index, sequenceBits: 16, channel: 1 }));
      // Acks of channel 1 ride on channel 0, whose own sequence space the client never uses.
      messages.push(message("serverToClient", sentUs + rttUs, { ack: index, channel: 0, ackChannel: 1 }));
    }
    messages.sort((left, right) => left.tUs - right.tUs);
    messages.forEach((entry, packetIndex) => analyzer.onMessage({ ...entry, packetIndex }));
  }
  function message(direction: Direction, tUs: number, roles: MessageRoles): GameMessage {
    return { sessionId: "s", direction, tUs, packetIndex: 0, indexInPacket: 0, type: "m", byteLength: 20, packetWireLength: 62, fields: {}, roles };
  }

  it("follows the channel an ack names (RFC 9002 sampling), so a cross-channel ack spike is seen within 1 s", () => {
    const alerts: WatchAlert[] = [];
    const analyzer = new WatchAnalyzer((alert) => alerts.push(alert));
    channelledExchange(analyzer);
    const spikes = alerts.filter((alert) => alert.alert === "latencySpike");
    expect(spikes).toHaveLength(1);
    expect(spikes[0]!.values).toMatchObject({ method: "ack", direction: "clientToServer", rttMs: 200, baselineMs: 40 });
    expect(spikes[0]!.tUs).toBeGreaterThanOrEqual(1e15 + 3e6);
    expect(spikes[0]!.detectedAtUs - (1e15 + 3e6)).toBeLessThanOrEqual(1_000_000);
    expect(analyzer.stateSize().rttDetectors).toBe(1);
  });
});
