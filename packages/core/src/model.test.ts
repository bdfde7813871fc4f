import { describe, expect, it } from "vitest";
import { Value } from "@sinclair/typebox/value";
import {
  formatTimeUs,
  microsecondsToMilliseconds,
  millisecondsToMicroseconds,
  TimeRangeSchema,
} from "./time.js";
import { formatAddressPort, formatEndpoint } from "./endpoint.js";
import { compareSeverity, FindingSchema, SEVERITIES, type Finding } from "./finding.js";
import { bytesToHex, createReportEnvelope, ReportEnvelopeSchema, reportGeneratedAt, stringifyReport } from "./report.js";
import { clonePacket, type Packet } from "./packet.js";
import { RecommendationSchema } from "./recommendation.js";
import { FlowSchema, SessionSchema, DIRECTIONS } from "./session.js";
import { GameMessageRecordSchema } from "./game-message.js";
import { LogEventSchema } from "./log-event.js";
import { ROLE_NAMES } from "./roles.js";
import { Type } from "@sinclair/typebox";

describe("time", () => {
  it("converts between µs and ms", () => {
    expect(microsecondsToMilliseconds(1_500)).toBe(1.5);
    expect(millisecondsToMicroseconds(2.25)).toBe(2_250);
  });

  it("formats µs since the epoch as ISO-8601 with microsecond digits", () => {
    expect(formatTimeUs(1_700_000_000_123_456)).toBe("2023-11-14T22:13:20.123456Z");
    expect(formatTimeUs(0)).toBe("1970-01-01T00:00:00.000000Z");
    expect(formatTimeUs(1_000_007.9)).toBe("1970-01-01T00:00:01.000007Z");
  });

  it("validates time ranges", () => {
    expect(Value.Check(TimeRangeSchema, { startUs: 1, endUs: 2 })).toBe(true);
    expect(Value.Check(TimeRangeSchema, { startUs: "1", endUs: 2 })).toBe(false);
  });
});

describe("endpoint", () => {
  it("formats IPv4 as ip:port and IPv6 as [ip]:port, as tshark does", () => {
    expect(formatEndpoint({ address: "192.168.1.2", port: 25000 })).toBe("192.168.1.2:25000");
    expect(formatAddressPort("2001:db8::1", 53)).toBe("[2001:db8::1]:53");
  });
});

describe("finding", () => {
  it("orders severities from info to critical", () => {
    expect(SEVERITIES[0]).toBe("info");
    expect(compareSeverity("low", "high")).toBeLessThan(0);
    expect(compareSeverity("critical", "medium")).toBeGreaterThan(0);
    expect(compareSeverity("medium", "medium")).toBe(0);
  });

  it("validates the one finding shape shared by every package", () => {
    const finding: Finding = {
      id: "latency.spike.1",
      analysis: "latency",
      kind: "spike",
      severity: "high",
      startUs: 1,
      endUs: 2,
      summary: "RTT rose from 40 ms to 180 ms",
      evidence: { values: { peakRttMs: 180 }, packetIndices: [3, 4] },
    };
    expect(Value.Check(FindingSchema, finding)).toBe(true);
    expect(Value.Check(FindingSchema, { ...finding, severity: "fatal" })).toBe(false);
    expect(Value.Check(FindingSchema, { ...finding, evidence: { values: {}, packetIndices: [-1] } })).toBe(false);
  });
});

describe("report", () => {
  it("wraps a body in a deterministic envelope (epoch unless a time is injected)", () => {
    const envelope = createReportEnvelope({ answer: 42 }, { toolVersion: "1.2.3" });
    expect(envelope.generatedAt).toBe("1970-01-01T00:00:00.000Z");
    expect(envelope.inputs).toEqual([]);
    const schema = ReportEnvelopeSchema(Type.Object({ answer: Type.Number() }));
    expect(Value.Check(schema, envelope)).toBe(true);
    const injected = createReportEnvelope(
      { answer: 1 },
      { toolVersion: "1", generatedAt: "2026-01-01T00:00:00.000Z", inputs: [{ kind: "capture", name: "a.pcap" }], options: { x: 1 } },
    );
    expect(injected.generatedAt).toBe("2026-01-01T00:00:00.000Z");
    expect(injected.options).toEqual({ x: 1 });
  });

  it("dates a report now, or at SOURCE_DATE_EPOCH when that is set", () => {
    const now = () => Date.UTC(2026, 11, 4, 15, 45, 11, 250);
    expect(reportGeneratedAt({}, now)).toBe("2026-12-04T15:45:11.250Z");
    expect(reportGeneratedAt({ SOURCE_DATE_EPOCH: "1700000000" }, now)).toBe("2023-11-14T22:13:20.000Z");
    expect(reportGeneratedAt({ SOURCE_DATE_EPOCH: "0" }, now)).toBe("1970-01-01T00:00:00.000Z");
    for (const ignored of ["", "-5", "1.5", "soon", "99999999999999"]) expect(reportGeneratedAt({ SOURCE_DATE_EPOCH: ignored }, now)).toBe("2026-12-04T15:45:11.250Z");
    const real = Date.parse(reportGeneratedAt());
    expect(Math.abs(real - Date.now())).toBeLessThan(60_000);
  });

  it("serializes bigints, bytes and non-finite numbers stably", () => {
    const text = stringifyReport({ big: 2n ** 64n, bytes: new Uint8Array([0, 15, 255]), bad: Number.NaN, inf: Infinity }, 0);
    expect(text).toBe('{"big":"18446744073709551616","bytes":"000fff","bad":null,"inf":null}');
    expect(bytesToHex(new Uint8Array([0xab, 0x01]))).toBe("ab01");
  });
});

describe("packet", () => {
  it("clones a packet with its own copy of the payload", () => {
    const buffer = new Uint8Array([1, 2, 3, 4]);
    const packet: Packet = {
      index: 0, tUs: 1, interfaceId: 0, linkType: 1, ipVersion: 4, transport: "udp",
      sourceAddress: "10.0.0.1", sourcePort: 1, destinationAddress: "10.0.0.2", destinationPort: 2,
      wireLength: 46, capturedLength: 46, frameCount: 1, payload: buffer.subarray(1, 3),
    };
    const copy = clonePacket(packet);
    buffer[1] = 99;
    expect([...copy.payload]).toEqual([2, 3]);
    expect(copy.payload.buffer).not.toBe(buffer.buffer);
  });
});

describe("schemas", () => {
  it("accept valid and reject invalid records", () => {
    const counters = { packets: 1, bytes: 60 };
    expect(Value.Check(FlowSchema, { transport: "udp", a: "1.1.1.1:1", b: "2.2.2.2:2", aToB: counters, bToA: counters, firstUs: 0, lastUs: 1 })).toBe(true);
    expect(
      Value.Check(SessionSchema, {
        id: "s1", transport: "udp", client: { address: "1.1.1.1", port: 1 }, server: { address: "2.2.2.2", port: 70000 },
        firstUs: 0, lastUs: 0, clientToServer: counters, serverToClient: counters,
      }),
    ).toBe(false);
    expect(Value.Check(GameMessageRecordSchema, { session: "s", direction: "clientToServer", tUs: 1, packetIndex: 0, type: "ping", bytes: 4, fields: {} })).toBe(true);
    expect(Value.Check(GameMessageRecordSchema, { kind: "message", session: "s", direction: "clientToServer", tUs: 1, frameNumber: 1, packetIndex: 0, type: "ping", bytes: 4, fields: {} })).toBe(true);
    expect(Value.Check(GameMessageRecordSchema, { session: "s", direction: "clientToServer", tUs: 1, frameNumber: 0, packetIndex: 0, type: "ping", bytes: 4, fields: {} })).toBe(false);
    expect(Value.Check(LogEventSchema, { tUs: 1, type: "tick", values: {}, labels: {}, line: 0 })).toBe(false);
    expect(
      Value.Check(RecommendationSchema, {
        id: "r", analysis: "bandwidth", kind: "delta", title: "t", metric: "bytesPerSecond", before: 2, after: 1,
        verified: true, method: "re-encoded", cost: {},
      }),
    ).toBe(true);
    expect(DIRECTIONS).toEqual(["clientToServer", "serverToClient"]);
    expect(ROLE_NAMES).toContain("targetTime");
  });
});
