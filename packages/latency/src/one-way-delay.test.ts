import type { Direction } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { CaptureMatcher, OneWayDelayEstimator, lowerEnvelope, payloadHash, type CaptureRecord, type MatchedPair } from "./one-way-delay.js";
import { createRandom } from "./test-support/synthetic-match.js";

interface Truth {
  direction: Direction;
  clientUs: number;
  serverUs: number;
  oneWayMs: number;
  payload: Uint8Array;
}

/**
 * Client clock = true time; server clock = true·(1 + drift) + offset. Both
 * directions have the same 20 ms minimum delay plus exponential queueing.
 */
function twoCaptures(seed: number, offsetUs: number, driftPpm: number, seconds: number, lossProbability = 0.01) {
  const random = createRandom(seed);
  const serverClock = (trueUs: number): number => trueUs + offsetUs + (driftPpm / 1e6) * (trueUs - 1e15);
  const truths: Truth[] = [];
  const client: CaptureRecord[] = [];
  const server: CaptureRecord[] = [];
  let counter = 0;
  for (const [direction, periodUs] of [
    ["clientToServer", 33_333],
    ["serverToClient", 16_667],
  ] as const) {
    for (let t = 1e15 + random() * periodUs; t < 1e15 + seconds * 1e6; t += periodUs) {
      const delayUs = 20_000 + -Math.log(1 - random()) * 4_000;
      const payload = new Uint8Array(24);
      const view = new DataView(payload.buffer);
      // Every 50th datagram is an identical keep-alive (duplicate payloads).
      view.setUint32(0, counter % 50 === 0 ? 0xdeadbeef : counter);
      view.setUint32(4, direction === "clientToServer" ? 1 : 2);
      counter += 1;
      const sendTrue = t;
      const receiveTrue = t + delayUs;
      const clientUs = direction === "clientToServer" ? sendTrue : receiveTrue;
      const serverUs = serverClock(direction === "clientToServer" ? receiveTrue : sendTrue);
      const lost = random() < lossProbability;
      const sentBy = direction === "clientToServer" ? client : server;
      sentBy.push({ tUs: direction === "clientToServer" ? clientUs : serverUs, direction, payload });
      if (lost) continue;
      const receivedBy = direction === "clientToServer" ? server : client;
      receivedBy.push({ tUs: direction === "clientToServer" ? serverUs : clientUs, direction, payloadHash: payloadHash(payload) });
      truths.push({ direction, clientUs, serverUs, oneWayMs: delayUs / 1000, payload });
    }
  }
  client.sort((a, b) => a.tUs - b.tUs);
  server.sort((a, b) => a.tUs - b.tUs);
  return { client, server, truths };
}

describe("payloadHash", () => {
  it("depends on bytes and length only", () => {
    const a = new Uint8Array([1, 2, 3]);
    expect(payloadHash(a)).toBe(payloadHash(new Uint8Array([1, 2, 3])));
    expect(payloadHash(a)).not.toBe(payloadHash(new Uint8Array([1, 2, 4])));
    expect(payloadHash(new Uint8Array(0))).not.toBe(payloadHash(new Uint8Array(1)));
  });
});

describe("CaptureMatcher + OneWayDelayEstimator", () => {
  for (const [offsetUs, driftPpm] of [
    [3_200_000, 0],
    [-41_000_000, 80],
    [750_000, -120],
  ] as const) {
    it(`recovers one-way delay within 1 ms of truth (offset ${offsetUs / 1e6} s, drift ${driftPpm} ppm)`, () => {
      const { client, server, truths } = twoCaptures(11, offsetUs, driftPpm, 600);
      const matcher = new CaptureMatcher();
      const pairs = [...matcher.match(client, server)];
      expect(matcher.matched).toBe(pairs.length);
      // Every delivered datagram is matched (keep-alive duplicates pair FIFO).
      expect(pairs.length).toBe(truths.length);
      expect(matcher.unmatchedClient + matcher.unmatchedServer).toBeGreaterThan(0);
      const estimator = new OneWayDelayEstimator();
      for (const pair of pairs) estimator.add(pair);
      const model = estimator.fit()!;
      expect(model.driftPpm).toBeCloseTo(driftPpm, 0);
      const truthByKey = new Map(truths.map((truth) => [`${truth.direction}:${truth.clientUs}`, truth]));
      let worstErrorMs = 0;
      let checked = 0;
      for (const pair of pairs) {
        const truth = truthByKey.get(`${pair.direction}:${pair.clientUs}`);
        const measured = estimator.measure(pair);
        if (truth === undefined || truth.serverUs !== pair.serverUs) continue;
        worstErrorMs = Math.max(worstErrorMs, Math.abs(measured - truth.oneWayMs));
        checked += 1;
      }
      const wrong = pairs.filter((pair) => truthByKey.get(`${pair.direction}:${pair.clientUs}`)?.serverUs !== pair.serverUs);
      // Duplicate keep-alive payloads pair with the right sighting despite drift and loss.
      expect(wrong).toHaveLength(0);
      expect(checked).toBeGreaterThan(truths.length * 0.97);
      expect(worstErrorMs).toBeLessThan(1);
      const report = estimator.report();
      for (const direction of ["clientToServer", "serverToClient"] as const) {
        const truthDelays = truths.filter((truth) => truth.direction === direction).map((truth) => truth.oneWayMs);
        const mean = truthDelays.reduce((a, b) => a + b, 0) / truthDelays.length;
        expect(Math.abs(report[direction].mean - mean)).toBeLessThan(1);
        expect(Math.abs(report[direction].min - Math.min(...truthDelays))).toBeLessThan(1);
        expect(report[direction].samples).toBe(truthDelays.length);
      }
    });
  }

  it("needs both directions and a fit before measuring", () => {
    const estimator = new OneWayDelayEstimator();
    expect(() => estimator.oneWayDelayMs({ direction: "clientToServer", clientUs: 0, serverUs: 1 })).toThrow(/fit/);
    estimator.add({ direction: "clientToServer", clientUs: 0, serverUs: 10 });
    expect(estimator.fit()).toBeNull();
    const asymmetric = new OneWayDelayEstimator({ asymmetryMs: 4 });
    const pairs: MatchedPair[] = [
      { direction: "clientToServer", clientUs: 0, serverUs: 1_000_000 + 22_000 },
      { direction: "serverToClient", clientUs: 18_000 + 50_000 - 1_000_000 + 1_000_000, serverUs: 1_000_000 + 50_000 },
    ];
    for (const pair of pairs) asymmetric.add(pair);
    const model = asymmetric.fit()!;
    expect(model.offsetUs).toBeCloseTo(1_000_000, 6);
    expect(asymmetric.measure(pairs[0])).toBeCloseTo(22, 9);
    expect(asymmetric.measure(pairs[1])).toBeCloseTo(18, 9);
    expect(asymmetric.report().clientToServer.samples).toBe(1);
  });

  it("counts records without a hash or payload as unmatched-free skips", () => {
    const matcher = new CaptureMatcher({ probeRecords: 1 });
    const pairs = [
      ...matcher.match(
        [{ tUs: 0, direction: "clientToServer" }, { tUs: 5, direction: "clientToServer", payloadHash: 9 }],
        [{ tUs: 1_000, direction: "clientToServer", payloadHash: 9 }],
      ),
    ];
    expect(pairs).toEqual([{ direction: "clientToServer", clientUs: 5, serverUs: 1_000 }]);
    expect(new OneWayDelayEstimator().report.bind(new OneWayDelayEstimator())).toThrow();
  });
});

describe("lowerEnvelope", () => {
  it("is the support line of the lower hull at the mean time", () => {
    const line = lowerEnvelope([
      [0, 10],
      [1, 13],
      [2, 12.2],
      [3, 14],
      [4, 14],
    ]);
    expect(line.slope).toBeCloseTo(1, 9);
    expect(line.intercept).toBeCloseTo(10, 9);
    expect(lowerEnvelope([[5, 7]])).toEqual({ intercept: 7, slope: 0 });
  });
});
