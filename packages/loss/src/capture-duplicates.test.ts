import { describe, expect, it } from "vitest";
import { CAPTURE_DUPLICATE_WINDOW_US, stringifyReport, type GameMessage, type PacketObservation } from "@tickscope/core";
import { createLossAnalyzer } from "./loss-analyzer.js";
import { LossReportSchema } from "./report-schema.js";
import { checkJsonSchema } from "./test-support/json-schema.js";

interface Datagram {
  sequence: number;
  tUs: number;
  ipIdentification: number;
  interfaceId?: number;
  /** Payload bytes (default: the sequence as two bytes and a filler). */
  payload?: number[];
}

/** Feeds each datagram as the pipeline does: `onPacket`, then its message(s). */
function analyze(datagrams: readonly Datagram[], messagesPerDatagram = 1) {
  const analyzer = createLossAnalyzer();
  datagrams.forEach((datagram, packetIndex) => {
    const payload = new Uint8Array(datagram.payload ?? [datagram.sequence >> 8, datagram.sequence & 0xff, 0xab, 0xcd]);
    const packet: PacketObservation = {
      sessionId: "session-1",
      direction: "serverToClient",
      tUs: datagram.tUs,
      packetIndex,
      wireLength: 42 + payload.length,
      payloadLength: payload.length,
      frameCount: 1,
      payload,
      interfaceId: datagram.interfaceId ?? 0,
      ipIdentification: datagram.ipIdentification,
    };
    analyzer.onPacket(packet);
    for (let indexInPacket = 0; indexInPacket < messagesPerDatagram; indexInPacket++) {
      const message: GameMessage = {
        sessionId: "session-1",
        direction: "serverToClient",
        tUs: datagram.tUs,
        packetIndex,
        indexInPacket,
        type: indexInPacket === 0 ? "rtp" : "event",
        byteLength: payload.length,
        packetWireLength: 42 + payload.length,
        fields: {},
        roles: { sequence: datagram.sequence, sequenceBits: 16 },
      };
      analyzer.onMessage(message);
    }
  });
  const report = analyzer.finish();
  expect(checkJsonSchema(LossReportSchema as Record<string, unknown>, JSON.parse(stringifyReport(report)))).toEqual([]);
  expect(report.sessions).toHaveLength(1);
  return report.sessions[0]!;
}

const T0 = 1_000_000;
/** Ten datagrams 20 ms apart, each with its own IP identification. */
const sent = (): Datagram[] => Array.from({ length: 10 }, (_, sequence) => ({ sequence, tUs: T0 + sequence * 20_000, ipIdentification: 0x1380 + sequence }));

function withCopy(datagrams: Datagram[], copy: Datagram): Datagram[] {
  const at = datagrams.findIndex((datagram) => datagram.tUs > copy.tUs);
  return at < 0 ? [...datagrams, copy] : [...datagrams.slice(0, at), copy, ...datagrams.slice(at)];
}

describe("loss tells datagrams captured twice from sequence numbers received twice", () => {
  it("counts a byte-identical copy 25 µs later with the same IP identification as a capture duplicate, not a duplicate", () => {
    const row = analyze(withCopy(sent(), { sequence: 3, tUs: T0 + 3 * 20_000 + 25, ipIdentification: 0x1383 }));
    expect(row).toMatchObject({ expected: 10, received: 10, lost: 0, duplicates: 0, captureDuplicates: 1, reordered: 0 });
    // RFC 3550 A.3 counts every captured packet, as tshark's -z rtp,streams does.
    expect(row.rfc3550).toEqual({ expected: 10, received: 11, lost: -1 });
  });

  it("counts a copy on another capture interface as a capture duplicate, even without an IP identification", () => {
    const datagrams = sent().map((datagram) => ({ ...datagram, ipIdentification: -1 }));
    const row = analyze(withCopy(datagrams, { sequence: 7, tUs: T0 + 7 * 20_000 + 4, ipIdentification: -1, interfaceId: 1 }));
    expect(row).toMatchObject({ received: 10, duplicates: 0, captureDuplicates: 1 });
  });

  it("keeps a resend (new IP identification), an unnumbered repeat (identification 0) and a late copy as duplicates", () => {
    let datagrams = sent();
    datagrams = withCopy(datagrams, { sequence: 2, tUs: T0 + 2 * 20_000 + 25, ipIdentification: 0x1500 });
    datagrams = withCopy(datagrams, { sequence: 5, tUs: T0 + 5 * 20_000 + CAPTURE_DUPLICATE_WINDOW_US + 1, ipIdentification: 0x1385 });
    const row = analyze(datagrams);
    expect(row).toMatchObject({ received: 10, duplicates: 2, captureDuplicates: 0 });
    const unnumbered = sent().map((datagram) => ({ ...datagram, ipIdentification: 0 }));
    expect(analyze(withCopy(unnumbered, { sequence: 4, tUs: T0 + 4 * 20_000 + 25, ipIdentification: 0 }))).toMatchObject({ duplicates: 1, captureDuplicates: 0 });
  });

  it("keeps a same-sequence datagram with other bytes a duplicate, and counts a copied datagram's header sequence once", () => {
    const changed = analyze(withCopy(sent(), { sequence: 6, tUs: T0 + 6 * 20_000 + 25, ipIdentification: 0x1386, payload: [0, 6, 0xab, 0xce] }));
    expect(changed).toMatchObject({ duplicates: 1, captureDuplicates: 0 });
    const packed = analyze(withCopy(sent(), { sequence: 3, tUs: T0 + 3 * 20_000 + 25, ipIdentification: 0x1383 }), 3);
    expect(packed).toMatchObject({ received: 10, duplicates: 0, captureDuplicates: 1 });
    expect(packed.rfc3550).toEqual({ expected: 10, received: 11, lost: -1 });
  });
});
