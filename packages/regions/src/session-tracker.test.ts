import { describe, expect, it } from "vitest";
import { createSeededRandom } from "./random.js";
import { InterarrivalJitter, RttStream, SequenceWindow, SessionTracker } from "./session-tracker.js";

describe("SequenceWindow", () => {
  it("counts gaps as loss and measures bursts", () => {
    const window = new SequenceWindow(64, 16);
    for (const sequence of [0, 1, 2, 6, 7, 9, 10]) window.add(sequence); // lost 3,4,5 and 8
    window.flush();
    expect(window.receivedCount).toBe(7);
    expect(window.lostCount).toBe(4);
    expect(window.burstCount).toBe(2);
    expect(window.maxBurstLength).toBe(3);
  });

  it("tolerates reordering inside the window and counts duplicates", () => {
    const window = new SequenceWindow(16, 16);
    for (const sequence of [0, 2, 1, 3, 3, 5, 4]) window.add(sequence);
    window.flush();
    expect(window.lostCount).toBe(0);
    expect(window.receivedCount).toBe(6);
    expect(window.duplicateOrLateCount).toBe(1);
  });

  it("declares loss when the window slides and counts too-late arrivals", () => {
    const window = new SequenceWindow(4, undefined);
    for (const sequence of [0, 1, 3, 4, 5, 6, 7, 8]) window.add(sequence);
    window.add(2); // arrives after the window moved past it
    window.flush();
    expect(window.lostCount).toBe(1);
    expect(window.duplicateOrLateCount).toBe(1);
    expect(window.maxBurstLength).toBe(1);
  });

  it("unwraps 16-bit sequence numbers", () => {
    const window = new SequenceWindow(64, 16);
    for (let index = 0; index < 200; index++) {
      const sequence = (65_500 + index) & 0xffff;
      if (index !== 50 && index !== 51) window.add(sequence);
    }
    window.flush();
    expect(window.receivedCount).toBe(198);
    expect(window.lostCount).toBe(2);
    expect(window.maxBurstLength).toBe(2);
    new SequenceWindow(8, 16).flush(); // empty flush is harmless
  });
});

describe("RttStream", () => {
  it("computes jitter as the mean absolute successive difference and counts spike onsets", () => {
    const stream = new RttStream(100, createSeededRandom(1), 50);
    const samples = [40, 42, 40, 42, 150, 160, 155, 41, 40, 200, 40];
    for (const sample of samples) stream.add(sample);
    let sum = 0;
    for (let index = 1; index < samples.length; index++) sum += Math.abs(samples[index]! - samples[index - 1]!);
    expect(stream.jitterMs).toBeCloseTo(sum / (samples.length - 1), 10);
    expect(stream.spikeCount).toBe(2);
    expect(stream.median()).toBe(42);
    expect(stream.samples()).toEqual(samples);
  });

  it("keeps a bounded uniform reservoir", () => {
    const stream = new RttStream(500, createSeededRandom(2), 50);
    for (let index = 0; index < 20_000; index++) stream.add(index % 100);
    expect(stream.samples()).toHaveLength(500);
    expect(stream.count).toBe(20_000);
    expect(Math.abs(stream.median() - 49.5)).toBeLessThan(8);
    expect(new RttStream(4, createSeededRandom(1), 50).median()).toBeNaN();
    expect(new RttStream(4, createSeededRandom(1), 50).jitterMs).toBe(0);
  });
});

describe("SessionTracker bounds", () => {
  it("bounds sequence spaces (RTT pairing is core's RttSampler)", () => {
    const tracker = new SessionTracker("s", { maxRttSamples: 8, maxSequenceSpaces: 1, lossWindow: 8, spikeThresholdMs: 50 });
    expect(tracker.sequenceSpace("clientToServer", 0, 16)).toBeDefined();
    expect(tracker.sequenceSpace("clientToServer", 0, 16)).toBe(tracker.sequenceSpace("clientToServer", 0, 16));
    expect(tracker.sequenceSpace("serverToClient", 0, 16)).toBeUndefined();
    expect(tracker.allSequenceSpaces()).toHaveLength(1);
    expect(tracker.droppedSequenceSpaces).toBe(1);
  });
});

describe("InterarrivalJitter", () => {
  it("is the mean |D| of consecutive datagrams, once per datagram, ignoring stale send times", () => {
    const jitter = new InterarrivalJitter();
    expect(jitter.jitterMs).toBeNaN();
    jitter.add(0, 0, 10_000);
    jitter.add(0, 0, 10_000); // second message of the same datagram
    jitter.add(1, 20_000, 32_000); // D = 12,000 − 20,000... transit 12 ms vs 10 ms: |D| = 2 ms
    jitter.add(2, 40_000, 50_000); // transit 10 ms: |D| = 2 ms
    jitter.add(3, 30_000, 51_000); // send time went backwards (reordered/retransmitted): ignored
    jitter.add(4, 60_000, 74_000); // transit 14 ms vs 10 ms: |D| = 4 ms
    expect(jitter.count).toBe(3);
    expect(jitter.jitterMs).toBeCloseTo(8 / 3, 10);
  });
});
