import { describe, expect, it } from "vitest";
import { resolveAnticheatOptions } from "./options.js";
import { SessionTimeline } from "./session-timeline.js";
import { Random } from "./test-support/random.js";
import { StreamBuilder } from "./test-support/stream-builder.js";

const SLOTS = 256;

/** The ring the timeline keeps, written out: slot → [sequence, capture µs] of the last datagram there. */
class ReferenceRing {
  private readonly slots = new Map<number, [number, number]>();
  readonly orderUs: number[] = [];

  observe(sequence: number | undefined, tUs: number): void {
    this.orderUs.push(tUs);
    if (sequence !== undefined) this.slots.set(sequence % SLOTS, [sequence, tUs]);
  }

  timeUs(sequence: number): number {
    const entry = this.slots.get(sequence % SLOTS);
    return entry !== undefined && entry[0] === sequence ? entry[1] : Number.NaN;
  }

  /** Send time of the oldest of the last 256 datagrams sent after `afterUs`, at most `sentUs` (the timeline's wire-RTT rule). */
  oldestAfter(afterUs: number, sentUs: number): number {
    if (!(afterUs < sentUs)) return sentUs;
    let oldest = sentUs;
    for (let back = 1; back <= Math.min(this.orderUs.length, SLOTS); back++) {
      const tUs = this.orderUs[this.orderUs.length - back]!;
      if (tUs <= afterUs) break;
      if (tUs < oldest) oldest = tUs;
    }
    return oldest;
  }
}

describe("SessionTimeline recent server datagrams", () => {
  it("finds a server datagram's send time as the 256-slot ring does (newest two, slot collisions, repeats, unsequenced)", () => {
    const generator = new Random(17);
    const random = (): number => generator.next();
    const builder = new StreamBuilder();
    const timeline = new SessionTimeline("session-a", resolveAnticheatOptions({}));
    const reference = new ReferenceRing();
    let sequence = 1000;
    let tUs = 1e15;
    const asked: number[] = [];
    for (let step = 0; step < 3000; step++) {
      tUs += 1000 + Math.floor(random() * 40_000);
      const pick = random();
      // Mostly the next sequence; also repeats, jumps of exactly 256 (the same slot), unsequenced datagrams.
      const next = pick < 0.7 ? sequence + 1 : pick < 0.8 ? sequence : pick < 0.9 ? sequence + SLOTS : pick < 0.95 ? sequence - SLOTS : Number.NaN;
      const roles = Number.isNaN(next) || next < 0 ? {} : { sequence: next };
      if (roles.sequence !== undefined) sequence = roles.sequence;
      timeline.observeServer(builder.server(tUs, "snapshot", roles));
      reference.observe(roles.sequence, tUs);
      asked.push(sequence);
      for (const candidate of [sequence, sequence - 1, sequence - 2, sequence - SLOTS, sequence + SLOTS, asked[Math.floor(random() * asked.length)]!]) {
        if (candidate < 0) continue;
        expect(timeline.serverDatagramTimeUs(candidate)).toBe(reference.timeUs(candidate));
      }
    }
  });

  it("takes an ack's wire RTT from the oldest newly covered datagram as the ring does (1, 2, 3 and many new datagrams)", () => {
    const generator = new Random(29);
    const random = (): number => generator.next();
    const builder = new StreamBuilder();
    const timeline = new SessionTimeline("session-a", resolveAnticheatOptions({}));
    const reference = new ReferenceRing();
    let tUs = 2e15;
    let sequence = 0;
    let lastAckSentUs = Number.NaN;
    let lastAck = -1;
    let checked = 0;
    for (let step = 0; step < 2000; step++) {
      // A burst of 1..8 server datagrams (sometimes 300: beyond the ring), then one client ack.
      const burst = random() < 0.02 ? 300 : 1 + Math.floor(random() * 8);
      for (let index = 0; index < burst; index++) {
        tUs += 500 + Math.floor(random() * 30_000);
        sequence += 1;
        timeline.observeServer(builder.server(tUs, "snapshot", { sequence }));
        reference.observe(sequence, tUs);
      }
      tUs += 20_000;
      const ack = sequence - Math.floor(random() * Math.min(4, burst));
      timeline.observeClient(builder.client(tUs, "input", { ack }), undefined);
      if (ack === lastAck) continue;
      lastAck = ack;
      const sentUs = reference.timeUs(ack);
      if (Number.isNaN(sentUs)) continue;
      const oldestUs = reference.oldestAfter(lastAckSentUs, sentUs);
      if (!(sentUs <= lastAckSentUs)) lastAckSentUs = sentUs;
      expect(timeline.lastWireRttMs).toBe((tUs - oldestUs) / 1000);
      checked += 1;
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
