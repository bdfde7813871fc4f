import { describe, expect, it } from "vitest";
import type { DatagramDecoder, DecodeAnomaly, GameMessage, LogEvent, MessageAnalyzer, PacketObservation, Session } from "@tickscope/core";
import { runCapturePipeline } from "./capture-pipeline.js";
import { inspectCaptures } from "./inspect-captures.js";
import { simplePcapng, writePcap } from "./test-support/capture-writer.js";
import { ethernet, ipv4, ipv4Fragments, tcp, udpFrame } from "./test-support/packet-builder.js";
import { udp } from "./test-support/packet-builder.js";

const T0 = 1_700_000_000_000_000;

/** Toy protocol: byte 0 = message count, then per message [type, length, ...bytes]; 0xff = throw. */
const toyDecoder: DatagramDecoder = {
  decodeDatagram(payload, context, onMessage, onAnomaly) {
    if (payload[0] === 0xff) throw Object.assign(new Error("boom"), { code: "E_DECODE_FAILED" });
    let offset = 1;
    for (let index = 0; index < payload[0]; index++) {
      if (offset + 2 > payload.length || offset + 2 + payload[offset + 1] > payload.length) {
        onAnomaly({ ...context, code: "E_TRUNCATED", detail: "message runs past the datagram" });
        return;
      }
      const length = payload[offset + 1];
      onMessage({
        sessionId: context.sessionId,
        direction: context.direction,
        tUs: context.tUs,
        packetIndex: context.packetIndex,
        indexInPacket: index,
        type: payload[offset] === 1 ? "input" : "snapshot",
        byteLength: 2 + length,
        packetWireLength: context.packetWireLength,
        fields: {},
        roles: {},
      });
      offset += 2 + length;
    }
  },
};

const messages = (...items: [number, number][]) => Uint8Array.from([items.length, ...items.flatMap(([type, length]) => [type, length, ...new Array(length).fill(0)])]);

class RecordingAnalyzer implements MessageAnalyzer<string[]> {
  readonly name = "recording";
  readonly events: string[] = [];
  onSession(session: Session): void {
    this.events.push(`session ${session.id}`);
  }
  onPacket(packet: PacketObservation): void {
    this.events.push(`packet ${packet.packetIndex} ${packet.direction} ${packet.payloadLength} ${packet.payload?.length}`);
  }
  onMessage(message: GameMessage): void {
    this.events.push(`message ${message.packetIndex}.${message.indexInPacket} ${message.type}`);
  }
  onAnomaly(anomaly: DecodeAnomaly): void {
    this.events.push(`anomaly ${anomaly.packetIndex} ${anomaly.code}`);
  }
  onLogEvent(event: LogEvent): void {
    this.events.push(`log ${event.type}`);
  }
  finish(): string[] {
    return this.events;
  }
}

describe("runCapturePipeline", () => {
  const capture = writePcap([
    { tUs: T0, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, messages([1, 3])) },
    { tUs: T0 + 100, data: udpFrame("10.0.0.1", 7777, "10.0.0.2", 50000, messages([2, 10], [2, 4])) },
    { tUs: T0 + 200, data: ethernet(0x0800, ipv4("10.0.0.2", "10.0.0.3", tcp(40000, 443, Uint8Array.of(1, 2)), { protocol: 6 })) },
    { tUs: T0 + 300, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, Uint8Array.of(2, 1, 9)) },
    { tUs: T0 + 400, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, Uint8Array.of(0xff)) },
  ]);

  it("tracks sessions and feeds analyzers in capture order, with decoder messages and anomalies", async () => {
    const analyzer = new RecordingAnalyzer();
    const log: LogEvent = { tUs: T0 + 150, type: "tick", values: {}, labels: {}, line: 1 };
    const result = await runCapturePipeline({ sources: [capture], decoder: toyDecoder, serverPorts: [7777], analyzers: [analyzer], logEvents: [log] });
    const session = "udp:10.0.0.2:50000-10.0.0.1:7777";
    expect(result.reports).toEqual([analyzer.events]);
    expect(analyzer.events).toEqual([
      `session ${session}`,
      "packet 0 clientToServer 6 6",
      "message 0.0 input",
      "packet 1 serverToClient 19 19",
      "message 1.0 snapshot",
      "message 1.1 snapshot",
      "log tick",
      "packet 3 clientToServer 3 3",
      "anomaly 3 E_TRUNCATED",
      "packet 4 clientToServer 1 1",
      "anomaly 4 E_DECODE_FAILED",
    ]);
    expect(result.messages).toEqual([
      { session, direction: "clientToServer", type: "input", count: 1, bytes: 5 },
      { session, direction: "serverToClient", type: "snapshot", count: 2, bytes: 18 },
    ]);
    expect(result.decodeAnomalies).toEqual({ E_DECODE_FAILED: 1, E_TRUNCATED: 1 });
    expect(result.datagrams).toBe(4);
    // the TCP flow is other traffic: a flow, never a session
    expect(result.sessions.map((entry) => entry.id)).toEqual([session]);
    expect(result.flows).toHaveLength(2);
    expect(result.otherTraffic).toMatchObject({ packets: 1, flowCount: 1, byReason: { transport: { packets: 1 } }, ports: [{ transport: "tcp", port: 443, flows: 1, packets: 1 }] });
    expect(result.otherTraffic.flows[0]).toMatchObject({ transport: "tcp", a: "10.0.0.2:40000", b: "10.0.0.3:443", reason: "transport", gamePackets: 0 });
  });

  it("continues packet indices across several captures and merges their flows and anomalies", async () => {
    const second = simplePcapng([
      { tUs: T0 + 1000, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, messages([1, 0])) },
      { tUs: T0 + 900, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, messages([1, 0])) },
    ]);
    const analyzer = new RecordingAnalyzer();
    const result = await runCapturePipeline({ sources: [capture, { source: second, name: "second.pcapng" }], decoder: toyDecoder, analyzers: [analyzer], includeTcp: true, finishAnalyzers: false });
    expect(result.reports).toEqual([]);
    expect(result.captures.map((summary) => [summary.file, summary.format, summary.packets])).toEqual([
      ["<memory>", "pcap", 5],
      ["second.pcapng", "pcapng", 2],
    ]);
    expect(analyzer.events.filter((event) => event.startsWith("message"))).toContain("message 5.0 input");
    expect(analyzer.events).toContain("packet 2 clientToServer 2 2"); // TCP fed with includeTcp
    expect(result.anomalies).toEqual({ E_TIMESTAMP_BACKWARDS: 1 });
    expect(result.flows[0].aToB.packets).toBe(5);
  });
});

describe("runCapturePipeline message counts", () => {
  it("counts per (session, direction, type) across interleaved sessions, and where the decoder says when it names another session", async () => {
    // Byte 0 = 0xee: the decoder attributes the message to a session and direction of its own.
    const relabeling: DatagramDecoder = {
      decodeDatagram(payload, context, onMessage, onAnomaly) {
        if (payload[0] !== 0xee) return toyDecoder.decodeDatagram(payload, context, onMessage, onAnomaly);
        onMessage({ ...context, sessionId: "relay", direction: "serverToClient", indexInPacket: 0, type: "input", byteLength: 7, fields: {}, roles: {} });
      },
    };
    const a = "udp:10.0.0.2:50000-10.0.0.1:7777";
    const b = "udp:10.0.0.3:50001-10.0.0.1:7777";
    const file = writePcap([
      { tUs: T0, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, messages([1, 1], [2, 2])) },
      { tUs: T0 + 1, data: udpFrame("10.0.0.3", 50001, "10.0.0.1", 7777, messages([1, 0])) },
      { tUs: T0 + 2, data: udpFrame("10.0.0.1", 7777, "10.0.0.2", 50000, messages([2, 3])) },
      { tUs: T0 + 3, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, Uint8Array.of(0xee)) },
      { tUs: T0 + 4, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, messages([1, 4])) },
      { tUs: T0 + 5, data: udpFrame("10.0.0.3", 50001, "10.0.0.1", 7777, messages([1, 1], [1, 1])) },
    ]);
    const result = await runCapturePipeline({ sources: [file], decoder: relabeling, serverPorts: [7777] });
    expect(result.messages).toEqual([
      { session: "relay", direction: "serverToClient", type: "input", count: 1, bytes: 7 },
      { session: a, direction: "clientToServer", type: "input", count: 2, bytes: 3 + 6 },
      { session: a, direction: "clientToServer", type: "snapshot", count: 1, bytes: 4 },
      { session: a, direction: "serverToClient", type: "snapshot", count: 1, bytes: 5 },
      { session: b, direction: "clientToServer", type: "input", count: 3, bytes: 2 + 3 + 3 },
    ]);
  });
});

describe("inspectCaptures", () => {
  it("returns the inspect --json shape, counting a fragmented datagram once with its last frame's bytes", async () => {
    const fragments = ipv4Fragments("10.0.0.1", "10.0.0.2", udp(7777, 50000, messages([2, 100])), 64, 3).map((fragment) => ethernet(0x0800, fragment));
    const file = writePcap([
      { tUs: T0, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, messages([1, 2])) },
      ...fragments.map((data, index) => ({ tUs: T0 + 10 + index, data })),
    ]);
    const plain = await inspectCaptures([file]);
    expect(Object.keys(plain)).toEqual(["captures", "flows"]);
    expect(plain.captures[0]).toMatchObject({ file: "<memory>", format: "pcap", packets: 1 + fragments.length, linkTypes: [1], anomalies: {}, firstUs: T0 });
    expect(plain.flows).toEqual([
      {
        transport: "udp",
        a: "10.0.0.2:50000",
        b: "10.0.0.1:7777",
        aToB: { packets: 1, bytes: 14 + 20 + 8 + 5 },
        bToA: { packets: 1, bytes: fragments[fragments.length - 1].length },
        firstUs: T0,
        lastUs: T0 + 10 + fragments.length - 1,
        server: "10.0.0.1:7777",
        serverRule: "ephemeralPort",
      },
    ]);
    const decoded = await inspectCaptures([file], { decoder: toyDecoder, serverPorts: [7777] });
    expect(decoded.messages).toEqual([
      { session: "udp:10.0.0.2:50000-10.0.0.1:7777", direction: "clientToServer", type: "input", count: 1, bytes: 4 },
      { session: "udp:10.0.0.2:50000-10.0.0.1:7777", direction: "serverToClient", type: "snapshot", count: 1, bytes: 102 },
    ]);
    expect(decoded.decodeAnomalies).toEqual({});
    expect(JSON.stringify(await inspectCaptures([file], { decoder: toyDecoder }))).toBe(JSON.stringify(await inspectCaptures([file], { decoder: toyDecoder })));
  });
});
