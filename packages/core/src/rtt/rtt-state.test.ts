import { DDSketch } from "@datadog/sketches-js";
import { describe, expect, it } from "vitest";
import { ErrorCode, TickscopeError } from "../errors.js";
import { InterarrivalJitter, SmoothedRtt } from "./interarrival-jitter.js";
import { QuantileSketch, type QuantileSketchState } from "./quantile-sketch.js";
import { SessionRtt } from "./session-rtt.js";
import { SessionRttSignals, type RttSpike } from "./session-rtt-signals.js";
import { SpikeDetector, type DetectedSpike } from "./spike-detector.js";
import type { RttSample } from "./rtt-sample.js";
import { decodeNumber, encodeNumber } from "./rtt-state.js";
import { AckRttSampler, continueAckCarry } from "./ack-rtt-sampler.js";
import { EchoRttMatcher, continueEchoCarry } from "./echo-rtt-matcher.js";

/** Seeded uniform [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A JSON round trip, as a saved state travels. */
function viaJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function expectBadPartial(action: () => void, code: string = ErrorCode.badPartial): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(TickscopeError);
  expect((thrown as TickscopeError).code).toBe(code);
}

/** Exact `q`-quantile with the sketch's rank convention (lower value at rank q·(n − 1)). */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

describe("non-finite numbers in states", () => {
  it("encode NaN and ±Infinity as JSON-safe values and back", () => {
    for (const value of [0, -1.5, Number.NaN, Infinity, -Infinity]) {
      const encoded = viaJson(encodeNumber(value));
      expect(Object.is(decodeNumber(encoded), value)).toBe(true);
    }
  });
});

describe("QuantileSketch state", () => {
  it("round-trips through JSON: every quantile, count, sum, min and max equal", () => {
    const next = random(1);
    const sketch = new QuantileSketch();
    for (let index = 0; index < 5000; index++) sketch.add(next() < 0.05 ? -next() * 10 : next() < 0.02 ? 0 : Math.exp(next() * 8));
    const restored = QuantileSketch.fromState(viaJson(sketch.saveState()));
    for (const q of [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1]) expect(restored.quantile(q)).toBe(sketch.quantile(q));
    expect([restored.count, restored.sum, restored.min, restored.max, restored.bucketCount]).toEqual([sketch.count, sketch.sum, sketch.min, sketch.max, sketch.bucketCount]);
  });

  it("an empty sketch round-trips (min/max as Infinity strings)", () => {
    const state = viaJson(new QuantileSketch().saveState());
    expect(state.min).toBe("Infinity");
    const restored = QuantileSketch.fromState(state);
    expect(restored.count).toBe(0);
    expect(restored.min).toBe(Infinity);
    expect(Number.isNaN(restored.quantile(0.5))).toBe(true);
  });

  it("merging saved states of random splits equals adding everything to one sketch", () => {
    const next = random(2);
    const values = Array.from({ length: 3000 }, () => 20 + next() * 200);
    const whole = new QuantileSketch();
    const parts = [new QuantileSketch(), new QuantileSketch(), new QuantileSketch()];
    for (const value of values) {
      whole.add(value);
      parts[Math.floor(next() * 3)].add(value);
    }
    const merged = new QuantileSketch();
    for (const part of parts) merged.mergeState(viaJson(part.saveState()));
    for (const q of [0.01, 0.5, 0.95, 0.99]) expect(merged.quantile(q)).toBe(whole.quantile(q));
    expect(merged.count).toBe(whole.count);
    expect(merged.max).toBe(whole.max);
  });

  it("rejects hostile states with E_BAD_PARTIAL (another accuracy with E_PARTIAL_MISMATCH) and stays unchanged", () => {
    const sketch = new QuantileSketch();
    for (let value = 1; value <= 100; value++) sketch.add(value);
    const good = sketch.saveState();
    const hostile: unknown[] = [
      {},
      null,
      "state",
      { ...good, count: -1 },
      { ...good, count: good.count + 1 },
      { ...good, positive: [1, 2, 3] },
      { ...good, positive: [5, 1, 4, 1] },
      { ...good, positive: [1, 0] },
      { ...good, min: 500 },
      { ...good, relativeAccuracy: 2 },
      { ...good, extra: 1 },
      { ...good, positive: new Array(400_002).fill(1) },
      { ...good, sum: "12" },
    ];
    const target = new QuantileSketch();
    target.add(7);
    for (const state of hostile) expectBadPartial(() => target.mergeState(state as QuantileSketchState));
    expectBadPartial(() => target.mergeState({ ...good, relativeAccuracy: 0.01 }), ErrorCode.partialMismatch);
    expect([target.count, target.sum, target.quantile(0.5)]).toEqual([1, 7, 7]);
    expectBadPartial(() => QuantileSketch.fromState({} as QuantileSketchState));
  });

  // Core's sketch is the DDSketch algorithm (kept in core for its allocation-free dense store): tested against the reference implementation.
  for (const relativeAccuracy of [0.005, 0.01, 0.02]) {
    it(`stays within α = ${relativeAccuracy} of the exact quantile and within 2α of @datadog/sketches-js, single and merged from random splits`, () => {
      for (let seed = 1; seed <= 6; seed++) {
        const next = random(seed * 97);
        const size = 200 + Math.floor(next() * 4000);
        const shape = seed % 3;
        const values = Array.from({ length: size }, () => (shape === 0 ? 30 + next() * 100 : shape === 1 ? Math.exp(next() * 10) : 40 + (next() < 0.03 ? 400 * next() : next() * 5)));
        const sorted = [...values].sort((left, right) => left - right);
        const reference = new DDSketch({ relativeAccuracy });
        const single = new QuantileSketch(relativeAccuracy);
        const parts = Array.from({ length: 1 + (seed % 4) }, () => new QuantileSketch(relativeAccuracy));
        for (const value of values) {
          reference.accept(value);
          single.add(value);
          parts[Math.floor(next() * parts.length)].add(value);
        }
        const merged = new QuantileSketch(relativeAccuracy);
        for (const part of parts) merged.mergeState(viaJson(part.saveState()));
        for (const q of [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]) {
          const exact = exactQuantile(sorted, q);
          const expected = reference.getValueAtQuantile(q);
          for (const sketch of [single, merged]) {
            const answer = sketch.quantile(q);
            expect(Math.abs(answer - exact)).toBeLessThanOrEqual(relativeAccuracy * exact * (1 + 1e-9));
            expect(Math.abs(answer - expected)).toBeLessThanOrEqual(2 * relativeAccuracy * Math.abs(expected));
          }
          expect(merged.quantile(q)).toBe(single.quantile(q));
        }
      }
    });
  }
});

describe("SessionRtt state", () => {
  const sample = (method: RttSample["method"], direction: RttSample["direction"], rttMs: number, channel = ""): RttSample => ({ sessionId: "s", direction, method, tUs: 0, rttMs, packetIndex: 0, channel });

  it("round-trips and merges like merge(): choice, percentiles and main channel equal", () => {
    const whole = new SessionRtt();
    const first = new SessionRtt();
    const second = new SessionRtt();
    const next = random(5);
    for (let index = 0; index < 400; index++) {
      const entry = index % 3 === 0 ? sample("echo", "clientToServer", 40 + next() * 10) : sample("ack", "serverToClient", 45 + next() * 30, index % 7 === 0 ? "2" : "1");
      whole.add(entry);
      (index < 170 ? first : second).add(entry);
    }
    const merged = new SessionRtt();
    merged.mergeState(viaJson(first.saveState()));
    merged.mergeState(viaJson(second.saveState()));
    expect(JSON.stringify(merged.saveState())).toBe(JSON.stringify(whole.saveState()));
    const choice = merged.choose()!;
    expect(choice.headline.method).toBe("echo");
    expect(merged.get("ack", "serverToClient")!.mainChannel).toBe("1");
  });

  it("rejects a series twice, a wrong series, or a bad sketch, and merges nothing", () => {
    const source = new SessionRtt();
    source.add(sample("echo", "clientToServer", 50));
    const good = source.saveState();
    const target = new SessionRtt();
    expectBadPartial(() => target.mergeState({ series: [good.series[0], good.series[0]] }));
    expectBadPartial(() => target.mergeState({ series: [good.series[0], { ...good.series[0], method: "ack", sketch: { ...good.series[0].sketch, count: 9 } }] }));
    expectBadPartial(() => target.mergeState({} as never));
    expectBadPartial(() => target.mergeState({ series: [{ ...good.series[0], method: "tcp" }] } as never));
    expect(target.all()).toEqual([]);
    const series = source.get("echo", "clientToServer")!;
    expectBadPartial(() => series.mergeState({ ...good.series[0], direction: "serverToClient" }));
    expect(series.sketch.count).toBe(1);
  });
});

describe("SpikeDetector state", () => {
  function series(seed: number): number[] {
    const next = random(seed);
    return Array.from({ length: 3000 }, (_, index) => (index % 400 > 300 && index % 400 < 330 ? 250 : index > 2000 && index < 2600 ? 120 : 50) + next() * 6);
  }

  it("a detector saved at any point and restored continues exactly (same spikes as one pass)", () => {
    const values = series(3);
    const whole: DetectedSpike[] = [];
    const detector = new SpikeDetector((spike) => whole.push({ ...spike }), { levelShiftAfterMs: 5000 });
    values.forEach((value, index) => detector.add(index * 20_000, value, index));
    detector.finish(values.length * 20_000);
    expect(whole.length).toBeGreaterThan(3);
    for (const cut of [10, 305, 317, 1500, 2100, 2999]) {
      const spikes: DetectedSpike[] = [];
      const first = new SpikeDetector((spike) => spikes.push({ ...spike }), { levelShiftAfterMs: 5000 });
      for (let index = 0; index < cut; index++) first.add(index * 20_000, values[index], index);
      const second = new SpikeDetector((spike) => spikes.push({ ...spike }), { levelShiftAfterMs: 5000 });
      second.loadState(viaJson(first.saveState()));
      const third = new SpikeDetector((spike) => spikes.push({ ...spike }), { levelShiftAfterMs: 5000 });
      third.loadState(viaJson(second.saveState()), 0);
      for (let index = cut; index < values.length; index++) third.add(index * 20_000, values[index], index);
      third.finish(values.length * 20_000);
      expect(spikes).toEqual(whole);
    }
  });

  it("adds the packet-index offset to the open spike and the run", () => {
    const values = series(4);
    const first = new SpikeDetector(() => undefined);
    for (let index = 0; index < 310; index++) first.add(index * 20_000, values[index], index);
    const state = first.saveState();
    expect(state.open).not.toBeNull();
    const restored = new SpikeDetector(() => undefined);
    restored.loadState(viaJson(state), 5000);
    expect(restored.saveState().open!.packetIndices).toEqual(state.open!.packetIndices.map((index) => index + 5000));
  });

  it("rejects another window size, too many window values, or a malformed state, unchanged", () => {
    const source = new SpikeDetector(() => undefined);
    for (let index = 0; index < 200; index++) source.add(index, 50, index);
    const good = source.saveState();
    const target = new SpikeDetector(() => undefined, { baselineWindowSamples: 51 });
    const before = JSON.stringify(target.saveState());
    expectBadPartial(() => target.loadState(good));
    expectBadPartial(() => target.loadState({ ...good, windowSize: 51, window: new Array(52).fill(1) }));
    expectBadPartial(() => target.loadState({ ...good, samples: -3 }));
    expectBadPartial(() => target.loadState({} as never));
    expect(JSON.stringify(target.saveState())).toBe(before);
  });
});

describe("InterarrivalJitter and SmoothedRtt state", () => {
  it("a jitter saved and restored continues exactly (RFC 3550 figures, restarts, PDV)", () => {
    const next = random(8);
    const packets = Array.from({ length: 2000 }, (_, index) => ({ send: index * 20_000 + (index > 1200 ? 9_000_000 : 0), receive: index * 20_000 + 30_000 + next() * 8000, sequence: index & 0xffff }));
    const whole = new InterarrivalJitter();
    for (const packet of packets) whole.add(packet.receive, packet.send, "", packet.sequence);
    const first = new InterarrivalJitter();
    for (const packet of packets.slice(0, 900)) first.add(packet.receive, packet.send, "", packet.sequence);
    const second = new InterarrivalJitter();
    second.loadState(viaJson(first.saveState()));
    for (const packet of packets.slice(900)) second.add(packet.receive, packet.send, "", packet.sequence);
    expect(JSON.stringify(second.saveState())).toBe(JSON.stringify(whole.saveState()));
    expect(second.restartCount).toBe(1);
    expect(second.pdvQuantileMs(0.95)).toBe(whole.pdvQuantileMs(0.95));
    const noPdv = new InterarrivalJitter({ packetDelayVariation: false });
    expectBadPartial(() => noPdv.loadState(whole.saveState()));
    expectBadPartial(() => new InterarrivalJitter({ maxRestartsKept: 0 }).loadState(whole.saveState()));
    expect(noPdv.packets).toBe(0);
  });

  it("SmoothedRtt round-trips, NaN included", () => {
    const fresh = new SmoothedRtt();
    const restored = new SmoothedRtt();
    restored.loadState(viaJson(fresh.saveState()));
    expect(Number.isNaN(restored.smoothedMs)).toBe(true);
    fresh.add(40);
    fresh.add(60);
    restored.loadState(viaJson(fresh.saveState()));
    expect([restored.smoothedMs, restored.variationMs]).toEqual([fresh.smoothedMs, fresh.variationMs]);
    expectBadPartial(() => restored.loadState({ smoothedMs: "fast" } as never));
  });
});

describe("SessionRttSignals state", () => {
  function feed(signals: SessionRttSignals, from: number, to: number): void {
    const next = random(11);
    for (let index = 0; index < to; index++) {
      const tUs = index * 50_000;
      const spike = index % 500 > 400 && index % 500 < 420;
      const echo: RttSample = { sessionId: "s", direction: "clientToServer", method: "echo", tUs, rttMs: (spike ? 200 : 40) + next() * 4, packetIndex: index, channel: "" };
      const ack: RttSample = { ...echo, method: "ack", rttMs: echo.rttMs + 5 + next() * 3, channel: "1" };
      const message = { sessionId: "s", direction: "serverToClient", packetIndex: index, tUs: tUs + 30_000, roles: { sequence: index & 0xffff } } as never;
      const sendTimeUs = tUs + next() * 2000;
      if (index < from) continue;
      signals.add(echo);
      signals.add(ack);
      signals.addSendTime(message, sendTimeUs);
    }
  }

  it("saved mid-stream and restored, continues to the same spikes, jitter and state as one pass", () => {
    const wholeSpikes: RttSpike[] = [];
    const whole = new SessionRttSignals(new SessionRtt(), undefined, (_signals, spike) => wholeSpikes.push({ ...spike }));
    feed(whole, 0, 2000);
    whole.finish();
    const spikes: RttSpike[] = [];
    const firstRtt = new SessionRtt();
    const first = new SessionRttSignals(firstRtt, undefined, (_signals, spike) => spikes.push({ ...spike }));
    feed(first, 0, 910);
    const rtt = new SessionRtt();
    rtt.mergeState(viaJson(firstRtt.saveState()));
    const second = new SessionRttSignals(rtt, undefined, (_signals, spike) => spikes.push({ ...spike }));
    second.loadState(viaJson(first.saveState()));
    feed(second, 910, 2000);
    second.finish();
    expect(wholeSpikes.length).toBeGreaterThan(2);
    expect(spikes).toEqual(wholeSpikes);
    expect(JSON.stringify(second.saveState())).toBe(JSON.stringify(whole.saveState()));
    expect(second.receivedStream()!.jitter.meanJitterUs).toBe(whole.receivedStream()!.jitter.meanJitterUs);
  });

  it("adds the packet-index offset, and rejects malformed states unchanged", () => {
    const source = new SessionRttSignals(new SessionRtt(), undefined, () => undefined);
    feed(source, 0, 300);
    const good = source.saveState();
    const target = new SessionRttSignals(new SessionRtt(), undefined, () => undefined);
    expectBadPartial(() => target.loadState({ ...good, series: [good.series[0], good.series[0]] }));
    expectBadPartial(() => target.loadState({ ...good, series: [{ ...good.series[0], recentSamples: [1, 2] }] }));
    expectBadPartial(() => target.loadState({ ...good, sendTimeStreams: [{ ...good.sendTimeStreams[0], restartPacketIndices: [4] }] }));
    expectBadPartial(() => target.loadState({ ...good, sendTimeStreams: [good.sendTimeStreams[0], good.sendTimeStreams[0]] }));
    expectBadPartial(() => target.loadState({ ...good, series: [{ ...good.series[0], detector: { ...good.series[0].detector, windowSize: 7 } }] }));
    expectBadPartial(() => target.loadState({} as never));
    expect(target.all()).toEqual([]);
    expect(target.sendTimeStreams[0].length + target.sendTimeStreams[1].length).toBe(0);
    target.loadState(viaJson(good), 10_000);
    expect(target.orderedSendTimeStreams()[0].lastPacketIndex).toBe(good.sendTimeStreams[0].lastPacketIndex + 10_000);
  });
});

describe("continuing a pass with a later pass's state (rotation cut)", () => {
  it("InterarrivalJitter.mergeState: packets, samples, last and mean jitter, |D| quantiles and restarts as one pass; PDV within 0.5 %", () => {
    const next = random(21);
    const packets = Array.from({ length: 3000 }, (_, index) => ({ send: index * 20_000 + (index >= 2200 ? 7_000_000 : 0), receive: index * 20_000 + 40_000 + next() * 9000 + (index % 700 < 40 ? 30_000 : 0), sequence: index & 0xffff }));
    const whole = new InterarrivalJitter();
    for (const packet of packets) whole.add(packet.receive, packet.send, "", packet.sequence);
    for (const cut of [1, 700, 1999, 2200, 2999]) {
      const first = new InterarrivalJitter();
      const second = new InterarrivalJitter();
      packets.forEach((packet, index) => (index < cut ? first : second).add(packet.receive, packet.send, "", packet.sequence));
      const merged = new InterarrivalJitter();
      merged.loadState(viaJson(first.saveState()));
      merged.mergeState(viaJson(second.saveState()));
      expect([merged.packets, merged.samples, merged.restartCount]).toEqual([whole.packets, whole.samples, whole.restartCount]);
      expect(merged.jitterUs).toBeCloseTo(whole.jitterUs, 6);
      expect(merged.meanJitterUs).toBeCloseTo(whole.meanJitterUs, 6);
      expect(merged.perPacketMs.quantile(0.95)).toBe(whole.perPacketMs.quantile(0.95));
      expect(merged.restarts.map((restart) => restart.tUs)).toEqual(whole.restarts.map((restart) => restart.tUs));
      expect(merged.maxJitterUs).toBeLessThanOrEqual(whole.maxJitterUs + 1e-6);
      for (const q of [0.5, 0.95, 0.99]) expect(Math.abs(merged.pdvQuantileMs(q) - whole.pdvQuantileMs(q))).toBeLessThanOrEqual(0.011 * Math.max(1, whole.pdvQuantileMs(1)));
    }
  });

  it("QuantileSketch.mergeShiftedState keeps count/sum/min/max exact and rejects a bad shift", () => {
    const source = new QuantileSketch();
    for (let value = 0; value < 100; value++) source.add(value);
    const target = new QuantileSketch();
    target.mergeShiftedState(source.saveState(), 10, 1);
    expect([target.count, target.min, target.max]).toEqual([99, 10, 109]);
    expect(target.sum).toBe(source.sum + 99 * 10);
    expectBadPartial(() => target.mergeShiftedState(source.saveState(), Number.NaN));
    expectBadPartial(() => target.mergeShiftedState(source.saveState(), 1, 5));
    expect(target.count).toBe(99);
  });

  it("SessionRttSignals.mergeState: spikes detected per pass, send-time jitter continues exactly, offsets applied", () => {
    const feed = (signals: SessionRttSignals, from: number, to: number, offset: number): void => {
      const next = random(31);
      for (let index = 0; index < to; index++) {
        const tUs = index * 50_000;
        const sample: RttSample = { sessionId: "s", direction: "clientToServer", method: "echo", tUs, rttMs: (index % 500 > 400 && index % 500 < 420 ? 200 : 40) + next() * 4, packetIndex: index - offset, channel: "" };
        const sendTimeUs = tUs + next() * 2000;
        if (index < from) continue;
        signals.add(sample);
        signals.addSendTime({ sessionId: "s", direction: "serverToClient", packetIndex: index - offset, tUs: tUs + 30_000, roles: { sequence: index & 0xffff } } as never, sendTimeUs);
      }
    };
    const wholeSpikes: RttSpike[] = [];
    const whole = new SessionRttSignals(new SessionRtt(), undefined, (_signals, spike) => wholeSpikes.push({ ...spike }));
    feed(whole, 0, 2000, 0);
    whole.finish();
    const spikes: RttSpike[] = [];
    const first = new SessionRttSignals(new SessionRtt(), undefined, (_signals, spike) => spikes.push({ ...spike }));
    feed(first, 0, 1000, 0);
    first.finish();
    const second = new SessionRttSignals(new SessionRtt(), undefined, (_signals, spike) => spikes.push({ ...spike, packetIndices: spike.packetIndices.map((index) => index + 1000) }));
    feed(second, 1000, 2000, 1000);
    second.finish();
    const merged = new SessionRttSignals(new SessionRtt(), undefined, () => undefined);
    merged.loadState(viaJson(first.saveState()));
    merged.mergeState(viaJson(second.saveState()), 1000);
    expect(spikes.map((spike) => spike.startUs)).toEqual(wholeSpikes.map((spike) => spike.startUs));
    const mergedStream = merged.receivedStream()!;
    const wholeStream = whole.receivedStream()!;
    expect(mergedStream.jitter.packets).toBe(wholeStream.jitter.packets);
    expect(mergedStream.jitter.meanJitterUs).toBeCloseTo(wholeStream.jitter.meanJitterUs, 6);
    expect(mergedStream.lastPacketIndex).toBe(wholeStream.lastPacketIndex);
    const series = merged.get("echo", "clientToServer")!;
    expect([series.firstUs, series.lastUs]).toEqual([whole.get("echo", "clientToServer")!.firstUs, whole.get("echo", "clientToServer")!.lastUs]);
    expect(series.jitter.jitterUs).toBeCloseTo(whole.get("echo", "clientToServer")!.jitter.jitterUs, 6);
    expectBadPartial(() => merged.mergeState({} as never));
  });
});

describe("exchanges spanning a rotation cut (ack and echo carry)", () => {
  const msg = (direction: "clientToServer" | "serverToClient", tUs: number, packetIndex: number, roles: Record<string, unknown>) =>
    ({ sessionId: "s", direction, tUs, packetIndex, indexInPacket: 0, type: "m", byteLength: 10, packetWireLength: 60, fields: {}, roles }) as never;

  it("an ack in the later pass of a send in the earlier pass gives the sample one pass gives; the early-ack counters are undone", () => {
    const wholeSamples: RttSample[] = [];
    const whole = new AckRttSampler((sample) => wholeSamples.push({ ...sample }));
    const firstSamples: RttSample[] = [];
    const first = new AckRttSampler((sample) => firstSamples.push({ ...sample }));
    const secondSamples: RttSample[] = [];
    const second = new AckRttSampler((sample) => secondSamples.push({ ...sample }));
    const events = [
      msg("clientToServer", 0, 0, { sequence: 10 }),
      msg("serverToClient", 40_000, 1, { sequence: 500, ack: 10 }),
      msg("clientToServer", 50_000, 2, { sequence: 11 }),
      msg("clientToServer", 60_000, 3, { sequence: 12 }),
      // cut here
      msg("serverToClient", 95_000, 4, { sequence: 501, ack: 12, ackDelayUs: 1000 }),
      msg("clientToServer", 100_000, 5, { sequence: 13 }),
      msg("serverToClient", 140_000, 6, { sequence: 502, ack: 13 }),
    ];
    events.forEach((event, index) => {
      whole.onMessage(event);
      if (index < 4) first.onMessage(event);
      else second.onMessage({ ...(event as object), packetIndex: (event as { packetIndex: number }).packetIndex - 4 } as never);
    });
    const earlier = viaJson(first.saveCarry("s")!);
    const later = viaJson(second.saveCarry("s")!);
    expect(earlier.streams[0].sends.map((send) => send[0])).toEqual([1, 0]);
    expect(later.acks.length).toBe(1);
    expect(later.acks[0].counted).toBe("beforeFirstSend");
    expect(first.saveCarry("nobody")).toBeUndefined();
    const carried = continueAckCarry("s", earlier, later, 4);
    expect(carried.samples).toEqual(wholeSamples.filter((sample) => sample.packetIndex === 4));
    expect([carried.acksBeforeFirstSend, second.acksBeforeFirstSend, whole.acksBeforeFirstSend]).toEqual([1, 1, 0]);
    expect(firstSamples.length + carried.samples.length + secondSamples.length).toBe(wholeSamples.length);
    // an ack after a gap in the acker's own sequence gives none (Karn-like ambiguity)
    const gapped = { ...later, acks: [{ ...later.acks[0], ackerSequence: 503 }] };
    expect(continueAckCarry("s", earlier, gapped, 4).samples).toEqual([]);
  });

  it("a pong in the later pass of a ping in the earlier pass gives the sample; the reply is no longer unmatched", () => {
    const samples: RttSample[] = [];
    const first = new EchoRttMatcher(() => undefined);
    const second = new EchoRttMatcher((sample) => samples.push({ ...sample }));
    first.onMessage(msg("clientToServer", 0, 0, { echoKey: "p1", echoPhase: "request" }));
    first.onMessage(msg("clientToServer", 500_000, 1, { echoKey: "p2", echoPhase: "request", sendTimeUs: 77 }));
    second.onMessage(msg("serverToClient", 545_000, 0, { echoKey: "p2", echoPhase: "reply", echoTimeUs: 77 }));
    expect(second.unmatchedReplies).toBe(1);
    const carried = continueEchoCarry("s", viaJson(first.saveCarry("s")!), viaJson(second.saveCarry("s")!), 2);
    expect(carried.matchedReplies).toBe(1);
    expect(carried.samples).toEqual([{ sessionId: "s", direction: "clientToServer", method: "echo", tUs: 500_000, rttMs: 45, packetIndex: 2, channel: "" }]);
    expect(first.saveCarry("none")).toBeUndefined();
  });
});
