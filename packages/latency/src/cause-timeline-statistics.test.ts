import { describe, expect, it } from "vitest";
import { CauseTimeline } from "./cause-timeline.js";
import { RunningStatistics } from "./running-statistics.js";

const FEATURES = 6;
const BIN_US = 100_000;

/** A reference model: each bin's packets, bytes, lost, resends and largest server gap, closed into RunningStatistics as bins close. */
class ReferenceTimeline {
  readonly statistics = Array.from({ length: FEATURES }, () => new RunningStatistics());
  private bin = Number.NaN;
  private values = [0, 0, 0, 0, 0];

  at(tUs: number): void {
    const bin = Math.floor(tUs / BIN_US);
    if (Number.isNaN(this.bin)) this.bin = bin;
    if (bin <= this.bin) return;
    this.close();
    // Bins in between are empty: every feature but the mean packet size counts a 0.
    for (let step = 1; step < Math.min(bin - this.bin, 10_000); step++) {
      for (let feature = 0; feature < FEATURES; feature++) if (feature !== 2) this.statistics[feature].add(0);
    }
    this.bin = bin;
    this.values = [0, 0, 0, 0, 0];
  }

  private close(): void {
    const [packets, bytes, lost, resends, gapMs] = this.values;
    this.statistics[0].add(packets);
    this.statistics[1].add(bytes);
    this.statistics[2].add(packets === 0 ? Number.NaN : bytes / packets);
    this.statistics[3].add(lost);
    this.statistics[4].add(resends);
    this.statistics[5].add(gapMs);
  }

  packet(tUs: number, bytes: number): void {
    this.at(tUs);
    this.values[0] += 1;
    this.values[1] += bytes;
  }

  loss(tUs: number, count: number): void {
    this.at(tUs);
    this.values[2] += count;
  }

  resend(tUs: number): void {
    this.at(tUs);
    this.values[3] += 1;
  }

  gap(tUs: number, gapMs: number): void {
    this.at(tUs);
    if (gapMs > this.values[4]) this.values[4] = gapMs;
  }
}

describe("CauseTimeline running statistics", () => {
  it("equal RunningStatistics over the closed bins, through ring wrap-arounds, silences longer than the history and bins without packets", () => {
    const timeline = new CauseTimeline({ historyBins: 7 });
    const reference = new ReferenceTimeline();
    let state = 12345;
    const random = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    // A capture-like clock (µs since 1970) so bins are far beyond 32 bits.
    let tUs = 1_767_225_600_000_000;
    for (let event = 0; event < 5000; event++) {
      const roll = random();
      // Mostly a few ms apart, sometimes a silence of several bins, rarely one longer than the whole history.
      tUs += roll < 0.01 ? 1_500_000 + Math.floor(random() * 1_000_000) : roll < 0.05 ? 250_000 + Math.floor(random() * 300_000) : Math.floor(random() * 20_000);
      const kind = random();
      if (kind < 0.7) {
        const bytes = 40 + Math.floor(random() * 1200);
        timeline.addPacket(tUs, bytes);
        reference.packet(tUs, bytes);
      } else if (kind < 0.8) {
        const count = 1 + Math.floor(random() * 4);
        timeline.addLoss(tUs, count);
        reference.loss(tUs, count);
      } else if (kind < 0.9) {
        timeline.addResend(tUs);
        reference.resend(tUs);
      } else {
        const gapMs = random() * 80;
        timeline.addServerGap(tUs, gapMs);
        reference.gap(tUs, gapMs);
      }
    }
    for (let feature = 0; feature < FEATURES; feature++) {
      const expected = reference.statistics[feature];
      const actual = timeline.featureStatistics(feature);
      expect(actual.count, `feature ${feature}`).toBe(expected.count);
      expect(actual.mean, `feature ${feature}`).toBe(expected.mean);
      expect(actual.standardDeviation, `feature ${feature}`).toBe(expected.standardDeviation);
    }
    expect(timeline.featureStatistics(0).count).toBeGreaterThan(100);
  });

  it("keeps each bin's values in its own ring slot as the clock moves on (the current bin's slot counted on from the last)", () => {
    const timeline = new CauseTimeline({ historyBins: 4, lookbackMs: 0, lookaheadMs: 0 });
    const startUs = 1_767_225_600_000_000;
    // Bins 0, 1, 2, then 5 (two empty bins: the ring wraps), then 6: each with its own number of lost packets.
    const lostByBin = new Map([
      [0, 1],
      [1, 2],
      [2, 3],
      [5, 4],
      [6, 5],
    ]);
    for (const [bin, lost] of lostByBin) timeline.addLoss(startUs + bin * BIN_US + 10, lost);
    // A window covering the held bins 3..6: only bins 5 and 6 lost packets (bins 0..2 left the ring).
    const window = timeline.windowBins(startUs + 3 * BIN_US, startUs + 6 * BIN_US);
    expect(window).toHaveLength(4);
    const causes = timeline.scoreSpike(startUs + 3 * BIN_US, startUs + 6 * BIN_US);
    const loss = causes.find((cause) => cause.kind === "lossBurst");
    expect(loss?.evidence.lostPackets).toBe(9);
    // The closed bins: 0, 1, 2, two empty, 5 (6 is current).
    const lost = timeline.featureStatistics(3);
    expect(lost.count).toBe(6);
    expect(lost.mean).toBeCloseTo((1 + 2 + 3 + 4) / 6, 12);
  });
});
