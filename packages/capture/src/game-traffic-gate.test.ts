import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { hasSharedCaptures, sharedCapturePath, sharedCapturesSkipReason } from "@tickscope-test/support";
import type { GameMessage, MessageAnalyzer, PacketObservation, Session } from "@tickscope/core";
import { compileProtocol, compileTrafficMatch, type ProtocolDefinition } from "@tickscope/core/protocol";
import { describe, expect, it } from "vitest";
import { runCapturePipeline } from "./capture-pipeline.js";
import { inspectCaptures } from "./inspect-captures.js";
import { writePcap } from "./test-support/capture-writer.js";
import { ethernet, ipv4, tcp, udpFrame } from "./test-support/packet-builder.js";
import { fixturesDirectory } from "./test-support/tshark-conversations.js";

const T0 = 1_700_000_000_000_000;
const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const loadExample = (name: string): ProtocolDefinition => JSON.parse(readFileSync(`${examples}${name}.json`, "utf8")) as ProtocolDefinition;

/** Records what analyzers see. */
class Recorder implements MessageAnalyzer<void> {
  readonly name = "recorder";
  readonly sessions: Session[] = [];
  readonly packets: string[] = [];
  readonly messages: GameMessage[] = [];
  onSession(session: Session): void {
    this.sessions.push(session);
  }
  onPacket(packet: PacketObservation): void {
    this.packets.push(`${packet.packetIndex} ${packet.sessionId} ${packet.direction}`);
  }
  onMessage(message: GameMessage): void {
    this.messages.push(message);
  }
  finish(): void {}
}

/** A toy definition: magic byte 0x7e, then a type byte; flows accepted after `acceptAfter` matching datagrams. */
function toy(acceptAfter: number, extra: ProtocolDefinition["match"] = {}): ProtocolDefinition {
  return {
    name: "toy",
    header: [{ name: "magic", type: "u8" }],
    body: { repeat: "once", select: { prefix: [{ name: "kind", type: "u8", role: "messageType" }], on: "kind", cases: [{ value: 1, message: "tick" }], default: { message: "tick" } } },
    messages: [{ name: "tick", fields: [] }],
    match: { datagram: [{ field: "magic", equals: 0x7e }], acceptAfter, ...extra },
  };
}
const game = Uint8Array.of(0x7e, 1);
const noise = Uint8Array.of(0x00, 1);

describe("game traffic: flows and datagrams that are not the game's", () => {
  it("hands on only matching datagrams, holds a flow until acceptAfter datagrams matched, in capture order", async () => {
    const capture = writePcap([
      { tUs: T0, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, game) }, // A: held (1 of 2)
      { tUs: T0 + 10, data: udpFrame("10.0.0.3", 50001, "10.0.0.1", 7777, noise) }, // B: other (datagramMatch)
      { tUs: T0 + 20, data: udpFrame("10.0.0.4", 50002, "10.0.0.1", 7777, game) }, // C: held (1 of 2), waits behind A
      { tUs: T0 + 30, data: udpFrame("10.0.0.1", 7777, "10.0.0.2", 50000, game) }, // A accepted: A0, A1 handed on; C0 waits
      { tUs: T0 + 40, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, noise) }, // A: other, not handed on
      { tUs: T0 + 50, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, game) }, // A: waits behind C0
      { tUs: T0 + 3_000_000, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, game) }, // C0 expired after 2 s: A2, A3 handed on
    ]);
    const recorder = new Recorder();
    const result = await runCapturePipeline({ sources: [capture], decoder: compileProtocol(toy(2)), analyzers: [recorder] });
    expect(recorder.sessions.map((session) => session.id)).toEqual(["udp:10.0.0.2:50000-10.0.0.1:7777"]);
    expect(recorder.packets).toEqual([
      "0 udp:10.0.0.2:50000-10.0.0.1:7777 clientToServer",
      "3 udp:10.0.0.2:50000-10.0.0.1:7777 serverToClient",
      "5 udp:10.0.0.2:50000-10.0.0.1:7777 clientToServer",
      "6 udp:10.0.0.2:50000-10.0.0.1:7777 clientToServer",
    ]);
    expect(recorder.messages.map((message) => message.packetIndex)).toEqual([0, 3, 5, 6]);
    expect(result.datagrams).toBe(4);
    expect(result.sessions.map((session) => [session.id, session.clientToServer.packets, session.serverToClient.packets])).toEqual([["udp:10.0.0.2:50000-10.0.0.1:7777", 3, 1]]);
    expect(result.decodeAnomalies).toEqual({});
    expect(result.otherTraffic.packets).toBe(3);
    expect(result.otherTraffic.byReason).toEqual({ datagramMatch: { packets: 2, bytes: 2 * 44 }, notAccepted: { packets: 1, bytes: 44 } });
    expect(result.otherTraffic.flowCount).toBe(3);
    expect(result.otherTraffic.flows.map((flow) => [flow.a, flow.reason, flow.packets, flow.gamePackets])).toEqual([
      ["10.0.0.2:50000", "datagramMatch", 1, 4],
      ["10.0.0.3:50001", "datagramMatch", 1, 0],
      ["10.0.0.4:50002", "notAccepted", 1, 0],
    ]);
    expect(result.otherTraffic.ports).toEqual([{ transport: "udp", port: 7777, flows: 3, packets: 3, bytes: 3 * 44 }]);
  });

  it("restricts the game to --server-port, else to the definition's ports, and never to excluded ports", async () => {
    const capture = writePcap([
      { tUs: T0, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, game) },
      { tUs: T0 + 10, data: udpFrame("10.0.0.2", 50001, "10.0.0.1", 9999, game) },
      { tUs: T0 + 20, data: udpFrame("10.0.0.2", 50002, "8.8.8.8", 53, game) },
      { tUs: T0 + 30, data: ethernet(0x0800, ipv4("10.0.0.2", "10.0.0.1", tcp(50003, 7777, game), { protocol: 6 })) },
    ]);
    const definition = toy(1, { ports: [7777], excludePorts: [53] });
    const byDefinition = await runCapturePipeline({ sources: [capture], decoder: compileProtocol(definition) });
    expect(byDefinition.sessions.map((session) => [session.id, session.serverRule])).toEqual([["udp:10.0.0.2:50000-10.0.0.1:7777", "definitionPort"]]);
    expect(byDefinition.otherTraffic.byReason).toEqual({
      definitionPort: { packets: 1, bytes: 44 },
      excludedPort: { packets: 1, bytes: 44 },
      transport: { packets: 1, bytes: 56 },
    });
    const byOption = await runCapturePipeline({ sources: [capture], decoder: compileProtocol(definition), serverPorts: [9999] });
    expect(byOption.sessions.map((session) => [session.id, session.serverRule])).toEqual([["udp:10.0.0.2:50001-10.0.0.1:9999", "serverPort"]]);
    expect(byOption.otherTraffic.byReason.serverPort).toEqual({ packets: 2, bytes: 88 });
    // --server-port alone (no decoder) restricts the analyzers' traffic too
    const recorder = new Recorder();
    const portsOnly = await runCapturePipeline({ sources: [capture], serverPorts: [7777], analyzers: [recorder] });
    expect(recorder.sessions.map((session) => session.id)).toEqual(["udp:10.0.0.2:50000-10.0.0.1:7777"]);
    expect(portsOnly.otherTraffic.packets).toBe(3);
    // includeTcp: TCP on a game port is handed to analyzers (never decoded), without waiting for acceptance
    const tcpRecorder = new Recorder();
    const withTcp = await runCapturePipeline({ sources: [capture], decoder: compileProtocol(toy(2, { ports: [7777] })), includeTcp: true, analyzers: [tcpRecorder] });
    expect(tcpRecorder.sessions.map((session) => session.id)).toEqual(["tcp:10.0.0.2:50003-10.0.0.1:7777"]);
    expect(withTcp.otherTraffic.byReason).toEqual({ definitionPort: { packets: 2, bytes: 88 }, notAccepted: { packets: 1, bytes: 44 } });
    // without a decoder and without server ports nothing is gated (every UDP flow is a session, as before)
    const open = await runCapturePipeline({ sources: [capture] });
    expect(open.sessions).toHaveLength(4);
    expect(open.otherTraffic.packets).toBe(0);
    // inspect reports the same other traffic
    const inspected = await inspectCaptures([capture], { decoder: compileProtocol(definition) });
    expect(inspected.otherTraffic).toEqual(byDefinition.otherTraffic);
    expect(inspected.flows.map((flow) => [flow.server, flow.serverRule])).toEqual([
      ["10.0.0.1:7777", "definitionPort"],
      ["10.0.0.1:9999", "ephemeralPort"],
      ["8.8.8.8:53", "ephemeralPort"],
      ["10.0.0.1:7777", "definitionPort"],
    ]);
    expect((await inspectCaptures([capture], { trafficMatch: compileTrafficMatch(definition) })).otherTraffic?.packets).toBe(3);
  });

  it("flow conditions accept a flow; on an accepted flow a forged magic is decoded (a decode anomaly), on a foreign flow it is other traffic", async () => {
    const definition: ProtocolDefinition = {
      ...toy(1),
      header: [{ name: "magic", type: "u8", enum: [0x7e] }],
      match: { flow: [{ field: "magic", equals: 0x7e }] },
    };
    const forged = Uint8Array.of(0x7f, 1);
    const capture = writePcap([
      { tUs: T0, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, game) },
      { tUs: T0 + 10, data: udpFrame("10.0.0.2", 50000, "10.0.0.1", 7777, forged) }, // tampering on the game flow
      { tUs: T0 + 20, data: udpFrame("10.0.0.3", 50001, "10.0.0.1", 7777, forged) }, // a foreign flow
    ]);
    const recorder = new Recorder();
    const result = await runCapturePipeline({ sources: [capture], decoder: compileProtocol(definition), analyzers: [recorder] });
    expect(recorder.sessions.map((session) => session.id)).toEqual(["udp:10.0.0.2:50000-10.0.0.1:7777"]);
    expect(result.decodeAnomalies).toEqual({ E_VALUE_OUT_OF_RANGE: 1 });
    expect(result.otherTraffic.byReason).toEqual({ flowMatch: { packets: 1, bytes: 44 } });
  });

  it("keeps held datagrams bounded: a flow that never gets enough matches is other traffic at the end", async () => {
    const frames = [];
    for (let index = 0; index < 5; index++) frames.push({ tUs: T0 + index, data: udpFrame(`10.0.1.${index + 1}`, 40000, "10.0.0.1", 7777, game) });
    const result = await runCapturePipeline({ sources: [writePcap(frames)], decoder: compileProtocol(toy(3)) });
    expect(result.datagrams).toBe(0);
    expect(result.sessions).toEqual([]);
    expect(result.otherTraffic.byReason).toEqual({ notAccepted: { packets: 5, bytes: 5 * 44 } });
  });

  it("gives a console client on fixed port 3074 and a second client of the same server the right server", async () => {
    const capture = writePcap([
      { tUs: T0, data: udpFrame("192.168.1.20", 3074, "203.0.113.7", 7777, game) },
      { tUs: T0 + 30_000, data: udpFrame("203.0.113.7", 7777, "192.168.1.20", 3074, game) },
      // 5 s later the server greets a second client (a NAT punch: the server sends first)
      { tUs: T0 + 5_000_000, data: udpFrame("203.0.113.7", 7777, "198.51.100.9", 2001, game) },
      { tUs: T0 + 5_030_000, data: udpFrame("198.51.100.9", 2001, "203.0.113.7", 7777, game) },
    ]);
    const result = await runCapturePipeline({ sources: [capture], decoder: compileProtocol(toy(1)) });
    expect(result.sessions.map((session) => [session.id, session.serverRule])).toEqual([
      ["udp:192.168.1.20:3074-203.0.113.7:7777", "firstDatagramAtCaptureStart"],
      ["udp:198.51.100.9:2001-203.0.113.7:7777", "fanIn"],
    ]);
    expect(result.messages.map((count) => `${count.session} ${count.direction} ${count.count}`)).toEqual([
      "udp:192.168.1.20:3074-203.0.113.7:7777 clientToServer 1",
      "udp:192.168.1.20:3074-203.0.113.7:7777 serverToClient 1",
      "udp:198.51.100.9:2001-203.0.113.7:7777 clientToServer 1",
      "udp:198.51.100.9:2001-203.0.113.7:7777 serverToClient 1",
    ]);
  });
});

interface RtpExpectation {
  captures: Record<string, { source: string; destination: string; ssrc: string; payload: string; packets: number }[]>;
  otherTraffic: Record<string, Record<"udpNotRtp" | "tcp", { packets: number; bytes: number }>>;
}
/** `tshark -o rtp.heuristic_rtp:TRUE -qz rtp,streams` (and non-RTP frame counts) of the public RTP captures, recorded with tshark 4.0.17. */
const rtpExpectation = JSON.parse(readFileSync(join(fixturesDirectory, "rtp-streams-heuristic.json"), "utf8")) as RtpExpectation;

describe.skipIf(!hasSharedCaptures)(`game traffic on the public captures (${hasSharedCaptures ? "../shared/captures" : sharedCapturesSkipReason})`, () => {
  for (const [file, streams] of Object.entries(rtpExpectation.captures)) {
    it(`rtp.json: the RTP stream list of ${file} equals tshark's heuristic one, and the rest is other traffic`, async () => {
      const recorder = new Recorder();
      const result = await runCapturePipeline({ sources: [sharedCapturePath(file)], decoder: compileProtocol(loadExample("rtp")), analyzers: [recorder] });
      const sessions = new Map(recorder.sessions.map((session) => [session.id, session]));
      const counts = new Map<string, number>();
      for (const message of recorder.messages) {
        const session = sessions.get(message.sessionId)!;
        const client = `${session.client.address}:${session.client.port}`;
        const server = `${session.server.address}:${session.server.port}`;
        const [source, destination] = message.direction === "clientToServer" ? [client, server] : [server, client];
        const key = `${source} ${destination} 0x${Number(message.roles.sessionId).toString(16).toUpperCase().padStart(8, "0")}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      expect(Object.fromEntries([...counts].sort())).toEqual(Object.fromEntries(streams.map((stream) => [`${stream.source} ${stream.destination} ${stream.ssrc}`, stream.packets]).sort()));
      expect(result.decodeAnomalies).toEqual({});
      const other = rtpExpectation.otherTraffic[file];
      expect(result.otherTraffic.packets).toBe(other.udpNotRtp.packets + other.tcp.packets);
      expect(result.otherTraffic.bytes).toBe(other.udpNotRtp.bytes + other.tcp.bytes);
      expect(result.otherTraffic.byReason.datagramMatch ?? { packets: 0, bytes: 0 }).toEqual(other.udpNotRtp);
    });
  }

  it("ndpi_geforcenow: STUN and DTLS on the RTP 5-tuple are other traffic of the one session, the server is the cloud side", async () => {
    const result = await runCapturePipeline({ sources: [sharedCapturePath("ndpi_geforcenow.pcapng")], decoder: compileProtocol(loadExample("rtp")) });
    expect(result.sessions.map((session) => [session.id, session.serverRule])).toEqual([["udp:192.168.1.245:52441-80.84.167.206:18452", "ephemeralPort"]]);
    const flow = result.otherTraffic.flows.find((entry) => entry.transport === "udp")!;
    expect(flow).toMatchObject({ reason: "datagramMatch", packets: 40, bytes: 6509, gamePackets: 14 });
  });

  it("firefall_1869: every message decodes as before, nothing is other traffic; DNS beside it is other traffic", async () => {
    const definition = loadExample("firefall");
    const run = async (sources: Parameters<typeof runCapturePipeline>[0]["sources"]) => runCapturePipeline({ sources, decoder: compileProtocol(definition) });
    const alone = await run([sharedCapturePath("firefall_1869_gameplay.pcapng")]);
    expect(alone.decodeAnomalies).toEqual({});
    expect(alone.otherTraffic.packets).toBe(0);
    expect(alone.datagrams).toBe(30686);
    const byType = (result: typeof alone) => Object.fromEntries(result.messages.map((count) => [`${count.session} ${count.direction} ${count.type}`, count.count]));
    // recorded with `tickscope inspect --protocol firefall.json` before definitions had a match section
    expect(byType(alone)).toEqual({
      "udp:192.168.1.111:58637-52.16.251.62:25000 clientToServer handshake": 2,
      "udp:192.168.1.111:58637-52.16.251.62:25000 serverToClient handshake": 2,
      "udp:192.168.1.111:58637-52.16.251.62:59238 clientToServer close": 1,
      "udp:192.168.1.111:58637-52.16.251.62:59238 clientToServer gssAck": 1237,
      "udp:192.168.1.111:58637-52.16.251.62:59238 clientToServer matrix": 783,
      "udp:192.168.1.111:58637-52.16.251.62:59238 clientToServer matrixAck": 252,
      "udp:192.168.1.111:58637-52.16.251.62:59238 clientToServer reliableGss": 1549,
      "udp:192.168.1.111:58637-52.16.251.62:59238 clientToServer timeSyncRequest": 130,
      "udp:192.168.1.111:58637-52.16.251.62:59238 clientToServer unreliableGss": 6438,
      "udp:192.168.1.111:58637-52.16.251.62:59238 serverToClient close": 1,
      "udp:192.168.1.111:58637-52.16.251.62:59238 serverToClient gssAck": 488,
      "udp:192.168.1.111:58637-52.16.251.62:59238 serverToClient matrix": 268,
      "udp:192.168.1.111:58637-52.16.251.62:59238 serverToClient matrixAck": 731,
      "udp:192.168.1.111:58637-52.16.251.62:59238 serverToClient reliableGss": 3116,
      "udp:192.168.1.111:58637-52.16.251.62:59238 serverToClient timeSyncResponse": 130,
      "udp:192.168.1.111:58637-52.16.251.62:59238 serverToClient unreliableGss": 27299,
    });
    // 13 DNS lookups (query + answer) appended as a second capture: other traffic, never sessions
    const dnsFrames = [];
    for (let index = 0; index < 13; index++) {
      const query = Uint8Array.of(0x12, index, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77, 0x77, 0, 0, 1, 0, 1);
      const answer = Uint8Array.of(0x12, index, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, 3, 0x77, 0x77, 0x77, 0, 0, 1, 0, 1);
      dnsFrames.push({ tUs: 1_430_591_000_000_000 + index * 1000, data: udpFrame("192.168.1.111", 60000 + index, "192.168.1.1", 53, query) });
      dnsFrames.push({ tUs: 1_430_591_000_000_500 + index * 1000, data: udpFrame("192.168.1.1", 53, "192.168.1.111", 60000 + index, answer) });
    }
    const withDns = await run([sharedCapturePath("firefall_1869_gameplay.pcapng"), writePcap(dnsFrames)]);
    expect(byType(withDns)).toEqual(byType(alone));
    expect(withDns.decodeAnomalies).toEqual({});
    expect(withDns.sessions).toHaveLength(2);
    expect(withDns.otherTraffic).toMatchObject({ packets: 26, flowCount: 13, byReason: { excludedPort: { packets: 26 } }, ports: [{ transport: "udp", port: 53, flows: 13, packets: 26 }] });
  });
});
