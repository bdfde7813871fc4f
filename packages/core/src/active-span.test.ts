import { describe, expect, it } from "vitest";
import { ActiveSpan, DEFAULT_IDLE_GAP_US } from "./active-span.js";

describe("ActiveSpan", () => {
  it("is the first-to-last span (at least 1 s) when no silence is over the idle gap", () => {
    const span = new ActiveSpan();
    for (let index = 0; index <= 300; index++) span.add(1e15 + index * 100_000); // 10 packets/s for 30 s
    expect(span.spanUs).toBe(30_000_000);
    expect(span.activeUs).toBe(30_000_000);
    expect(span.idleGaps).toBe(0);
    expect(span.perSecond(span.packets)).toBeCloseTo(10.03, 2);
    const short = new ActiveSpan();
    short.add(0);
    short.add(2_000);
    expect(short.activeUs).toBe(1_000_000);
  });

  it("leaves out a stitched capture's 22-year gap and keepalive silences over 120 s (RFC 4787's shortest UDP mapping)", () => {
    // ndpi_teamspeak3.pcap's shape: 13 packets in 37 s of 2000, then 144 keepalive bursts of 4 packets every 600 s in 2022
    const span = new ActiveSpan();
    const year2000Us = 946_745_680e6;
    for (let index = 0; index < 13; index++) span.add(year2000Us + index * (37e6 / 12));
    const year2022Us = 1_667_856_551e6;
    for (let burst = 0; burst < 144; burst++) for (let index = 0; index < 4; index++) span.add(year2022Us + burst * 600e6 + index * 5_000);
    expect(span.spanUs).toBeGreaterThan(7e14);
    expect(span.idleGaps).toBe(144);
    expect(span.longestIdleGapUs).toBeGreaterThan(7e14);
    expect(span.activeUs).toBe(37e6 + 144 * 1e6);
    // a naive rate says 0.0000008 packets/s; over the active time it is 589 / 181 s
    expect(span.perSecond(589)).toBeCloseTo(3.254, 3);
    // an hour's idle gap keeps the keepalive silences in: 589 / (37 s + 143 × 600 s)
    const hourly = new ActiveSpan({ idleGapUs: 3_600e6 });
    hourly.add(0);
    hourly.add(600e6);
    hourly.add(600e6 + 7_200e6);
    expect([hourly.idleGaps, hourly.activeUs]).toEqual([1, 600e6 + 1e6]);
  });

  it("splits at a clock that jumps forward then back (one far-off timestamp), counting the outlier one second", () => {
    const span = new ActiveSpan();
    for (let index = 0; index < 100; index++) span.add(1e15 + index * 50_000);
    span.add(1e15 + 40 * 365 * 86_400e6); // one packet dated 40 years later
    for (let index = 100; index < 200; index++) span.add(1e15 + index * 50_000);
    expect(span.idleGaps).toBe(2);
    expect(span.activeUs).toBe(4_950_000 + 1_000_000 + 4_950_000);
    expect(span.packets).toBe(201);
  });

  it("ignores non-finite times, reports 0 when empty and falls back to the default idle gap on a bad option", () => {
    const span = new ActiveSpan({ idleGapUs: -1 });
    span.add(Number.NaN);
    expect([span.packets, span.spanUs, span.activeUs, span.perSecond(10), span.longestIdleGapUs]).toEqual([0, 0, 0, 0, 0]);
    expect(span.idleGapThresholdUs).toBe(DEFAULT_IDLE_GAP_US);
  });
});
