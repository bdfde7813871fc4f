import { ErrorCode, TickscopeError, type PacketObservation, type Session } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { PacketTimingAnalyzer } from "./packet-timing-analyzer.js";
import { packetTimingAnalyzerStateSchema, type PacketTimingAnalyzerState } from "./packet-timing-analyzer-state.js";
import type { PacketTimingReport } from "./packet-timing-report.js";
import { createRandom, generateMatch, matchMessages } from "./test-support/synthetic-match.js";

type TimingEvent = { kind: "session"; session: Session } | { kind: "packet"; packet: PacketObservation };

function viaJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The datagrams of a simulated match as the pipeline hands them to packet timing. */
function timingEvents(seed: number, sessions = 6, durationMs = 40_000): { events: TimingEvent[]; startUs: number; ids: string[] } {
  const match = generateMatch({ seed, durationMs, sessions, spikes: [{ kind: "lossBurst", startMs: 15_000, durationMs: 3000, sessions: [1] }] });
  const events: TimingEvent[] = match.sessions.map((session) => ({ kind: "session", session }));
  let last = -1;
  for (const message of matchMessages(match)) {
    if (message.packetIndex === last) continue;
    last = message.packetIndex;
    events.push({ kind: "packet", packet: { sessionId: message.sessionId, direction: message.direction, tUs: message.tUs, packetIndex: message.packetIndex, wireLength: message.packetWireLength, payloadLength: message.packetWireLength - 28, frameCount: 1 } });
  }
  return { events, startUs: match.startUs, ids: match.sessions.map((session) => session.id) };
}

function run(events: readonly TimingEvent[]): PacketTimingAnalyzer {
  const analyzer = new PacketTimingAnalyzer();
  for (const event of events) {
    if (event.kind === "session") analyzer.onSession(event.session);
    else analyzer.onPacket(event.packet);
  }
  return analyzer;
}

function merged(states: readonly PacketTimingAnalyzerState[]): PacketTimingReport {
  const analyzer = new PacketTimingAnalyzer();
  for (const state of states) analyzer.mergeState(viaJson(state), { packetIndexOffset: 0 });
  return analyzer.finish();
}

describe("PacketTimingAnalyzer saved state", () => {
  const { events, startUs, ids } = timingEvents(5);
  const whole = run(events);
  const state = whole.saveState();
  const report = whole.finish();

  it("round-trips byte-identically and matches its schema", () => {
    expect(report.sessions.length).toBe(6);
    expect(JSON.stringify(merged([state]))).toBe(JSON.stringify(report));
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  for (const groups of [2, 3]) {
    it(`disjoint sessions in ${groups} groups merge byte-identically in any order`, () => {
      const random = createRandom(groups);
      const membership = new Map(ids.map((id) => [id, Math.floor(random() * groups)]));
      const states = Array.from({ length: groups }, (_, group) =>
        run(events.filter((event) => membership.get(event.kind === "session" ? event.session.id : event.packet.sessionId) === group)).saveState(),
      );
      expect(JSON.stringify(merged(states))).toBe(JSON.stringify(report));
      expect(JSON.stringify(merged([...states].reverse()))).toBe(JSON.stringify(report));
    });
  }

  it("a rotation cut keeps packets, bytes, distributions, send events and the tick exact", () => {
    const cutUs = startUs + 22_222_000;
    const first = run(events.filter((event) => event.kind === "session" || event.packet.tUs < cutUs)).saveState();
    const second = run(events.filter((event) => event.kind === "packet" && event.packet.tUs >= cutUs).map((event) => (event.kind === "packet" ? { ...event, packet: { ...event.packet, packetIndex: 0 } } : event))).saveState();
    const analyzer = new PacketTimingAnalyzer();
    analyzer.mergeState(viaJson(first), { packetIndexOffset: 0 });
    analyzer.mergeState(viaJson(second), { packetIndexOffset: 1000 });
    const result = analyzer.finish();
    for (const [index, session] of result.sessions.entries()) {
      for (const [direction, figures] of session.directions.entries()) {
        const one = report.sessions[index].directions[direction];
        expect([figures.packets, figures.payloadBytes, figures.sendEvents, figures.durationMs]).toEqual([one.packets, one.payloadBytes, one.sendEvents, one.durationMs]);
        // distributions exact; their mean up to float summation order
        expect({ ...figures.interArrivalMs, mean: 0 }).toEqual({ ...one.interArrivalMs, mean: 0 });
        expect(figures.interArrivalMs.mean).toBeCloseTo(one.interArrivalMs.mean, 9);
        expect({ ...figures.payloadSizeBytes, mean: 0 }).toEqual({ ...one.payloadSizeBytes, mean: 0 });
        // the tick: same share and regularity; its interval up to float summation order of the bins' sums
        expect({ ...figures.tick, intervalMs: 0, rateHz: 0 }).toEqual({ ...one.tick, intervalMs: 0, rateHz: 0 });
        expect(figures.tick?.intervalMs ?? 0).toBeCloseTo(one.tick?.intervalMs ?? 0, 9);
        expect(figures.gaps.count).toBe(one.gaps.count);
      }
    }
  });

  it("rejects hostile states with E_BAD_PARTIAL / E_PARTIAL_MISMATCH and stays unchanged", () => {
    const good = viaJson(state);
    const session = good.sessions[0];
    const direction = session.directions[0]!;
    const hostile: unknown[] = [
      {},
      null,
      { ...good, version: 2 },
      { ...good, analysis: "latency" },
      { ...good, sessions: [session, session] },
      { ...good, sessions: [{ ...session, directions: [{ ...direction, eventIntervals: { ...direction.eventIntervals, count: direction.eventIntervals.count + 1 } }, null] }] },
      { ...good, sessions: [{ ...session, directions: [{ ...direction, eventIntervals: { ...direction.eventIntervals, bins: [[99_999, 1, 1]] } }, null] }] },
      { ...good, sessions: [{ ...session, clientRequests: { ...session.clientRequests, recent: new Array(65).fill(1) } }] },
      { ...good, sessions: [{ ...session, directions: [{ ...direction, active: {} }, null] }] },
      { ...good, sessions: [{ ...session, directions: [{ ...direction, packets: -1 }, null] }] },
    ];
    const analyzer = new PacketTimingAnalyzer();
    analyzer.mergeState(viaJson(state), { packetIndexOffset: 0 });
    const before = JSON.stringify(analyzer.saveState());
    for (const entry of hostile) {
      let code: string | undefined;
      try {
        analyzer.mergeState(entry as PacketTimingAnalyzerState, { packetIndexOffset: 0 });
      } catch (error) {
        code = (error as TickscopeError).code;
      }
      expect(code).toBe(ErrorCode.badPartial);
    }
    expect(() => analyzer.mergeState(good, { packetIndexOffset: -1 })).toThrow(TickscopeError);
    expect(() => new PacketTimingAnalyzer({ gapTicks: 8 }).mergeState(good, { packetIndexOffset: 0 })).toThrow(/other options/);
    expect(JSON.stringify(analyzer.saveState())).toBe(before);
    expect(packetTimingAnalyzerStateSchema.properties.analysis.const).toBe("packet-timing");
  });
});

describe("PacketTimingAnalyzer rotation cut across silences over 120 s (active time)", () => {
  const packet = (tUs: number, direction: "clientToServer" | "serverToClient" = "clientToServer"): PacketObservation => ({ sessionId: "s", direction, tUs, packetIndex: 0, wireLength: 80, payloadLength: 52, frameCount: 1 });
  const base = 1_700_000_000_000_000;
  // 10 s at 20 Hz, a 200-s silence, 10 s at 20 Hz, another 300-s silence, 5 s at 20 Hz
  const times: number[] = [];
  for (let index = 0; index < 200; index++) times.push(base + index * 50_000);
  for (let index = 0; index < 200; index++) times.push(base + 210_000_000 + index * 50_000);
  for (let index = 0; index < 100; index++) times.push(base + 520_000_000 + index * 50_000);

  for (const cutUs of [base + 100_000_000, base + 215_000_000, base + 5_000_000]) {
    it(`cut at ${(cutUs - base) / 1e6} s: rate over the active time, idle gaps and duration as one pass`, () => {
      const whole = new PacketTimingAnalyzer();
      const first = new PacketTimingAnalyzer();
      const second = new PacketTimingAnalyzer();
      for (const tUs of times) {
        whole.onPacket(packet(tUs));
        (tUs < cutUs ? first : second).onPacket(packet(tUs));
      }
      const merged = new PacketTimingAnalyzer();
      merged.mergeState(viaJson(first.saveState()), { packetIndexOffset: 0 });
      merged.mergeState(viaJson(second.saveState()), { packetIndexOffset: 0 });
      const [one] = whole.finish().sessions[0].directions;
      const [joined] = merged.finish().sessions[0].directions;
      expect([joined.packets, joined.idleGaps, joined.durationMs, joined.sendEvents]).toEqual([one.packets, one.idleGaps, one.durationMs, one.sendEvents]);
      expect(joined.activeDurationMs).toBeCloseTo(one.activeDurationMs, 3);
      expect(joined.packetsPerSecond).toBeCloseTo(one.packetsPerSecond, 6);
      expect(joined.gaps.count).toBe(one.gaps.count);
    });
  }
});
