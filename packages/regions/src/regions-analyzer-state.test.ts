import { hasErrorCode, isMergeableAnalyzer, type GameMessage, type LogEvent } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { createRegionsAnalyzer, type RegionsAnalyzerOptions } from "./regions-analyzer.js";
import { REGIONS_STATE_VERSION, type RegionsAnalyzerState } from "./regions-analyzer-state.js";
import { createSeededRandom } from "./random.js";
import type { SessionSummary } from "./session-summary.js";
import { cutAt, feed, recordSimulatedMatch, splitSessions, type MatchEvent } from "./test-support/recorded-match.js";
import { FIVE_REGIONS, generateRegionMessages, withSessions } from "./test-support/synthetic-population.js";

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = createSeededRandom(`order:${seed}`);
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const swap = random.nextInt(index + 1);
    [copy[index], copy[swap]] = [copy[swap]!, copy[index]!];
  }
  return copy;
}

/** Every check of the contract on one match: round trip, disjoint splits, rotation cuts. */
function contractSuite(name: string, load: () => Promise<{ events: MatchEvent[]; sessionIds: string[]; options: () => RegionsAnalyzerOptions }>): void {
  describe(name, async () => {
    const { events, sessionIds, options } = await load();
    const single = createRegionsAnalyzer(options());
    feed(single, events);
    const singleSummaries = single.sessionSummaries();
    const expected = JSON.stringify(single.finish());
    const sampleCounts = (state: RegionsAnalyzerState): Record<string, number> =>
      Object.fromEntries(state.sessions.flatMap((session) => session.series.map((series) => [`${session.id} ${series.method} ${series.direction}`, series.sketch.count])));
    const singleSamples = (() => {
      const analyzer = createRegionsAnalyzer(options());
      feed(analyzer, events);
      return sampleCounts(analyzer.saveState());
    })();

    it("is a MergeableAnalyzer whose saved state, merged into a fresh analyzer, finishes byte-identically (round trip)", () => {
      const saver = createRegionsAnalyzer(options());
      expect(isMergeableAnalyzer(saver)).toBe(true);
      expect(saver.stateVersion).toBe(REGIONS_STATE_VERSION);
      feed(saver, events);
      const state = saver.saveState();
      const text = JSON.stringify(state);
      expect(JSON.stringify(json(state))).toBe(text); // plain JSON-safe data, nothing lost in a round trip
      expect(JSON.stringify(saver.finish())).toBe(expected); // saving does not change the saver's own report
      const restored = createRegionsAnalyzer(options());
      restored.mergeState(JSON.parse(text) as RegionsAnalyzerState, { packetIndexOffset: 0 });
      expect(JSON.stringify(restored.finish())).toBe(expected);
      // …and saving the restored analyzer gives the same state again.
      const again = createRegionsAnalyzer(options());
      again.mergeState(JSON.parse(text) as RegionsAnalyzerState, { packetIndexOffset: 0 });
      expect(JSON.stringify(again.saveState())).toBe(text);
    });

    it("merges disjoint session groups (2 and 3 groups, several seeds, any merge order) byte-identically to one pass", () => {
      for (const groups of [2, 3]) {
        for (const seed of [1, 2, 3]) {
          const states = splitSessions(sessionIds, groups, seed * 10 + groups).map((group) => {
            const part = createRegionsAnalyzer(options());
            feed(part, events, group);
            return json(part.saveState());
          });
          const merged = createRegionsAnalyzer(options());
          for (const state of shuffled(states, seed)) merged.mergeState(state, { packetIndexOffset: 0 });
          expect(JSON.stringify(merged.finish()), `${groups} groups, seed ${seed}`).toBe(expected);
        }
      }
    });

    it("continues sessions cut by a rotation: loss, bursts, RTT sample counts and quantiles exact", () => {
      const times = events.flatMap((event) => (event.kind === "message" ? [event.message.tUs] : []));
      const start = Math.min(...times);
      const end = Math.max(...times);
      for (const share of [0.2, 0.5, 0.83]) {
        const cut = cutAt(events, start + share * (end - start));
        const first = createRegionsAnalyzer(options());
        feed(first, cut.first);
        const second = createRegionsAnalyzer(options());
        feed(second, cut.second);
        const merged = createRegionsAnalyzer(options());
        merged.mergeState(json(first.saveState()), { packetIndexOffset: 0 });
        merged.mergeState(json(second.saveState()), { packetIndexOffset: cut.firstPackets });
        expect(merged.inexactLossJoins).toBe(0);
        const summaries = merged.sessionSummaries();
        expect(summaries.map((summary) => summary.sessionId)).toEqual(singleSummaries.map((summary) => summary.sessionId));
        summaries.forEach((summary, index) => {
          const one: SessionSummary = singleSummaries[index]!;
          expect(summary.lossRate, summary.sessionId).toBe(one.lossRate);
          expect(summary.lossBursts, summary.sessionId).toEqual(one.lossBursts);
          expect(summary.playTimeMs).toBe(one.playTimeMs);
          expect(summary.region).toBe(one.region);
          // RTT: the same samples in the same sketch buckets (exchanges straddling the cut paired through the carries).
          expect(summary.rttMs, summary.sessionId).toEqual(one.rttMs);
          expect(summary.rttSamplesMs!.length).toBe(one.rttSamplesMs!.length);
          // Spikes: the earlier pass's detector continues over the later pass's first samples.
          expect(summary.spikeCount, summary.sessionId).toBe(one.spikeCount);
        });
        expect(sampleCounts(json(merged.saveState()))).toEqual(singleSamples);
        const report = merged.finish();
        const oneReport = JSON.parse(expected) as typeof report;
        expect(report.sessions.analysed).toBe(oneReport.sessions.analysed);
        expect(report.regions.map((region) => [region.name, region.sessions, region.lossRate])).toEqual(oneReport.regions.map((region) => [region.name, region.sessions, region.lossRate]));
      }
    });
  });
}

contractSuite("regions state on a simulated 16-player × 60 s match (@tickscope/sim → capture)", async () => {
  const match = await recordSimulatedMatch(5, 16, 60_000);
  return { events: match.events, sessionIds: match.sessionIds, options: () => ({ regionOfSession: match.regionOf, comparison: { bootstrapIterations: 100 } }) };
});

contractSuite("regions state on a synthetic 5-region population with spikes and bursty loss", async () => {
  const generated = generateRegionMessages(withSessions(FIVE_REGIONS, 6), { seed: 4, durationS: 60, inputRateHz: 5 });
  const events: MatchEvent[] = [...generated.sessions.map((session) => ({ kind: "session" as const, session })), ...generated.messages.map((message) => ({ kind: "message" as const, message }))];
  return { events, sessionIds: generated.sessions.map((session) => session.id), options: () => ({ comparison: { bootstrapIterations: 100, placement: { targetMs: 80 } } }) };
});

function message(sessionId: string, direction: GameMessage["direction"], tUs: number, roles: GameMessage["roles"], packetIndex: number): GameMessage {
  return { sessionId, direction, tUs, packetIndex, indexInPacket: 0, type: "m", byteLength: 10, packetWireLength: 52, fields: {}, roles };
}

/** Two sessions labelled only by the server log (region, place, asn, a reported RTT), and a player the log names that no session does. */
function feedLogged(analyzer: ReturnType<typeof createRegionsAnalyzer>, sessions: readonly string[]): void {
  const logs: LogEvent[] = [];
  let line = 1;
  for (const id of sessions) {
    logs.push({ tUs: 0, type: "join", session: id, region: id.startsWith("a") ? "eu" : "na", values: {}, labels: { asn: "AS3320", country: "DE", city: "Berlin" }, line: line++ });
    for (let index = 0; index < 30; index++) logs.push({ tUs: index * 1e6, type: "stats", session: id, values: { rttMs: 40 + (index % 5) }, labels: {}, line: line++ });
  }
  logs.push({ tUs: 5, type: "kill", player: "ghost", values: {}, labels: {}, line: line++ });
  for (const event of logs) analyzer.onLogEvent!(event);
  sessions.forEach((id, index) => {
    for (let sequence = 0; sequence < 100; sequence++) if (sequence % 17 !== 3) analyzer.onMessage(message(id, "serverToClient", sequence * 50_000, { sequence, sequenceBits: 16, channel: 0 }, index * 100 + sequence));
  });
}

describe("regions state with server-log labels", () => {
  it("keeps log-derived labels, reported RTT and unknown log players through a save and merge", () => {
    const single = createRegionsAnalyzer();
    feedLogged(single, ["a1", "b1"]);
    const expected = JSON.stringify(single.finish());
    expect(JSON.parse(expected).sessions.skipped["E_LOG_PLAYER_UNKNOWN"]).toBe(1);
    const saver = createRegionsAnalyzer();
    feedLogged(saver, ["a1", "b1"]);
    const state = json(saver.saveState());
    expect(state.sessions.map((session) => session.labels)).toEqual([
      { region: "eu", playerPlace: { country: "DE", city: "Berlin" }, asn: "AS3320" },
      { region: "na", playerPlace: { country: "DE", city: "Berlin" }, asn: "AS3320" },
    ]);
    expect(state.unknownLogPlayers).toEqual(["ghost"]);
    const merged = createRegionsAnalyzer();
    merged.mergeState(state, { packetIndexOffset: 0 });
    merged.mergeState(json({ ...state, sessions: [] }), { packetIndexOffset: 200 }); // the same unknown player once
    expect(JSON.stringify(merged.finish())).toBe(expected);
  });

  it("moves packet indices by the placement's offset and labels sessions it has none for from its own options", () => {
    const saver = createRegionsAnalyzer();
    feedLogged(saver, ["a1"]);
    const state = json(saver.saveState());
    const unlabelled = json({ ...state, sessions: state.sessions.map((session) => ({ ...session, id: "z9", labels: {} })) });
    const merged = createRegionsAnalyzer({ regionOfSession: { z9: "ap" } });
    merged.mergeState(unlabelled, { packetIndexOffset: 1000 });
    const saved = merged.saveState();
    expect(saved.sessions[0]!.firstPacketIndex).toBe(1000 + state.sessions[0]!.firstPacketIndex);
    expect(saved.sessions[0]!.labels.region).toBe("ap");
    expect(merged.finish().regions.map((region) => region.name)).toEqual(["ap"]);
  });

  it("continues a merged session with messages fed afterwards (as a later pass), in summaries and the report", () => {
    const sessions = ["a1", "b1"];
    const single = createRegionsAnalyzer();
    feedLogged(single, sessions);
    for (const id of sessions) for (let sequence = 100; sequence < 300; sequence++) if (sequence % 13 !== 0) single.onMessage(message(id, "serverToClient", sequence * 50_000, { sequence, sequenceBits: 16, channel: 0 }, 1000 + sequence));
    const expected = single.sessionSummaries();
    const first = createRegionsAnalyzer();
    feedLogged(first, sessions);
    const merged = createRegionsAnalyzer();
    merged.mergeState(json(first.saveState()), { packetIndexOffset: 0 });
    for (const id of sessions) for (let sequence = 100; sequence < 300; sequence++) if (sequence % 13 !== 0) merged.onMessage(message(id, "serverToClient", sequence * 50_000, { sequence, sequenceBits: 16, channel: 0 }, 1000 + sequence));
    const live = merged.sessionSummaries();
    expect(live.map((summary) => [summary.sessionId, summary.lossRate, summary.lossBursts, summary.playTimeMs])).toEqual(
      expected.map((summary) => [summary.sessionId, summary.lossRate, summary.lossBursts, summary.playTimeMs]),
    );
    expect(merged.sessionSummaries()).toEqual(live); // summaries do not end the analysis
    expect(merged.finish().sessions.analysed).toBe(2);
  });

  it("counts sessions beyond maxSessions when merged states bring more", () => {
    const saver = createRegionsAnalyzer();
    feedLogged(saver, ["a1", "a2"]);
    const state = json(saver.saveState());
    const merged = createRegionsAnalyzer({ maxSessions: 2 });
    merged.mergeState(state, { packetIndexOffset: 0 });
    merged.mergeState(json({ ...state, sessions: state.sessions.map((session) => ({ ...session, id: `${session.id}-later` })) }), { packetIndexOffset: 500 });
    const report = merged.finish();
    expect(report.sessions.total).toBe(2);
    expect(report.sessions.skipped["E_REGIONS_TOO_MANY_SESSIONS"]).toBe(2);
    // The count travels with a saved state.
    const saved = json(merged.saveState());
    expect(saved.anomalies).toEqual({ E_REGIONS_TOO_MANY_SESSIONS: 2 });
    const again = createRegionsAnalyzer({ maxSessions: 2 });
    again.mergeState(saved, { packetIndexOffset: 0 });
    expect(again.finish().sessions.skipped["E_REGIONS_TOO_MANY_SESSIONS"]).toBe(2);
  });
});

describe("regions state of region-labelled captures (forRegion)", () => {
  it("round-trips and merges per-capture feeders byte-identically, labels and locations included", () => {
    const generated = generateRegionMessages(withSessions(FIVE_REGIONS.slice(0, 2), 4), { seed: 9, durationS: 30, inputRateHz: 0 });
    const locations = Object.fromEntries(generated.truth.map((truth) => [truth.sessionId, truth.location]));
    const run = (regions: readonly string[]): ReturnType<typeof createRegionsAnalyzer> => {
      const analyzer = createRegionsAnalyzer({ playerLocationOfSession: locations, comparison: { bootstrapIterations: 50 } });
      for (const region of regions) {
        const feeder = analyzer.forRegion(region);
        for (const session of generated.sessions) if (session.region === region) feeder.onSession(session);
        for (const entry of generated.messages) if (entry.sessionId.startsWith(region)) feeder.onMessage(entry);
      }
      return analyzer;
    };
    const expected = JSON.stringify(run(["na-east", "eu-west"]).finish());
    const merged = createRegionsAnalyzer({ comparison: { bootstrapIterations: 50 } }); // no location option: the states carry them
    for (const region of ["eu-west", "na-east"]) {
      const state = json(run([region]).saveState());
      expect(state.sessions.map((session) => [session.id.startsWith(`${region}/`), session.rawId !== null, session.labels.region, session.labels.playerLocation !== undefined])).toEqual(
        new Array(4).fill([true, true, region, true]),
      );
      merged.mergeState(state, { packetIndexOffset: 0 });
    }
    expect(JSON.stringify(merged.finish())).toBe(expected);
  });
});

describe("joining a session's parts (rotation), hand-made", () => {
  const options = (): RegionsAnalyzerOptions => ({ regionOfSession: { s: "eu" }, maxRttSamplesPerSession: 4 });
  /** Pass 1: pings 0..19 answered, ping 20 sent at the end; sequences on channel 0. */
  const passOne = (analyzer: ReturnType<typeof createRegionsAnalyzer>): void => {
    let index = 0;
    for (let ping = 0; ping < 20; ping++) {
      analyzer.onMessage(message("s", "clientToServer", ping * 100_000, { echoKey: String(ping), echoPhase: "request" }, index++));
      analyzer.onMessage(message("s", "serverToClient", ping * 100_000 + 30_000, { echoKey: String(ping), echoPhase: "reply" }, index++));
      analyzer.onMessage(message("s", "serverToClient", ping * 100_000 + 40_000, { sequence: ping, sequenceBits: 16, channel: 0 }, index++));
    }
    analyzer.onMessage(message("s", "clientToServer", 2_000_000, { echoKey: "20", echoPhase: "request" }, index++));
  };
  /** Pass 2 (indices from 0): ping 20's reply, a new channel, and a sendTime stream. */
  const passTwo = (analyzer: ReturnType<typeof createRegionsAnalyzer>, firstIndex = 0): void => {
    let index = firstIndex;
    analyzer.onMessage(message("s", "serverToClient", 2_035_000, { echoKey: "20", echoPhase: "reply" }, index++));
    for (let step = 0; step < 30; step++) {
      const tUs = 2_100_000 + step * 50_000;
      analyzer.onMessage(message("s", "serverToClient", tUs, { sequence: step, sequenceBits: 16, channel: 1, sendTimeUs: tUs - 20_000 + (step % 3) * 1000 }, index++));
    }
  };

  it("pairs a ping across the cut into a full reservoir, adds a new channel and send-time stream, and keeps the earliest first packet", () => {
    const single = createRegionsAnalyzer(options());
    passOne(single);
    passTwo(single, 61);
    const expected = single.sessionSummaries()[0]!;
    const first = createRegionsAnalyzer(options());
    passOne(first);
    const second = createRegionsAnalyzer(options());
    passTwo(second);
    const merged = createRegionsAnalyzer(options());
    // Merged in reverse too: the record keeps the earliest first packet whichever arrives first.
    merged.mergeState(json(first.saveState()), { packetIndexOffset: 0 });
    merged.mergeState(json(second.saveState()), { packetIndexOffset: 61 });
    const summary = merged.sessionSummaries()[0]!;
    expect(summary.rttMs).toEqual(expected.rttMs);
    expect(summary.rttSamplesMs).toHaveLength(4);
    expect(summary.lossRate).toBe(expected.lossRate);
    expect(summary.jitterMs).toBe(expected.jitterMs);
    const saved = merged.saveState();
    expect(saved.sessions[0]!.firstPacketIndex).toBe(0);
    expect(saved.sessions[0]!.series.find((series) => series.method === "echo")!.reservoir.count).toBe(21);
    expect(saved.sessions[0]!.sequenceSpaces).toHaveLength(2);
    expect(saved.sessions[0]!.sendTimeStreams).toHaveLength(1);
    const reversed = createRegionsAnalyzer(options());
    reversed.mergeState(json(second.saveState()), { packetIndexOffset: 61 });
    reversed.mergeState(json(first.saveState()), { packetIndexOffset: 0 });
    expect(reversed.saveState().sessions[0]!.firstPacketIndex).toBe(0);
  });

  it("creates a series from a ping answered only after the cut, and counts a loss join it cannot make exact", () => {
    const first = createRegionsAnalyzer(options());
    first.onMessage(message("s", "clientToServer", 0, { echoKey: "a", echoPhase: "request" }, 0));
    first.onMessage(message("s", "serverToClient", 0, { sequence: 1, sequenceBits: 16, channel: 0 }, 1));
    const second = createRegionsAnalyzer(options());
    second.onMessage(message("s", "serverToClient", 25_000, { echoKey: "a", echoPhase: "reply" }, 0));
    for (let sequence = 2; sequence < 400; sequence++) second.onMessage(message("s", "serverToClient", sequence * 1000, { sequence, sequenceBits: 16, channel: 0 }, sequence));
    const later = json(second.saveState());
    const window = later.sessions[0]!.sequenceSpaces[0]!.window;
    window.prefix = null;
    window.mark = null;
    const merged = createRegionsAnalyzer(options());
    merged.mergeState(json(first.saveState()), { packetIndexOffset: 0 });
    merged.mergeState(later, { packetIndexOffset: 2 });
    expect(merged.inexactLossJoins).toBe(1);
    const [summary] = merged.sessionSummaries();
    expect(summary!.rttMs!.p50).toBeCloseTo(25, 0);
    expect(summary!.lossRate).toBe(0);
  });
});

describe("hostile regions states", () => {
  const saver = createRegionsAnalyzer();
  feedLogged(saver, ["a1", "b1"]);
  const good = json(saver.saveState());
  const reference = createRegionsAnalyzer();
  reference.mergeState(json(good), { packetIndexOffset: 0 });
  const expected = JSON.stringify(reference.finish());

  const mutate = (change: (state: Record<string, any>) => unknown): unknown => {
    const copy = json(good) as unknown as Record<string, any>;
    const replaced = change(copy);
    return replaced === undefined ? copy : replaced;
  };

  const hostile: [string, unknown, RegExp][] = [
    ["wrong version", mutate((state) => void (state.version = REGIONS_STATE_VERSION + 1)), /at \/version: version 2/],
    ["wrong analysis", mutate((state) => void (state.analysis = "latency")), /at \/analysis/],
    [
      "missing field",
      mutate((state) => {
        delete state.sessions[0].firstUs;
      }),
      /at \/sessions\/0/,
    ],
    ["wrong type", mutate((state) => void (state.sessions[1].series[0].reservoir.count = "30")), /at \/sessions\/1\/series\/0\/reservoir\/count/],
    ["an empty object after a JSON round trip", json({}), /regions state is not a state this version saved/],
    ["null", null, /regions state/],
    ["an unknown property", mutate((state) => void (state.sessions[0].extra = 1)), /at \/sessions\/0/],
    ["too many reservoir samples", mutate((state) => void (state.sessions[1].series[0].reservoir.samplesMs = new Array(2049).fill(1))), /samplesMs: holds 2049 samples/],
    ["too many sessions", mutate((state) => void (state.sessions = Array.from({ length: 3 }, (_, index) => ({ ...state.sessions[0], id: `s${index}` })))), /3 sessions, more than this analyzer's maxSessions 2/],
    ["a duplicated session", mutate((state) => void (state.sessions[1] = state.sessions[0])), /appears twice/],
    ["a duplicated series", mutate((state) => void state.sessions[0].series.push(state.sessions[0].series[0])), /series reported:clientToServer appears twice/],
    [
      "too many spikes",
      mutate((state) => void (state.sessions[0].series[0].spikes = Array.from({ length: 1001 }, () => ({ startUs: 0, endUs: 1, peakMs: 1, packetIndex: null, contradictedBy: null, closedAtEnd: false })))),
      /1001 spikes, more than maxSpikesPerSeries 1000/,
    ],
    ["too many sequence spaces", mutate((state) => void (state.sessions[1].sequenceSpaces = new Array(17).fill(state.sessions[1].sequenceSpaces[0]))), /17 sequence spaces/],
    ["a window of another size", mutate((state) => void (state.sessions[1].sequenceSpaces[0].window.windowSize = 128)), /window size 128 is not the state's lossWindow 256/],
    [
      "a window wider than its size",
      mutate((state) => {
        const window = state.sessions[1].sequenceSpaces[0].window;
        window.highest = window.base + 300;
      }),
      /spans 301 sequences, more than its size 256/,
    ],
    ["a window whose bits do not match base..highest", mutate((state) => void (state.sessions[1].sequenceSpaces[0].window.received += "1")), /one 0\/1 per sequence/],
    ["highest below base", mutate((state) => void (state.sessions[1].sequenceSpaces[0].window.base = state.sessions[1].sequenceSpaces[0].window.highest + 5)), /highest must not lie below base/],
    ["a prefix longer than the window + 64", mutate((state) => void (state.sessions[1].sequenceSpaces[0].window.prefix = new Array(400).fill(1))), /holds 400 sequences, more than the window \+ 64/],
    ["a mark without its prefix", mutate((state) => void (state.sessions[1].sequenceSpaces[0].window.mark = { ...state.sessions[1].sequenceSpaces[0].window, received: "" , highest: state.sessions[1].sequenceSpaces[0].window.base - 1, windowSize: undefined })), /mark/],
    ["a sketch whose counts do not add up (last session: nothing merged before it either)", mutate((state) => void (state.sessions[1].series[0].sketch.count += 1)), /quantile sketch state/],
    ["an RTT prefix that is not triples", mutate((state) => void state.sessions[0].series[0].prefix.push(1)), /prefix: must hold \[start µs, RTT ms, packet index\] triples/],
    ["a spike detector of another window", mutate((state) => void (state.sessions[0].series[0].detector.windowSize = 50)), /spike detector state/],
    ["a negative count", mutate((state) => void (state.sessions[0].droppedSequenceSpaces = -1)), /droppedSequenceSpaces/],
    ["a non-integer sequence", mutate((state) => void (state.sessions[1].sequenceSpaces[0].window.highestRaw = 1.5)), /highestRaw/],
  ];

  for (const [what, state, message] of hostile) {
    it(`rejects ${what} with E_BAD_PARTIAL and leaves the analyzer unchanged`, () => {
      const analyzer = createRegionsAnalyzer({ maxSessions: 2 });
      analyzer.mergeState(json(good), { packetIndexOffset: 0 });
      let thrown: unknown;
      try {
        analyzer.mergeState(state as RegionsAnalyzerState, { packetIndexOffset: 0 });
      } catch (error) {
        thrown = error;
      }
      expect(hasErrorCode(thrown, "E_BAD_PARTIAL"), String(thrown)).toBe(true);
      expect(String((thrown as Error).message)).toMatch(message);
      expect(JSON.stringify(analyzer.finish())).toBe(expected);
    });
  }

  it("rejects a state saved with other bounds with E_PARTIAL_MISMATCH, and a bad offset with E_INVALID_OPTION", () => {
    const analyzer = createRegionsAnalyzer({ lossWindow: 128 });
    expect(() => analyzer.mergeState(json(good), { packetIndexOffset: 0 })).toThrow(expect.objectContaining({ code: "E_PARTIAL_MISMATCH", fieldPath: "/settings/lossWindow" }));
    expect(() => analyzer.mergeState(json(good), { packetIndexOffset: -1 })).toThrow(expect.objectContaining({ code: "E_INVALID_OPTION" }));
    expect(analyzer.finish().sessions.total).toBe(0);
  });
});
