import { describe, expect, it } from "vitest";
import { InterarrivalJitter, SmoothedRtt } from "./interarrival-jitter.js";

describe("InterarrivalJitter (RFC 3550 §6.4.1, RFC 5481)", () => {
  it("converges as J_n = d·(1 − (15/16)^(n−1)) when transit alternates by d", () => {
    const jitter = new InterarrivalJitter();
    const d = 4_000;
    let expected = 0;
    let sum = 0;
    let max = 0;
    for (let n = 0; n < 200; n++) {
      const sendUs = n * 20_000;
      jitter.add(sendUs + 30_000 + (n % 2 === 0 ? 0 : d), sendUs);
      if (n > 0) expected += (d - expected) / 16;
      sum += expected;
      max = Math.max(max, expected);
    }
    expect(jitter.jitterUs).toBeCloseTo(d * (1 - (15 / 16) ** 199), 6);
    expect(jitter.jitterUs).toBeCloseTo(expected, 9);
    expect(jitter.meanJitterUs).toBeCloseTo(sum / 199, 9);
    expect(jitter.maxJitterUs).toBeCloseTo(max, 9);
    expect(jitter.perPacketMs.quantile(0.95)).toBeCloseTo(4, 1);
    // PDV: transit is 30 or 34 ms → PDV 0 or 4 ms.
    expect(jitter.pdvQuantileMs(0.25)).toBe(0);
    expect(jitter.pdvQuantileMs(0.95)).toBeCloseTo(4, 1);
    expect(jitter.pdvQuantileMs(1)).toBeCloseTo(4, 9);
  });

  it("without PDV tracking gives the same jitter figures and no PDV", () => {
    const full = new InterarrivalJitter();
    const light = new InterarrivalJitter({ packetDelayVariation: false });
    for (let n = 0; n < 300; n++) {
      const sendUs = n * 16_667;
      const receiveUs = sendUs + 25_000 + ((n * 7919) % 13) * 700;
      full.add(receiveUs, sendUs);
      light.add(receiveUs, sendUs);
    }
    expect([light.packets, light.jitterUs, light.maxJitterUs, light.meanJitterUs]).toEqual([full.packets, full.jitterUs, full.maxJitterUs, full.meanJitterUs]);
    expect(light.perPacketMs.quantile(0.95)).toBe(full.perPacketMs.quantile(0.95));
    expect(full.pdvQuantileMs(1)).toBeCloseTo(8.4, 1);
    expect(light.pdvQuantileMs(1)).toBeNaN();
  });

  it("is zero for constant transit and NaN-safe when empty", () => {
    const jitter = new InterarrivalJitter();
    expect(jitter.meanJitterUs).toBe(0);
    expect(jitter.pdvQuantileMs(0.5)).toBeNaN();
    for (let n = 0; n < 10; n++) jitter.add(n * 1000 + 5_000_000, n * 1000);
    expect(jitter.jitterUs).toBe(0);
    expect(jitter.pdvQuantileMs(0.99)).toBe(0);
  });
});

describe("SmoothedRtt (RFC 6298 / ENet, α 1/8, β 1/4)", () => {
  it("follows the recurrences exactly", () => {
    const smoothed = new SmoothedRtt();
    expect(smoothed.smoothedMs).toBeNaN();
    smoothed.add(100);
    expect([smoothed.smoothedMs, smoothed.variationMs]).toEqual([100, 50]);
    smoothed.add(60);
    // rttvar = 0.75·50 + 0.25·|100 − 60| = 47.5; srtt = 0.875·100 + 0.125·60 = 95
    expect(smoothed.variationMs).toBeCloseTo(47.5, 12);
    expect(smoothed.smoothedMs).toBeCloseTo(95, 12);
    for (let index = 0; index < 200; index++) smoothed.add(60);
    expect(smoothed.smoothedMs).toBeCloseTo(60, 6);
    expect(smoothed.variationMs).toBeCloseTo(0, 6);
  });
});
