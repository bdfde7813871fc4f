import { describe, expect, it } from "vitest";
import { ClockRateDetector } from "./clock-rate-detector.js";
import { LossBurstDetector } from "./loss-burst-detector.js";
import { RobustWindow } from "./robust-window.js";
import { RttSpikeDetector } from "./rtt-spike-detector.js";
import { serialDistance } from "./serial-number.js";
import { formatAlertLine, roundValue, WATCH_ALERT_KINDS } from "./watch-alert.js";
import { DEFAULT_WATCH_DETECTOR_OPTIONS, resolveWatchDetectorOptions } from "./watch-options.js";

const options = resolveWatchDetectorOptions();

describe("RobustWindow", () => {
  it("gives the median and MAD of the most recent samples only", () => {
    const window = new RobustWindow(5);
    const into = { median: 0, mad: 0 };
    expect(Number.isNaN(window.baseline(into).median)).toBe(true);
    for (const value of [100, 100, 1, 2, 3, 4, 10]) window.push(value);
    expect(window.size).toBe(5);
    // holds 2, 3, 4, 10, 1 → median 3; deviations 1, 0, 1, 7, 2 → MAD 1
    expect(window.baseline(into)).toEqual({ median: 3, mad: 1 });
    const even = new RobustWindow(4);
    for (const value of [1, 2, 3, 10]) even.push(value);
    expect(even.baseline(into)).toEqual({ median: 2.5, mad: 1 });
  });
});

describe("serialDistance", () => {
  it("wraps around in the sequence space", () => {
    expect(serialDistance(65535, 2, 16)).toBe(3);
    expect(serialDistance(2, 65535, 16)).toBe(-3);
    expect(serialDistance(10, 10, 16)).toBe(0);
    expect(serialDistance(5, 2 ** 40, 64)).toBe(2 ** 40 - 5);
  });
});

describe("watch alert and options", () => {
  it("serializes an alert as one line with the keys in a fixed order", () => {
    const line = formatAlertLine({ summary: "s", values: { rttMs: 1 }, detectedAtUs: 2, tUs: 1, session: "a", alert: "lossBurst" } as never);
    expect(line.endsWith("\n")).toBe(true);
    expect(Object.keys(JSON.parse(line))).toEqual(["alert", "session", "tUs", "detectedAtUs", "values", "summary"]);
    expect(roundValue(1.23456)).toBe(1.235);
    expect(WATCH_ALERT_KINDS).toEqual(["latencySpike", "lossBurst", "cheatSuspicion"]);
  });

  it("fills in defaults and keeps given values", () => {
    const resolved = resolveWatchDetectorOptions({ windowMs: 5000, madFactor: undefined });
    expect(resolved.windowMs).toBe(5000);
    expect(resolved.madFactor).toBe(DEFAULT_WATCH_DETECTOR_OPTIONS.madFactor);
  });
});

describe("RttSpikeDetector", () => {
  it("needs a baseline, confirms after consecutive high samples, re-arms after recovery", () => {
    const detector = new RttSpikeDetector(options);
    let tUs = 0;
    const feed = (rttMs: number) => detector.add(rttMs, (tUs += 16_000));
    // no judgement before the baseline: a huge first sample is not a spike
    expect(feed(500)).toBeUndefined();
    for (let index = 0; index < 40; index += 1) expect(feed(30 + (index % 5))).toBeUndefined();
    expect(detector.samples).toBe(41);
    // two high samples, then normal: a blip, not a spike
    expect(feed(200)).toBeUndefined();
    expect(feed(200)).toBeUndefined();
    expect(feed(31)).toBeUndefined();
    expect(feed(200)).toBeUndefined();
    const firstHighUs = tUs;
    expect(feed(210)).toBeUndefined();
    const spike = feed(220);
    expect(spike).toBeDefined();
    expect(spike!.startUs).toBe(firstHighUs);
    expect(spike!.rttMs).toBe(220);
    expect(spike!.baselineMs).toBeGreaterThanOrEqual(30);
    expect(spike!.baselineMs).toBeLessThanOrEqual(34);
    expect(spike!.thresholdMs).toBeGreaterThanOrEqual(spike!.baselineMs + options.minSpikeExcessMs);
    // still in the spike: no second alert
    for (let index = 0; index < 5; index += 1) expect(feed(220)).toBeUndefined();
    expect(detector.inSpike).toBe(true);
    for (let index = 0; index < options.recoverySamples; index += 1) feed(31);
    expect(detector.inSpike).toBe(false);
    feed(250);
    feed(250);
    expect(feed(250)).toBeDefined();
  });

  it("takes a lasting level shift as the new normal", () => {
    const detector = new RttSpikeDetector(resolveWatchDetectorOptions({ baselineSamples: 32 }));
    let tUs = 0;
    for (let index = 0; index < 32; index += 1) detector.add(30, (tUs += 16_000));
    let alerts = 0;
    for (let index = 0; index < 200; index += 1) if (detector.add(120, (tUs += 16_000)) !== undefined) alerts += 1;
    expect(alerts).toBe(1);
    for (let index = 0; index < 20; index += 1) detector.add(120, (tUs += 16_000));
    expect(detector.inSpike).toBe(false);
  });
});

describe("LossBurstDetector", () => {
  const bits = 16;

  it("counts gaps once per packet, ignores late arrivals and duplicates, and alerts on a burst", () => {
    const detector = new LossBurstDetector(options);
    let tUs = 1_000_000_000;
    let packetIndex = 0;
    let sequence = 65500;
    const send = (advance = 1) => {
      sequence = (sequence + advance) % 65536;
      return detector.add(sequence, bits, (tUs += 16_667), packetIndex++);
    };
    for (let index = 0; index < 100; index += 1) expect(send()).toBeUndefined();
    // the same datagram-level sequence on a second message of the packet is not a new packet
    expect(detector.add(sequence, bits, tUs, packetIndex - 1)).toBeUndefined();
    expect(detector.totalReceived).toBe(100);
    // isolated losses: no burst
    send(3);
    send(3);
    expect(detector.totalLost).toBe(4);
    // a late arrival is not lost after all; its duplicate changes nothing
    const late = (sequence + 65535) % 65536;
    detector.add(late, bits, (tUs += 1000), packetIndex++);
    detector.add(late, bits, (tUs += 1000), packetIndex++);
    expect(detector.totalLost).toBe(3);
    for (let index = 0; index < 60; index += 1) send();
    // a burst: every second packet lost
    let burst;
    for (let index = 0; index < 20 && burst === undefined; index += 1) burst = send(2);
    expect(burst).toBeDefined();
    expect(burst!.lostPackets).toBe(options.minBurstLostPackets);
    expect(burst!.lossRatio).toBeGreaterThanOrEqual(options.minBurstLossRatio);
    expect(detector.inBurst).toBe(true);
    // more loss in the same burst: no second alert; then quiet: the burst ends
    for (let index = 0; index < 10; index += 1) expect(send(2)).toBeUndefined();
    for (let index = 0; index < 120; index += 1) send();
    expect(detector.inBurst).toBe(false);
  });

  it("treats a big jump as a sequence reset, not loss", () => {
    const detector = new LossBurstDetector(options);
    detector.add(40_000, bits, 1_000_000, 0);
    detector.add(40_001, bits, 1_016_000, 1);
    detector.add(0, bits, 1_032_000, 2);
    detector.add(1, bits, 1_048_000, 3);
    expect(detector.totalLost).toBe(0);
    const wide = new LossBurstDetector(options);
    wide.add(2 ** 40, 64, 1_000_000, 0);
    wide.add(2 ** 40 + 5, 64, 1_016_000, 1);
    expect(wide.totalLost).toBe(4);
  });
});

describe("ClockRateDetector", () => {
  const feed = (detector: ClockRateDetector, rate: (tUs: number) => number, delayUs: (tUs: number) => number, seconds: number, startUs = 5e15) => {
    const found = [];
    for (let tUs = 0; tUs < seconds * 1e6; tUs += 16_667) {
      const suspicion = detector.add(7e13 + rate(tUs), startUs + tUs + delayUs(tUs));
      if (suspicion !== undefined) found.push({ ...suspicion, atUs: tUs });
    }
    return found;
  };

  it("stays quiet for an honest clock with jitter and a delay spike", () => {
    const detector = new ClockRateDetector(options);
    const jitter = (tUs: number) => 20_000 + ((tUs * 7919) % 5000) + (tUs > 10e6 && tUs < 11e6 ? 400_000 : 0);
    expect(feed(detector, (tUs) => tUs * 1.0001, jitter, 30)).toEqual([]);
  });

  it("stays quiet for a lag switch (held packets released at once)", () => {
    const detector = new ClockRateDetector(options);
    // packets sent during 10–11 s are held until 11 s
    const hold = (tUs: number) => 20_000 + (tUs >= 10e6 && tUs < 11e6 ? 11e6 - tUs : 0);
    expect(feed(detector, (tUs) => tUs, hold, 30)).toEqual([]);
  });

  it("finds a clock running 1.3x fast within about a second", () => {
    const detector = new ClockRateDetector(options);
    const found = feed(detector, (tUs) => (tUs < 10e6 ? tUs : 10e6 + (tUs - 10e6) * 1.3), () => 20_000, 20);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]!.atUs - 10e6).toBeLessThan(1.5e6);
    expect(found[0]!.clockRate).toBeGreaterThan(1.1);
    expect(found[0]!.spanMs).toBeGreaterThanOrEqual(options.minClockSpanMs);
  });

  it("judges over half the window when the window is shorter than the minimum span", () => {
    const detector = new ClockRateDetector(resolveWatchDetectorOptions({ windowMs: 2000 }));
    const found = feed(detector, (tUs) => (tUs < 5e6 ? tUs : 5e6 + (tUs - 5e6) * 1.5), () => 20_000, 10);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]!.atUs - 5e6).toBeLessThan(1e6);
    expect(found[0]!.spanMs).toBeGreaterThanOrEqual(1000);
  });
});
