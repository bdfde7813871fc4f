import { describe, expect, it } from "vitest";
import type { GameMessage } from "../game-message.js";
import type { MessageRoles } from "../roles.js";
import type { Direction } from "../session.js";
import { AckRttSampler } from "./ack-rtt-sampler.js";
import { acknowledgedChannel, channelKey } from "./acknowledged-channel.js";
import type { RttSample } from "./rtt-sample.js";

function message(direction: Direction, tUs: number, packetIndex: number, roles: MessageRoles, sessionId = "s"): GameMessage {
  return { sessionId, direction, tUs, packetIndex, indexInPacket: 0, type: "m", byteLength: 10, packetWireLength: 60, fields: {}, roles };
}

function collect(): { samples: RttSample[]; sampler: AckRttSampler } {
  const samples: RttSample[] = [];
  // The sampler reuses its sample object: copy.
  const sampler = new AckRttSampler((sample) => samples.push({ ...sample }));
  return { samples, sampler };
}

/** Bits of `received` below `ack` (bit i ⇔ ack − 1 − i), `width` bits. */
function ackBitsOf(ack: number, received: Set<number>, width: number): number {
  let bits = 0;
  for (let bit = 0; bit < width; bit++) if (received.has(ack - 1 - bit)) bits += 2 ** bit;
  return bits;
}

/**
 * Client sends one datagram every 20 ms; the server acks every client datagram 50 ms after it was sent,
 * with `width` ack bits, unless the ack datagram is in `lostAcks` (never captured). Capture at the client.
 */
function lostAckExchange(width: number, lostAcks: Set<number>, count = 200): GameMessage[] {
  const messages: GameMessage[] = [];
  const received = new Set<number>();
  let packetIndex = 0;
  for (let n = 0; n < count; n++) {
    const sequence = (65_500 + n) & 0xffff; // wraps at n = 36
    messages.push(message("clientToServer", n * 20_000, packetIndex++, { sequence, sequenceBits: 16 }));
    received.add(65_500 + n);
    if (lostAcks.has(n)) continue;
    const ack = 65_500 + n;
    messages.push(message("serverToClient", n * 20_000 + 50_000, packetIndex++, { ack: ack & 0xffff, ackBits: ackBitsOf(ack, received, width), ackBitsWidth: width }));
  }
  return messages.sort((a, b) => a.tUs - b.tUs || a.packetIndex - b.packetIndex);
}

describe("AckRttSampler (RFC 9002 §5.1)", () => {
  for (const width of [32, 16]) {
    it(`gives no inflated sample after lost ack datagrams (${width} ack bits, across a 16-bit wrap)`, () => {
      const lost = new Set([10, 11, 12, 40, 41, 90]);
      const { samples, sampler } = collect();
      for (const entry of lostAckExchange(width, lost)) sampler.onMessage(entry);
      // One sample per received ack, each exactly the 50 ms round trip of its largest acknowledged sequence.
      expect(samples).toHaveLength(200 - lost.size);
      for (const sample of samples) {
        expect(sample.rttMs).toBe(50);
        expect(sample.method).toBe("ack");
        expect(sample.direction).toBe("clientToServer");
        expect(sample.channel).toBe("");
      }
    });
  }

  it("samples only the largest newly acknowledged sequence: repeats and reordered older acks give none", () => {
    const { samples, sampler } = collect();
    sampler.onMessage(message("clientToServer", 0, 0, { sequence: 1 }));
    sampler.onMessage(message("clientToServer", 10_000, 1, { sequence: 2 }));
    sampler.onMessage(message("clientToServer", 20_000, 2, { sequence: 3 }));
    sampler.onMessage(message("serverToClient", 60_000, 3, { ack: 2, ackBits: 1 })); // acks 2 (and 1): 50 ms
    sampler.onMessage(message("serverToClient", 61_000, 4, { ack: 2, ackBits: 1 })); // repeat: none
    sampler.onMessage(message("serverToClient", 62_000, 5, { ack: 1 })); // older: none
    sampler.onMessage(message("serverToClient", 63_000, 6, { ack: 9 })); // beyond anything sent: none
    sampler.onMessage(message("serverToClient", 80_000, 7, { ack: 3 })); // 60 ms
    expect(samples.map((sample) => sample.rttMs)).toEqual([50, 60]);
    expect(samples[0]!.tUs).toBe(10_000);
    expect(samples[0]!.packetIndex).toBe(3);
  });

  it("follows Karn's rule: a retransmitted largest sequence gives no sample", () => {
    const { samples, sampler } = collect();
    sampler.onMessage(message("clientToServer", 0, 0, { sequence: 5 }));
    sampler.onMessage(message("clientToServer", 0, 0, { sequence: 5 })); // same datagram, second message: not a resend
    sampler.onMessage(message("clientToServer", 100_000, 1, { sequence: 5 })); // resent in another datagram
    sampler.onMessage(message("clientToServer", 110_000, 2, { sequence: 6, resendCount: 1 })); // marked as a resend
    sampler.onMessage(message("serverToClient", 150_000, 3, { ack: 5 }));
    sampler.onMessage(message("serverToClient", 160_000, 4, { ack: 6 }));
    expect(samples).toEqual([]);
    expect(sampler.retransmissions).toBe(2);
    expect(sampler.ambiguousAcks).toBe(2);
  });

  it("subtracts the peer's ack delay (RFC 9002 §5.3: never below the smallest RTT)", () => {
    const { samples, sampler } = collect();
    sampler.onMessage(message("clientToServer", 0, 0, { sequence: 1 }));
    sampler.onMessage(message("serverToClient", 40_000, 1, { ack: 1 })); // 40 ms, min_rtt 40
    sampler.onMessage(message("clientToServer", 100_000, 2, { sequence: 2 }));
    sampler.onMessage(message("serverToClient", 165_000, 3, { ack: 2, ackDelayUs: 20_000 })); // 65 − 20 = 45
    sampler.onMessage(message("clientToServer", 200_000, 4, { sequence: 3 }));
    sampler.onMessage(message("serverToClient", 250_000, 5, { ack: 3, ackDelayUs: 30_000 })); // 50 − 30 < 40: not subtracted
    expect(samples.map((sample) => sample.rttMs)).toEqual([40, 45, 50]);
  });

  it("applies an ack only to the channel the definition names, never to every channel", () => {
    const { samples, sampler } = collect();
    // Channel 1 and channel 2 both send a sequence 7, at different times.
    sampler.onMessage(message("clientToServer", 0, 0, { channel: 1, sequence: 7 }));
    sampler.onMessage(message("clientToServer", 500_000, 1, { channel: 2, sequence: 7 }));
    // A control-channel (0) ack naming channel 1 pairs with channel 1 only.
    sampler.onMessage(message("serverToClient", 600_000, 2, { channel: 0, ackChannel: 1, ack: 7 }));
    // A control-channel ack that names no channel has no send stream on channel 0: no sample.
    sampler.onMessage(message("serverToClient", 610_000, 3, { channel: 0, ack: 7 }));
    expect(samples).toEqual([{ sessionId: "s", direction: "clientToServer", method: "ack", tUs: 0, rttMs: 600, packetIndex: 2, channel: "1" }]);
    expect(sampler.acksWithoutSendStream).toBe(1);
    expect(sampler.acksBeforeFirstSend).toBe(0);
    // An ack of a session that never sent is ignored.
    sampler.onMessage(message("serverToClient", 620_000, 4, { ack: 1 }, "other"));
    expect(samples).toHaveLength(1);
  });

  it("acks before the first send on their channel (a session that starts with the server acking 0) are edge acks, not unknown channels", () => {
    const { samples, sampler } = collect();
    // The server sends (and acks "0": it has received nothing) for 1 s before the client's first datagram is captured.
    for (let index = 0; index < 30; index++) sampler.onMessage(message("serverToClient", index * 33_000, index, { channel: 1, sequence: index, ack: 0 }));
    expect(sampler.acksWithoutSendStream).toBe(30);
    sampler.onMessage(message("clientToServer", 1_000_000, 30, { channel: 1, sequence: 0, ack: 29 }));
    sampler.onMessage(message("serverToClient", 1_040_000, 31, { channel: 1, sequence: 30, ack: 0 }));
    expect(samples.map((sample) => [sample.direction, sample.rttMs])).toEqual([["serverToClient", 43], ["clientToServer", 40]]);
    expect(sampler.acksBeforeFirstSend).toBe(30);
    expect(sampler.acksWithoutSendStream).toBe(0);
    // An ack of a channel the client never sends on stays unknown (the definition's ack channel does not match).
    sampler.onMessage(message("serverToClient", 1_100_000, 32, { channel: 0, ackChannel: 5, ack: 3 }));
    sampler.onMessage(message("clientToServer", 1_200_000, 33, { channel: 1, sequence: 1 }));
    expect(sampler.acksWithoutSendStream).toBe(1);
    expect(sampler.acksBeforeFirstSend).toBe(30);
    expect(samples).toHaveLength(2);
  });

  it("extends 64-bit sequences exactly (bigint roles near 2^63)", () => {
    const { samples, sampler } = collect();
    const base = 2n ** 63n - 2n;
    for (let n = 0n; n < 4n; n++) {
      sampler.onMessage(message("clientToServer", Number(n) * 10_000, Number(n), { sequence: base + n, sequenceBits: 64 } as unknown as MessageRoles));
    }
    sampler.onMessage(message("serverToClient", 70_000, 10, { ack: base + 3n } as unknown as MessageRoles));
    expect(samples.map((sample) => sample.rttMs)).toEqual([40]);
  });

  it("forgets sequences that left the window and ignores acks later than the maximum RTT", () => {
    const samples: RttSample[] = [];
    const sampler = new AckRttSampler((sample) => samples.push({ ...sample }), { windowSize: 3, maxRttMs: 100 });
    for (let n = 0; n < 10; n++) sampler.onMessage(message("clientToServer", n * 1000, n, { sequence: 100_000 + n }));
    sampler.onMessage(message("serverToClient", 20_000, 20, { ack: 100_002 })); // slot reused by 100_006: none
    sampler.onMessage(message("serverToClient", 500_000, 21, { ack: 100_009 })); // 491 ms > 100 ms: none
    expect(samples).toEqual([]);
  });
});

describe("acknowledgedChannel / channelKey", () => {
  it("takes ackChannel, else the message's own channel", () => {
    expect(acknowledgedChannel({ channel: 0, ackChannel: 2 })).toBe(2);
    expect(acknowledgedChannel({ channel: 3 })).toBe(3);
    expect(acknowledgedChannel({})).toBeUndefined();
    expect(channelKey(undefined)).toBe("");
    expect(channelKey(1)).toBe("1");
    expect(channelKey("gss")).toBe("gss");
    expect(channelKey(70_000)).toBe("70000");
    expect(channelKey(1.5)).toBe("1.5");
  });
});

describe("AckRttSampler: an ack right after a gap in the acker's own sequence", () => {
  it("gives no sample (the lost datagrams may have carried it first: a loss burst is no latency spike)", () => {
    // Server capture. The server sends every 20 ms; the client acks the newest it received in every datagram
    // (its own sequence in the same header). Server datagrams 11–14 and client datagrams 10–14 are lost in a
    // burst: client datagram 15 acks server datagram 10 at 340 ms — newly acknowledged here (140 ms after its
    // send), but the lost client datagrams carried the same ack from 240 ms on.
    const messages: GameMessage[] = [];
    let packetIndex = 0;
    for (let n = 0; n < 30; n++) {
      messages.push(message("serverToClient", n * 20_000, packetIndex++, { sequence: n, sequenceBits: 16 }));
      const clientSequence = n;
      const acked = n >= 10 && n <= 15 ? 10 : n;
      if (n >= 10 && n <= 14) continue;
      messages.push(message("clientToServer", n * 20_000 + 40_000, packetIndex++, { sequence: clientSequence, sequenceBits: 16, ack: acked, ackBits: 0, ackBitsWidth: 32 }));
    }
    messages.sort((a, b) => a.tUs - b.tUs || a.packetIndex - b.packetIndex);
    const { samples, sampler } = collect();
    for (const entry of messages) sampler.onMessage(entry);
    expect(samples.every((sample) => Math.abs(sample.rttMs - 40) < 1e-9)).toBe(true);
    expect(samples).toHaveLength(24); // 25 client datagrams, the one after the gap gives none
    expect(sampler.acksAfterGap).toBe(1);
  });
});

describe("AckRttSampler stream lookup (most recent stream per direction)", () => {
  it("samples each channel of interleaved two-channel traffic against its own sends, in either session order", () => {
    const { samples, sampler } = collect();
    let packetIndex = 0;
    // Two sessions interleaved; each client sends on channels 1 and 2 alternately (channel 2 sent 5 ms after 1), the server acks both per round.
    for (let n = 0; n < 20; n++) {
      for (const sessionId of ["a", "b"]) {
        const baseUs = n * 40_000 + (sessionId === "a" ? 0 : 1_000);
        sampler.onMessage(message("clientToServer", baseUs, packetIndex++, { sequence: 100 + n, sequenceBits: 16, channel: 1 }, sessionId));
        sampler.onMessage(message("clientToServer", baseUs + 5_000, packetIndex++, { sequence: 700 + n, sequenceBits: 16, channel: 2 }, sessionId));
        // The server acks channel 2 first (30 ms after its send), then channel 1 (in a message on channel 2 that names ackChannel 1, 60 ms after).
        sampler.onMessage(message("serverToClient", baseUs + 35_000, packetIndex++, { ack: 700 + n, channel: 2 }, sessionId));
        sampler.onMessage(message("serverToClient", baseUs + 60_000, packetIndex++, { ack: 100 + n, channel: 2, ackChannel: 1 }, sessionId));
      }
    }
    expect(samples).toHaveLength(80);
    for (const sample of samples) expect(sample.rttMs).toBe(sample.channel === "1" ? 60 : 30);
    expect(samples.filter((sample) => sample.sessionId === "a" && sample.channel === "2")).toHaveLength(20);
  });

  it("judges an ack's gap by the acker's stream of the message's own channel, not the direction's last one", () => {
    const { samples, sampler } = collect();
    sampler.onMessage(message("clientToServer", 0, 0, { sequence: 10, channel: 1 }));
    // The server sends on channel 5 (no gap) and channel 6 (a gap: 1 → 3), acking the client's channel 1.
    sampler.onMessage(message("serverToClient", 1_000, 1, { sequence: 1, channel: 6 }));
    sampler.onMessage(message("serverToClient", 2_000, 2, { sequence: 1, channel: 5 }));
    sampler.onMessage(message("serverToClient", 40_000, 3, { sequence: 3, channel: 6, ack: 10, ackChannel: 1 }));
    expect(samples).toHaveLength(0);
    expect(sampler.acksAfterGap).toBe(1);
    sampler.onMessage(message("clientToServer", 50_000, 4, { sequence: 11, channel: 1 }));
    sampler.onMessage(message("serverToClient", 90_000, 5, { sequence: 2, channel: 5, ack: 11, ackChannel: 1 }));
    expect(samples.map((sample) => sample.rttMs)).toEqual([40]);
  });
});
