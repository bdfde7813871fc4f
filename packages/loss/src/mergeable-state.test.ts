import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, isMergeableAnalyzer, TickscopeError, type GameMessage } from "@tickscope/core";
import { createLossAnalyzer, SEAM_INEXACT_CODE, type LossAnalyzerOptions } from "./loss-analyzer.js";
import { LOSS_STATE_VERSION, type LossAnalyzerState } from "./loss-analyzer-state.js";
import type { LossReport, LossStream } from "./report-schema.js";
import { cutAt, feed, recordSimulatedMatch, seededRandom, sessionOf, shiftSequences, type RecordedEvent } from "./test-support/recorded-match.js";

function onePass(events: readonly RecordedEvent[], options: LossAnalyzerOptions = {}): LossReport {
  const analyzer = createLossAnalyzer(options);
  feed(analyzer, events);
  return analyzer.finish();
}

/** A pass saved and sent through JSON (as `--partial` files are); with the seam log unless `options` turn it off. */
function savedPass(events: readonly RecordedEvent[], options: LossAnalyzerOptions = {}, offset = 0): LossAnalyzerState {
  const analyzer = createLossAnalyzer({ keepSeamLog: true, ...options });
  feed(analyzer, events, offset);
  return JSON.parse(JSON.stringify(analyzer.saveState())) as LossAnalyzerState;
}

function merged(states: { state: LossAnalyzerState; offset: number }[], options: LossAnalyzerOptions = {}): LossReport {
  const analyzer = createLossAnalyzer(options);
  for (const { state, offset } of states) analyzer.mergeState(state, { packetIndexOffset: offset });
  return analyzer.finish();
}

/** Every figure a rotation cut keeps exactly, per stream. */
function exactFigures(row: LossStream): unknown {
  const { late, lateRate, lateRateInterval, arrivalGaps, gapPacketIndices, ...rest } = row;
  void late;
  void lateRate;
  void lateRateInterval;
  return { ...rest, arrivalGapCount: arrivalGaps.length, gapPacketIndices };
}

/** Everything but the state-sync impact rows (documented as approximate at a cut). */
function withoutStateSync(report: LossReport): unknown {
  return { ...report, syncImpact: report.syncImpact.filter((impact) => impact.kind !== "state"), recommendations: undefined, anomalies: undefined };
}

function packetTimes(events: readonly RecordedEvent[]): { startUs: number; endUs: number } {
  const times = events.flatMap((event) => (event.kind === "packet" ? [event.packet.tUs] : []));
  return { startUs: times[0]!, endUs: times[times.length - 1]! };
}

function cutAndMerge(events: readonly RecordedEvent[], cutUs: number, options: LossAnalyzerOptions = {}, laterOptions: LossAnalyzerOptions = options): LossReport {
  const { first, second, offset } = cutAt(events, cutUs);
  return merged(
    [
      { state: savedPass(first, options), offset: 0 },
      { state: savedPass(second, laterOptions, offset), offset },
    ],
    options,
  );
}

/** Splits events by session into `groups` random groups. */
function splitSessions(events: readonly RecordedEvent[], groups: number, random: () => number): RecordedEvent[][] {
  const sessions = [...new Set(events.map(sessionOf))];
  const groupOf = new Map(sessions.map((session, index) => [session, index < groups ? index : Math.floor(random() * groups)]));
  const result: RecordedEvent[][] = Array.from({ length: groups }, () => []);
  for (const event of events) result[groupOf.get(sessionOf(event))!]!.push(event);
  return result;
}

function differences(left: unknown, right: unknown, path = "$"): string[] {
  if (JSON.stringify(left) === JSON.stringify(right)) return [];
  if (typeof left === "object" && left !== null && typeof right === "object" && right !== null) {
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    return [...keys].flatMap((key) => differences((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key], `${path}.${key}`));
  }
  return [`${path}: ${JSON.stringify(left)} vs ${JSON.stringify(right)}`];
}

// Simulation and several full passes per test: generous timeouts for a loaded machine (seconds when idle).
describe("loss analyzer state (save, merge)", { timeout: 600_000 }, () => {
  let events: RecordedEvent[] = [];
  let single: LossReport;
  beforeAll(async () => {
    events = await recordSimulatedMatch({ seed: 7, players: 4, durationMs: 40_000, profile: "wifi-congested" });
    single = onePass(events);
  }, 600_000);

  it("is a MergeableAnalyzer whose saved state round-trips through JSON to the same report", () => {
    const analyzer = createLossAnalyzer();
    expect(isMergeableAnalyzer(analyzer)).toBe(true);
    expect(analyzer.stateVersion).toBe(LOSS_STATE_VERSION);
    const report = merged([{ state: savedPass(events), offset: 0 }]);
    expect(single.sessions.length).toBe(8);
    expect(single.sessions.some((row) => row.lost > 0 && row.duplicates > 0 && row.reordered > 0)).toBe(true);
    expect(JSON.stringify(report)).toBe(JSON.stringify(single));
  });

  it("merges disjoint session groups (2 and 3 groups, any merge order) byte-identically to one pass", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(2, 3), (seed, groups) => {
        const random = seededRandom(seed);
        const states = splitSessions(events, groups, random).map((group) => ({ state: savedPass(group), offset: 0 }));
        const order = states.map((state, index) => ({ state, key: random() + index * 0 })).sort((a, b) => a.key - b.key);
        expect(JSON.stringify(merged(order.map((entry) => entry.state)))).toBe(JSON.stringify(single));
      }),
      { numRuns: 4, seed: 18 },
    );
  });

  it("keeps every loss figure exact across a rotation cut at every tenth of the match", () => {
    const { startUs, endUs } = packetTimes(events);
    for (let tenth = 1; tenth <= 9; tenth++) {
      const report = cutAndMerge(events, startUs + ((endUs - startUs) * tenth) / 10);
      expect(report.sessions.map(exactFigures), `cut at ${tenth}/10`).toEqual(single.sessions.map(exactFigures));
      expect(withoutStateSync(report), `cut at ${tenth}/10`).toEqual(withoutStateSync(single));
      expect(report.anomalies[SEAM_INEXACT_CODE]).toBeUndefined();
      // State sync continues across the cut too (the interval across it, the first correction jumps, buffer
      // coverage recounted against the earlier pass's nominal interval): the whole report is one pass's.
      expect(differences(report, single), `cut at ${tenth}/10`).toEqual([]);
      expect(JSON.stringify(report)).toBe(JSON.stringify(single));
    }
  });

  it("keeps the loss figures exact when a later pass is longer than its head (checkpoint and graft, small windows)", () => {
    const options = { windowSize: 128, maxGap: 64 };
    const reference = onePass(events, options);
    const { startUs, endUs } = packetTimes(events);
    for (let tenth = 1; tenth <= 9; tenth += 2) {
      const { first, second, offset } = cutAt(events, startUs + ((endUs - startUs) * tenth) / 10);
      const later = savedPass(second, options, offset);
      const checkpoints = later.sessions.flatMap((session) => [...session.clientToServer.streams, ...session.serverToClient.streams]).filter((stream) => stream.checkpoint !== null);
      if (tenth < 9) expect(checkpoints.length).toBeGreaterThan(0);
      const report = merged([{ state: savedPass(first, options), offset: 0 }, { state: later, offset }], options);
      expect(report.sessions.map(exactFigures), `cut at ${tenth}/10`).toEqual(reference.sessions.map(exactFigures));
      expect(differences(report, reference), `cut at ${tenth}/10`).toEqual([]);
    }
  });

  it("chains three rotation files, merged one by one or as a saved merge of the first two", () => {
    for (const options of [{}, { windowSize: 128, maxGap: 64 }]) {
      const reference = onePass(events, options);
      const { startUs, endUs } = packetTimes(events);
      const { first, second: rest, offset } = cutAt(events, startUs + (endUs - startUs) / 3);
      const shifted = rest.map((event): RecordedEvent => {
        if (event.kind === "packet") return { ...event, packet: { ...event.packet, packetIndex: event.packet.packetIndex - offset } };
        if (event.kind === "message") return { ...event, message: { ...event.message, packetIndex: event.message.packetIndex - offset } };
        if (event.kind === "anomaly") return { ...event, anomaly: { ...event.anomaly, packetIndex: event.anomaly.packetIndex - offset } };
        return event;
      });
      const { first: second, second: third, offset: offset2 } = cutAt(shifted, startUs + ((endUs - startUs) * 2) / 3);
      const states = [
        { state: savedPass(first, options), offset: 0 },
        { state: savedPass(second, options), offset },
        { state: savedPass(third, options, offset2), offset: offset + offset2 },
      ];
      const sequential = merged(states, options);
      expect(sequential.sessions.map(exactFigures)).toEqual(reference.sessions.map(exactFigures));
      const firstTwo = createLossAnalyzer(options);
      firstTwo.mergeState(states[0]!.state, { packetIndexOffset: 0 });
      firstTwo.mergeState(states[1]!.state, { packetIndexOffset: offset });
      const saved = JSON.parse(JSON.stringify(firstTwo.saveState())) as LossAnalyzerState;
      const tree = merged([{ state: saved, offset: 0 }, states[2]!], options);
      expect(tree.sessions.map(exactFigures)).toEqual(reference.sessions.map(exactFigures));
      expect(differences(sequential, reference)).toEqual([]);
      expect(differences(tree, reference)).toEqual([]);
    }
  });

  it("keeps the loss figures exact with the cut inside a loss burst", () => {
    // The arrivals around the longest forward jump of a stream: the cut falls between them, inside the burst.
    let best = { jump: 0, beforeUs: 0, afterUs: 0 };
    const last = new Map<string, { sequence: number; tUs: number }>();
    for (const event of events) {
      if (event.kind !== "message" || typeof event.message.roles.sequence !== "number") continue;
      const key = `${event.message.sessionId}/${event.message.direction}`;
      const previous = last.get(key);
      const sequence = event.message.roles.sequence;
      if (previous !== undefined && sequence - previous.sequence > best.jump) best = { jump: sequence - previous.sequence, beforeUs: previous.tUs, afterUs: event.message.tUs };
      if (previous === undefined || sequence > previous.sequence) last.set(key, { sequence, tUs: event.message.tUs });
    }
    expect(best.jump).toBeGreaterThanOrEqual(3);
    const report = cutAndMerge(events, (best.beforeUs + best.afterUs) / 2);
    expect(report.sessions.map(exactFigures)).toEqual(single.sessions.map(exactFigures));
    expect(differences(report, single)).toEqual([]);
  });

  it("keeps the loss figures exact with the cut at a 16-bit sequence wrap", () => {
    // Shift every sequence so the server's streams wrap 65535 → 0 in the middle of the match.
    const shifted = shiftSequences(events, 65_536 - 600);
    const reference = onePass(shifted);
    expect(reference.sessions.reduce((sum, row) => sum + row.lost, 0)).toBe(single.sessions.reduce((sum, row) => sum + row.lost, 0));
    const wrap = shifted.find((event) => event.kind === "message" && event.message.roles.sequence === 0 && event.message.direction === "serverToClient") as {
      message: GameMessage;
    };
    for (const deltaUs of [-40_000, 0, 1, 40_000]) {
      const report = cutAndMerge(shifted, wrap.message.tUs + deltaUs);
      expect(report.sessions.map(exactFigures), `cut ${deltaUs} µs from the wrap`).toEqual(reference.sessions.map(exactFigures));
      expect(differences(report, reference), `cut ${deltaUs} µs from the wrap`).toEqual([]);
    }
  });

  it("counts a datagram captured twice across the cut as a capture duplicate, as one pass does", () => {
    const { startUs, endUs } = packetTimes(events);
    const index = events.findIndex((event) => event.kind === "packet" && event.packet.tUs >= (startUs + endUs) / 2 && event.packet.payload !== undefined);
    const original = (events[index] as Extract<RecordedEvent, { kind: "packet" }>).packet;
    let end = index + 1;
    while (end < events.length && events[end]!.kind === "message") end += 1;
    const copyIndex = original.packetIndex + 1;
    const copy: RecordedEvent[] = [
      { kind: "packet", packet: { ...original, packetIndex: copyIndex, tUs: original.tUs + 20, interfaceId: 1 } },
      ...events.slice(index + 1, end).map((event): RecordedEvent => {
        const message = (event as Extract<RecordedEvent, { kind: "message" }>).message;
        return { kind: "message", message: { ...message, packetIndex: copyIndex, tUs: message.tUs + 20 } };
      }),
    ];
    const renumber = (event: RecordedEvent): RecordedEvent => {
      if (event.kind === "packet") return { ...event, packet: { ...event.packet, packetIndex: event.packet.packetIndex + 1 } };
      if (event.kind === "message") return { ...event, message: { ...event.message, packetIndex: event.message.packetIndex + 1 } };
      if (event.kind === "anomaly") return { ...event, anomaly: { ...event.anomaly, packetIndex: event.anomaly.packetIndex + 1 } };
      return event;
    };
    const withCopy = [...events.slice(0, end), ...copy, ...events.slice(end).map(renumber)];
    const reference = onePass(withCopy);
    const captured = reference.sessions.reduce((sum, row) => sum + row.captureDuplicates, 0);
    expect(captured).toBe(single.sessions.reduce((sum, row) => sum + row.captureDuplicates, 0) + 1);
    const report = cutAndMerge(withCopy, original.tUs + 20);
    expect(report.sessions.map(exactFigures)).toEqual(reference.sessions.map(exactFigures));
    expect(differences(report, reference)).toEqual([]);
  });

  describe("saved without the seam log (keepSeamLog off, a plain analysis)", () => {
    const withoutLog = { keepSeamLog: false };

    it("holds no head logs and merges disjoint session groups byte-identically to one pass", () => {
      const random = seededRandom(5);
      const groups = splitSessions(events, 3, random);
      const states = groups.map((group) => savedPass(group, withoutLog));
      for (const state of states) {
        for (const session of state.sessions) {
          for (const stream of [...session.clientToServer.streams, ...session.serverToClient.streams]) {
            expect(stream.head).toBeNull();
            expect(stream.checkpoint).toBeNull();
          }
        }
      }
      expect(JSON.stringify(merged(states.map((state) => ({ state, offset: 0 }))))).toBe(JSON.stringify(single));
      expect(JSON.stringify(savedPass(events, withoutLog)).length).toBeLessThan(JSON.stringify(savedPass(events)).length / 2);
    });

    it("counts each stream continued across a rotation cut as an inexact seam, and still adds its counts", () => {
      const { startUs, endUs } = packetTimes(events);
      const cutUs = (startUs + endUs) / 2;
      const { second, offset } = cutAt(events, cutUs);
      const report = cutAndMerge(events, cutUs, withoutLog);
      const continued = new Set(second.flatMap((event) => (event.kind === "message" && event.message.roles.sequence !== undefined ? [`${event.message.sessionId}/${event.message.direction}`] : [])));
      expect(continued.size).toBe(single.sessions.length);
      expect(report.anomalies[SEAM_INEXACT_CODE]!.count).toBe(continued.size);
      // Each seam is counted at the later pass's first packet (the cut).
      expect(new Set(report.anomalies[SEAM_INEXACT_CODE]!.examples)).toEqual(new Set([offset]));
      expect(report.sessions.map((row) => [row.id, row.direction])).toEqual(single.sessions.map((row) => [row.id, row.direction]));
      for (const [index, row] of report.sessions.entries()) {
        const reference = single.sessions[index]!;
        // Each datagram was observed by exactly one pass: what was received adds up (the cut's own holes aside).
        expect(Math.abs(row.received - reference.received)).toBeLessThanOrEqual(reference.received * 0.01 + 2);
        expect(row.captureDuplicates).toBe(reference.captureDuplicates);
        expect(row.firstUs).toBe(reference.firstUs);
        expect(row.lastUs).toBe(reference.lastUs);
      }
    });

    it("needs the log only in the later pass: an earlier pass without it still merges exactly", () => {
      const { startUs, endUs } = packetTimes(events);
      const report = cutAndMerge(events, startUs + ((endUs - startUs) * 3) / 10, withoutLog, { keepSeamLog: true });
      expect(report.anomalies[SEAM_INEXACT_CODE]).toBeUndefined();
      expect(JSON.stringify(report)).toBe(JSON.stringify(single));
    });

    it("keeps the log out of the options a state must share (states with and without it merge)", () => {
      const analyzer = createLossAnalyzer({ keepSeamLog: true });
      analyzer.mergeState(savedPass(events, withoutLog), { packetIndexOffset: 0 });
      expect(JSON.stringify(analyzer.finish())).toBe(JSON.stringify(single));
    });
  });

  describe("rejects a state it did not save, before changing anything", () => {
    let good: LossAnalyzerState;
    let firstHalf: LossAnalyzerState;
    beforeAll(() => {
      const { startUs, endUs } = packetTimes(events);
      const { first } = cutAt(events, (startUs + endUs) / 2);
      firstHalf = savedPass(first);
      good = savedPass(events);
    });
    const mutate = (change: (state: Record<string, any>) => void): unknown => {
      const copy = JSON.parse(JSON.stringify(good)) as Record<string, any>;
      change(copy);
      return copy;
    };
    const hostile: [string, () => unknown, string][] = [
      ["an empty object", () => JSON.parse(JSON.stringify({})), ErrorCode.badPartial],
      ["another analysis", () => mutate((state) => (state.analysis = "latency")), ErrorCode.badPartial],
      ["another version", () => mutate((state) => (state.version = LOSS_STATE_VERSION + 1)), ErrorCode.badPartial],
      ["a missing field", () => mutate((state) => delete state.sessions[0].clientToServer.streams[0].core.space.lost), ErrorCode.badPartial],
      ["a wrong type", () => mutate((state) => (state.sessions[0].serverToClient.streams[0].core.space.received = "12")), ErrorCode.badPartial],
      ["an array beyond its bound", () => mutate((state) => (state.sessions[0].clientToServer.streams[0].core.space.gapPacketIndices = [1, 2, 3, 4, 5, 6])), ErrorCode.badPartial],
      ["a window larger than windowSize", () => mutate((state) => (state.sessions[0].clientToServer.streams[0].core.space.window.flags += "1".repeat(4096))), ErrorCode.badPartial],
      ["a head whose columns disagree", () => mutate((state) => (state.sessions[0].clientToServer.streams[0].head.kinds += "o")), ErrorCode.badPartial],
      [
        "a checkpoint without a head log",
        () =>
          mutate((state) => {
            const stream = state.sessions[0].serverToClient.streams.find((candidate: { checkpoint: unknown }) => candidate.checkpoint !== null) ?? state.sessions[0].serverToClient.streams[0];
            stream.checkpoint ??= stream.core;
            stream.head = null;
          }),
        ErrorCode.badPartial,
      ],
      ["a fractional ack width in a head", () => mutate((state) => (state.sessions[0].clientToServer.streams[0].head.ackWidths[0][0] = 31.5)), ErrorCode.badPartial],
      [
        "an RFC 3550 sequence outside its space",
        () =>
          mutate((state) => {
            const stream = state.sessions[0].serverToClient.streams.find((candidate: { core: { rfc3550: unknown } }) => candidate.core.rfc3550 !== null);
            stream.core.rfc3550.maxSequence = 2 ** stream.core.rfc3550.bits;
          }),
        ErrorCode.badPartial,
      ],
      ["a session twice", () => mutate((state) => state.sessions.push(state.sessions[0])), ErrorCode.badPartial],
      ["options of another run", () => mutate((state) => (state.options.windowSize = 4096)), ErrorCode.partialMismatch],
      ["not an object", () => "loss", ErrorCode.badPartial],
    ];
    it.each(hostile)("%s", (_name, make, code) => {
      const analyzer = createLossAnalyzer();
      analyzer.mergeState(firstHalf, { packetIndexOffset: 0 });
      const before = JSON.stringify(analyzer.saveState());
      let caught: unknown;
      try {
        analyzer.mergeState(make() as LossAnalyzerState, { packetIndexOffset: 0 });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TickscopeError);
      expect((caught as TickscopeError).code).toBe(code);
      expect((caught as TickscopeError).message).toMatch(/loss state/);
      expect(JSON.stringify(analyzer.saveState())).toBe(before);
    });
    it("rejects a negative or fractional packet index offset", () => {
      const analyzer = createLossAnalyzer();
      expect(() => analyzer.mergeState(good, { packetIndexOffset: -1 })).toThrow(/packetIndexOffset/);
      expect(() => analyzer.mergeState(good, { packetIndexOffset: 0.5 })).toThrow(/packetIndexOffset/);
    });
  });
});

describe("loss analyzer state, 64-bit sequences", () => {
  const base = 2n ** 63n - 5n;
  const message = (offset: number, packetIndex: number): GameMessage => ({
    sessionId: "udp:a-b",
    direction: "clientToServer",
    tUs: 1_000_000 + packetIndex * 16_667,
    packetIndex,
    indexInPacket: 0,
    type: "state",
    byteLength: 40,
    packetWireLength: 82,
    fields: {},
    roles: { sequence: base + BigInt(offset), sequenceBits: 64, tick: offset },
  });

  it("round-trips bigint sequences as decimal strings", () => {
    const analyzer = createLossAnalyzer();
    [0, 1, 2, 4, 3, 5, 9, 10].forEach((offset, packetIndex) => analyzer.onMessage(message(offset, packetIndex)));
    const state = analyzer.saveState();
    const text = JSON.stringify(state);
    expect(text).toContain(`"${(base + 10n).toString()}"`);
    const restored = createLossAnalyzer();
    restored.mergeState(JSON.parse(text) as LossAnalyzerState, { packetIndexOffset: 0 });
    const reference = createLossAnalyzer();
    [0, 1, 2, 4, 3, 5, 9, 10].forEach((offset, packetIndex) => reference.onMessage(message(offset, packetIndex)));
    const report = reference.finish();
    expect(report.sessions[0]!.lost).toBe(3);
    expect(JSON.stringify(restored.finish())).toBe(JSON.stringify(report));
  });

  it("logs bigint sequences in the seam log and continues them across a rotation cut exactly", () => {
    const offsets = [0, 1, 2, 4, 3, 5, 9, 10, 12, 11, 13, 16, 17, 18];
    const reference = createLossAnalyzer();
    offsets.forEach((offset, packetIndex) => reference.onMessage(message(offset, packetIndex)));
    const cut = 6;
    const first = createLossAnalyzer({ keepSeamLog: true });
    offsets.slice(0, cut).forEach((offset, packetIndex) => first.onMessage(message(offset, packetIndex)));
    const second = createLossAnalyzer({ keepSeamLog: true });
    offsets.slice(cut).forEach((offset, index) => second.onMessage({ ...message(offset, cut + index), packetIndex: index }));
    const laterState = JSON.parse(JSON.stringify(second.saveState())) as LossAnalyzerState;
    expect(JSON.stringify(laterState.sessions[0]!.clientToServer.streams[0]!.head)).toContain(`"${(base + 9n).toString()}"`);
    const merged = createLossAnalyzer();
    merged.mergeState(JSON.parse(JSON.stringify(first.saveState())) as LossAnalyzerState, { packetIndexOffset: 0 });
    merged.mergeState(laterState, { packetIndexOffset: cut });
    const report = merged.finish();
    expect(report.anomalies[SEAM_INEXACT_CODE]).toBeUndefined();
    expect(JSON.stringify(report)).toBe(JSON.stringify(reference.finish()));
  });
});

describe("loss analyzer state, a later pass restarting behind the earlier one", () => {
  const options = { windowSize: 64, maxGap: 32 };
  const message = (sequence: number, packetIndex: number, tUs: number, roles: Partial<GameMessage["roles"]> = { sequence, sequenceBits: 16 }, type = "state"): GameMessage => ({
    sessionId: "udp:a-b",
    direction: "serverToClient",
    tUs,
    packetIndex,
    indexInPacket: 0,
    type,
    byteLength: 40,
    packetWireLength: 82,
    fields: {},
    roles,
  });
  const feedBoth = (analyzer: ReturnType<typeof createLossAnalyzer>, sequences: number[], startIndex: number, indexOffset: number): void => {
    sequences.forEach((sequence, index) => {
      const packetIndex = startIndex + index - indexOffset;
      const tUs = 1_000_000 + (startIndex + index) * 16_667;
      analyzer.onMessage(message(sequence, packetIndex, tUs));
      // Inputs without a sequence role (direction level; unsequenced messages).
      analyzer.onMessage({ ...message(0, packetIndex, tUs, { inputSequence: startIndex + index, inputCount: 1 }, "input"), direction: "clientToServer" });
    });
  };

  it("replays the restart as one pass does (checkpoint and graft after it)", () => {
    const first = Array.from({ length: 400 }, (_, index) => index).filter((sequence) => sequence % 17 !== 5);
    const second = Array.from({ length: 600 }, (_, index) => 200 + index).filter((sequence) => sequence % 13 !== 4);
    const reference = createLossAnalyzer(options);
    feedBoth(reference, first, 0, 0);
    feedBoth(reference, second, first.length, 0);
    const single = reference.finish();
    expect(single.sessions.find((row) => row.direction === "serverToClient")!.resets.count).toBe(1);
    const save = (sequences: number[], startIndex: number): LossAnalyzerState => {
      const analyzer = createLossAnalyzer({ ...options, keepSeamLog: true });
      feedBoth(analyzer, sequences, startIndex, startIndex);
      return JSON.parse(JSON.stringify(analyzer.saveState())) as LossAnalyzerState;
    };
    const later = save(second, first.length);
    expect(later.sessions[0]!.serverToClient.streams[0]!.checkpoint).not.toBeNull();
    const report = merged(
      [
        { state: save(first, 0), offset: 0 },
        { state: later, offset: first.length },
      ],
      options,
    );
    expect(report.sessions).toEqual(single.sessions);
    expect(report.unsequencedMessages).toEqual(single.unsequencedMessages);
    expect(report.anomalies[SEAM_INEXACT_CODE]).toBeUndefined();
    // Direction-level inputs (no sequence role) continue as a new segment: counts add, nothing invented.
    const inputs = report.syncImpact.filter((impact) => impact.kind === "input" && impact.direction === "clientToServer");
    expect(inputs).toHaveLength(1);
    expect(inputs[0]!.kind === "input" && inputs[0]!.inputsLost).toBe(0);
  });
});
