import { describe, expect, it } from "vitest";
import { jitterMeanMs } from "./distributions.js";
import { BottleneckLink, createTransmitResult, NetworkPath, pathParameters, type ResolvedNetworkEvent } from "./network-path.js";
import { PROFILES } from "./profiles.js";
import { createRandom } from "./random.js";

const T0 = 1_767_225_600_000_000;

function event(partial: Partial<ResolvedNetworkEvent> & Pick<ResolvedNetworkEvent, "kind" | "startUs" | "endUs">): ResolvedNetworkEvent {
  return { id: 0, extraDelayMs: 0, bitsPerSecond: 0, lossProbability: 0, directions: ["clientToServer", "serverToClient"], ...partial };
}

describe("BottleneckLink", () => {
  it("serializes bursts back to back and tail-drops a full queue", () => {
    const link = new BottleneckLink(1_000_000, 3000); // 1 Mbit/s: 1000 bytes = 8 ms
    expect(link.enqueue(0, 1000)).toBe(8000);
    expect(link.enqueue(0, 1000)).toBe(16000);
    expect(link.backlogBytes(0)).toBe(2000);
    expect(link.enqueue(0, 1000)).toBe(24000);
    expect(link.enqueue(0, 1000)).toBe(-1); // 3000 queued + 1000 > 3000
    expect(link.backlogBytes(24000)).toBe(0);
    expect(link.enqueue(30000, 500)).toBe(34000);
    // Half the capacity used by cross traffic: twice the serialization time.
    expect(link.enqueue(100000, 1000, 0.5)).toBe(116000);
  });
});

describe("NetworkPath", () => {
  it("delivers with the profile's delay distribution when the link is idle", () => {
    const profile = PROFILES.cable;
    const parameters = pathParameters(profile, 400, "serverToClient");
    const path = new NetworkPath(parameters, createRandom(1));
    const result = createTransmitResult();
    let sum = 0;
    let delivered = 0;
    let lost = 0;
    for (let index = 0; index < 50_000; index++) {
      const sendUs = T0 + index * 50_000; // 20 packets/s: no queueing, no FIFO clamping
      path.transmit(sendUs, 100, result);
      if (result.lost !== null) {
        lost++;
        continue;
      }
      delivered++;
      sum += result.arrivalUs - sendUs;
    }
    const serializationUs = (100 * 8e6) / parameters.bitsPerSecond;
    const expectedUs = (parameters.baseDelayMs + jitterMeanMs(profile.jitterDistribution, profile.jitterMs)) * 1000 + serializationUs;
    expect(Math.abs(sum / delivered - expectedUs) / expectedUs).toBeLessThan(0.02);
    expect(lost / 50_000).toBeGreaterThan(0.001);
    expect(lost / 50_000).toBeLessThan(0.004);
    expect(parameters.baseDelayMs).toBeCloseTo(7 + (400 * 1.4) / 200, 9);
  });

  it("queues bursts on a slow link (bursts create queueing delay)", () => {
    const parameters = { ...pathParameters(PROFILES.dsl, 100, "clientToServer"), loss: { p: 0, r: 1, h: 0, k: 1 }, jitterMs: 0 };
    const path = new NetworkPath(parameters, createRandom(2));
    const result = createTransmitResult();
    const delays: number[] = [];
    for (let index = 0; index < 20; index++) {
      path.transmit(T0, 1250, result); // 1250 bytes at 1 Mbit/s = 10 ms each
      delays.push(result.queueDelayUs);
    }
    expect(delays[0]).toBeCloseTo(10_000, 6);
    expect(delays[19]).toBeCloseTo(200_000, 6);
    for (let index = 0; index < 200; index++) path.transmit(T0, 1250, result);
    expect(result.lost).toBe("queue");
  });

  it("applies spikes, route changes, outages, loss bursts and cross traffic only inside their windows", () => {
    const base = { ...pathParameters(PROFILES.fibre, 0, "clientToServer"), loss: { p: 0, r: 1, h: 0, k: 1 }, jitterMs: 0 };
    const events: ResolvedNetworkEvent[] = [
      event({ id: 1, kind: "latencySpike", startUs: T0 + 1e6, endUs: T0 + 2e6, extraDelayMs: 120 }),
      event({ id: 2, kind: "outage", startUs: T0 + 3e6, endUs: T0 + 3.5e6 }),
      event({ id: 3, kind: "routeChange", startUs: T0 + 5e6, endUs: Infinity, extraDelayMs: 30 }),
      event({ id: 4, kind: "lossBurst", startUs: T0 + 6e6, endUs: T0 + 7e6, lossProbability: 0.5 }),
      event({ id: 5, kind: "crossTraffic", startUs: T0 + 8e6, endUs: T0 + 9e6, bitsPerSecond: 250e6 }),
      event({ id: 6, kind: "outage", startUs: T0, endUs: T0 + 100e6, directions: ["serverToClient"] }),
    ];
    const path = new NetworkPath(base, createRandom(3), events);
    const result = createTransmitResult();
    const delayAt = (offsetUs: number): number => {
      path.transmit(T0 + offsetUs, 100, result);
      return result.lost === null ? (result.arrivalUs - (T0 + offsetUs)) / 1000 : NaN;
    };
    const quiet = delayAt(0);
    expect(quiet).toBeCloseTo(1.5, 1);
    expect(result.eventId).toBe(-1);
    expect(delayAt(1.5e6) - quiet).toBeCloseTo(120, 1);
    expect(result.eventId).toBe(1);
    expect(delayAt(2.5e6)).toBeCloseTo(quiet, 1);
    expect(Number.isNaN(delayAt(3.2e6))).toBe(true);
    expect(result.lost).toBe("outage");
    expect(delayAt(5.5e6) - quiet).toBeCloseTo(30, 1);
    let burstLosses = 0;
    for (let index = 0; index < 1000; index++) if (Number.isNaN(delayAt(6e6 + index * 500))) burstLosses++;
    expect(burstLosses).toBeGreaterThan(430);
    expect(burstLosses).toBeLessThan(570);
    expect(result.lost === null || result.lost === "burst").toBe(true);
    // Cross traffic: a standing queue builds (bufferbloat).
    expect(delayAt(8.5e6) - 30).toBeGreaterThan(quiet + 0.1);
    expect(delayAt(99e6) - quiet).toBeCloseTo(30, 1); // the route change is permanent
  });

  it("reorders and duplicates at the profile's rates, keeping FIFO order otherwise", () => {
    const parameters = { ...pathParameters(PROFILES["wifi-congested"], 50, "serverToClient"), reorderProbability: 0.05, duplicateProbability: 0.02 };
    const path = new NetworkPath(parameters, createRandom(4));
    const result = createTransmitResult();
    let reordered = 0;
    let duplicated = 0;
    let delivered = 0;
    let lastInOrderArrival = -Infinity;
    let fifoViolations = 0;
    for (let index = 0; index < 40_000; index++) {
      path.transmit(T0 + index * 16_667, 200, result);
      if (result.lost !== null) continue;
      delivered++;
      if (result.reordered) reordered++;
      else {
        if (result.arrivalUs <= lastInOrderArrival) fifoViolations++;
        lastInOrderArrival = result.arrivalUs;
      }
      if (!Number.isNaN(result.duplicateArrivalUs)) {
        duplicated++;
        expect(result.duplicateArrivalUs).toBeGreaterThan(result.arrivalUs);
      }
    }
    expect(fifoViolations).toBe(0);
    expect(Math.abs(reordered / delivered - 0.05)).toBeLessThan(0.006);
    expect(Math.abs(duplicated / delivered - 0.02)).toBeLessThan(0.004);
  });
});

describe("a datagram the application holds back (fake lag on shots)", () => {
  it("neither occupies the link nor holds the datagrams sent during its hold behind it", () => {
    const parameters = { ...pathParameters(PROFILES.fibre, 100, "clientToServer"), jitterMs: 0, loss: { p: 0, r: 1, h: 0, k: 1 }, reorderProbability: 0, duplicateProbability: 0 };
    const run = (heldBack: boolean): { held: number; others: number[] } => {
      const path = new NetworkPath(parameters, createRandom(3));
      const result = createTransmitResult();
      // Created at T0, leaves 300 ms later; the 60 Hz inputs sent meanwhile go at once.
      path.transmit(T0 + 300_000, 120, result, heldBack);
      const held = result.arrivalUs;
      const others: number[] = [];
      for (let index = 1; index <= 10; index++) {
        path.transmit(T0 + index * 16_667, 120, result);
        others.push(result.arrivalUs - (T0 + index * 16_667));
      }
      return { held, others };
    };
    const held = run(true);
    const baseUs = parameters.baseDelayMs * 1000;
    for (const delayUs of held.others) expect(delayUs).toBeLessThan(baseUs + 100);
    expect(held.held - (T0 + 300_000)).toBeGreaterThanOrEqual(baseUs);
    // Without the flag the link takes it as queued ahead of them: every later datagram waits for it, or
    // (a 300-ms backlog on a 300 Mbit/s link is far beyond its queue) is tail-dropped.
    const fifo = run(false);
    for (const delayUs of fifo.others) expect(Number.isNaN(delayUs) || delayUs > 100_000).toBe(true);
  });
});
