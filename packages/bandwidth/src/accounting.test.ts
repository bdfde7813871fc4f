import { describe, expect, it } from "vitest";
import type { GameMessage, PacketObservation } from "@tickscope/core";
import { BandwidthAccounting, peakPerSecond, perSecond } from "./accounting.js";
import { LayoutReencoder } from "./layout-reencoder.js";

const T0 = 1_600_000_000_000_000;
const S = 1e6;

function packet(sessionId: string, direction: PacketObservation["direction"], offsetUs: number, wireLength: number, payloadLength: number, frameCount = 1, packetIndex = 0): PacketObservation {
  return { sessionId, direction, tUs: T0 + offsetUs, packetIndex, wireLength, payloadLength, frameCount };
}

function message(partial: Partial<GameMessage> & Pick<GameMessage, "type" | "byteLength">): GameMessage {
  return {
    sessionId: "s1",
    direction: "clientToServer",
    tUs: T0,
    packetIndex: 0,
    indexInPacket: 0,
    packetWireLength: 100,
    fields: {},
    roles: {},
    ...partial,
  };
}

const reencoder = new LayoutReencoder([
  { type: "move", typeId: 1, typeIdBits: 8, fields: [{ name: "x", type: { kind: "uint", bits: 8 } }, { name: "y", type: { kind: "uint", bits: 8 } }] },
]);

describe("BandwidthAccounting", () => {
  it("counts constructed traffic exactly", () => {
    const accounting = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, reencoder, maxChangeStreams: 10 });
    accounting.onPacket(packet("s1", "clientToServer", 0, 100, 58, 1, 0));
    accounting.onMessage(message({ type: "move", byteLength: 3, fields: { x: 1, y: 2 }, roles: { channel: 2 } }));
    accounting.onPacket(packet("s1", "serverToClient", 0.25 * S, 1542, 1500, 2, 1));
    accounting.onMessage(message({ type: "snap", direction: "serverToClient", byteLength: 1500, packetIndex: 1 }));
    accounting.onPacket(packet("s1", "clientToServer", 1 * S, 60, 18, 1, 2));
    accounting.onMessage(message({ type: "move", byteLength: 3, packetIndex: 2, fields: { x: 1, y: 5 }, roles: { channel: 2, resendCount: 1 } }));
    accounting.onPacket(packet("s1", "serverToClient", 61 * S, 200, 158, 1, 3));

    expect(accounting.totals()).toEqual({
      packets: 4,
      messages: 3,
      wireBytes: 1902,
      payloadBytes: 1734,
      headerBytes: 168,
      durationMs: 61000,
      activeDurationMs: 61000,
      idleGaps: 0,
      bytesPerSecond: 31.18,
      payloadBytesPerSecond: 28.426,
      packetsPerSecond: 0.066,
      headerShare: 0.088328,
      peakBytesPerSecond: 1642,
    });
    const sessions = accounting.bySession();
    expect(sessions.map((entry) => [entry.direction, entry.packets, entry.wireBytes, entry.payloadBytes, entry.bytesPerSecond, entry.peakBytesPerSecond])).toEqual([
      // 100 B in second 0 and 60 B at 1.0 s: the average over the stream's one second is 160 B/s, so is the peak.
      ["clientToServer", 2, 160, 76, 160, 160],
      ["serverToClient", 2, 1742, 1658, perSecond(1742, 60.75 * S), 1542],
    ]);
    expect(accounting.headerBytesPerPacket("s1", "clientToServer")).toBe(42);
    expect(accounting.headerBytesPerPacket("s2", "clientToServer")).toBeUndefined();

    const sizes = accounting.packetSizes();
    expect(sizes).toMatchObject({
      p50PayloadBytes: 58,
      p95PayloadBytes: 1500,
      p99PayloadBytes: 1500,
      maxPayloadBytes: 1500,
      meanPayloadBytes: 433.5,
      meanMtuShare: 0.307667,
      maxMtuShare: 1.018667,
      overMtuPackets: 1,
      fragmentedPackets: 1,
      fragmentedShare: 0.25,
      extraFrames: 1,
    });
    expect(sizes.histogram.filter((bucket) => bucket.packets > 0)).toEqual([
      { minBytes: 0, maxBytes: 127, packets: 2 },
      { minBytes: 128, maxBytes: 255, packets: 1 },
      { minBytes: 1408, maxBytes: 65536, packets: 1 },
    ]);

    expect(accounting.perMinute()).toEqual([
      { minute: 0, startUs: T0, packets: 3, wireBytes: 1702, bytesPerSecond: 28.367, peakBytesPerSecond: 1642 },
      // Second 61 is the capture's last, cut at its only packet: no full second, the peak is the minute's average.
      { minute: 1, startUs: T0 + 60 * S, packets: 1, wireBytes: 200, bytesPerSecond: 100, peakBytesPerSecond: 100 },
    ]);

    expect(accounting.byMessageType()).toEqual([
      { type: "snap", direction: "serverToClient", messages: 1, bytes: 1500, bytesPerSecond: 24.59, share: 0.996016 },
      { type: "move", direction: "clientToServer", messages: 2, bytes: 6, bytesPerSecond: 0.098, share: 0.003984 },
    ]);
    expect(accounting.byChannel()).toEqual([
      { channel: "2", direction: "clientToServer", messages: 2, bytes: 6, bytesPerSecond: 0.098, share: 0.003984, resentMessages: 1 },
    ]);
    expect(accounting.byField()).toEqual([
      { type: "move", field: "(framing)", bitsPerValue: 0, values: 2, bits: 16, bitsPerSecond: 0.262, share: 0.333333, changeRate: 1 },
      { type: "move", field: "x", bitsPerValue: 8, values: 2, bits: 16, bitsPerSecond: 0.262, share: 0.333333, changeRate: 0 },
      { type: "move", field: "y", bitsPerValue: 8, values: 2, bits: 16, bitsPerSecond: 0.262, share: 0.333333, changeRate: 1 },
    ]);
    expect(accounting.hasPacketObservations).toBe(true);
  });

  it("derives datagrams from messages when no packet observations are fed", () => {
    const accounting = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, maxChangeStreams: 10 });
    accounting.onMessage(message({ type: "a", byteLength: 10, packetIndex: 5, packetWireLength: 90, tUs: T0 }));
    accounting.onMessage(message({ type: "b", byteLength: 20, packetIndex: 5, packetWireLength: 90, tUs: T0 }));
    accounting.onMessage(message({ type: "a", byteLength: 10, packetIndex: 6, packetWireLength: 60, tUs: T0 + 2 * S }));
    const totals = accounting.totals();
    expect(totals).toMatchObject({ packets: 2, messages: 3, wireBytes: 150, payloadBytes: 40, headerBytes: 110, durationMs: 2000, bytesPerSecond: 75 });
    expect(accounting.hasPacketObservations).toBe(false);
    expect(accounting.byField()).toEqual([]);
  });

  it("reports zeros for an empty feed and keeps no previous message beyond maxChangeStreams", () => {
    const accounting = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, reencoder, maxChangeStreams: 0 });
    expect(accounting.totals()).toMatchObject({ packets: 0, bytesPerSecond: 0, headerShare: 0, durationMs: 0 });
    expect(accounting.packetSizes()).toMatchObject({ p50PayloadBytes: 0, meanPayloadBytes: 0, meanMtuShare: 0 });
    expect(accounting.perMinute()).toEqual([]);
    accounting.onMessage(message({ type: "move", byteLength: 3, fields: { x: 1, y: 1 } }));
    accounting.onMessage(message({ type: "move", byteLength: 3, fields: { x: 1, y: 1 } }));
    // maxChangeStreams 0: no previous message is kept, so change rates stay unmeasured.
    expect(accounting.byField().find((field) => field.field === "x")).toMatchObject({ values: 2, changeRate: 0 });
  });
});

describe("rates over the active time (core's ActiveSpan)", () => {
  it("a stitched capture — 13 packets over 36 s, then 576 packets 22 years later — is not rated 0 packets/s over 22 years", () => {
    const accounting = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, maxChangeStreams: 10 });
    for (let index = 0; index < 13; index++) accounting.onPacket(packet("old", "clientToServer", index * 3 * S, 147, 105, 1, index));
    const later = 22 * 365 * 86_400 * S;
    // 144 keepalive bursts of 4 datagrams (10 ms apart) every 600 s, as ndpi_teamspeak3.pcap
    for (let burst = 0; burst < 144; burst++) {
      for (let index = 0; index < 4; index++) accounting.onPacket(packet("ts3", "clientToServer", later + burst * 600 * S + index * 10_000, 57, 15, 1, 13 + burst * 4 + index));
    }
    const totals = accounting.totals();
    expect(totals.durationMs).toBeGreaterThan(6.9e11);
    expect(totals.idleGaps).toBe(144); // the 22-year jump and 143 silences of 600 s
    expect(totals.activeDurationMs).toBe(36_000 + 144 * 1000);
    // before: 589 packets / 6.9e8 s = 0 packets/s and 0 kbit/s
    expect(totals.packetsPerSecond).toBeCloseTo(589 / 180, 2);
    expect(totals.bytesPerSecond).toBeCloseTo((13 * 147 + 576 * 57) / 180, 1);
    expect(totals.peakBytesPerSecond).toBeGreaterThanOrEqual(totals.bytesPerSecond);
  });
});

describe("perSecond", () => {
  it("counts a span shorter than one second as one second", () => {
    expect(perSecond(14 * 1_000, 2_000)).toBe(14_000);
    expect(perSecond(3_000, 2_000_000)).toBe(1_500);
    expect(perSecond(3_000, 0)).toBe(0);
  });
});

describe("peak and average bitrate", () => {
  it("a 0.35-s capture: the peak is the average (one second), not below it", () => {
    const accounting = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, reencoder, maxChangeStreams: 10 });
    // 36 datagrams of 1000 B every 10 ms: 0.35 s, 36,000 B.
    for (let index = 0; index < 36; index += 1) accounting.onPacket(packet("s1", "serverToClient", index * 10_000, 1000, 972, 1, index));
    const totals = accounting.totals();
    expect(totals.durationMs).toBe(350);
    expect(totals.bytesPerSecond).toBe(36_000);
    expect(totals.peakBytesPerSecond).toBe(36_000);
    const [stream] = accounting.bySession();
    expect(stream!.peakBytesPerSecond).toBeGreaterThanOrEqual(stream!.bytesPerSecond);
    expect(accounting.perMinute()[0]!.peakBytesPerSecond).toBeGreaterThanOrEqual(accounting.perMinute()[0]!.bytesPerSecond);
  });

  it("a 1.35-s capture busiest in its cut last second: peak over the full second, never below the average", () => {
    const accounting = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, reencoder, maxChangeStreams: 10 });
    accounting.onPacket(packet("s1", "serverToClient", 0, 500, 472, 1, 0));
    for (let index = 0; index < 10; index += 1) accounting.onPacket(packet("s1", "serverToClient", 1_000_000 + index * 35_000, 1000, 972, 1, index + 1));
    const totals = accounting.totals();
    // 10,500 B over 1.315 s is 7,984.8 B/s; the only full second holds 500 B.
    expect(totals.bytesPerSecond).toBe(7984.791);
    expect(totals.peakBytesPerSecond).toBe(7984.791);
  });

  it("takes the busiest full second and leaves the cut last second out", () => {
    // Seconds 0..2 full (3.5-s span), second 3 cut: 9,000 B there is not a 9,000 B/s second.
    expect(peakPerSecond([[0, 1000], [1, 3000], [2, 2000], [3, 9000]], 3, 15_000, 3_500_000)).toBe(4285.714);
    expect(peakPerSecond([[0, 1000], [1, 6000], [2, 2000], [3, 100]], 3, 9_100, 3_500_000)).toBe(6000);
  });
});
