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

describe("InterarrivalJitter restarts (timestamp discontinuities, clock changes)", () => {
  it("restarts on a clock change without a sample, keeping J, and rebases PDV", () => {
    const jitter = new InterarrivalJitter();
    for (let n = 0; n < 10; n++) jitter.add(n * 20_000 + 5_000 + (n % 2) * 1_000, n * 20_000, "8000", n);
    const before = { jitterUs: jitter.jitterUs, samples: jitter.samples };
    // Same arrival rhythm, a 90 kHz clock from another origin.
    jitter.add(10 * 20_000 + 5_000, 7_777_777, "90000", 10);
    expect(jitter.samples).toBe(before.samples);
    expect(jitter.jitterUs).toBe(before.jitterUs);
    expect(jitter.restarts).toEqual([{ tUs: 205_000, reason: "clockChange", sendJumpMs: (7_777_777 - 180_000) / 1000, arrivalGapMs: 19, sequence: 10, fromClock: "8000", toClock: "90000" }]);
    jitter.add(11 * 20_000 + 5_000, 7_777_777 + 20_000, "90000", 11);
    expect(jitter.samples).toBe(before.samples + 1);
    // Transit continued across the restart: PDV stays within the 1 ms alternation.
    expect(jitter.pdvQuantileMs(1)).toBeCloseTo(1, 1);
  });

  it("restarts on a jump the sequence does not explain, not on a pause the sequence explains", () => {
    const jitter = new InterarrivalJitter();
    let receiveUs = 0;
    let sendUs = 0;
    let sequence = 65_530;
    const step = (sendStepUs: number, arrivalStepUs: number, sequenceStep: number): void => {
      receiveUs += arrivalStepUs;
      sendUs += sendStepUs;
      sequence = (sequence + sequenceStep) % 65_536;
      jitter.add(receiveUs, sendUs, "", sequence, 16);
    };
    for (let n = 0; n < 5; n++) step(20_000, 20_000, 1);
    // A 2 s pause: sequence +100 (wrapping through 0), timestamp +2 s: explained.
    step(2_000_000, 2_000_000, 100);
    // A 3 s network stall: sequence +1, timestamp +20 ms, arrival +3 s: explained by the sequence, counted.
    step(20_000, 3_000_000, 1);
    expect(jitter.restartCount).toBe(0);
    expect(jitter.maxJitterUs).toBeGreaterThan(180_000);
    // A reset: the timestamp jumps back 40 s while the sequence continues.
    step(-40_000_000, 20_000, 1);
    expect(jitter.restarts.map((restart) => [restart.reason, restart.sequence])).toEqual([["timestampJump", sequence]]);
  });

  it("takes the sequence gap modulo the field width even when the raw values differ by more than it", () => {
    // An 8-bit sequence whose values arrive unreduced: the 2 s pause moves it by 100 + 512 raw, 100 modulo 2^8.
    const jitter = new InterarrivalJitter({ discontinuityMs: 1000 });
    let sequence = 10;
    let tUs = 0;
    for (let n = 0; n < 5; n++) {
      jitter.add(tUs, tUs, "", sequence, 8);
      sequence += 1;
      tUs += 20_000;
    }
    // Arrival +20 ms, sender time +2 s (|D| past the threshold), sequence +100 modulo 2^8: explained, no restart.
    const receiveUs = tUs;
    const sendUs = tUs - 20_000 + 2_000_000;
    sequence += 100 + 512 - 1;
    jitter.add(receiveUs, sendUs, "", sequence, 8);
    expect(jitter.restartCount).toBe(0);
    // A jump the sequence does not explain (+1 modulo 2^8, raw −511) still restarts the chain.
    jitter.add(receiveUs + 20_000, sendUs + 5_000_000, "", sequence - 511, 8);
    expect(jitter.restarts.map((restart) => restart.reason)).toEqual(["timestampJump"]);
  });

  it("without sequence numbers every jump of at least the threshold restarts; only maxRestartsKept are kept", () => {
    const jitter = new InterarrivalJitter({ discontinuityMs: 500, maxRestartsKept: 2 });
    for (let n = 0; n < 6; n++) jitter.add(n * 20_000, n * 10_000_000);
    expect(jitter.restartCount).toBe(5);
    expect(jitter.restarts).toHaveLength(2);
    expect(jitter.restarts[0].sequence).toBeNull();
    expect(jitter.samples).toBe(0);
    expect(jitter.meanJitterUs).toBe(0);
  });

  it("compares 53-bit and wider sequences without modulus, and never restarts with discontinuityMs Infinity", () => {
    const wide = new InterarrivalJitter({ discontinuityMs: 1 });
    wide.add(0, 0, "", 2 ** 40, 64);
    wide.add(20_000, 20_000, "", 2 ** 40 + 1, 64);
    wide.add(40_000, 20_000 + 5_000_000, "", 2 ** 40 + 2, 64);
    expect(wide.restarts.map((restart) => restart.reason)).toEqual(["timestampJump"]);
    const never = new InterarrivalJitter({ discontinuityMs: Infinity });
    never.add(0, 0);
    never.add(20_000, 99_000_000_000);
    expect(never.restartCount).toBe(0);
    expect(never.samples).toBe(1);
  });
});
