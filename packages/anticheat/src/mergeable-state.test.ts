import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ErrorCode, isMergeableAnalyzer, TickscopeError, type GameMessage } from "@tickscope/core";
import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { AnticheatAnalyzer } from "./anticheat-analyzer.js";
import type { AnticheatReport } from "./anticheat-report.js";
import type { AnticheatOptions } from "./options.js";
import { anticheatAnalyzerStateSchema, type AnticheatAnalyzerState } from "./anticheat-state.js";
import { CHEAT_KINDS } from "./cheat-kind.js";
import { decodeFloat, decodeSerial, encodeFloat, encodeSerial } from "./state-encoding.js";
import { flaggedKindsBySession } from "./test-support/flagged-kinds.js";
import { evaluationPlayers, generateMatch, type MatchOptions } from "./test-support/match-generator.js";
import { feedEvents, onePass, rotationMerge, shardedStates } from "./test-support/partial-passes.js";
import { Random } from "./test-support/random.js";
import { StreamBuilder } from "./test-support/stream-builder.js";
import { WindowHistory } from "./window-history.js";

/** JSON round trip, as a `.tspart` file or a worker message carries a state. */
function carried(state: AnticheatAnalyzerState): AnticheatAnalyzerState {
  return JSON.parse(JSON.stringify(state)) as AnticheatAnalyzerState;
}

function flaggedPairs(report: AnticheatReport): string[] {
  const pairs: string[] = [];
  for (const [session, kinds] of flaggedKindsBySession(report)) for (const kind of kinds) pairs.push(`${session} ${kind}`);
  return pairs.sort();
}

/** Cheaters of every kind (low/medium/high) and honest players on every network profile, with a shared-path stall. */
function cheatMatch(seed: number, durationSeconds: number, extra: Partial<MatchOptions> = {}) {
  return generateMatch({ seed, durationSeconds, players: evaluationPlayers(seed, 1, 1, CHEAT_KINDS), sharedPathPlayers: 4, ...extra });
}

function expectBadPartial(run: () => void, pattern: RegExp, code: string = ErrorCode.badPartial): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TickscopeError);
  expect((caught as TickscopeError).code).toBe(code);
  expect((caught as TickscopeError).message).toMatch(pattern);
}

describe("saved state encoding", () => {
  it("encodes non-finite floats and 64-bit serials explicitly", () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -1.5, 2 ** 53]) {
      const decoded = decodeFloat(JSON.parse(JSON.stringify(encodeFloat(value))));
      expect(Object.is(decoded, value)).toBe(true);
    }
    expect(encodeSerial(2n ** 63n + 5n)).toBe("9223372036854775813");
    expect(decodeSerial("9223372036854775813")).toBe(2n ** 63n + 5n);
    expect(decodeSerial(17)).toBe(17);
    expect(Number.isNaN(decodeSerial("NaN") as number)).toBe(true);
  });
});

describe("AnticheatAnalyzer as a MergeableAnalyzer", () => {
  const match = cheatMatch(101, 30);
  const single = onePass(match);
  const state = single.saveState();
  const expected = JSON.stringify(single.finish());

  it("implements the core contract and saves JSON-safe, schema-valid state", () => {
    expect(isMergeableAnalyzer(single)).toBe(true);
    expect(single.stateVersion).toBe(2);
    expect(Value.Check(anticheatAnalyzerStateSchema, state)).toBe(true);
    // No value JSON would change (NaN → null, bigint → throw, Map → {}).
    expect(carried(state)).toEqual(state);
    expect(state.sessions.map((session) => session.id)).toEqual(match.sessions.map((session) => session.id).sort());
  });

  it("round trip: one saved state merged into a fresh analyzer finishes to the same report", () => {
    const fresh = new AnticheatAnalyzer();
    fresh.mergeState(carried(state), { packetIndexOffset: 0 });
    expect(JSON.stringify(fresh.finish())).toBe(expected);
  });

  it("saveState leaves the analyzer as it was (finish after saving = finish without)", () => {
    expect(JSON.stringify(onePass(match).finish())).toBe(expected);
    // And a state saved twice is the same state.
    const again = onePass(match);
    expect(JSON.stringify(again.saveState())).toBe(JSON.stringify(again.saveState()));
  });

  it("moves every packet index by packetIndexOffset", () => {
    const fresh = new AnticheatAnalyzer();
    fresh.mergeState(carried(state), { packetIndexOffset: 1000 });
    const moved = fresh.finish();
    const original = JSON.parse(expected) as AnticheatReport;
    expect(moved.findings.length).toBe(original.findings.length);
    moved.findings.forEach((finding, index) => {
      expect(finding.evidence.packetIndices).toEqual(original.findings[index]!.evidence.packetIndices.map((packet) => packet + 1000));
    });
  });
});

describe("disjoint sessions merge exactly (session-sharded threads)", () => {
  const configurations: Array<{ name: string; seed: number; extra: Partial<MatchOptions> }> = [
    { name: "separate datagrams", seed: 11, extra: {} },
    { name: "bundled datagrams with a netcode-like handshake", seed: 12, extra: { shape: "bundled", handshakeSeconds: [0.5, 2] } },
    { name: "a wrong key (input problem)", seed: 13, extra: { handshakeSeconds: [0.5, 1], inputFault: "wrongKey" } },
  ];
  for (const { name, seed, extra } of configurations) {
    it(`${name}: 2 and 3 random groups, any merge order, byte-identical to one pass`, () => {
      const match = cheatMatch(seed, 20, extra);
      const expected = JSON.stringify(onePass(match).finish());
      const random = new Random(seed * 31);
      for (const groups of [2, 3]) {
        for (let trial = 0; trial < 2; trial++) {
          const states = shardedStates(match, groups, seed * 100 + groups * 10 + trial);
          // Threads finish in any order: shuffle the merge order.
          for (let index = states.length - 1; index > 0; index--) {
            const other = random.integer(0, index);
            [states[index], states[other]] = [states[other]!, states[index]!];
          }
          const merged = new AnticheatAnalyzer();
          for (const saved of states) merged.mergeState(saved, { packetIndexOffset: 0 });
          expect(JSON.stringify(merged.finish()), `${groups} groups, trial ${trial}`).toBe(expected);
        }
      }
    }, 120_000);
  }
});

describe("rotation cut (a session in two consecutive passes)", () => {
  const durationSeconds = 40;
  const match = cheatMatch(101, durationSeconds);
  const single = onePass(match).finish();
  const startUs = (match.events[0]!.message ?? match.events[0]!.anomaly!).tUs;
  const cuts = [0.25, 0.5, 0.75].map((fraction) => ({ fraction, report: rotationMerge(match, startUs + fraction * durationSeconds * 1e6).finish() }));

  it("counts (sessions, messages, packets, anomalies) are exactly one pass's", () => {
    for (const { fraction, report } of cuts) {
      const exact = ({ summary }: AnticheatReport) => [summary.sessions, summary.clientMessages, summary.serverMessages, summary.packets, summary.anomalies];
      expect(exact(report), `cut at ${fraction}`).toEqual(exact(single));
    }
  });

  it("flags the same (session, kind) pairs as one pass at every cut", () => {
    const expectedPairs = flaggedPairs(single);
    expect(expectedPairs.length).toBeGreaterThanOrEqual(25);
    for (const { fraction, report } of cuts) expect(flaggedPairs(report), `cut at ${fraction}`).toEqual(expectedPairs);
    for (const { fraction, report } of cuts) {
      expect(
        report.players.map((player) => player.verdict),
        `cut at ${fraction}`,
      ).toEqual(single.players.map((player) => player.verdict));
    }
  });

  it("measured RTT samples stay within 2% (echoes split by the cut are lost)", () => {
    for (const { fraction, report } of cuts) {
      const ratio = report.summary.measuredRttSamples / single.summary.measuredRttSamples;
      expect(Math.abs(ratio - 1), `cut at ${fraction}: ${report.summary.measuredRttSamples} vs ${single.summary.measuredRttSamples}`).toBeLessThan(0.02);
    }
  });
});

describe("rotation cut, detector by detector", () => {
  const T0 = 1_760_000_000_000_000;
  const FRAME_US = 1_000_000 / 60;

  /** Runs one pass and a two-pass rotation cut at `cutUs` over hand-made messages; returns both reports. */
  function withCut(messages: readonly GameMessage[], cutUs: number, options: Partial<AnticheatOptions> = {}) {
    const sessions = [{ id: messages[0]!.sessionId } as never];
    const events = messages.map((message) => ({ message }));
    const one = new AnticheatAnalyzer(options);
    feedEvents(one, sessions, events);
    const cut = events.findIndex((event) => event.message.tUs >= cutUs);
    const first = new AnticheatAnalyzer(options);
    feedEvents(first, sessions, events.slice(0, cut));
    const offset = events[cut]!.message.packetIndex;
    const second = new AnticheatAnalyzer(options);
    feedEvents(second, sessions, events.slice(cut), offset);
    const merged = new AnticheatAnalyzer(options);
    merged.mergeState(carried(first.saveState()), { packetIndexOffset: 0 });
    merged.mergeState(carried(second.saveState()), { packetIndexOffset: offset });
    return { one: one.finish(), merged: merged.finish() };
  }

  it("input flooding: a claimed second split by the cut counts once", () => {
    const stream = new StreamBuilder();
    // 100 commands per claimed second for 6 s (budget 90 by default? use the report figures either way).
    for (let index = 0; index < 600; index++) {
      const tUs = T0 + index * 10_000;
      stream.client(tUs, "input", { sendTimeUs: tUs - T0, inputSequence: index });
    }
    const { one, merged } = withCut(stream.messages, T0 + 3_500_000);
    const values = (report: AnticheatReport) => report.findings.find((finding) => finding.kind === "inputFlooding")?.evidence.values;
    expect(values(one)).toBeDefined();
    expect(values(merged)).toEqual(values(one));
  });

  it("bot timing: the action gap across the cut is kept (gaps exactly one pass's)", () => {
    const stream = new StreamBuilder();
    for (let index = 0; index < 40; index++) {
      const tUs = T0 + index * 250_000;
      stream.client(tUs, "shot", { sendTimeUs: tUs - T0, targetTimeUs: tUs - T0 - 100_000 });
    }
    const { one, merged } = withCut(stream.messages, T0 + 5_100_000);
    const bot = (report: AnticheatReport) => report.findings.find((finding) => finding.kind === "botTiming");
    expect(bot(one)).toBeDefined();
    expect(bot(merged)?.evidence).toEqual(bot(one)?.evidence);
  });

  it("movement: a teleport right at the cut is judged against the position before it", () => {
    const stream = new StreamBuilder();
    for (let index = 0; index < 600; index++) {
      const tUs = T0 + index * FRAME_US;
      const x = index < 300 ? index * 0.05 : 500 + index * 0.05;
      stream.client(tUs, "input", { sendTimeUs: tUs - T0, inputSequence: index, position: { x, y: 0, z: 0 } });
    }
    const cutUs = T0 + 300 * FRAME_US;
    const { one, merged } = withCut(stream.messages, cutUs);
    const teleports = (report: AnticheatReport) => report.findings.find((finding) => finding.kind === "movement")?.evidence.values.teleports;
    expect(teleports(one)).toBe(1);
    expect(teleports(merged)).toBe(1);
  });

  it("lag switch: a silence across the cut and its flush are judged as in one pass", () => {
    // Client at 60 Hz acking a 20-Hz server; outgoing held from 5.0 s to 5.8 s, then flushed.
    const timed: Array<{ tUs: number; add: (stream: StreamBuilder) => void }> = [];
    for (let sequence = 0; sequence < 200; sequence++) {
      const sentUs = T0 + sequence * 50_000;
      timed.push({ tUs: sentUs, add: (stream) => stream.server(sentUs, "snapshot", { sequence, sequenceBits: 16 }) });
    }
    for (let frame = 0; frame < 600; frame++) {
      const claimedUs = frame * FRAME_US;
      const held = claimedUs >= 5_000_000 && claimedUs < 5_800_000;
      const arrivalUs = T0 + (held ? 5_800_000 + (frame - 300) * 20 : claimedUs + 30_000);
      const ack = Math.floor((claimedUs - 15_000) / 50_000);
      timed.push({ tUs: arrivalUs, add: (stream) => stream.client(arrivalUs, "input", { sendTimeUs: claimedUs, inputSequence: frame, ack, sequence: frame, sequenceBits: 16 }) });
    }
    timed.sort((a, b) => a.tUs - b.tUs);
    const stream = new StreamBuilder();
    for (const entry of timed) entry.add(stream);
    const options = { lagSwitchMinEvents: 1 };
    const { one, merged } = withCut(stream.messages, T0 + 5_400_000, options);
    const lag = (report: AnticheatReport) => report.findings.find((finding) => finding.kind === "lagSwitch");
    expect(lag(one)).toBeDefined();
    expect(lag(merged)?.evidence).toEqual(lag(one)?.evidence);
  });

  it("carries 64-bit sequences and acks through the saved state", () => {
    const stream = new StreamBuilder();
    const base = 2n ** 63n;
    for (let index = 0; index < 300; index++) {
      const tUs = T0 + index * FRAME_US;
      stream.server(tUs, "snapshot", { sequence: base + BigInt(index), sequenceBits: 64 });
      stream.client(tUs + 20_000, "input", { sendTimeUs: tUs - T0, sequence: base + BigInt(index), sequenceBits: 64, ack: base + BigInt(index), tick: base + BigInt(index), inputSequence: index });
    }
    const analyzer = new AnticheatAnalyzer();
    feedEvents(analyzer, [{ id: "session-a" } as never], stream.messages.map((message) => ({ message })));
    const saved = analyzer.saveState();
    expect(JSON.stringify(saved)).toContain(`"${(base + 299n).toString()}"`);
    const fresh = new AnticheatAnalyzer();
    fresh.mergeState(carried(saved), { packetIndexOffset: 0 });
    expect(JSON.stringify(fresh.finish())).toBe(JSON.stringify(analyzer.finish()));
  });
});

describe("window history continuation", () => {
  const judge = (medians: readonly number[]) => medians[0]! > 10;

  /** One pass, and the same samples cut before sample `cut`; a run of elevated values from sample 200 to 499. */
  function histories(cut: number) {
    const one = new WindowHistory(judge, 1);
    const earlier = new WindowHistory(judge, 1);
    const later = new WindowHistory(judge, 1);
    for (let index = 0; index < 600; index++) {
      const tUs = index * 100_000;
      const value = index >= 200 && index < 500 ? 50 : 1;
      one.add(tUs, index, false, value);
      (index < cut ? earlier : later).add(tUs, index, false, value);
    }
    earlier.continueWith(later);
    one.flush();
    earlier.flush();
    return { one, merged: earlier };
  }

  it("a cut on a window boundary continues exactly (the run open at the cut joins the later pass's first run)", () => {
    const { one, merged } = histories(288);
    expect(merged.strongestRun()).toEqual(one.strongestRun());
    expect(merged.samples).toBe(one.samples);
    expect(merged.windowsJudged).toBe(one.windowsJudged);
    expect(merged.baselineMedian()).toBe(one.baselineMedian());
  });

  it("a cut inside a window joins the run; windows after it start at the later pass's first sample", () => {
    const { one, merged } = histories(300);
    const run = merged.strongestRun()!;
    expect(run.startUs).toBe(one.strongestRun()!.startUs);
    expect(run.windows).toBe(one.strongestRun()!.windows);
    // Boundaries move by less than one window (32 samples here).
    expect(Math.abs(run.samples - one.strongestRun()!.samples)).toBeLessThan(32);
    expect(merged.samples).toBe(one.samples);
  });
});

describe("hostile states are rejected with E_BAD_PARTIAL, never half-merged", () => {
  const match = cheatMatch(7, 10);
  const good = carried(onePass(match).saveState());

  function mutated(change: (state: Record<string, any>) => void): AnticheatAnalyzerState {
    const copy = carried(good) as unknown as Record<string, any>;
    change(copy);
    return copy as unknown as AnticheatAnalyzerState;
  }

  /** A well-formed saved replay sequence space (class unauthenticated, channel 0, one slot, one head datagram). */
  function replaySpace(): Record<string, unknown> {
    return {
      class: 1,
      channel: 0,
      newest: 5,
      bits: 16,
      slotLows: [5],
      slotHighs: [0],
      slotPacketIndices: [3],
      slotFingerprints: [1],
      slotArrivalsUs: [10],
      headSequences: [5],
      headBits: [16],
      headAuthenticated: [false],
      headPacketIndices: [3],
      headFingerprints: [1],
      headArrivalsUs: [10],
    };
  }

  function withSpaces(spaces: unknown[]): AnticheatAnalyzerState {
    return mutated((state) => (state.sessions[0].replay.spaces = spaces));
  }

  const cases: Array<[string, () => unknown, RegExp]> = [
    ["a JSON round trip of {}", () => JSON.parse("{}"), /analysis/],
    ["null", () => null, /not an object/],
    ["an array", () => [], /not an object/],
    ["a wrong version", () => mutated((state) => (state.stateVersion = 1)), /version 1/],
    ["another analysis", () => mutated((state) => (state.analysis = "loss")), /"loss"/],
    ["a missing field", () => mutated((state) => delete state.sessions[0].timeline), /sessions\/0/],
    ["a wrong type", () => mutated((state) => (state.sessions[0].serverMessages = "12")), /sessions\/0\/serverMessages/],
    ["NaN written as null by JSON", () => mutated((state) => (state.sessions[0].timeline.offsetUs = null)), /sessions\/0\/timeline\/offsetUs/],
    ["an oversized evidence list", () => mutated((state) => (state.sessions[0].speedhack.packetIndices = Array.from({ length: 13 }, (_, index) => index))), /packetIndices/],
    ["an envelope beyond the speedhack window", () => mutated((state) => {
      const timeline = state.sessions[0].timeline;
      timeline.envelopeArrivalUs = Array.from({ length: 21 }, (_, index) => index);
      timeline.envelopeClaimedUs = Array.from({ length: 21 }, (_, index) => index);
    }), /speedhackWindowPoints/],
    ["a window history with the wrong channels", () => mutated((state) => {
      const history = state.sessions[0].fakeLatency.history;
      history.values = [1, 2, 3, 4];
      history.count = 4;
    }), /fakeLatency/],
    ["a repeated session", () => mutated((state) => state.sessions.push(state.sessions[0])), /repeats session/],
    ["a repeated anomaly code", () => mutated((state) => (state.anomalies = [["E_X", 1], ["E_X", 2]])), /repeats anomaly code/],
    ["shot targets without their claims", () => mutated((state) => {
      state.sessions[0].datagram.targetsUs = [1];
      state.sessions[0].datagram.targetClaimsUs = [];
    }), /unequal lengths/],
    ["more lag-switch events than maxEventsPerSession", () => mutated((state) => {
      const event = { gapStartUs: 0, gapEndUs: 1, gapMs: 1, flushedMessages: 1, oldestAgeMs: 1, ackedServerPackets: 1, serverPacketsDuringGap: 1, acknowledgementFrozenMs: 0, positionJump: 0, packetIndices: [] };
      state.sessions[0].lagSwitch.events = Array.from({ length: 33 }, () => event);
    }), /maxEventsPerSession/],
    ["a repeated selective-delay type", () => mutated((state) => {
      const history = state.sessions[0].fakeLatency.history;
      state.sessions[0].selectiveDelay.types = [{ type: "shot", history }, { type: "shot", history }];
    }), /selectiveDelay/],
    ["a rewind history with the wrong channels", () => mutated((state) => {
      const history = { ...state.sessions[0].fakeLatency.history, values: [1, 2, 3], count: 1 };
      state.sessions[0].rewind.histories = [history, null, null];
    }), /rewind/],
    ["replay slot columns of unequal lengths", () => withSpaces([{ ...replaySpace(), slotHighs: [] }]), /slot columns of unequal lengths/],
    ["two replay sequences in one slot", () => withSpaces([{ ...replaySpace(), slotLows: [5, 261], slotHighs: [0, 0], slotPacketIndices: [3, 4], slotFingerprints: [1, 2], slotArrivalsUs: [10, 11] }]), /two sequences for slot 5/],
    ["a repeated replay space", () => withSpaces([replaySpace(), replaySpace()]), /repeats class 1 channel 0/],
    ["replay head columns of unequal lengths", () => withSpaces([{ ...replaySpace(), headAuthenticated: [] }]), /head columns of unequal lengths/],
    ["a replay head sequence that is no integer", () => withSpaces([{ ...replaySpace(), headSequences: [1.5] }]), /1\.5.*not an integer/],
    ["a replay newest sequence NaN", () => withSpaces([{ ...replaySpace(), newest: "NaN" }]), /"NaN", not an integer/],
    ["a replay head beyond the slot window", () => withSpaces([{ ...replaySpace(), headSequences: Array.from({ length: 257 }, (_, index) => index) }]), /headSequences/],
    ["more than 8 replay spaces", () => withSpaces(Array.from({ length: 9 }, (_, channel) => ({ ...replaySpace(), channel }))), /replay\/spaces/],
    ["a replay space of an unknown class", () => withSpaces([{ ...replaySpace(), class: 3 }]), /replay\/spaces\/0\/class/],
    ["a replay slot sequence beyond 32 bits", () => withSpaces([{ ...replaySpace(), slotLows: [2 ** 32] }]), /slotLows/],
    ["a replay slot packet index beyond a safe integer", () => withSpaces([{ ...replaySpace(), slotPacketIndices: [2 ** 53 + 2] }]), /safe integer/],
    ["a negative count", () => mutated((state) => (state.packets = -1)), /packets/],
    ["a packet index beyond a safe integer", () => mutated((state) => (state.sessions[0].speedhack.lastPacketIndex = 2 ** 53 + 2)), /safe integer/],
  ];
  for (const [name, make, pattern] of cases) {
    it(`rejects ${name}, leaving the analyzer unchanged`, () => {
      const analyzer = onePass(cheatMatch(7, 3));
      const before = JSON.stringify(analyzer.saveState());
      expectBadPartial(() => analyzer.mergeState(make() as AnticheatAnalyzerState, { packetIndexOffset: 0 }), pattern);
      expect(JSON.stringify(analyzer.saveState())).toBe(before);
    });
  }

  it("rejects a bad packetIndexOffset", () => {
    const analyzer = new AnticheatAnalyzer();
    expectBadPartial(() => analyzer.mergeState(good, { packetIndexOffset: -1 }), /packetIndexOffset/);
    expectBadPartial(() => analyzer.mergeState(good, { packetIndexOffset: 0.5 }), /packetIndexOffset/);
    expectBadPartial(() => analyzer.mergeState(good, undefined as never), /packetIndexOffset/);
  });

  it("rejects a state saved with other options as E_PARTIAL_MISMATCH", () => {
    const analyzer = new AnticheatAnalyzer({ clockRateTolerance: 0.05 });
    const before = JSON.stringify(analyzer.saveState());
    expectBadPartial(() => analyzer.mergeState(good, { packetIndexOffset: 0 }), /other anticheat options/, ErrorCode.partialMismatch);
    expect(JSON.stringify(analyzer.saveState())).toBe(before);
  });

  it("accepts a well-formed replay space (control for the replay cases)", () => {
    const analyzer = new AnticheatAnalyzer();
    analyzer.mergeState(withSpaces([replaySpace(), { ...replaySpace(), class: 0, channel: "voice", newest: "9223372036854775813", headSequences: ["9223372036854775813"] }]), { packetIndexOffset: 7 });
    const saved = analyzer.saveState().sessions[0]!.replay.spaces;
    expect(saved.map((space) => space.slotPacketIndices)).toEqual([[10], [10]]);
    expect(saved[0]!.headSequences).toEqual(["9223372036854775813"]);
  });

  it("accepts the same state (control)", () => {
    const analyzer = new AnticheatAnalyzer();
    analyzer.mergeState(good, { packetIndexOffset: 0 });
    expect(analyzer.finish().summary.sessions).toBe(match.sessions.length);
  });
});

describe("README: Saving and merging state", () => {
  it("the example runs as written against the API", () => {
    const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
    const section = readme.slice(readme.indexOf("## Saving and merging state"));
    const code = /```js\n([\s\S]*?)```/.exec(section)![1]!.replace(/^import .*$/m, "");
    const run = new Function("AnticheatAnalyzer", "options", "packetsInFirstFile", `${code}\nreturn report;`) as (
      analyzer: typeof AnticheatAnalyzer,
      options: object,
      packetsInFirstFile: number,
    ) => AnticheatReport;
    const report = run(AnticheatAnalyzer, { clockRateTolerance: 0.03 }, 0);
    expect(report.analysis).toBe("anticheat");
    expect(report.summary.sessions).toBe(0);
  });
});
