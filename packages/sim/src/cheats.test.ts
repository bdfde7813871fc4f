import { describe, expect, it } from "vitest";
import type { GameMessage } from "@tickscope/core";
import type { CheatSpec, MatchOptions } from "./match-options.js";
import { simulateMatchToMemory } from "./write-match-capture.js";
import { decodeArenaCapture, type DecodedCapture } from "./test-support/decode.js";

const cheats: CheatSpec[] = [
  { playerId: 0, kind: "speedhack", startMs: 2000, endMs: 10000, intensity: 1.5 },
  { playerId: 1, kind: "lagSwitch", startMs: 2000, intensity: 0.5 },
  { playerId: 2, kind: "tampering", intensity: 0.3 },
  { playerId: 3, kind: "replay", startMs: 1000, intensity: 3 },
  { playerId: 4, kind: "fakeLatency", intensity: 200 },
  { playerId: 5, kind: "rewindAbuse", intensity: 400 },
  { playerId: 6, kind: "teleport", intensity: 300 },
  { playerId: 7, kind: "speed", intensity: 3 },
  { playerId: 8, kind: "inputFlooding", intensity: 6 },
  { playerId: 9, kind: "botTiming" },
];
const options: MatchOptions = { seed: 5, players: 12, durationMs: 12000, tickRate: 30, profile: "fibre", shotsPerSecond: 2, cheats };
const run = simulateMatchToMemory(options);
const decodedPromise = decodeArenaCapture(run.pcapng);

interface PlayerTraffic {
  upTimes: number[];
  upMessages: GameMessage[];
  downMessages: GameMessage[];
  upPayloads: string[];
}

async function traffic(): Promise<{ decoded: DecodedCapture; byPlayer: PlayerTraffic[] }> {
  const decoded = await decodedPromise;
  const playerOfAddress = new Map(run.truth.players.map((player) => [player.address, player.playerId]));
  const byPlayer: PlayerTraffic[] = run.truth.players.map(() => ({ upTimes: [], upMessages: [], downMessages: [], upPayloads: [] }));
  for (const packet of decoded.packets) {
    const up = playerOfAddress.get(packet.sourceAddress);
    if (up !== undefined) {
      byPlayer[up].upTimes.push(packet.tUs);
      byPlayer[up].upPayloads.push(Buffer.from(packet.payload).toString("hex"));
    }
  }
  const playerOfSession = new Map(decoded.sessions.map((session) => [session.id, playerOfAddress.get(session.client.address) as number]));
  for (const message of decoded.messages) {
    const player = playerOfSession.get(message.sessionId) as number;
    (message.direction === "clientToServer" ? byPlayer[player].upMessages : byPlayer[player].downMessages).push(message);
  }
  return { decoded, byPlayer };
}

const within = (times: number[], startMs: number, endMs: number): number[] => times.filter((tUs) => tUs >= run.truth.startUs + startMs * 1000 && tUs < run.truth.startUs + endMs * 1000);
const maxGapMs = (times: number[]): number => times.slice(1).reduce((maximum, tUs, index) => Math.max(maximum, (tUs - times[index]) / 1000), 0);
const field = (message: GameMessage, name: string): number => message.fields[name] as number;

describe("cheats: each leaves the wire evidence its truth label claims", () => {
  it("labels every cheat with its time range and intensity in the truth", () => {
    expect(run.truth.cheats.map((cheat) => [cheat.playerId, cheat.kind])).toEqual(cheats.map((cheat) => [cheat.playerId, cheat.kind]));
    expect(run.truth.cheats[0]).toMatchObject({ startUs: run.truth.startUs + 2e6, endUs: run.truth.startUs + 10e6, intensity: 1.5 });
    expect(run.truth.cheats[9].intensity).toBe(1);
  });

  it("speedhack: 1.5× datagram rate and a client clock running 1.5× fast", async () => {
    const { byPlayer } = await traffic();
    const cheaterRate = within(byPlayer[0].upTimes, 3000, 9000).length / 6;
    const honestRate = within(byPlayer[10].upTimes, 3000, 9000).length / 6;
    expect(cheaterRate / honestRate).toBeGreaterThan(1.4);
    expect(cheaterRate / honestRate).toBeLessThan(1.6);
    const inputs = byPlayer[0].upMessages.filter((message) => message.type === "input" && message.tUs > run.truth.startUs + 3e6 && message.tUs < run.truth.startUs + 9e6);
    const first = inputs[0];
    const last = inputs[inputs.length - 1];
    const clockRate = ((last.roles.sendTimeUs as number) - (first.roles.sendTimeUs as number)) / (last.tUs - first.tUs);
    expect(clockRate).toBeGreaterThan(1.45);
    expect(clockRate).toBeLessThan(1.55);
  });

  it("lag switch: outgoing traffic held for ~0.5 s, then flushed in a burst", async () => {
    const { byPlayer } = await traffic();
    expect(maxGapMs(within(byPlayer[1].upTimes, 2000, 12000))).toBeGreaterThan(450);
    expect(maxGapMs(byPlayer[10].upTimes)).toBeLessThan(150);
    const held = run.truth.packets.filter((packet) => packet.cheat === "lagSwitch");
    expect(held.length).toBeGreaterThan(50);
    expect(held.every((packet) => packet.departUs > packet.sendUs)).toBe(true);
  });

  it("tampering: exactly the tampered datagrams carry out-of-range fields or a forged protocol id", async () => {
    const { decoded } = await traffic();
    const tampered = run.truth.packets.filter((packet) => packet.cheat === "tampering" && packet.serverCaptureIndex !== null);
    expect(tampered.length).toBeGreaterThan(40);
    const flagged = new Set([...decoded.anomalyPackets.values()].flat());
    expect([...flagged].sort((a, b) => a - b)).toEqual(tampered.map((packet) => packet.serverCaptureIndex as number).sort((a, b) => a - b));
    expect(Object.keys(decoded.decodeAnomalies)).toContain("E_VALUE_OUT_OF_RANGE");
  });

  it("replay: old datagrams re-sent byte for byte", async () => {
    const { byPlayer } = await traffic();
    const payloads = byPlayer[3].upPayloads;
    const repeats = payloads.length - new Set(payloads).size;
    const replays = run.truth.packets.filter((packet) => packet.cheat === "replay" && packet.serverCaptureIndex !== null);
    expect(replays.length).toBeGreaterThan(15);
    expect(repeats).toBe(replays.length);
    for (const other of [0, 10, 11]) expect(byPlayer[other].upPayloads.length - new Set(byPlayer[other].upPayloads).size).toBe(0);
  });

  it("fake latency: shots arrive ~200 ms late while the reported RTT stays low", async () => {
    const { byPlayer } = await traffic();
    const shots = run.truth.packets.filter((packet) => packet.playerId === 4 && packet.messageTypes.includes("shot") && packet.arrivalUs !== null);
    expect(shots.length).toBeGreaterThan(10);
    for (const shot of shots) expect((shot.arrivalUs as number) - shot.sendUs).toBeGreaterThan(200_000);
    const reported = byPlayer[4].upMessages.filter((message) => message.type === "input").map((message) => field(message, "reportedRttMs"));
    expect(Math.max(...reported)).toBeLessThan(30);
  });

  it("rewind abuse: targetTime beyond the lag-compensation window; honest shots inside it", async () => {
    const { byPlayer } = await traffic();
    const rewindMs = (player: number): number[] => {
      const downs = byPlayer[player].downMessages.filter((message) => message.type === "snapshot");
      const offsetUs = (downs[0].roles.sendTimeUs as number) - downs[0].tUs; // server clock − capture clock
      return byPlayer[player].upMessages
        .filter((message) => message.type === "shot")
        .map((message) => (message.tUs + offsetUs - field(message, "targetTimeUs")) / 1000);
    };
    const abusive = rewindMs(5);
    const honest = rewindMs(10);
    expect(abusive.length).toBeGreaterThan(10);
    expect(Math.min(...abusive)).toBeGreaterThan(run.truth.lagCompensationWindowMs + 400);
    expect(Math.max(...honest)).toBeLessThan(200); // fibre: RTT + 100 ms interpolation + snapshot age
    expect(Math.max(...honest)).toBeLessThan(run.truth.lagCompensationWindowMs);
  });

  it("teleport and speed: entity motion beyond the maximum speed in snapshots; honest players within it", async () => {
    const { byPlayer } = await traffic();
    const speeds = (entityId: number): number[] => {
      const track: { tUs: number; x: number; y: number; health: number }[] = [];
      for (const message of byPlayer[11].downMessages) {
        if (message.type !== "snapshot") continue;
        for (const entity of message.fields.entities as { entityId: number; x: number; y: number; health: number }[]) {
          if (entity.entityId === entityId) track.push({ tUs: message.tUs, x: entity.x, y: entity.y, health: entity.health });
        }
      }
      // Speed over ~0.5 s windows (inputs arrive with jitter, so per-snapshot steps are bursty);
      // respawns move a dead entity legitimately: skip windows that contain a dead sample.
      const window = 15;
      const result: number[] = [];
      for (let index = window; index < track.length; index++) {
        const from = track[index - window];
        if (track.slice(index - window, index + 1).some((point) => point.health === 0)) continue;
        result.push(Math.hypot(track[index].x - from.x, track[index].y - from.y) / ((track[index].tUs - from.tUs) / 1e6));
      }
      return result;
    };
    // Player 11's snapshots include its neighbours 10, 0, 9, 1, ... (index window).
    const neighbours = new Set((byPlayer[11].downMessages.find((message) => message.type === "snapshot")?.fields.entities as { entityId: number }[]).map((entity) => entity.entityId));
    for (const id of [6, 7, 10]) expect(neighbours.has(id)).toBe(true);
    expect(Math.max(...speeds(6))).toBeGreaterThan(300);
    expect(Math.max(...speeds(7))).toBeGreaterThan(run.truth.maxSpeed * 2.5);
    const honest = speeds(10);
    expect(honest.length).toBeGreaterThan(100);
    expect(Math.max(...honest)).toBeLessThan(run.truth.maxSpeed * 1.15);
  });

  it("input flooding: 6× the datagram rate with the input sequence advancing at the normal rate", async () => {
    const { byPlayer } = await traffic();
    const rate = byPlayer[8].upTimes.length / 12;
    expect(rate).toBeGreaterThan(150);
    const inputs = byPlayer[8].upMessages.filter((message) => message.type === "input");
    const sequenceRate = (field(inputs[inputs.length - 1], "inputSequence") - field(inputs[0], "inputSequence")) / 12;
    expect(sequenceRate).toBeGreaterThan(25);
    expect(sequenceRate).toBeLessThan(35);
  });

  it("bot timing: machine-regular send intervals, unlike humans", async () => {
    const { byPlayer } = await traffic();
    const intervalSpreadMs = (player: number): number => {
      const times = byPlayer[player].upMessages.filter((message) => message.type === "input").map((message) => message.roles.sendTimeUs as number);
      const gaps = times.slice(1).map((tUs, index) => (tUs - times[index]) / 1000);
      const mean = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
      return Math.sqrt(gaps.reduce((sum, gap) => sum + (gap - mean) ** 2, 0) / gaps.length);
    };
    expect(intervalSpreadMs(9)).toBeLessThan(0.05);
    expect(intervalSpreadMs(10)).toBeGreaterThan(1.5);
  });
});

describe("cheaters and honest players on bad networks share matches", () => {
  it("assigns random cheats deterministically and marks honest bad-network players", () => {
    const mixed = simulateMatchToMemory({ seed: 3, players: 30, durationMs: 500, profileMix: { fibre: 1, "wifi-congested": 1, "4g": 1 }, cheats: 6 });
    expect(mixed.truth.cheats).toHaveLength(6);
    expect(new Set(mixed.truth.cheats.map((cheat) => cheat.kind)).size).toBe(6);
    const badHonest = mixed.truth.players.filter((player) => player.badNetwork);
    expect(badHonest.length).toBeGreaterThan(5);
    const cheaterIds = new Set(mixed.truth.cheats.map((cheat) => cheat.playerId));
    expect(badHonest.every((player) => !cheaterIds.has(player.playerId))).toBe(true);
    expect(new Set(mixed.truth.players.map((player) => player.profile))).toEqual(new Set(["fibre", "wifi-congested", "4g"]));
  });
});
