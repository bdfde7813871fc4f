import { describe, expect, it } from "vitest";
import type { GameMessage } from "../game-message.js";
import type { MessageRoles } from "../roles.js";
import type { Direction } from "../session.js";
import { EchoRttMatcher } from "./echo-rtt-matcher.js";
import { QuantileSketch } from "./quantile-sketch.js";
import type { RttMethod, RttSample } from "./rtt-sample.js";
import { RttSampler } from "./rtt-sampler.js";
import { MINIMUM_HEADLINE_SAMPLES, rttPercentiles, SessionRtt } from "./session-rtt.js";

function message(direction: Direction, tUs: number, packetIndex: number, roles: MessageRoles, sessionId = "s"): GameMessage {
  return { sessionId, direction, tUs, packetIndex, indexInPacket: 0, type: "m", byteLength: 10, packetWireLength: 60, fields: {}, roles };
}

function sample(method: RttMethod, direction: Direction, rttMs: number, channel = ""): RttSample {
  return { sessionId: "s", direction, method, tUs: 0, rttMs, packetIndex: 0, channel };
}

function fill(rtt: SessionRtt, method: RttMethod, direction: Direction, values: number[], channel = ""): void {
  for (const value of values) rtt.add(sample(method, direction, value, channel));
}

const repeat = (value: number, count: number): number[] => new Array<number>(count).fill(value);

describe("SessionRtt.choose", () => {
  it("prefers the most direct method and follows a denser agreeing one over time", () => {
    const rtt = new SessionRtt();
    fill(rtt, "echo", "clientToServer", repeat(50, 30));
    fill(rtt, "ack", "clientToServer", repeat(55, 500));
    fill(rtt, "ack", "serverToClient", repeat(3, 500)); // local ack turnaround
    const choice = rtt.choose()!;
    expect(choice.headline.method).toBe("echo");
    expect(choice.timeSeries.method).toBe("ack");
    expect(choice.timeSeries.direction).toBe("clientToServer");
    expect(choice.disagreements).toEqual([]);
    expect(rtt.all().map((series) => `${series.method}/${series.direction}`)).toEqual(["echo/clientToServer", "ack/clientToServer", "ack/serverToClient"]);
  });

  it("reports acks delayed or batched on a channel as a disagreement, never as the followed series", () => {
    const rtt = new SessionRtt();
    fill(rtt, "echo", "clientToServer", repeat(50, 30));
    fill(rtt, "ack", "clientToServer", repeat(180, 400), "2");
    fill(rtt, "ack", "clientToServer", repeat(180, 10), "1");
    const choice = rtt.choose()!;
    expect(choice.headline.method).toBe("echo");
    expect(choice.timeSeries).toBe(choice.headline);
    expect(choice.disagreements).toHaveLength(1);
    expect(choice.disagreements[0]).toMatchObject({ method: "ack", direction: "clientToServer", channel: "2" });
    expect(choice.disagreements[0]!.p50Ratio).toBeGreaterThan(3);
    expect(choice.disagreements[0]!.reason).toContain("delayed or batched on channel 2");
  });

  it("explains acks below the echo, a differing reported RTT and differing echoes", () => {
    const lower = new SessionRtt();
    fill(lower, "echo", "clientToServer", repeat(100, 30));
    fill(lower, "ack", "clientToServer", repeat(40, 100));
    expect(lower.choose()!.disagreements[0]!.reason).toContain("wait for the peer");
    const reported = new SessionRtt();
    fill(reported, "echo", "clientToServer", repeat(40, 30));
    fill(reported, "reported", "clientToServer", repeat(100, 100));
    const choice = reported.choose()!;
    expect(choice.timeSeries.method).toBe("echo"); // a reported RTT (smoothed by the game) is never followed instead
    expect(choice.disagreements[0]!.reason).toContain("reported RTT is higher");
    const mixed = new SessionRtt();
    fill(mixed, "echo", "clientToServer", repeat(40, MINIMUM_HEADLINE_SAMPLES));
    fill(mixed, "reported", "clientToServer", [...repeat(20, 50), ...repeat(300, 10)]); // lower median, far higher tail
    expect(mixed.choose()!.disagreements[0]!.reason).toContain("reported RTT is wider");
  });

  it("follows raw acks against a smoothed reported headline by the median only", () => {
    const rtt = new SessionRtt();
    // Server-side capture: the reported RTT (smoothed by the client) is the headline; the acks of
    // the server's data include the client's send interval, and their tail is raw, not smoothed.
    fill(rtt, "reported", "clientToServer", [...repeat(23, 1900), ...repeat(24, 100)]);
    fill(rtt, "ack", "serverToClient", [...repeat(38, 900), ...repeat(65, 100)]); // fewer samples than the reported series
    fill(rtt, "ack", "clientToServer", repeat(4, 1000)); // local turnaround
    const choice = rtt.choose()!;
    expect(choice.headline.method).toBe("reported");
    expect(choice.timeSeries.method).toBe("ack");
    expect(choice.timeSeries.direction).toBe("serverToClient");
    expect(choice.disagreements).toEqual([]);
    // A median twice the reported one is still a disagreement.
    const delayed = new SessionRtt();
    fill(delayed, "reported", "clientToServer", repeat(20, 400));
    fill(delayed, "ack", "serverToClient", repeat(60, 1000));
    const delayedChoice = delayed.choose()!;
    expect(delayedChoice.timeSeries.method).toBe("reported");
    expect(delayedChoice.disagreements[0]).toMatchObject({ method: "ack" });
  });

  it("skips echoes answered at the capture point (the ack directions tell which side is local)", () => {
    const rtt = new SessionRtt();
    fill(rtt, "echo", "clientToServer", repeat(6, 20)); // client pings answered by the server: a server-side capture
    fill(rtt, "reported", "clientToServer", repeat(30, 200));
    fill(rtt, "ack", "clientToServer", repeat(5, 300));
    fill(rtt, "ack", "serverToClient", repeat(31, 300));
    const choice = rtt.choose()!;
    expect(choice.headline.method).toBe("reported");
    // Without acks, a method under a quarter of another's median is a turnaround too.
    const noAcks = new SessionRtt();
    fill(noAcks, "echo", "clientToServer", repeat(5, 20));
    fill(noAcks, "reported", "clientToServer", repeat(60, 11));
    expect(noAcks.choose()!.headline.method).toBe("reported");
  });

  it("falls back to the method with the most samples when none has enough, and is undefined when empty", () => {
    expect(new SessionRtt().choose()).toBeUndefined();
    const rtt = new SessionRtt();
    fill(rtt, "echo", "clientToServer", [50, 51]);
    fill(rtt, "ack", "clientToServer", [52, 53, 54]);
    expect(rtt.choose()!.headline.method).toBe("ack");
  });

  it("merges sharded state exactly and adds to a second sketch with one bucket computation", () => {
    const left = new SessionRtt();
    const right = new SessionRtt();
    const minute = new QuantileSketch();
    left.add(sample("ack", "clientToServer", 40, "1"), minute);
    right.add(sample("ack", "clientToServer", 60, "1"));
    right.add(sample("ack", "clientToServer", 60, "2"));
    left.merge(right);
    const series = left.get("ack", "clientToServer")!;
    expect(series.sketch.count).toBe(3);
    expect(series.mainChannel).toBe("1");
    expect(minute.count).toBe(1);
    expect(rttPercentiles(series.sketch)).toMatchObject({ samples: 3, max: 60 });
    expect(rttPercentiles(new QuantileSketch())).toEqual({ samples: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  });
});

describe("EchoRttMatcher and RttSampler", () => {
  it("pairs a request with the first reply in the other direction, bounded per session", () => {
    const samples: RttSample[] = [];
    const matcher = new EchoRttMatcher((entry) => samples.push({ ...entry }), { maxPendingPerSession: 2, maxRttMs: 1000 });
    matcher.onMessage(message("clientToServer", 0, 0, { echoKey: "a", echoPhase: "request" }));
    matcher.onMessage(message("clientToServer", 1, 0, { echoKey: "a", echoPhase: "request" })); // repeated: first kept
    matcher.onMessage(message("clientToServer", 10, 1, { echoKey: "b", echoPhase: "request" }));
    matcher.onMessage(message("clientToServer", 20, 2, { echoKey: "c", echoPhase: "request" })); // drops "a"
    matcher.onMessage(message("serverToClient", 30_000, 3, { echoKey: "a", echoPhase: "reply" }));
    matcher.onMessage(message("clientToServer", 30_000, 4, { echoKey: "b", echoPhase: "reply" })); // same direction
    matcher.onMessage(message("serverToClient", 40_010, 5, { echoKey: "b", echoPhase: "reply" }));
    matcher.onMessage(message("serverToClient", 2_000_000, 6, { echoKey: "c", echoPhase: "reply" })); // too late
    matcher.onMessage(message("serverToClient", 2_000_000, 6, { echoKey: "c" })); // no phase: ignored
    expect(samples).toEqual([{ sessionId: "s", direction: "clientToServer", method: "echo", tUs: 10, rttMs: 40, packetIndex: 5, channel: "" }]);
    expect(matcher.droppedRequests).toBe(1);
    expect(matcher.unmatchedReplies).toBe(2);
  });

  it("samples acks, echoes and reported RTT once per datagram", () => {
    const samples: RttSample[] = [];
    const sampler = new RttSampler((entry) => samples.push({ ...entry }));
    sampler.onMessage(message("clientToServer", 0, 0, { sequence: 1, echoKey: "p", echoPhase: "request", reportedRttMs: 33 }));
    sampler.onMessage(message("clientToServer", 0, 0, { sequence: 1, reportedRttMs: 33 })); // same datagram
    sampler.onMessage(message("clientToServer", 5, 1, { reportedRttMs: -1 })); // invalid
    sampler.onMessage(message("clientToServer", 6, 2, { reportedRttMs: Number.NaN })); // invalid
    sampler.onMessage(message("serverToClient", 45_000, 3, { ack: 1, echoKey: "p", echoPhase: "reply" }));
    expect(samples.map((entry) => [entry.method, entry.rttMs])).toEqual([
      ["reported", 33],
      ["ack", 45],
      ["echo", 45],
    ]);
    expect(sampler.invalidReported).toBe(2);
    expect(sampler.ack.retransmissions).toBe(0);
    expect(sampler.echo.unmatchedReplies).toBe(0);
  });
});
