import type { Direction, GameMessage, MessageRoles } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { AckRttTracker } from "./ack-rtt-tracker.js";
import { EchoRttTracker } from "./echo-rtt-tracker.js";
import type { LatencySample } from "./rtt-sample.js";
import { sequenceWidth, unwrapNearest } from "./sequence-unwrapper.js";

let packetCounter = 0;
function message(direction: Direction, tUs: number, roles: MessageRoles, options: { packetIndex?: number; type?: string; sessionId?: string } = {}): GameMessage {
  return {
    sessionId: options.sessionId ?? "s",
    direction,
    tUs,
    packetIndex: options.packetIndex ?? packetCounter++,
    indexInPacket: 0,
    type: options.type ?? "data",
    byteLength: 20,
    packetWireLength: 70,
    fields: {},
    roles,
  };
}

describe("unwrapNearest", () => {
  it("extends 16-bit sequences across the wrap, both ways", () => {
    expect(unwrapNearest(2, 16, 65_534)).toBe(65_538);
    expect(unwrapNearest(65_535, 16, 65_538)).toBe(65_535);
    expect(unwrapNearest(10, 16, 10)).toBe(10);
    expect(unwrapNearest(10, 8, 250)).toBe(266);
    expect(unwrapNearest(200, 8, 250)).toBe(200);
    // 32-bit spaces and extended values beyond 2^31 take the general path.
    expect(unwrapNearest(5, 32, 2 ** 32 - 3)).toBe(2 ** 32 + 5);
    expect(unwrapNearest(2 ** 32 - 3, 32, 2 ** 32 + 5)).toBe(2 ** 32 - 3);
    expect(unwrapNearest(0x7ffe, 16, 2 ** 33 + 0x8000)).toBe(2 ** 33 + 0x7ffe);
    expect(sequenceWidth(70_000, undefined)).toBe(32);
    expect(sequenceWidth(7, undefined)).toBe(16);
    expect(sequenceWidth(7, 12)).toBe(12);
  });
});

describe("AckRttTracker", () => {
  it("measures a constant 48 ms RTT exactly across the 16-bit wrap, with header roles repeated on every message", () => {
    const samples: LatencySample[] = [];
    const tracker = new AckRttTracker((sample) => samples.push(sample));
    const events: [number, () => void][] = [];
    for (let n = 0; n < 400; n++) {
      const sequence = (65_300 + n) & 0xffff;
      const sendUs = 1_000_000 + n * 33_333;
      const packetIndex = n * 2;
      // Three messages in the datagram, each a copy of the header roles.
      events.push([sendUs, () => {
        for (let copy = 0; copy < 3; copy++) tracker.onMessage(message("clientToServer", sendUs, { sequence, sequenceBits: 16 }, { packetIndex }));
      }]);
      const ackUs = sendUs + 48_000;
      events.push([ackUs, () => {
        for (let copy = 0; copy < 2; copy++) {
          tracker.onMessage(message("serverToClient", ackUs, { ack: sequence, ackBits: 0xffffffff, ackBitsWidth: 32 }, { packetIndex: packetIndex + 1 }));
        }
      }]);
    }
    events.sort((a, b) => a[0] - b[0]);
    for (const [, run] of events) run();
    expect(samples).toHaveLength(400);
    for (const sample of samples) {
      expect(sample.rttMs).toBeCloseTo(48, 9);
      expect(sample.method).toBe("ack");
      expect(sample.direction).toBe("clientToServer");
    }
    expect(samples[0].tUs).toBe(1_000_000);
  });

  it("takes the first ack covering N (ackBits), oldest first, and skips retransmissions (Karn)", () => {
    const samples: LatencySample[] = [];
    const tracker = new AckRttTracker((sample) => samples.push(sample));
    tracker.onMessage(message("clientToServer", 0, { sequence: 10 }));
    tracker.onMessage(message("clientToServer", 10_000, { sequence: 11 }));
    tracker.onMessage(message("clientToServer", 20_000, { sequence: 12, resendCount: 1 }));
    tracker.onMessage(message("clientToServer", 30_000, { sequence: 13 }));
    tracker.onMessage(message("clientToServer", 40_000, { sequence: 13 })); // duplicate → ambiguous
    // Ack 13 with bits for 12, 11 (bit0 = 12, bit1 = 11), not 10.
    tracker.onMessage(message("serverToClient", 90_000, { ack: 13, ackBits: 0b11, ackBitsWidth: 16 }));
    // Ack 13 again, now covering 10 too: only 10 is new.
    tracker.onMessage(message("serverToClient", 120_000, { ack: 13, ackBits: 0b111 }));
    // An ack for a sequence never sent, and one in the wrong direction group.
    tracker.onMessage(message("serverToClient", 130_000, { ack: 500 }));
    tracker.onMessage(message("clientToServer", 130_000, { ack: 3 }));
    expect(samples.map((sample) => [sample.tUs, sample.rttMs])).toEqual([
      [10_000, 80],
      [0, 120],
    ]);
    expect(tracker.retransmissions).toBe(2);
  });

  it("applies an ack sent on another channel (control acking data) and ignores late acks", () => {
    const samples: LatencySample[] = [];
    const tracker = new AckRttTracker((sample) => samples.push(sample), { maxRttMs: 500, windowSize: 100 });
    tracker.onMessage(message("serverToClient", 0, { sequence: 7, channel: 2 }));
    tracker.onMessage(message("serverToClient", 0, { sequence: 7, channel: 3 }));
    tracker.onMessage(message("clientToServer", 55_000, { ack: 7, channel: 0 }));
    expect(samples.map((sample) => sample.rttMs)).toEqual([55, 55]);
    tracker.onMessage(message("serverToClient", 100_000, { sequence: 8, channel: 2 }));
    tracker.onMessage(message("clientToServer", 700_000, { ack: 8, channel: 2 }));
    expect(samples).toHaveLength(2);
  });
});

describe("EchoRttTracker", () => {
  it("pairs requests and replies by key, first request wins, per session", () => {
    const samples: LatencySample[] = [];
    const tracker = new EchoRttTracker((sample) => samples.push(sample), { maxPendingPerSession: 2, maxRttMs: 1000 });
    tracker.onMessage(message("clientToServer", 0, { echoKey: "a", echoPhase: "request" }));
    tracker.onMessage(message("clientToServer", 5_000, { echoKey: "a", echoPhase: "request" }));
    tracker.onMessage(message("serverToClient", 61_500, { echoKey: "a", echoPhase: "reply" }));
    tracker.onMessage(message("serverToClient", 62_000, { echoKey: "zz", echoPhase: "reply" }));
    tracker.onMessage(message("serverToClient", 62_000, { echoKey: "b", echoPhase: "request" }, { sessionId: "other" }));
    tracker.onMessage(message("clientToServer", 90_000, { echoKey: "b", echoPhase: "reply" }, { sessionId: "other" }));
    tracker.onMessage(message("clientToServer", 100_000, { echoKey: "c", echoPhase: "request" }));
    tracker.onMessage(message("clientToServer", 100_000, { echoKey: "d", echoPhase: "request" }));
    tracker.onMessage(message("clientToServer", 100_000, { echoKey: "e", echoPhase: "request" }));
    tracker.onMessage(message("serverToClient", 150_000, { echoKey: "c", echoPhase: "reply" }));
    tracker.onMessage(message("clientToServer", 150_000, { echoKey: "d", echoPhase: "reply" }));
    tracker.onMessage(message("clientToServer", 150_000, { echoKey: "x" }));
    tracker.onMessage(message("clientToServer", 2_000_000, { echoKey: "f", echoPhase: "request" }));
    tracker.onMessage(message("serverToClient", 4_000_000, { echoKey: "f", echoPhase: "reply" }));
    expect(samples.map((sample) => [sample.sessionId, sample.direction, sample.rttMs])).toEqual([
      ["s", "clientToServer", 61.5],
      ["other", "serverToClient", 28],
    ]);
    expect(tracker.droppedRequests).toBe(2);
    expect(tracker.unmatchedReplies).toBe(3);
  });
});
