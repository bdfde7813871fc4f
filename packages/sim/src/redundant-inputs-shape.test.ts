import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EchoRttMatcher, serialDifference, type GameMessage } from "@tickscope/core";
import { MemorySink } from "./byte-sink.js";
import type { MatchOptions } from "./match-options.js";
import { simulateMatch } from "./match-simulator.js";
import { createRoleMappedEncoder } from "./role-mapped-encoder.js";
import { decodeArenaCapture, type DecodedCapture } from "./test-support/decode.js";
import { simulateMatchToMemory, type InMemoryMatch } from "./write-match-capture.js";

// The shape that uses the definition-language additions of issue 14 §5 (examples/protocols/redundant-inputs.json).
const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const definition = (): unknown => JSON.parse(readFileSync(`${examples}redundant-inputs.json`, "utf8"));
const MATCH: MatchOptions = { seed: 1, players: 8, durationMs: 12_000, tickRate: 30, profile: "4g", cheats: 0 };

let cached: { run: InMemoryMatch; decoded: DecodedCapture } | undefined;
async function shapeRun(): Promise<{ run: InMemoryMatch; decoded: DecodedCapture }> {
  if (cached !== undefined) return cached;
  const run = simulateMatchToMemory(MATCH, { protocol: definition() });
  cached = { run, decoded: await decodeArenaCapture(run.pcapng, createRoleMappedEncoder(definition()).protocol) };
  return cached;
}

describe("shape redundant-inputs (issue 14 §5 additions on the wire)", () => {
  it("simulates a match that decodes with 0 anomalies (no E_COUNT_MISMATCH) and carries every message kind", async () => {
    const { run, decoded } = await shapeRun();
    expect(decoded.packets.length).toBe(run.truth.summary.serverCapturePackets);
    expect(decoded.decodeAnomalies).toEqual({});
    expect(decoded.captureAnomalies).toEqual({});
    const types = new Set(decoded.messages.map((message) => message.type));
    for (const type of ["command", "snapshot", "ping", "pong", "spawn", "death", "chat"]) expect(types).toContain(type);
  });

  it("the header count equals the messages of every datagram", async () => {
    const { decoded } = await shapeRun();
    const protocol = createRoleMappedEncoder(definition()).protocol;
    for (const packet of decoded.packets) {
      const datagram = protocol.decodeDatagramFields(packet.payload);
      expect(datagram.anomalies).toEqual([]);
      expect(datagram.header.messageCount).toBe(datagram.messages.length);
    }
  });

  it("commands expose each redundant input's roles newest first, consecutive, and the newest one is the message's", async () => {
    const { decoded } = await shapeRun();
    const commands = decoded.messages.filter((message) => message.type === "command");
    expect(commands.length).toBeGreaterThan(1000);
    let redundant = 0;
    for (const command of commands) {
      const elements = command.roles.elements ?? [];
      expect(elements.length).toBe(command.roles.inputCount);
      expect(command.roles.inputSequence).toBe(elements[0]?.inputSequence);
      for (let index = 1; index < elements.length; index++) expect(serialDifference(elements[index].inputSequence!, elements[index - 1].inputSequence!, 32)).toBe(1);
      for (const element of elements) {
        expect(element.aimYawRad).toBeGreaterThanOrEqual(0);
        expect(element.aimYawRad).toBeLessThan(2 * Math.PI);
        expect(Math.abs(element.aimPitchRad!)).toBeLessThanOrEqual(Math.PI / 2 + 1e-9);
      }
      if (elements.length > 1) redundant += 1;
    }
    expect(redundant).toBeGreaterThan(commands.length / 2);
  });

  it("shots ride in commands with their aim direction; truth shots all arrive", async () => {
    const { run, decoded } = await shapeRun();
    const shots = decoded.messages.filter((message) => message.type === "command" && message.fields.hasShot === 1);
    const truthShots = run.truth.packets.filter((packet) => packet.serverCaptureIndex !== null && packet.messageTypes.includes("shot")).length;
    expect(shots.length).toBe(truthShots);
    expect(shots.length).toBeGreaterThan(0);
    for (const shot of shots) {
      expect(shot.roles.targetTimeUs).toBeTypeOf("number");
      expect(shot.roles.aimYawRad).toBeCloseTo(shot.fields.aimYaw as number, 12);
      expect(shot.roles.aimPitchRad).toBeCloseTo(shot.fields.aimPitch as number, 12);
    }
  });

  it("pongs carry the ping id and the echoed clock, and the echo matcher pairs every answered ping", async () => {
    const { decoded } = await shapeRun();
    const pongs = decoded.messages.filter((message) => message.type === "pong");
    expect(pongs.every((pong) => pong.roles.echoId === String(pong.fields.pingId) && pong.roles.echoTimeUs === (pong.fields.echoedTimeMs as number) * 1000)).toBe(true);
    const rtts: number[] = [];
    const matcher = new EchoRttMatcher((sample) => rtts.push(sample.rttMs));
    for (const message of [...decoded.messages].sort((a: GameMessage, b: GameMessage) => a.tUs - b.tUs)) matcher.onMessage(message);
    expect(rtts.length).toBeGreaterThan(pongs.length * 0.9);
    expect(matcher.unmatchedReplies).toBe(0);
    expect(Math.min(...rtts)).toBeGreaterThan(0);
  });

  it("reliable events carry their id; a resend repeats the id with a higher resend count", async () => {
    const { decoded } = await shapeRun();
    const events = decoded.messages.filter((message) => ["spawn", "death", "chat", "stateReset"].includes(message.type));
    expect(events.every((event) => event.roles.reliableId === event.fields.eventId && event.roles.reliableIdBits === 16)).toBe(true);
    const firstSend = new Map<string, number>();
    let resends = 0;
    for (const event of events) {
      const key = `${event.sessionId}:${event.direction}:${event.type}:${String(event.roles.reliableId)}`;
      if (event.roles.resendCount === 0) firstSend.set(key, event.tUs);
      else {
        resends += 1;
        expect(firstSend.has(key)).toBe(true);
      }
    }
    expect(resends).toBeGreaterThan(0);
  });

  it("the u32 millisecond clocks wrap during the match and are declared u32 (positive, 2^32 ms modulus)", async () => {
    const { decoded } = await shapeRun();
    const protocol = createRoleMappedEncoder(definition()).protocol;
    const clocks = decoded.packets.map((packet) => protocol.decodeDatagramFields(packet.payload).header.sendTimeMs as number);
    expect(clocks.some((clock) => clock > 4_290_000_000)).toBe(true);
    expect(clocks.some((clock) => clock < 10_000)).toBe(true);
    expect(decoded.messages.every((message) => message.roles.sendTimeModulusUs === 4_294_967_296_000)).toBe(true);
  });

  it("writes the same bytes in compiled and interpreted mode", () => {
    const options: MatchOptions = { seed: 5, players: 3, durationMs: 2500, tickRate: 30, cheats: 3 };
    const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
    const compiled = new MemorySink();
    simulateMatch(options, { capture: compiled, encoder: createRoleMappedEncoder(definition()) });
    const interpreted = new MemorySink();
    simulateMatch(options, { capture: interpreted, encoder: createRoleMappedEncoder(definition(), "interpreted") });
    expect(sha256(interpreted.toUint8Array())).toBe(sha256(compiled.toUint8Array()));
  });
});
