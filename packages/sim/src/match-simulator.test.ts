import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hasErrorCode } from "@tickscope/core";
import { MemorySink } from "./byte-sink.js";
import type { MatchOptions } from "./match-options.js";
import { simulateMatch } from "./match-simulator.js";
import type { PacketTruth } from "./truth.js";
import { simulateMatchToMemory } from "./write-match-capture.js";
import { decodeArenaCapture } from "./test-support/decode.js";

const sha256 = (bytes: Uint8Array | string): string => createHash("sha256").update(bytes).digest("hex");

const HONEST: MatchOptions = { seed: 11, players: 8, durationMs: 6000, tickRate: 30, profile: "fibre" };

describe("simulateMatch: honest match read back through capture + arena decoder", () => {
  const run = simulateMatchToMemory(HONEST, { clientCapture: { playerIds: [0], clockOffsetMs: 2500, clockDriftPpm: 100 }, serverCapture: { clockOffsetMs: -40 } });

  it("writes exactly the packets the truth says, each at its true time, decoding without anomalies", async () => {
    const decoded = await decodeArenaCapture(run.pcapng);
    const captured = run.truth.packets.filter((packet) => packet.serverCaptureIndex !== null);
    expect(decoded.packets).toHaveLength(run.truth.summary.serverCapturePackets);
    expect(captured).toHaveLength(run.truth.summary.serverCapturePackets);
    expect(decoded.captureAnomalies).toEqual({});
    expect(decoded.decodeAnomalies).toEqual({});
    const byIndex = new Map(captured.map((packet) => [packet.serverCaptureIndex as number, packet]));
    const firstSequence = new Map<number, number>();
    for (const message of decoded.messages) if (!firstSequence.has(message.packetIndex)) firstSequence.set(message.packetIndex, message.roles.sequence as number);
    for (const packet of decoded.packets) {
      const truth = byIndex.get(packet.index) as PacketTruth;
      expect(truth).toBeDefined();
      const expectedUs = truth.direction === "clientToServer" ? (truth.arrivalUs as number) : truth.sendUs;
      expect(Math.abs(packet.tUs - expectedUs)).toBeLessThan(0.5);
      expect(packet.payload.length).toBe(truth.payloadBytes);
      expect(firstSequence.get(packet.index)).toBe(truth.sequence);
      const player = run.truth.players[truth.playerId];
      expect(truth.direction === "clientToServer" ? packet.sourceAddress : packet.destinationAddress).toBe(player.address);
    }
    // Message counts per type equal the truth.
    const truthCounts = new Map<string, number>();
    for (const packet of captured) for (const type of packet.messageTypes) truthCounts.set(type, (truthCounts.get(type) ?? 0) + 1);
    const decodedCounts = new Map<string, number>();
    for (const message of decoded.messages) decodedCounts.set(message.type, (decodedCounts.get(message.type) ?? 0) + 1);
    expect(Object.fromEntries([...decodedCounts].sort())).toEqual(Object.fromEntries([...truthCounts].sort()));
    for (const type of ["input", "snapshot", "ping", "pong", "shot", "spawn", "death"]) expect(decodedCounts.get(type) ?? 0).toBeGreaterThan(0);
    expect(decoded.sessions).toHaveLength(8);
  });

  it("acks what the peer really received (ack = newest sequence, ackBits = the 32 before)", async () => {
    const decoded = await decodeArenaCapture(run.pcapng);
    const player = run.truth.players[2];
    const arrivals = run.truth.packets
      .filter((packet) => packet.playerId === 2 && packet.direction === "serverToClient" && packet.arrivalUs !== null)
      .sort((a, b) => (a.arrivalUs as number) - (b.arrivalUs as number));
    const sends = decoded.messages.filter((message) => message.type === "input" && message.direction === "clientToServer" && decoded.packets[message.packetIndex].sourceAddress === player.address);
    const truthByIndex = new Map(run.truth.packets.filter((packet) => packet.serverCaptureIndex !== null).map((packet) => [packet.serverCaptureIndex as number, packet]));
    let checked = 0;
    for (const message of sends) {
      const sentUs = (truthByIndex.get(message.packetIndex) as PacketTruth).sendUs;
      const received = arrivals.filter((packet) => (packet.arrivalUs as number) <= sentUs).map((packet) => packet.sequence);
      if (received.length === 0) continue;
      const newest = Math.max(...received);
      expect(message.roles.ack).toBe(newest);
      let bits = 0;
      for (const sequence of received) if (sequence < newest && newest - sequence <= 32) bits |= 1 << (newest - sequence - 1);
      expect(message.roles.ackBits).toBe(bits >>> 0);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    // Reliable events are acked quickly on fibre: few resends.
    const reliable = decoded.messages.filter((message) => message.roles.reliable === true && message.direction === "serverToClient");
    expect(reliable.length).toBeGreaterThan(10);
    expect(reliable.filter((message) => (message.roles.resendCount ?? 0) > 0).length / reliable.length).toBeLessThan(0.1);
  });

  it("keeps the rates the options ask for", () => {
    const { summary } = run.truth;
    // 8 players × 30 Hz inputs × 6 s ≈ 1440 client datagrams; 30 Hz ticks × 6 s = 180 ticks.
    expect(summary.sentClientToServer).toBeGreaterThan(1350);
    expect(summary.sentClientToServer).toBeLessThan(1530);
    expect(summary.ticks).toBeGreaterThanOrEqual(179);
    expect(summary.ticks).toBeLessThanOrEqual(182);
    expect(summary.sentServerToClient).toBeGreaterThanOrEqual(8 * 179);
  });

  it("reports RTTs consistent with the path model, and logs ticks and RTTs", () => {
    const lines = run.serverLog.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line.type === "tick")).toHaveLength(run.truth.summary.ticks);
    const rtts = lines.filter((line) => line.type === "rtt" && (line.reportedRttMs as number) > 0);
    expect(rtts.length).toBeGreaterThan(8);
    for (const line of rtts) {
      const player = run.truth.players[line.playerId as number];
      const base = player.paths.clientToServer.baseDelayMs + player.paths.serverToClient.baseDelayMs;
      expect(line.reportedRttMs as number).toBeGreaterThanOrEqual(Math.floor(base) - 1);
      expect(line.reportedRttMs as number).toBeLessThan(base + 5);
    }
  });

  it("writes a client-side capture of player 0 with the configured clock offset and drift", async () => {
    const client = await decodeArenaCapture(run.clientPcapng as Uint8Array);
    const player0 = run.truth.packets.filter((packet) => packet.playerId === 0 && !packet.duplicate);
    const expected = player0.filter((packet) => packet.direction === "clientToServer").length + player0.filter((packet) => packet.direction === "serverToClient" && packet.arrivalUs !== null).length;
    expect(client.packets).toHaveLength(expected);
    expect(run.truth.summary.clientCapturePackets).toBe(expected);
    const firstSend = player0.find((packet) => packet.direction === "clientToServer") as PacketTruth;
    const expectedUs = firstSend.sendUs + 2_500_000 + (firstSend.sendUs - run.truth.startUs) * 100e-6;
    const firstClientPacket = client.packets.find((packet) => packet.sourceAddress === run.truth.players[0].address);
    expect(Math.abs((firstClientPacket?.tUs ?? 0) - expectedUs)).toBeLessThan(1);
    expect(client.decodeAnomalies).toEqual({});
    const serverClock = await decodeArenaCapture(run.serverClockPcapng as Uint8Array);
    expect(serverClock.packets).toHaveLength(run.truth.summary.serverCapturePackets);
    const main = await decodeArenaCapture(run.pcapng);
    const offsets = serverClock.packets.map((packet, index) => packet.tUs - main.packets[index].tUs);
    expect(Math.min(...offsets)).toBeGreaterThan(-40_000.5);
    expect(Math.max(...offsets)).toBeLessThan(-39_999.5);
  });

  it("is deterministic: same seed, same bytes; another seed, other bytes", () => {
    const again = simulateMatchToMemory(HONEST, { clientCapture: { playerIds: [0], clockOffsetMs: 2500, clockDriftPpm: 100 }, serverCapture: { clockOffsetMs: -40 } });
    expect(sha256(again.pcapng)).toBe(sha256(run.pcapng));
    expect(sha256(again.clientPcapng as Uint8Array)).toBe(sha256(run.clientPcapng as Uint8Array));
    expect(sha256(again.serverLog)).toBe(sha256(run.serverLog));
    expect(sha256(JSON.stringify(again.truth))).toBe(sha256(JSON.stringify(run.truth)));
    const other = simulateMatchToMemory({ ...HONEST, seed: 12 });
    expect(sha256(other.pcapng)).not.toBe(sha256(run.pcapng));
  });
});

describe("simulateMatch: truth files", () => {
  it("streams JSON and NDJSON truth equal to the in-memory truth", () => {
    const options: MatchOptions = { seed: "ndjson", players: 3, durationMs: 1500, tickRate: 20, profile: "dsl", serverTick: { stalls: [{ atMs: 500, durationMs: 150 }] } };
    const memory = simulateMatchToMemory(options);
    const jsonSink = new MemorySink();
    simulateMatch(options, { truth: jsonSink, truthFormat: "json" });
    const parsed = JSON.parse(jsonSink.toText());
    expect(parsed).toEqual(JSON.parse(JSON.stringify(memory.truth)));
    const ndjsonSink = new MemorySink();
    const progress: number[] = [];
    simulateMatch(options, { truth: ndjsonSink, truthFormat: "ndjson", onProgress: (simulatedMs) => progress.push(simulatedMs) });
    const lines = ndjsonSink.toText().trim().split("\n").map((line) => JSON.parse(line) as { kind: string });
    expect(lines[0].kind).toBe("match");
    expect(lines.filter((line) => line.kind === "packet")).toHaveLength(memory.truth.packets.length);
    expect(lines.filter((line) => line.kind === "serverEvent")).toHaveLength(1);
    expect(lines[lines.length - 1]).toEqual({ kind: "summary", ...memory.truth.summary });
    expect(memory.truth.serverEvents[0]).toMatchObject({ type: "stall", region: "eu-central" });
    expect(progress[progress.length - 1]).toBe(1500);
    expect(progress.length).toBeGreaterThanOrEqual(2);
  });
});
