import { describe, expect, it } from "vitest";
import type { PacketObservation } from "@tickscope/core";
import { CAPTURE_DUPLICATE_WINDOW_US, createBandwidthAnalyzer } from "./bandwidth-analyzer.js";
import { PacketObserver } from "./packet-observer.js";

const T0 = 1_700_000_000_000_000;
const options = {
  maxSampleBytes: 0,
  maxSamplePackets: 0,
  duplicateWindow: 32,
  captureDuplicateWindowUs: CAPTURE_DUPLICATE_WINDOW_US,
  aggregationWindowUs: 0,
  maxAggregatePayloadBytes: 100,
  aggregationFramingBytes: 2,
};

function datagram(packetIndex: number, tUs: number, payloadByte: number, ipIdentification: number, interfaceId = 0): PacketObservation {
  const payload = new Uint8Array(40).fill(payloadByte);
  return { sessionId: "s", direction: "clientToServer", tUs, packetIndex, wireLength: 82, payloadLength: 40, frameCount: 1, payload, ipIdentification, interfaceId };
}

describe("capture duplicates (one datagram captured twice) apart from resends", () => {
  it("calls a byte-identical copy 4 µs later with the same IPv4 identification a capture duplicate (like ndpi_skinny's RTP)", () => {
    const observer = new PacketObserver(options);
    observer.onPacket(datagram(0, T0, 1, 0x1384));
    observer.onPacket(datagram(1, T0 + 4, 1, 0x1384));
    expect(observer.captureDuplicatePackets).toBe(1);
    expect(observer.captureDuplicateWireBytes).toBe(82);
    expect(observer.captureDuplicateExamples).toEqual([1]);
    expect(observer.duplicatePackets).toBe(0);
  });

  it("calls the same frame on another capture interface a capture duplicate (IPv6: no identification)", () => {
    const observer = new PacketObserver(options);
    observer.onPacket(datagram(0, T0, 1, -1, 0));
    observer.onPacket(datagram(1, T0 + 30, 1, -1, 1));
    expect([observer.captureDuplicatePackets, observer.duplicatePackets]).toEqual([1, 0]);
  });

  it("keeps real resends: a new identification, identification 0 (unnumbered atomic datagrams), or the same identification outside the window", () => {
    const observer = new PacketObserver(options);
    observer.onPacket(datagram(0, T0, 1, 100));
    observer.onPacket(datagram(1, T0 + 4, 1, 101)); // the sender's next datagram: a resend
    observer.onPacket(datagram(2, T0 + 1000, 2, 0));
    observer.onPacket(datagram(3, T0 + 1004, 2, 0)); // id 0 proves nothing
    observer.onPacket(datagram(4, T0 + 2000, 3, 200));
    observer.onPacket(datagram(5, T0 + 2000 + CAPTURE_DUPLICATE_WINDOW_US + 1, 3, 200));
    expect(observer.captureDuplicatePackets).toBe(0);
    expect(observer.duplicatePackets).toBe(3);
    expect(observer.duplicateExamples).toEqual([1, 3, 5]);
  });

  it("the analyzer recommends no protocol change for capture duplicates and says what they are", () => {
    const analyzer = createBandwidthAnalyzer();
    for (let index = 0; index < 20; index++) {
      analyzer.onPacket!(datagram(2 * index, T0 + index * 20_000, index, 1000 + index));
      analyzer.onPacket!(datagram(2 * index + 1, T0 + index * 20_000 + 4, index, 1000 + index));
    }
    const report = analyzer.finish();
    expect(report.recommendations.map((recommendation) => recommendation.id)).not.toContain("bandwidth.duplicates");
    expect(report.captureDuplicates).toEqual({ packets: 20, wireBytes: 1640, firstPacketIndex: 1 });
    expect(report.notes.find((note) => note.startsWith("20 datagram(s) (1640 wire bytes, first frame 2) were captured twice"))).toBeDefined();
    // the same datagrams sent twice by the sender (new identification) stay a recommendation
    const resent = createBandwidthAnalyzer();
    for (let index = 0; index < 20; index++) {
      resent.onPacket!(datagram(2 * index, T0 + index * 20_000, index, 2 * index + 1));
      resent.onPacket!(datagram(2 * index + 1, T0 + index * 20_000 + 4, index, 2 * index + 2));
    }
    const duplicates = resent.finish().recommendations.find((recommendation) => recommendation.id === "bandwidth.duplicates");
    expect(duplicates?.title).toBe("Stop sending 20 byte-identical duplicate datagrams");
  });
});
