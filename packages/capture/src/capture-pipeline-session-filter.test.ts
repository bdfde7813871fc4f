import { describe, expect, it } from "vitest";
import type { DatagramDecoder, GameMessage, MessageAnalyzer, PacketObservation, Session } from "@tickscope/core";
import { runCapturePipeline } from "./capture-pipeline.js";
import { writePcap } from "./test-support/capture-writer.js";
import { udpFrame } from "./test-support/packet-builder.js";

const T0 = 1_700_000_000_000_000;

/** Byte 0 = 1: one "state" message; anything else: an E_TRUNCATED anomaly. */
const oneByteDecoder: DatagramDecoder = {
  decodeDatagram(payload, context, onMessage, onAnomaly) {
    if (payload[0] !== 1) {
      onAnomaly({ ...context, code: "E_TRUNCATED", detail: "not a message" });
      return;
    }
    onMessage({ ...context, indexInPacket: 0, type: "state", byteLength: payload.length, fields: {}, roles: {} });
  },
};

/** Records what reached it, one line per event. */
class Recorder implements MessageAnalyzer<string[]> {
  readonly name = "recorder";
  readonly events: string[] = [];
  onSession(session: Session): void {
    this.events.push(`session ${session.id}`);
  }
  onPacket(packet: PacketObservation): void {
    this.events.push(`packet ${packet.packetIndex} ${packet.sessionId}`);
  }
  onMessage(message: GameMessage): void {
    this.events.push(`message ${message.packetIndex} ${message.sessionId}`);
  }
  onAnomaly(): void {
    this.events.push("anomaly");
  }
  finish(): string[] {
    return this.events;
  }
}

// three clients of one server, interleaved; client 3 sends one undecodable datagram
const capture = writePcap(
  [0, 1, 2, 3, 4, 5, 6, 7, 8].map((index) => {
    const client = 1 + (index % 3);
    return { tUs: T0 + index * 1000, data: udpFrame(`10.0.0.${client + 1}`, 50000 + client, "10.0.0.1", 7777, Uint8Array.of(index === 8 ? 9 : 1, index)) };
  }),
);
const sessionOf = (client: number): string => `udp:10.0.0.${client + 1}:${50000 + client}-10.0.0.1:7777`;

describe("runCapturePipeline sessionFilter (session-sharded threads)", () => {
  it("decodes and feeds only the selected sessions; onSession, counters and packet indices stay those of an unfiltered pass", async () => {
    const full = new Recorder();
    const unfiltered = await runCapturePipeline({ sources: [capture], decoder: oneByteDecoder, serverPorts: [7777], analyzers: [full] });
    const asked: string[] = [];
    const part = new Recorder();
    const filtered = await runCapturePipeline({
      sources: [capture],
      decoder: oneByteDecoder,
      serverPorts: [7777],
      analyzers: [part],
      sessionFilter: (session) => {
        asked.push(session.id);
        return session.id !== sessionOf(1);
      },
    });
    // asked once per session, in order of appearance; every session still announced
    expect(asked).toEqual([sessionOf(1), sessionOf(2), sessionOf(3)]);
    expect(part.events.filter((event) => event.startsWith("session"))).toEqual(full.events.filter((event) => event.startsWith("session")));
    // the other sessions' events are exactly the unfiltered pass's, same packet indices
    expect(part.events.filter((event) => !event.startsWith("session"))).toEqual(full.events.filter((event) => !event.startsWith("session") && !event.endsWith(sessionOf(1))));
    expect(part.events.some((event) => event.startsWith("packet") && event.endsWith(sessionOf(1)))).toBe(false);
    // flow tracking complete: sessions with their counters, other traffic
    expect(filtered.sessions).toEqual(unfiltered.sessions);
    expect(filtered.otherTraffic).toEqual(unfiltered.otherTraffic);
    // decoding only of the selected sessions
    expect(unfiltered.messages.map((count) => count.session)).toContain(sessionOf(1));
    expect(filtered.messages.map((count) => count.session)).not.toContain(sessionOf(1));
    expect(filtered.decodeAnomalies).toEqual({ E_TRUNCATED: 1 });
    expect(filtered.datagrams).toBe(6);
    expect(unfiltered.datagrams).toBe(9);
  });

  it("a filter rejecting every session feeds nothing but still lists the sessions", async () => {
    const part = new Recorder();
    const result = await runCapturePipeline({ sources: [capture], decoder: oneByteDecoder, analyzers: [part], sessionFilter: () => false });
    expect(part.events).toEqual([sessionOf(1), sessionOf(2), sessionOf(3)].map((id) => `session ${id}`));
    expect(result.sessions).toHaveLength(3);
    expect(result.decodeAnomalies).toEqual({});
    expect(result.messages).toEqual([]);
  });

  it("firstPacketIndex numbers the packets after earlier captures'", async () => {
    const recorder = new Recorder();
    await runCapturePipeline({ sources: [capture], decoder: oneByteDecoder, analyzers: [recorder], firstPacketIndex: 100 });
    expect(recorder.events.filter((event) => event.startsWith("packet")).map((event) => Number(event.split(" ")[1]))).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108]);
  });
});
