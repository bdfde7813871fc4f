import { describe, expect, it } from "vitest";
import type { GameMessage } from "../game-message.js";
import type { LogEvent } from "../log-event.js";
import type { MessageRoles } from "../roles.js";
import type { Direction } from "../session.js";
import type { RttSample } from "./rtt-sample.js";
import { DEFAULT_REPORTED_RTT_LOG_KEYS, RttSampler } from "./rtt-sampler.js";

function message(sessionId: string, direction: Direction, tUs: number, packetIndex: number, roles: MessageRoles): GameMessage {
  return { sessionId, direction, tUs, packetIndex, indexInPacket: 0, type: "m", byteLength: 10, packetWireLength: 60, fields: {}, roles };
}

function logEvent(tUs: number, values: Record<string, number>): LogEvent {
  return { tUs, type: "rtt", values, labels: {}, line: 1 };
}

/** One second of a session: a send, its ack 40 ms later, a ping and its pong 30 ms later. */
function feedSecond(sampler: RttSampler, sessionId: string, second: number, packetIndex: number): number {
  const tUs = second * 1_000_000;
  sampler.onMessage(message(sessionId, "clientToServer", tUs, packetIndex++, { sequence: second & 0xffff, sequenceBits: 16 }));
  sampler.onMessage(message(sessionId, "clientToServer", tUs + 1000, packetIndex++, { echoKey: String(second), echoPhase: "request" }));
  sampler.onMessage(message(sessionId, "serverToClient", tUs + 31_000, packetIndex++, { echoKey: String(second), echoPhase: "reply" }));
  sampler.onMessage(message(sessionId, "serverToClient", tUs + 40_000, packetIndex++, { ack: second & 0xffff }));
  return packetIndex;
}

describe("RttSampler: forgetting idle sessions (endless streams)", () => {
  it("evictIdle drops only the sessions idle for longer than the bound, and a returning session starts afresh", () => {
    const samples: RttSample[] = [];
    const sampler = new RttSampler((sample) => samples.push({ ...sample }));
    let packetIndex = 0;
    for (let second = 0; second < 5; second++) {
      packetIndex = feedSecond(sampler, "a", second, packetIndex);
      if (second < 2) packetIndex = feedSecond(sampler, "b", second, packetIndex);
    }
    // A pending ping of "b" that is never answered.
    sampler.onMessage(message("b", "clientToServer", 1_500_000, packetIndex++, { echoKey: "late", echoPhase: "request" }));
    expect(sampler.sessionCount).toBe(2);
    expect(sampler.echo.pendingCount).toBe(1);
    expect(samples.filter((sample) => sample.sessionId === "b")).toHaveLength(4);
    // At 5 s, "b" was last seen at 1.5 s: idle 3.5 s; "a" at 4.04 s.
    expect(sampler.evictIdle(5_000_000, 3_000_000)).toBe(2); // b's ack and echo state
    expect(sampler.sessionCount).toBe(1);
    expect(sampler.ack.sessionCount).toBe(1);
    expect(sampler.echo.sessionCount).toBe(1);
    expect(sampler.echo.pendingCount).toBe(0);
    expect(sampler.evictIdle(5_000_000, 3_000_000)).toBe(0);
    // An ack of a send made before the eviction gives nothing; new traffic samples again.
    const before = samples.length;
    sampler.onMessage(message("b", "serverToClient", 5_100_000, packetIndex++, { ack: 1 }));
    expect(samples.length).toBe(before);
    packetIndex = feedSecond(sampler, "b", 6, packetIndex);
    expect(samples.slice(before).map((sample) => [sample.sessionId, sample.method, sample.rttMs])).toEqual([
      ["b", "echo", 30],
      ["b", "ack", 40],
    ]);
  });

  it("forget drops one session, even the one looked up last", () => {
    const samples: RttSample[] = [];
    const sampler = new RttSampler((sample) => samples.push({ ...sample }));
    sampler.onMessage(message("a", "clientToServer", 0, 0, { sequence: 7 }));
    sampler.onMessage(message("a", "clientToServer", 10, 1, { echoKey: "k", echoPhase: "request" }));
    sampler.forget("a");
    expect(sampler.sessionCount).toBe(0);
    sampler.onMessage(message("a", "serverToClient", 50_000, 2, { ack: 7 }));
    sampler.onMessage(message("a", "serverToClient", 50_000, 3, { echoKey: "k", echoPhase: "reply" }));
    expect(samples).toEqual([]);
    expect(sampler.echo.unmatchedReplies).toBe(1);
  });

  it("holds a constant number of sessions over hours of churn when evictIdle runs every second", () => {
    const sampler = new RttSampler(() => {});
    let packetIndex = 0;
    let peak = 0;
    for (let second = 0; second < 3600; second++) {
      // 10 sessions live at a time; each set plays for 60 s, then a new set replaces it.
      const set = Math.floor(second / 60);
      for (let player = 0; player < 10; player++) packetIndex = feedSecond(sampler, `set-${set}-player-${player}`, second, packetIndex);
      sampler.evictIdle(second * 1_000_000 + 50_000, 10_000_000);
      peak = Math.max(peak, sampler.sessionCount);
    }
    expect(peak).toBeLessThanOrEqual(20);
    expect(sampler.sessionCount).toBe(10);
  });
});

describe("RttSampler: reported RTT from server logs", () => {
  it("reads the first known value name as a reported sample of the given session, by the same validity rule as messages", () => {
    const samples: RttSample[] = [];
    const sampler = new RttSampler((sample) => samples.push({ ...sample }));
    expect(DEFAULT_REPORTED_RTT_LOG_KEYS[0]).toBe("rttMs");
    expect(sampler.onLogEvent(logEvent(1000, { ping: 80, rttMs: 42 }), "s1")).toBe(true);
    expect(sampler.onLogEvent(logEvent(2000, { fps: 60 }), "s1")).toBe(false);
    expect(sampler.onLogEvent(logEvent(3000, { latencyMs: -1 }), "s1")).toBe(true);
    expect(samples).toEqual([{ sessionId: "s1", direction: "clientToServer", method: "reported", tUs: 1000, rttMs: 42, packetIndex: 0, channel: "" }]);
    expect(sampler.invalidReported).toBe(1);
    const custom = new RttSampler((sample) => samples.push({ ...sample }), { reportedRttLogKeys: ["lag"] });
    expect(custom.onLogEvent(logEvent(4000, { rttMs: 1 }), "s2")).toBe(false);
    expect(custom.onLogEvent(logEvent(5000, { lag: 12.5 }), "s2")).toBe(true);
    expect(samples.at(-1)).toMatchObject({ sessionId: "s2", rttMs: 12.5, tUs: 5000 });
  });
});

describe("RttSampler: a reported RTT of 0 before the first measurement", () => {
  it("is 'not yet measured' per session and direction (counted, no sample); a 0 after a nonzero value is a sample", () => {
    const samples: RttSample[] = [];
    const sampler = new RttSampler((sample) => samples.push({ ...sample }));
    let packetIndex = 0;
    // The client reports 0 until its first pong comes back at 1 s, then its smoothed RTT.
    for (const [tUs, rttMs] of [[0, 0], [33_000, 0], [1_000_000, 23], [1_033_000, 0], [1_066_000, 24]] as const) {
      sampler.onMessage(message("a", "clientToServer", tUs, packetIndex++, { reportedRttMs: rttMs }));
    }
    // Another session and the other direction have their own first measurement.
    sampler.onMessage(message("b", "clientToServer", 1_100_000, packetIndex++, { reportedRttMs: 0 }));
    sampler.onMessage(message("a", "serverToClient", 1_100_000, packetIndex++, { reportedRttMs: 0 }));
    expect(samples.map((sample) => [sample.sessionId, sample.tUs, sample.rttMs])).toEqual([["a", 1_000_000, 23], ["a", 1_033_000, 0], ["a", 1_066_000, 24]]);
    expect(sampler.unmeasuredReported).toBe(4);
    expect(sampler.invalidReported).toBe(0);
    // Server logs follow the same rule; forgetting a session forgets its measurement.
    sampler.onLogEvent(logEvent(1_200_000, { rttMs: 0 }), "c");
    sampler.forget("a");
    sampler.onMessage(message("a", "clientToServer", 1_300_000, packetIndex++, { reportedRttMs: 0 }));
    expect(sampler.unmeasuredReported).toBe(6);
    sampler.onMessage(message("a", "clientToServer", 1_400_000, packetIndex++, { reportedRttMs: 30 }));
    expect(sampler.evictIdle(40_000_000, 30_000_000)).toBe(0);
    sampler.onMessage(message("a", "clientToServer", 40_100_000, packetIndex++, { reportedRttMs: 0 }));
    expect(sampler.unmeasuredReported).toBe(7);
    expect(samples).toHaveLength(4);
  });
});
