import { describe, expect, it } from "vitest";
import type { PacketObservation, Session } from "@tickscope/core";
import { compileProtocol, validateProtocolDefinition } from "@tickscope/core/protocol";
import { clockUnitOf, confidenceOf, draftDefinition, InferenceCollector, isServicePort, log10NullProbability, testEvidence, type InferredField } from "./index.js";

describe("null hypothesis", () => {
  it("bounds the chance that random bytes pass a test", () => {
    expect(log10NullProbability(10, 10, 0.5)).toBeCloseTo(-3.01, 2);
    expect(log10NullProbability(5, 10, 0.5)).toBe(0);
    expect(log10NullProbability(0, 0, 0.5)).toBe(0);
    expect(log10NullProbability(90, 100, 1 / 256)).toBeLessThan(-150);
    expect(testEvidence("t", 3, 4, 0.5)).toMatchObject({ support: 0.75, trials: 4 });
    expect(testEvidence("t", 0, 0, 0.5).support).toBe(0);
    expect(confidenceOf(1, -60)).toBe(1);
    expect(confidenceOf(0.9, -15)).toBe(0.45);
  });
});

describe("clock units", () => {
  it("names the unit or tick rate a slope fits", () => {
    expect(clockUnitOf(1, 10e6)).toEqual({ unit: "us" });
    expect(clockUnitOf(0.001, 10e6, 5)).toEqual({ unit: "ms" });
    expect(clockUnitOf(1000, 10e6)).toEqual({ unit: "ns" });
    expect(clockUnitOf(1e-6, 60e6)).toEqual({ unit: "s" });
    expect(clockUnitOf(1e-6, 5e6)).toBeUndefined(); // a seconds clock over 5 s tells nothing
    expect(clockUnitOf(60.0005e-6, 20e6, 8)).toEqual({ ticksPerSecond: 60 });
    expect(clockUnitOf(90_000e-6, 20e6)).toEqual({ ticksPerSecond: 90_000 });
    expect(clockUnitOf(37e-6, 20e6)).toEqual({ ticksPerSecond: 37 });
    expect(clockUnitOf(1.006, 20e6, 27)).toBeUndefined(); // 0.6 % off µs over 20 s: not a clock in µs
    expect(clockUnitOf(65_532_609e-6, 5e6)).toBeUndefined();
    expect(clockUnitOf(0, 1e6)).toBeUndefined();
    expect(clockUnitOf(1e-6 * 1.5, 1e6)).toBeUndefined();
  });
});

describe("collector", () => {
  it("keeps a bounded copy per session direction and leaves service ports out", () => {
    const collector = new InferenceCollector({ maxDatagramsPerDirection: 2, maxSessions: 2 });
    const session = (id: string, serverPort: number, transport = "udp") =>
      ({ id, transport, client: { address: "10.0.0.1", port: 50_000 }, server: { address: "10.0.0.2", port: serverPort } }) as unknown as Session;
    collector.onSession(session("game", 7777));
    collector.onSession(session("dns", 53));
    collector.onSession(session("tcp", 443, "tcp"));
    collector.onSession(session("other", 9000));
    collector.onSession(session("third", 9001));
    const payload = Uint8Array.from([1, 2, 3]);
    const packet = (sessionId: string, direction: "clientToServer" | "serverToClient") =>
      ({ sessionId, direction, tUs: 1, packetIndex: 0, wireLength: 45, payloadLength: 3, frameCount: 1, payload }) as PacketObservation;
    for (let index = 0; index < 5; index++) collector.onPacket(packet("game", "clientToServer"));
    collector.onPacket(packet("game", "serverToClient"));
    collector.onPacket(packet("dns", "clientToServer"));
    collector.onPacket({ ...packet("game", "clientToServer"), payload: undefined });
    collector.onMessage({} as never);
    const flows = collector.finish();
    expect(flows.map((flow) => flow.sessionId)).toEqual(["game"]);
    expect(flows[0]!.datagrams).toHaveLength(3);
    expect(flows[0]!.serverPort).toBe(7777);
    expect(collector.sessionsSkipped).toBe(3);
    expect(collector.datagramsSeen).toBe(8);
    payload[0] = 99;
    expect(flows[0]!.datagrams[0]!.payload[0]).toBe(1); // copied
    expect(isServicePort(53)).toBe(true);
    expect(isServicePort(5353)).toBe(true);
    expect(isServicePort(7777)).toBe(false);
  });
});

describe("draft definition", () => {
  const field = (overrides: Partial<InferredField>): InferredField => ({ name: "f", role: "constant", offset: 0, bytes: 1, littleEndian: false, confidence: 0.9, evidence: [], sentence: "s", ...overrides });
  it("fills gaps, keeps units and tick rates, and compiles", () => {
    const definition = draftDefinition(
      [
        field({ name: "magic", role: "magic", offset: 0, bytes: 2, constantValue: 0xc0de }),
        field({ name: "sequence", role: "sequence", offset: 4, bytes: 2, littleEndian: true }),
        field({ name: "sendTime", role: "sendTime", offset: 6, bytes: 3, ticksPerSecond: 64 }),
        field({ name: "sessionId9", role: "sessionId", offset: 9, bytes: 1 }),
        field({ name: "length", role: "length", offset: 10, bytes: 2, lengthOffset: 12 }),
      ],
      { name: "draft", serverPorts: [7777] },
    );
    expect(definition.header!.map((entry) => entry.name)).toEqual(["magic", "unknown0", "sequence", "sendTime", "sessionId9", "length"]);
    expect(definition.header![3]).toMatchObject({ type: "u24", role: "sendTime", ticksPerSecond: 64 });
    expect(definition.match).toMatchObject({ ports: [7777], minLength: 12, flow: [{ field: "magic", equals: 0xc0de }] });
    expect(() => compileProtocol(validateProtocolDefinition(definition))).not.toThrow();
  });

  it("writes a selector of a nibble or a bit, with the gated fields behind it", () => {
    for (const highBits of [1, 4, 8]) {
      const definition = draftDefinition([field({ name: "sequence", role: "sequence", offset: 2, bytes: 2, when: { field: "kind", in: [1] } })], { selector: { name: "kind", highBits } });
      expect(definition.header![0]!.name).toBe("kind");
      expect(definition.header!.find((entry) => entry.name === "sequence")!.when).toEqual({ field: "kind", in: [1] });
      expect(() => compileProtocol(validateProtocolDefinition(definition))).not.toThrow();
    }
  });
});
