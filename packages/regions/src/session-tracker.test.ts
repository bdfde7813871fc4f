import { describe, expect, it } from "vitest";
import { createSeededRandom } from "./random.js";
import type { RttSample } from "@tickscope/core";
import { RttStream, SequenceWindow, SessionTracker } from "./session-tracker.js";

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
  it("keeps every sample while under capacity", () => {
    const stream = new RttStream(100, createSeededRandom(1));
    const samples = [40, 42, 40, 42, 150, 160, 155, 41, 40, 200, 40];
    for (const sample of samples) stream.add(sample);
    expect(stream.median()).toBe(42);
    expect(stream.samples()).toEqual(samples);
  });

  it("keeps a bounded uniform reservoir", () => {
    const stream = new RttStream(500, createSeededRandom(2));
    for (let index = 0; index < 20_000; index++) stream.add(index % 100);
    expect(stream.samples()).toHaveLength(500);
    expect(stream.count).toBe(20_000);
    expect(Math.abs(stream.median() - 49.5)).toBeLessThan(8);
    expect(new RttStream(4, createSeededRandom(1)).median()).toBeNaN();
  });

  it("grows its reservoir to the capacity as samples arrive, keeping the samples and draws of a full-size one", () => {
    const stream = new RttStream(500, createSeededRandom(3));
    expect(stream.reservoir.length).toBe(64);
    for (let index = 0; index < 100; index++) stream.add(index);
    expect(stream.reservoir.length).toBe(128);
    expect(stream.samples()).toEqual(Array.from({ length: 100 }, (_, index) => index));
    for (let index = 100; index < 5000; index++) stream.add(index);
    expect(stream.reservoir.length).toBe(500);
    // The same uniform reservoir a preallocated one keeps: the draws happen only once the reservoir is full.
    const random = createSeededRandom(3);
    const expected = Array.from({ length: 500 }, (_, index) => index);
    for (let index = 500; index < 5000; index++) {
      const slot = random.nextInt(index + 1);
      if (slot < 500) expected[slot] = index;
    }
    expect(stream.samples()).toEqual(expected);
  });
});

const LIMITS = { maxRttSamples: 8, maxSequenceSpaces: 1, lossWindow: 8, spike: undefined, maxSpikesPerSeries: 2 };

describe("SessionTracker bounds", () => {
  it("bounds sequence spaces (RTT pairing is core's RttSampler)", () => {
    const tracker = new SessionTracker("s", LIMITS);
    expect(tracker.sequenceSpace("clientToServer", 0, 16)).toBeDefined();
    expect(tracker.sequenceSpace("clientToServer", 0, 16)).toBe(tracker.sequenceSpace("clientToServer", 0, 16));
    expect(tracker.sequenceSpace("serverToClient", 0, 16)).toBeUndefined();
    expect(tracker.allSequenceSpaces()).toHaveLength(1);
    expect(tracker.droppedSequenceSpaces).toBe(1);
  });

  it("counts the spikes of core's time series, at most maxSpikesPerSeries per series", () => {
    const tracker = new SessionTracker("s", LIMITS);
    const sample: RttSample = { sessionId: "s", direction: "serverToClient", method: "ack", tUs: 0, rttMs: 0, packetIndex: 0, channel: "" };
    for (let index = 0; index < 600; index++) {
      sample.tUs = index * 50_000;
      // three 1-second spikes to 300 ms over a 40 ms baseline
      sample.rttMs = index % 200 >= 100 && index % 200 < 120 ? 300 : 40 + (index % 3);
      tracker.signals.add(sample);
    }
    tracker.signals.finish();
    const choice = tracker.rtt.choose()!;
    expect(tracker.spikes.get(tracker.signals.of(choice.timeSeries))).toHaveLength(2);
    expect(tracker.spikeCount(choice)).toBe(2);
  });

  it("files a sample into its own series' reservoir and prefix, the prefix bounded, as addRtt and notePrefixSample do", () => {
    const fast = new SessionTracker("s", LIMITS);
    const slow = new SessionTracker("s", LIMITS);
    const methods = ["echo", "ack", "reported"] as const;
    const directions = ["clientToServer", "serverToClient"] as const;
    for (let index = 0; index < 1500; index++) {
      const sample: RttSample = {
        sessionId: "s",
        direction: directions[index % 2]!,
        method: methods[Math.floor(index / 2) % 3]!,
        tUs: index * 1000,
        rttMs: 20 + (index % 7),
        packetIndex: index,
        channel: "",
      };
      fast.addSample(sample);
      slow.notePrefixSample(sample);
      slow.addRtt(sample.method, sample.direction, sample.rttMs);
    }
    expect([...fast.rttStreams.keys()].sort()).toEqual(["ack:clientToServer", "ack:serverToClient", "echo:clientToServer", "echo:serverToClient", "reported:clientToServer", "reported:serverToClient"]);
    for (const [key, stream] of fast.rttStreams) {
      expect(stream.count).toBe(250);
      expect(stream.samples()).toEqual(slow.rttStreams.get(key)!.samples());
      const prefix = fast.samplePrefixes.get(key)!;
      expect(prefix).toHaveLength(3 * fast.samplePrefixLength);
      expect(prefix).toEqual(slow.samplePrefixes.get(key));
    }
    // echo from client to server: samples 0, 6, 12, … (their start, RTT and packet index, in order)
    expect(fast.samplePrefixes.get("echo:clientToServer")!.slice(0, 6)).toEqual([0, 20, 0, 6000, 26, 6]);
    expect(fast.samplePrefixes.get("ack:serverToClient")!.slice(0, 3)).toEqual([3000, 23, 3]);
  });
});
