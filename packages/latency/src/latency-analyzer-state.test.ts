import { ErrorCode, TickscopeError } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { LatencyAnalyzer } from "./latency-analyzer.js";
import { LATENCY_STATE_VERSION, latencyAnalyzerStateSchema, type LatencyAnalyzerState } from "./latency-analyzer-state.js";
import type { LatencyReport } from "./latency-report.js";
import { feed, matchEvents, rotationCut, sessionGroup, type PassEvent } from "./test-support/split-passes.js";
import { createRandom, generateMatch, type SyntheticMatch } from "./test-support/synthetic-match.js";

function viaJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function simulatedMatch(seed: number, sessions = 8, durationMs = 90_000): SyntheticMatch {
  return generateMatch({
    seed,
    durationMs,
    sessions,
    spikes: [
      { kind: "lastMile", startMs: 20_000, durationMs: 1500, extraMs: 150, sessions: [1] },
      { kind: "sharedPath", startMs: 40_000, durationMs: 2000, extraMs: 120 },
      { kind: "lossBurst", startMs: 61_000, durationMs: 800, sessions: [2] },
      { kind: "tickStall", startMs: 75_000, durationMs: 400, logEvent: "gc_pause" },
    ],
  });
}

function onePass(events: readonly PassEvent[]): { report: LatencyReport; state: LatencyAnalyzerState } {
  const analyzer = new LatencyAnalyzer();
  feed(analyzer, events);
  const state = analyzer.saveState();
  return { report: analyzer.finish(), state };
}

function merged(states: readonly { state: LatencyAnalyzerState; offset: number }[]): LatencyReport {
  const analyzer = new LatencyAnalyzer();
  for (const { state, offset } of states) analyzer.mergeState(viaJson(state), { packetIndexOffset: offset });
  return analyzer.finish();
}

function expectCode(action: () => void, code: string): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(TickscopeError);
  expect((thrown as TickscopeError).code).toBe(code);
}

describe("LatencyAnalyzer saved state", () => {
  const match = simulatedMatch(3);
  const events = matchEvents(match, true);
  const single = onePass(events);

  it("is plain JSON data matching its schema; a fresh analyzer merging it finishes byte-identically", () => {
    expect(JSON.parse(JSON.stringify(single.state))).toEqual(single.state);
    expect(single.report.sessions.length).toBe(8);
    expect(single.report.sessions.some((session) => session.spikes.length > 0)).toBe(true);
    expect(JSON.stringify(merged([{ state: single.state, offset: 0 }]))).toBe(JSON.stringify(single.report));
  });

  it("saveState then finish on the same analyzer equals finish alone", () => {
    const analyzer = new LatencyAnalyzer();
    feed(analyzer, events);
    expect(JSON.stringify(analyzer.finish())).toBe(JSON.stringify(single.report));
  });

  for (const groups of [2, 3]) {
    for (const seed of [1, 2, 3]) {
      it(`disjoint sessions in ${groups} random groups (seed ${seed}) merge byte-identically to one pass, in any merge order`, () => {
        const shared = simulatedMatch(seed * 11, 9, 60_000);
        const all = matchEvents(shared, false);
        const whole = onePass(all).report;
        const random = createRandom(seed);
        const membership = shared.sessions.map(() => Math.floor(random() * groups));
        const states = Array.from({ length: groups }, (_, group) => {
          const ids = new Set(shared.sessions.filter((_, index) => membership[index] === group).map((session) => session.id));
          return { state: onePass(sessionGroup(all, ids)).state, offset: 0 };
        });
        expect(JSON.stringify(merged(states))).toBe(JSON.stringify(whole));
        expect(JSON.stringify(merged([...states].reverse()))).toBe(JSON.stringify(whole));
        expect(whole.findings.some((finding) => finding.kind === "latencySpike")).toBe(true);
      });
    }
  }

  it("disjoint sessions with control-channel acks and reported RTTs from the server log merge byte-identically", () => {
    const shared = generateMatch({ seed: 77, durationMs: 45_000, sessions: 7, controlChannelAcks: true, spikes: [{ kind: "sharedPath", startMs: 20_000, durationMs: 1500, extraMs: 140 }] });
    const all = matchEvents(shared, false);
    const whole = onePass(all).report;
    const groups = [new Set(["s0000", "s0003", "s0005"]), new Set(["s0001", "s0002", "s0004", "s0006"])].map((ids) => new Set(shared.sessions.map((session) => session.id).filter((id) => ids.has(id))));
    expect(groups[0].size + groups[1].size).toBe(7);
    const states = groups.map((ids) => ({ state: onePass(sessionGroup(all, ids)).state, offset: 0 }));
    expect(JSON.stringify(merged(states))).toBe(JSON.stringify(whole));
    expect(whole.sessions.every((session) => session.series.some((series) => series.method === "ack"))).toBe(true);
  });

  it("a rotation cut keeps sample counts, methods, and percentiles exact up to the samples spanning the cut", () => {
    const cutUs = match.startUs + 45_300_000;
    const { first, second, offset } = rotationCut(events, cutUs);
    const report = merged([
      { state: onePass(first).state, offset: 0 },
      { state: onePass(second).state, offset },
    ]);
    expect(report.sessions.map((session) => session.id)).toEqual(single.report.sessions.map((session) => session.id));
    for (const [index, session] of report.sessions.entries()) {
      const whole = single.report.sessions[index];
      expect(session.method).toBe(whole.method);
      expect(session.series.length).toBe(whole.series.length);
      for (const [seriesIndex, series] of session.series.entries()) {
        const wholeSeries = whole.series[seriesIndex];
        // exchanges spanning the cut are paired at merge: no sample lost or added
        expect(series.samples).toBe(wholeSeries.samples);
        expect(Math.abs(series.p50 - wholeSeries.p50)).toBeLessThanOrEqual(0.01 * wholeSeries.p50);
        expect(series.max).toBeLessThanOrEqual(wholeSeries.max);
        // the smoothed RTT and its variation continue across the cut (head replay + linear decay)
        expect(Math.abs(series.smoothedMs - wholeSeries.smoothedMs)).toBeLessThanOrEqual(0.002);
        expect(Math.abs(series.variationMs - wholeSeries.variationMs)).toBeLessThanOrEqual(0.05);
      }
      expect(session.perMinute).toEqual(whole.perMinute);
      expect(session.timeline).toEqual(whole.timeline);
      expect(session.experience.timeAbove50Ms).toBe(whole.experience.timeAbove50Ms);
      expect(session.jitterMs).toEqual(whole.jitterMs);
    }
    expect(report.methodDetails).toEqual(single.report.methodDetails);
    expect(report.anomalies).toEqual(single.report.anomalies);
  });

  it("a spike open at the cut continues, and one starting in the later pass's warm-up is found (head replay)", () => {
    for (const cutMs of [20_030, 40_400]) {
      const { first, second, offset } = rotationCut(events, match.startUs + cutMs * 1000);
      const report = merged([
        { state: onePass(first).state, offset: 0 },
        { state: onePass(second).state, offset },
      ]);
      const spikes = (source: LatencyReport) => source.sessions.map((session) => session.spikes.map((spike) => [spike.startUs, spike.endUs, spike.peakMs, spike.levelShift]));
      expect(spikes(report)).toEqual(spikes(single.report));
      expect(report.findings.length).toBe(single.report.findings.length);
    }
  });

  it("three rotated files (two cuts, one inside a spike) merge in capture order like one pass", () => {
    const firstCut = rotationCut(events, match.startUs + 20_030_000);
    const secondCut = rotationCut(firstCut.second, match.startUs + 40_400_000);
    const report = merged([
      { state: onePass(firstCut.first).state, offset: 0 },
      { state: onePass(secondCut.first).state, offset: firstCut.offset },
      { state: onePass(secondCut.second).state, offset: firstCut.offset + secondCut.offset },
    ]);
    for (const [index, session] of report.sessions.entries()) {
      const whole = single.report.sessions[index];
      expect(session.series.map((series) => series.samples)).toEqual(whole.series.map((series) => series.samples));
      expect(session.spikes.map((spike) => [spike.startUs, spike.endUs, spike.peakMs])).toEqual(whole.spikes.map((spike) => [spike.startUs, spike.endUs, spike.peakMs]));
      expect(session.perMinute).toEqual(whole.perMinute);
    }
    expect(report.methodDetails).toEqual(single.report.methodDetails);
    const packetIndices = (source: LatencyReport) => source.findings.filter((finding) => finding.kind === "latencySpike").map((finding) => finding.evidence.packetIndices);
    expect(packetIndices(report)).toEqual(packetIndices(single.report));
  });

  it("adds the packet-index offset to spike evidence of the later pass", () => {
    const cutUs = match.startUs + 30_000_000;
    const { first, second, offset } = rotationCut(events, cutUs);
    const report = merged([
      { state: onePass(first).state, offset: 0 },
      { state: onePass(second).state, offset },
    ]);
    const late = report.findings.filter((finding) => finding.kind === "latencySpike" && finding.startUs > cutUs + 5_000_000);
    expect(late.length).toBeGreaterThan(0);
    for (const finding of late) {
      const twin = single.report.findings.find((candidate) => candidate.kind === finding.kind && candidate.session === finding.session && candidate.startUs === finding.startUs);
      expect(twin?.evidence.packetIndices).toEqual(finding.evidence.packetIndices);
    }
  });

  it("rejects hostile states with E_BAD_PARTIAL (other options: E_PARTIAL_MISMATCH) and stays unchanged", () => {
    const good = viaJson(single.state);
    const session = good.sessions[0];
    const series = session.series[0];
    const hostile: unknown[] = [
      {},
      viaJson({}),
      null,
      [],
      { ...good, version: LATENCY_STATE_VERSION + 1 },
      { ...good, analysis: "loss" },
      { ...good, sessions: undefined },
      { ...good, counters: { ...good.counters, ackRetransmissions: "3" } },
      { ...good, sessions: [session, session] },
      { ...good, sessions: [{ ...session, series: [series, series] }] },
      { ...good, sessions: [{ ...session, series: [{ ...series, spikes: new Array(1001).fill(series.spikes[0] ?? { spike: {}, contradictedBy: null, causes: [] }) }] }] },
      { ...good, sessions: [{ ...session, series: [{ ...series, timeline: { ...series.timeline, bucketUs: 3000 } }] }] },
      { ...good, sessions: [{ ...session, rtt: { series: [{ ...session.rtt.series[0], sketch: { ...session.rtt.series[0].sketch, count: 1 } }] } }] },
      { ...good, sessions: [{ ...session, signals: { ...session.signals, series: [{ ...session.signals.series[0], detector: { ...session.signals.series[0].detector, windowSize: 5 } }] } }] },
      { ...good, sessions: new Array(100_001).fill(0) },
      { ...good, anomalies: [["E_X", -1]] },
    ];
    const analyzer = new LatencyAnalyzer();
    analyzer.mergeState(viaJson(single.state), { packetIndexOffset: 0 });
    const before = JSON.stringify(analyzer.saveState());
    for (const state of hostile) expectCode(() => analyzer.mergeState(state as LatencyAnalyzerState, { packetIndexOffset: 0 }), ErrorCode.badPartial);
    expectCode(() => analyzer.mergeState(good, { packetIndexOffset: -1 }), ErrorCode.badPartial);
    expectCode(() => new LatencyAnalyzer({ sharedWindowMs: 500 }).mergeState(good, { packetIndexOffset: 0 }), ErrorCode.partialMismatch);
    expect(JSON.stringify(analyzer.saveState())).toBe(before);
    expect(JSON.stringify(analyzer.finish())).toBe(JSON.stringify(single.report));
  });

  it("refuses to save or merge after finish()", () => {
    const analyzer = new LatencyAnalyzer();
    analyzer.mergeState(viaJson(single.state), { packetIndexOffset: 0 });
    analyzer.finish();
    expectCode(() => analyzer.saveState(), ErrorCode.badPartial);
    expectCode(() => analyzer.mergeState(viaJson(single.state), { packetIndexOffset: 0 }), ErrorCode.badPartial);
  });

  it("the exported schema accepts what saveState returns", async () => {
    const { Value } = await import("@sinclair/typebox/value");
    expect(Value.Check(latencyAnalyzerStateSchema, viaJson(single.state))).toBe(true);
  });
});
