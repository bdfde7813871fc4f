import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { FieldRecord } from "@tickscope/core";
import type { MatchOptions } from "./match-options.js";
import { createRoleMappedEncoder } from "./role-mapped-encoder.js";
import { decodeArenaCapture, type DecodedCapture } from "./test-support/decode.js";
import { simulateMatchToMemory, type InMemoryMatch } from "./write-match-capture.js";

const SHAPE_NAMES = ["le-wrapping-clock", "channel-acks", "combined-command", "tick-clock", "aead-sequence64"] as const;
type ShapeName = (typeof SHAPE_NAMES)[number];

const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const load = (name: string): unknown => JSON.parse(readFileSync(`${examples}${name}.json`, "utf8"));
const MATCH: MatchOptions = { seed: 1, players: 8, durationMs: 12_000, tickRate: 30, profile: "4g", cheats: 0 };

interface ShapeRun {
  run: InMemoryMatch;
  decoded: DecodedCapture;
  /** Header fields of every captured datagram, with its direction. */
  headers: { clientToServer: boolean; port: number; header: FieldRecord; messages: { type: string; fields: FieldRecord }[] }[];
}

const runs = new Map<ShapeName, ShapeRun>();
async function shapeRun(shape: ShapeName): Promise<ShapeRun> {
  const cached = runs.get(shape);
  if (cached !== undefined) return cached;
  const definition = load(shape);
  const run = simulateMatchToMemory(MATCH, { protocol: definition });
  const protocol = createRoleMappedEncoder(definition).protocol;
  const decoded = await decodeArenaCapture(run.pcapng, protocol);
  const headers = decoded.packets.map((packet) => {
    const clientToServer = packet.destinationPort === 7777;
    const datagram = protocol.decodeDatagramFields(packet.payload, { direction: clientToServer ? "clientToServer" : "serverToClient" });
    return { clientToServer, port: clientToServer ? packet.sourcePort : packet.destinationPort, header: datagram.header, messages: datagram.messages };
  });
  const result = { run, decoded, headers };
  runs.set(shape, result);
  return result;
}

describe.each(SHAPE_NAMES)("shape %s", (shape) => {
  it("simulates a match that decodes with 0 anomalies and carries every simulated message kind", async () => {
    const { run, decoded } = await shapeRun(shape);
    expect(decoded.packets.length).toBe(run.truth.summary.serverCapturePackets);
    expect(decoded.decodeAnomalies).toEqual({});
    expect(decoded.captureAnomalies).toEqual({});
    const types = new Set(decoded.messages.map((message) => message.type));
    for (const type of ["snapshot", "ping", "pong", "spawn", "death"]) expect(types).toContain(type);
    expect(types.has("input") || types.has("command")).toBe(true);
  });
});

describe("protocol shapes: what makes each one different is on the wire", () => {
  it("le-wrapping-clock: every u32 millisecond clock wraps during the match, and the echoed ping clock too", async () => {
    const { headers } = await shapeRun("le-wrapping-clock");
    const wrapped = new Set<string>();
    const last = new Map<string, number>();
    for (const { clientToServer, port, header } of headers) {
      const key = `${clientToServer}:${port}`;
      const time = header.sendTimeMs as number;
      if ((last.get(key) ?? 0) > 4_294_000_000 && time < 1_000_000) wrapped.add(key);
      last.set(key, time);
    }
    expect(wrapped.size).toBe(16); // 8 clients, and the server clock seen on 8 sessions
    const pongs = headers.flatMap((entry) => entry.messages.filter((message) => message.type === "pong"));
    expect(pongs.some((pong) => (pong.fields.clientTimeMs as number) > 4_290_000_000)).toBe(true);
    expect(pongs.some((pong) => (pong.fields.clientTimeMs as number) < 1_000_000)).toBe(true);
  });

  it("channel-acks: acks travel on the control channel, one per acknowledged channel; reliable resends keep their sequence", async () => {
    const { decoded } = await shapeRun("channel-acks");
    const acked = new Set(decoded.messages.filter((message) => message.type === "ack").map((message) => message.roles.ackChannel));
    expect([...acked].sort()).toEqual([1, 2, 3]);
    const resent = decoded.messages.filter((message) => (message.type === "death" || message.type === "spawn") && (message.roles.resendCount as number) > 0);
    expect(resent.length).toBeGreaterThan(0);
    for (const message of decoded.messages) if (message.type === "ack" || message.type === "ping" || message.type === "pong") expect(message.roles.sequence).toBeUndefined();
  });

  it("combined-command: a shot rides in the command with its newest input; redundant inputs newest first", async () => {
    const { run, headers } = await shapeRun("combined-command");
    const commands = headers.flatMap((entry) => entry.messages.filter((message) => message.type === "command"));
    const shots = commands.filter((command) => command.fields.hasShot === 1);
    const truthShots = run.truth.packets.filter((packet) => packet.serverCaptureIndex !== null && packet.messageTypes.includes("shot")).length;
    expect(shots.length).toBe(truthShots);
    expect(shots.every((shot) => typeof shot.fields.targetTimeUs === "number" && (shot.fields.inputs as unknown[]).length > 0)).toBe(true);
  });

  it("tick-clock: 60 Hz tick counters instead of clocks, 16 ack bits", async () => {
    const { headers } = await shapeRun("tick-clock");
    const server = headers.filter((entry) => !entry.clientToServer).map((entry) => entry.header.sendTick as number);
    expect(Math.max(...server) - Math.min(...server)).toBeGreaterThan(MATCH.durationMs! * 0.06 * 0.9);
    expect(Math.max(...server) - Math.min(...server)).toBeLessThan(MATCH.durationMs! * 0.06 * 1.1);
    expect(headers.every((entry) => (entry.header.ackBits as number) < 2 ** 16)).toBe(true);
    expect(headers.some((entry) => (entry.header.ackBits as number) >= 2 ** 15)).toBe(true);
  });

  it("aead-sequence64: 64-bit sequences cross 2^63 exactly (bigint), and every datagram authenticates", async () => {
    const { headers, decoded } = await shapeRun("aead-sequence64");
    const sequences = headers.map((entry) => entry.header.sequence as bigint);
    expect(sequences.every((sequence) => typeof sequence === "bigint")).toBe(true);
    expect(sequences.some((sequence) => sequence < 2n ** 63n)).toBe(true);
    expect(sequences.some((sequence) => sequence >= 2n ** 63n + 100n)).toBe(true);
    expect(decoded.messages.filter((message) => message.type === "ackHeader")).toHaveLength(headers.length);
  });

  it("is deterministic: the same seed gives the same bytes", () => {
    const definition = load("channel-acks");
    const hash = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
    const options: MatchOptions = { seed: 9, players: 4, durationMs: 3000, cheats: 4 };
    expect(hash(simulateMatchToMemory(options, { protocol: definition }).pcapng)).toBe(hash(simulateMatchToMemory(options, { protocol: definition }).pcapng));
  });
});
