import { describe, expect, it } from "vitest";
import type { GameMessage } from "@tickscope/core";
import { BandwidthAccounting, MESSAGE_TYPE_TIMELINE_MAX_BUCKETS } from "./accounting.js";

const T0 = 1_600_000_000_000_000;

function message(type: string, offsetUs: number, byteLength: number, direction: GameMessage["direction"] = "serverToClient"): GameMessage {
  return { sessionId: "s1", direction, tUs: T0 + offsetUs, packetIndex: Math.floor(offsetUs / 1000), indexInPacket: 0, packetWireLength: byteLength + 28, type, byteLength, fields: {}, roles: {} };
}

describe("BandwidthAccounting.byMessageTypeTimeline", () => {
  it("gives bytes per second per type and direction in 1-s buckets from the first message, largest type first", () => {
    const accounting = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, maxChangeStreams: 10 });
    // 3 s of snapshots (100 B every 100 ms), inputs in the second second only, the last message at 3.5 s.
    for (let offset = 0; offset <= 3_500_000; offset += 100_000) accounting.onMessage(message("snapshot", offset, 100));
    for (let offset = 1_000_000; offset < 2_000_000; offset += 250_000) accounting.onMessage(message("input", offset, 10, "clientToServer"));
    const timeline = accounting.byMessageTypeTimeline();
    expect(timeline.bucketMs).toBe(1000);
    expect(timeline.startUs).toEqual([T0, T0 + 1e6, T0 + 2e6, T0 + 3e6]);
    expect(timeline.types.map((entry) => [entry.type, entry.direction])).toEqual([["snapshot", "serverToClient"], ["input", "clientToServer"]]);
    // The last bucket covers 0.5 s (3.0–3.5 s, 6 messages): 600 B over 0.5 s, not over a whole second.
    expect(timeline.types[0]!.bytesPerSecond).toEqual([1000, 1000, 1000, 1200]);
    expect(timeline.types[1]!.bytesPerSecond).toEqual([0, 40, 0, 0]);
  });

  it("doubles its buckets to stay within the bound, and a corrupt far timestamp costs one bucket entry, not memory", () => {
    const accounting = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, maxChangeStreams: 10 });
    for (let second = 0; second < 2000; second++) accounting.onMessage(message("snapshot", second * 1e6, 50));
    const timeline = accounting.byMessageTypeTimeline();
    expect(timeline.startUs.length).toBeLessThanOrEqual(MESSAGE_TYPE_TIMELINE_MAX_BUCKETS);
    expect(timeline.bucketMs).toBe(4000);
    expect(timeline.types[0]!.bytesPerSecond[0]).toBe(50);
    accounting.onMessage(message("snapshot", 1e15, 50));
    const far = accounting.byMessageTypeTimeline();
    expect(far.startUs.length).toBeLessThanOrEqual(MESSAGE_TYPE_TIMELINE_MAX_BUCKETS);
    expect(far.types[0]!.bytesPerSecond.reduce((sum, value) => sum + value, 0)).toBeGreaterThan(0);
  });

  it("merges a last bucket covering under half a bucket into the one before, and rates a sub-second capture over one second", () => {
    const accounting = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, maxChangeStreams: 10 });
    // 100 B every 100 ms from 0 to 2.1 s: the bucket from 2.0 s would cover 0.1 s.
    for (let offset = 0; offset <= 2_100_000; offset += 100_000) accounting.onMessage(message("snapshot", offset, 100));
    const timeline = accounting.byMessageTypeTimeline();
    expect(timeline.startUs).toEqual([T0, T0 + 1e6]);
    // 1.0–2.1 s: 12 messages over 1.1 s.
    expect(timeline.types[0]!.bytesPerSecond).toEqual([1000, 1090.909]);
    const short = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, maxChangeStreams: 10 });
    short.onMessage(message("input", 0, 10));
    short.onMessage(message("input", 2000, 10));
    expect(short.byMessageTypeTimeline().types[0]!.bytesPerSecond).toEqual([20]);
  });

  it("sums each type's open second into its bins before reading or saving them, also when a type's messages go back in time", () => {
    const accounting = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, maxChangeStreams: 10 });
    // Seconds 0, 1, then back to 0 (a second source's late message), then 1 again; an empty message opens second 2.
    for (const [offset, bytes] of [[0, 10], [100_000, 10], [1_000_000, 30], [200_000, 5], [1_500_000, 30], [2_000_000, 0]] as const) accounting.onMessage(message("snapshot", offset, bytes));
    expect(accounting.saveState().types[0]!.seconds).toEqual([
      [T0 / 1e6, 25],
      [T0 / 1e6 + 1, 60],
      [T0 / 1e6 + 2, 0],
    ]);
    // Reading again (no message in between) adds nothing twice.
    expect(accounting.saveState().types[0]!.seconds[0]).toEqual([T0 / 1e6, 25]);
    expect(accounting.byMessageTypeTimeline().types[0]!.bytesPerSecond.slice(0, 2)).toEqual([25, 60]);
    const merged = new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, maxChangeStreams: 10 });
    merged.onMessage(message("snapshot", 1_100_000, 40));
    merged.mergeState(accounting.saveState());
    expect(merged.saveState().types[0]!.seconds.slice(0, 2)).toEqual([
      [T0 / 1e6, 25],
      [T0 / 1e6 + 1, 100],
    ]);
  });

  it("is empty before any message", () => {
    expect(new BandwidthAccounting({ mtuBytes: 1500, ipUdpHeaderBytes: 28, maxChangeStreams: 10 }).byMessageTypeTimeline()).toEqual({ bucketMs: 1000, startUs: [], types: [] });
  });
});
