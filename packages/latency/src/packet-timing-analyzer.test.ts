import type { Direction, PacketObservation, Session } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { IntervalHistogram } from "./interval-histogram.js";
import { PacketTimingAnalyzer, type PacketTimingAnalyzerOptions } from "./packet-timing-analyzer.js";
import { PacketTimingReportSchema, type PacketTimingDirectionReport, type PacketTimingReport } from "./packet-timing-report.js";
import { ResponseLagCorrelogram } from "./response-lag-correlogram.js";
import { checkJsonSchema } from "./test-support/json-schema-check.js";

/** Seeded uniform [0, 1) (mulberry32). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded standard normal (Box–Muller). */
function seededNormal(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

interface Arrival {
  tUs: number;
  direction: Direction;
  size: number;
}

const startUs = 1_700_000_000_000_000;

/** A periodic sender: `count` sends every `intervalMs`, arrival = send + `delayMs()` (µs times), `datagrams` per send 0.1 ms apart. */
function periodic(direction: Direction, intervalMs: number, count: number, options: { delayMs?: () => number; phaseMs?: number; datagrams?: number; size?: number } = {}): Arrival[] {
  const arrivals: Arrival[] = [];
  for (let index = 0; index < count; index++) {
    const sendUs = startUs + ((options.phaseMs ?? 0) + index * intervalMs) * 1000;
    const arrivalUs = sendUs + (options.delayMs?.() ?? 0) * 1000;
    for (let datagram = 0; datagram < (options.datagrams ?? 1); datagram++) arrivals.push({ tUs: arrivalUs + datagram * 100, direction, size: options.size ?? 100 });
  }
  return arrivals;
}

function analyze(arrivals: Arrival[], options?: PacketTimingAnalyzerOptions): PacketTimingReport {
  const analyzer = new PacketTimingAnalyzer(options);
  analyzer.onSession({ id: "s", client: { address: "10.0.0.1", port: 5000 }, server: { address: "10.0.0.2", port: 7777 } } as unknown as Session);
  const sorted = [...arrivals].sort((left, right) => left.tUs - right.tUs);
  const packet: PacketObservation = { sessionId: "s", direction: "clientToServer", tUs: 0, packetIndex: 0, wireLength: 0, payloadLength: 0, frameCount: 1 };
  for (const [index, arrival] of sorted.entries()) {
    packet.direction = arrival.direction;
    packet.tUs = arrival.tUs;
    packet.packetIndex = index;
    packet.payloadLength = arrival.size;
    packet.wireLength = arrival.size + 42;
    analyzer.onPacket(packet);
  }
  analyzer.onMessage({} as never);
  return analyzer.finish();
}

function direction(report: PacketTimingReport, name: Direction): PacketTimingDirectionReport {
  return report.sessions[0]!.directions.find((entry) => entry.direction === name)!;
}

describe("PacketTimingAnalyzer: tick rate", () => {
  for (const rateHz of [20, 30, 60, 64]) {
    it(`recovers a ${rateHz} Hz tick within 0.5 % from arrivals with 0.5 ms network jitter`, () => {
      const normal = seededNormal(rateHz);
      const arrivals = periodic("serverToClient", 1000 / rateHz, rateHz * 60, { delayMs: () => 20 + 0.5 * normal() });
      const stream = direction(analyze(arrivals), "serverToClient");
      expect(stream.tick).not.toBeNull();
      expect(Math.abs(stream.tick!.rateHz - rateHz) / rateHz).toBeLessThan(0.005);
      expect(stream.tick!.regularity).toBe("high");
      expect(stream.tick!.regularShare).toBeGreaterThan(0.9);
      expect(stream.packetsPerSecond).toBeCloseTo(rateHz, 0);
      expect(stream.gaps.count).toBe(0);
      expect(stream.bursts.count).toBe(0);
      expect(stream.interArrivalMs.p50).toBeCloseTo(1000 / rateHz, 0);
    });
  }

  it("groups the datagrams of one send (a fragmented snapshot) into one send event", () => {
    const stream = direction(analyze(periodic("serverToClient", 50, 600, { datagrams: 3 })), "serverToClient");
    expect(stream.tick!.rateHz).toBeCloseTo(20, 3);
    expect(stream.datagramsPerSendEvent).toBe(3);
    expect(stream.sendEvents).toBe(600);
    expect(stream.bursts.count).toBe(0);
    expect(stream.bursts.minimumDatagrams).toBe(9);
    expect(stream.interArrivalMs.p50).toBeLessThan(0.2);
  });

  it("a tick with skipped sends stays on schedule; a random sender has low regularity", () => {
    const random = seededRandom(3);
    const skipping = periodic("clientToServer", 1000 / 60, 3600).filter(() => random() > 0.3);
    const stream = direction(analyze(skipping), "clientToServer");
    expect(stream.tick!.rateHz).toBeCloseTo(60, 1);
    expect(stream.tick!.onScheduleShare).toBeGreaterThan(0.95);
    const exponential: Arrival[] = [];
    let tUs = startUs;
    for (let index = 0; index < 2000; index++) {
      tUs += -Math.log(1 - random()) * 20_000;
      exponential.push({ tUs: Math.round(tUs), direction: "clientToServer", size: 50 });
    }
    expect(direction(analyze(exponential), "clientToServer").tick!.regularity).toBe("low");
  });

  it("follows a change of tick rate (re-estimated every reestimateEvents)", () => {
    const first = periodic("serverToClient", 50, 400);
    const second = periodic("serverToClient", 1000 / 60, 6000, { phaseMs: 20_000 });
    const stream = direction(analyze([...first, ...second], { reestimateEvents: 256 }), "serverToClient");
    expect(stream.tick!.rateHz).toBeCloseTo(60, 1);
    expect(stream.jitterMs!.referenceIntervalMs).toBeCloseTo(1000 / 60, 2);
    expect(stream.gaps.count).toBe(0);
  });
});

describe("PacketTimingAnalyzer: rates over the active time (core's ActiveSpan)", () => {
  it("a keepalive flow silent for 600 s between bursts reads its rate over 144 s of traffic, not 0.0033 packets/s over a day", () => {
    // ndpi_teamspeak3.pcap's main flow: 2 datagrams each way every 600 s, 144 times
    const arrivals = periodic("clientToServer", 600_000, 144, { datagrams: 2 });
    const stream = direction(analyze(arrivals), "clientToServer");
    expect(stream.idleGaps).toBe(143);
    expect(stream.activeDurationMs).toBe(144_000);
    expect(stream.packetsPerSecond).toBe(2);
    expect(stream.durationMs).toBeCloseTo(143 * 600_000, 0);
  });

  it("packets spanning under a second are rated over one second, as bandwidth does (ppp_many_interfaces: 2 datagrams 0.3 ms apart read 3,401 packets/s)", () => {
    const stream = direction(analyze([{ tUs: startUs, direction: "serverToClient", size: 100 }, { tUs: startUs + 294, direction: "serverToClient", size: 100 }]), "serverToClient");
    expect([stream.packetsPerSecond, stream.activeDurationMs]).toEqual([2, 1000]);
    expect(direction(analyze([{ tUs: startUs, direction: "clientToServer", size: 100 }]), "clientToServer").packetsPerSecond).toBe(0);
    // a short regular stream (ndpi_skinny: 18 RTP packets at 20 ms in 0.34 s) keeps its 50 packets/s
    const rtp = direction(analyze(periodic("clientToServer", 20, 18)), "clientToServer");
    expect([rtp.packetsPerSecond, rtp.activeDurationMs]).toEqual([50, 340]);
  });

  it("a flow without silences over 120 s keeps (packets − 1) / duration", () => {
    const stream = direction(analyze(periodic("serverToClient", 20, 501)), "serverToClient");
    expect([stream.idleGaps, stream.activeDurationMs, stream.packetsPerSecond]).toEqual([0, 10_000, 50]);
  });
});

describe("PacketTimingAnalyzer: gaps, bursts, jitter", () => {
  it("finds injected silences with their start and length, and a burst of queued datagrams after a stall", () => {
    const tickMs = 1000 / 60;
    const arrivals = periodic("clientToServer", tickMs, 3600).filter((arrival) => {
      const ms = (arrival.tUs - startUs) / 1000;
      return !(ms > 10_000 && ms < 10_500) && !(ms > 30_000 && ms < 31_200);
    });
    // After the second silence the held datagrams are released at once, 0.3 ms apart (a lag switch).
    const releaseUs = startUs + 31_205_000;
    for (let index = 0; index < 30; index++) arrivals.push({ tUs: releaseUs + index * 300, direction: "clientToServer", size: 60 });
    const stream = direction(analyze(arrivals), "clientToServer");
    expect(stream.gaps.count).toBe(2);
    expect(stream.gaps.thresholdMs).toBeCloseTo(4 * tickMs, 1);
    const [longest, second] = stream.gaps.longest;
    expect(longest!.durationMs).toBeGreaterThanOrEqual(1200);
    expect(longest!.durationMs).toBeLessThan(1230);
    expect(longest!.startUs).toBeGreaterThan(startUs + 29_980_000);
    expect(longest!.startUs).toBeLessThanOrEqual(startUs + 30_000_000);
    expect(longest!.missedTicks).toBeGreaterThanOrEqual(71);
    expect(second!.durationMs).toBeGreaterThanOrEqual(500);
    expect(second!.durationMs).toBeLessThan(520);
    expect(stream.bursts.count).toBe(1);
    expect(stream.bursts.largest[0]!.datagrams).toBeGreaterThanOrEqual(30);
    expect(stream.bursts.largest[0]!.startUs).toBeGreaterThanOrEqual(releaseUs - 1000);
    expect(stream.bursts.largest[0]!.durationMs).toBeLessThan(12);
  });

  it("RFC 3550 jitter against the tick equals the jitter computed with the sender's real timestamps (within 3 %)", () => {
    const normal = seededNormal(11);
    const tickMs = 1000 / 60;
    const sigmaMs = 1.5;
    const delays: number[] = [];
    const arrivals = periodic("serverToClient", tickMs, 6000, {
      delayMs: () => {
        const delay = 30 + sigmaMs * normal();
        delays.push(delay);
        return delay;
      },
    });
    // RFC 3550 §6.4.1 with the sender's real timestamps (what InterarrivalJitter computes), as the reference.
    let referenceJitterUs = 0;
    let referenceSumUs = 0;
    for (let index = 1; index < arrivals.length; index++) {
      const difference = arrivals[index]!.tUs - arrivals[index - 1]!.tUs - tickMs * 1000;
      referenceJitterUs += (Math.abs(difference) - referenceJitterUs) / 16;
      referenceSumUs += referenceJitterUs;
    }
    const reference = { meanJitterUs: referenceSumUs / (arrivals.length - 1) };
    const stream = direction(analyze(arrivals), "serverToClient");
    const jitter = stream.jitterMs!;
    expect(Math.abs(jitter.mean - reference.meanJitterUs / 1000) / (reference.meanJitterUs / 1000)).toBeLessThan(0.03);
    // Expected |D| for i.i.d. normal delays: E|X − Y| = 2σ/√π.
    expect(Math.abs(jitter.mean - (2 * sigmaMs) / Math.sqrt(Math.PI)) / ((2 * sigmaMs) / Math.sqrt(Math.PI))).toBeLessThan(0.1);
    expect(jitter.samples).toBe(5999);
    expect(jitter.perEventP95).toBeGreaterThan(jitter.mean);
    expect(jitter.max).toBeGreaterThanOrEqual(jitter.last);
  });

  it("sizes: payload size distribution", () => {
    const random = seededRandom(5);
    const arrivals = periodic("serverToClient", 50, 1000).map((arrival) => ({ ...arrival, size: 100 + Math.floor(random() * 101) }));
    const stream = direction(analyze(arrivals), "serverToClient");
    expect(stream.payloadSizeBytes.min).toBeGreaterThanOrEqual(100);
    expect(stream.payloadSizeBytes.max).toBeLessThanOrEqual(200);
    expect(Math.abs(stream.payloadSizeBytes.p50 - 150)).toBeLessThan(5);
    expect(stream.payloadBytes).toBe(arrivals.reduce((sum, arrival) => sum + arrival.size, 0));
  });
});

describe("PacketTimingAnalyzer: request/response RTT estimate", () => {
  for (const rttMs of [18, 48, 95]) {
    it(`estimates a ${rttMs} ms answer lag within ±1.5 ms (irregular client at ~30 Hz, server answers each and sends 20 Hz snapshots)`, () => {
      const random = seededRandom(rttMs);
      const normal = seededNormal(rttMs + 1);
      const arrivals: Arrival[] = [];
      let sendUs = startUs;
      for (let index = 0; index < 1800; index++) {
        sendUs += Math.round((25 + random() * 17) * 1000);
        arrivals.push({ tUs: sendUs, direction: "clientToServer", size: 40 });
        arrivals.push({ tUs: sendUs + Math.round((rttMs + 0.7 * normal()) * 1000), direction: "serverToClient", size: 30 });
      }
      arrivals.push(...periodic("serverToClient", 50, 1200, { phaseMs: 7.3, size: 400 }));
      const report = analyze(arrivals);
      const session = report.sessions[0]!;
      const estimate = session.responseTiming[0]!;
      expect(estimate.requestDirection).toBe("clientToServer");
      expect(Math.abs(estimate.lagMs! - rttMs)).toBeLessThan(1.5);
      expect(estimate.confidence).toBe("high");
      expect(estimate.responseShare).toBeGreaterThan(0.8);
      expect(session.rttEstimateMs).toBe(estimate.lagMs);
      expect(session.rttEstimateConfidence).toBe("high");
      expect(checkJsonSchema(PacketTimingReportSchema as unknown as Record<string, unknown>, JSON.parse(JSON.stringify(report)))).toEqual([]);
    });
  }

  it("two independent schedules (60 Hz and 64 Hz) give no RTT estimate", () => {
    const normal = seededNormal(2);
    const report = analyze([...periodic("clientToServer", 1000 / 64, 3840, { delayMs: () => 0.3 * normal() }), ...periodic("serverToClient", 1000 / 60, 3600, { phaseMs: 3, delayMs: () => 10 + 0.3 * normal() })]);
    const session = report.sessions[0]!;
    expect(session.rttEstimateMs).toBeNull();
    expect(["none", "low"]).toContain(session.rttEstimateConfidence);
  });

  it("two steady schedules at one rate with a fixed phase: a lag is found but the confidence is low (cannot tell an answer from a phase)", () => {
    const report = analyze([...periodic("clientToServer", 1000 / 30, 1800), ...periodic("serverToClient", 1000 / 30, 1800, { phaseMs: 12 })]);
    const estimate = report.sessions[0]!.responseTiming[0]!;
    expect(estimate.lagMs).toBeCloseTo(12, 0);
    expect(estimate.confidence).toBe("low");
    expect(estimate.reason).toMatch(/steady 33.3 ms schedule: the lag is only known modulo/);
    expect(report.sessions[0]!.rttEstimateConfidence).toBe("low");
  });

  it("a one-way stream has no response estimate; a few packets give no tick", () => {
    const report = analyze(periodic("serverToClient", 50, 5));
    const session = report.sessions[0]!;
    expect(session.responseTiming).toEqual([]);
    expect(session.rttEstimateConfidence).toBe("none");
    const stream = session.directions[0]!;
    expect(stream.tick).toBeNull();
    expect(stream.jitterMs).toBeNull();
    expect(stream.gaps.thresholdMs).toBeNull();
    const single = direction(analyze(periodic("serverToClient", 50, 1)), "serverToClient");
    expect(single.packetsPerSecond).toBe(0);
    expect(single.interArrivalMs.samples).toBe(0);
  });
});

describe("PacketTimingAnalyzer: shape", () => {
  it("is deterministic, schema-valid, and sorts sessions by id with directions clientToServer first", () => {
    const build = (): string => {
      const analyzer = new PacketTimingAnalyzer();
      const normal = seededNormal(9);
      for (const [index, arrival] of [...periodic("clientToServer", 20, 500, { delayMs: () => normal() }), ...periodic("serverToClient", 50, 200)].sort((left, right) => left.tUs - right.tUs).entries()) {
        const session = index % 7 === 0 ? "b" : "a";
        analyzer.onPacket({ sessionId: session, direction: arrival.direction, tUs: arrival.tUs, packetIndex: index, wireLength: 142, payloadLength: 100, frameCount: 1 });
      }
      return JSON.stringify(analyzer.finish());
    };
    const first = build();
    expect(build()).toBe(first);
    const report = JSON.parse(first) as PacketTimingReport;
    expect(report.sessions.map((session) => session.id)).toEqual(["a", "b"]);
    expect(report.sessions[0]!.directions.map((entry) => entry.direction)).toEqual(["clientToServer", "serverToClient"]);
    expect(report.method).toMatch(/never a measured RTT/);
    expect(checkJsonSchema(PacketTimingReportSchema as unknown as Record<string, unknown>, report)).toEqual([]);
  });
});

describe("IntervalHistogram and ResponseLagCorrelogram", () => {
  it("histogram: ignores bad values, counts values above the maximum, needs 8 intervals", () => {
    const histogram = new IntervalHistogram({ maximumMs: 100 });
    for (const value of [Number.NaN, -1, Infinity]) histogram.add(value);
    expect(histogram.count).toBe(0);
    expect(histogram.dominant()).toBeUndefined();
    expect(histogram.shareNear(10, 0.1)).toBe(0);
    histogram.add(500);
    expect(histogram.aboveMaximum).toBe(1);
    expect(histogram.dominant()).toBeUndefined();
    for (let index = 0; index < 8; index++) histogram.add(0);
    expect(histogram.dominant()!.count).toBe(8);
  });

  it("correlogram: no pairs or no requests give no peak; lags past the maximum are not paired", () => {
    const correlogram = new ResponseLagCorrelogram({ maximumLagMs: 100, recentRequests: 4 });
    expect(correlogram.firstPeak()).toBeUndefined();
    correlogram.onResponse(startUs);
    expect(correlogram.firstPeak()).toBeUndefined();
    correlogram.onRequest(startUs);
    correlogram.onResponse(startUs + 200_000);
    correlogram.onResponse(startUs);
    expect(correlogram.firstPeak()).toBeUndefined();
  });
});
