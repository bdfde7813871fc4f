import type { GameMessage, Session } from "@tickscope/core";
import { hasErrorCode } from "@tickscope/core";
import { describe, expect, it } from "vitest";
import { clientPrefixOf, createRegionsAnalyzer } from "./regions-analyzer.js";
import { quantile } from "./statistics.js";
import { FIVE_REGIONS, generateRegionMessages, withSessions } from "./test-support/synthetic-population.js";

function message(sessionId: string, direction: GameMessage["direction"], tUs: number, roles: GameMessage["roles"], packetIndex = 0): GameMessage {
  return { sessionId, direction, tUs, packetIndex, indexInPacket: 0, type: "m", byteLength: 10, packetWireLength: 52, fields: {}, roles };
}

function session(id: string, region?: string, address = "198.51.100.7"): Session {
  const result: Session = {
    id,
    transport: "udp",
    client: { address, port: 5000 },
    server: { address: "192.0.2.1", port: 7777 },
    firstUs: 0,
    lastUs: 0,
    clientToServer: { packets: 0, bytes: 0 },
    serverToClient: { packets: 0, bytes: 0 },
  };
  if (region !== undefined) result.region = region;
  return result;
}

describe("regions analyzer on a simulated 5-region capture (messages)", () => {
  const generated = generateRegionMessages(withSessions(FIVE_REGIONS, 40), { seed: 21, durationS: 60 });
  const analyzer = createRegionsAnalyzer({ comparison: { bootstrapIterations: 200, placement: { targetMs: 80 } } });
  for (const entry of generated.sessions) analyzer.onSession!(entry);
  for (const entry of generated.messages) analyzer.onMessage(entry);
  const summaries = analyzer.sessionSummaries();
  const report = analyzer.finish();

  it("recovers each session's median RTT, jitter and loss from the messages", () => {
    expect(summaries).toHaveLength(200);
    const truthById = new Map(generated.truth.map((truth) => [truth.sessionId, truth]));
    let worstRtt = 0;
    let jitterErrors: number[] = [];
    let lostSeenTotal = 0;
    let lostTruthTotal = 0;
    for (const summary of summaries) {
      const truth = truthById.get(summary.sessionId)!;
      const median = quantile(summary.rttSamplesMs!, 0.5);
      worstRtt = Math.max(worstRtt, Math.abs(median - truth.rttP50Ms));
      if (truth.spikes === 0) jitterErrors.push(Math.abs(summary.jitterMs! - truth.jitterMs) / truth.jitterMs);
      // loss counted by sequence gaps: exact, except losses after the last received snapshot (invisible)
      const received = truth.sentSnapshots - truth.lostSnapshots;
      const lostSeen = Math.round((summary.lossRate! * received) / (1 - summary.lossRate!));
      expect(lostSeen).toBeLessThanOrEqual(truth.lostSnapshots);
      lostSeenTotal += lostSeen;
      lostTruthTotal += truth.lostSnapshots;
      expect(summary.playTimeMs).toBeGreaterThan(59_000);
    }
    expect(lostSeenTotal / lostTruthTotal).toBeGreaterThan(0.98);
    expect(lostTruthTotal).toBeGreaterThan(1000);
    expect(worstRtt).toBeLessThan(4); // 240 samples per session, noise sd ≤ ~20 ms
    jitterErrors = jitterErrors.sort((left, right) => left - right);
    // The session's jitter is the latency analysis' figure: RFC 3550's J at the end of the stream (a 1/16
    // moving average of |D|, so noisier per session than the mean |D| this test drew: 12.8 % median error here).
    expect(jitterErrors[Math.floor(jitterErrors.length / 2)]!).toBeLessThan(0.15);
  });

  it("ranks the regions correctly and flags sa-east loss and ap-southeast jitter", () => {
    expect(report.ranking).toEqual(["eu-west", "na-east", "oceania", "ap-southeast", "sa-east"]);
    const saEast = report.regions.find((region) => region.name === "sa-east")!;
    expect(saEast.lossRate!).toBeGreaterThan(0.03);
    expect(saEast.lossRate!).toBeLessThan(0.05);
    expect(saEast.lossBurstP95Length).toBeGreaterThan(3);
    expect(report.challenges.some((challenge) => challenge.region === "sa-east" && challenge.kind === "burstyLoss")).toBe(true);
    expect(report.challenges.some((challenge) => challenge.region === "ap-southeast" && challenge.kind === "highJitter")).toBe(true);
    const finding = report.findings.find((entry) => entry.id === "regions.burstyLoss.sa-east")!;
    expect(finding).toMatchObject({ analysis: "regions", kind: "burstyLoss", evidence: { values: { region: "sa-east", metric: "lossRate" } } });
    const saSessions = generated.sessions.filter((entry) => entry.region === "sa-east");
    expect(finding.startUs).toBeGreaterThanOrEqual(Math.min(...saSessions.map((entry) => entry.firstUs)));
    expect(finding.endUs).toBeLessThanOrEqual(Math.max(...saSessions.map((entry) => entry.lastUs)));
    expect(finding.endUs - finding.startUs).toBeGreaterThan(59e6);
    const settings = Object.fromEntries(report.protocolSettings.map((entry) => [entry.region, entry]));
    expect(settings["sa-east"]!.inputRedundancy).toBeGreaterThan(settings["eu-west"]!.inputRedundancy);
    expect(settings["ap-southeast"]!.interpolationDelayMs).toBeGreaterThan(settings["eu-west"]!.interpolationDelayMs);
    expect(report.sessions).toMatchObject({ total: 200, analysed: 200, skipped: {} });
    // every analysed session's figures, as the summaries give them (RTT, spikes and jitter: the latency analysis' figures)
    expect(report.sessions.list).toHaveLength(200);
    for (const [index, summary] of summaries.entries()) {
      expect(report.sessions.list[index]).toMatchObject({ sessionId: summary.sessionId, rttMs: summary.rttMs, jitterMs: summary.jitterMs, spikeCount: summary.spikeCount });
    }
    expect(report.regions.every((region) => region.speedOfLightMs === null)).toBe(true); // no player locations given
    expect(report.placement).toBeNull();
    expect(summaries[0]!.clientPrefix).toMatch(/\/24$/);
  });
});

describe("RTT sources and labelling", () => {
  it("uses acks when there are no echoes, from the side that spans the network", () => {
    const analyzer = createRegionsAnalyzer({ regionOfSession: { s: "eu" }, comparison: { placement: false } });
    for (let index = 0; index < 50; index++) {
      const sendUs = index * 50_000;
      analyzer.onMessage(message("s", "clientToServer", sendUs, { sequence: index, ack: index - 1 }, index * 2));
      // server answers 40 ms later, acking the client's sequence; the client acks immediately (~0 ms)
      analyzer.onMessage(message("s", "serverToClient", sendUs + 40_000, { sequence: index, ack: index }, index * 2 + 1));
    }
    const [summary] = analyzer.sessionSummaries();
    expect(quantile(summary!.rttSamplesMs!, 0.5)).toBeCloseTo(40, 6);
    expect(summary!.lossRate).toBe(0);
  });

  it("falls back to reported RTT, labels from log events, and counts unlabelled sessions", () => {
    const analyzer = createRegionsAnalyzer({ playerLocationOfSession: { r: { country: "JP" } } });
    analyzer.onSession!(session("r", undefined, "2001:db8:abcd:12::1"));
    analyzer.onLogEvent!({ tUs: 0, type: "join", session: "r", region: "ap-northeast", values: {}, labels: { asn: "AS2516" }, line: 1 });
    analyzer.onLogEvent!({ tUs: 0, type: "geo", session: "g", values: { lat: 48.1, lon: 11.6 }, labels: {}, line: 2 });
    analyzer.onLogEvent!({ tUs: 0, type: "geo", session: "c", values: {}, labels: { country: "DE", city: "Berlin" }, line: 3 });
    analyzer.onLogEvent!({ tUs: 0, type: "tick", values: {}, labels: {}, line: 4 });
    // A server message naming another player (a spawn, a death) must not label this session.
    analyzer.onMessage(message("r", "serverToClient", 0, { playerId: 4 }));
    for (let index = 0; index < 10; index++) {
      analyzer.onMessage(message("r", "clientToServer", index * 1e6, { reportedRttMs: 100 + index, playerId: 9 }));
      analyzer.onMessage(message("u", "clientToServer", index * 1e6, { reportedRttMs: 50 }));
    }
    const summaries = analyzer.sessionSummaries();
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ region: "ap-northeast", player: "9", asn: "AS2516", clientPrefix: "2001:db8:abcd::/48", playerPlace: { country: "JP" } });
    const report = analyzer.finish();
    expect(report.sessions.skipped["E_REGIONS_NO_REGION"]).toBe(1);
    // The session's RTT comes from core's sketch (0.5 % relative error), as the latency analysis reports it.
    expect(Math.abs(report.regions[0]!.rttMs.p50 - 104.5)).toBeLessThanOrEqual(0.005 * 104.5 + 0.5);
  });

  it("pairs echoes only across directions, labels with a function, and bounds sessions", () => {
    const analyzer = createRegionsAnalyzer({ regionOfSession: (id) => (id.startsWith("x") ? "na" : undefined), maxSessions: 1, comparison: { placement: false } });
    analyzer.onMessage(message("x1", "clientToServer", 0, { echoKey: "1", echoPhase: "request" }));
    analyzer.onMessage(message("x1", "clientToServer", 5_000, { echoKey: "1", echoPhase: "reply" })); // same direction: ignored
    analyzer.onMessage(message("x1", "serverToClient", 30_000, { echoKey: "1", echoPhase: "reply" }));
    analyzer.onMessage(message("x1", "serverToClient", 31_000, { echoKey: "2", echoPhase: "reply" })); // unknown key
    analyzer.onMessage(message("x2", "clientToServer", 0, { echoKey: "1", echoPhase: "request" }, 7));
    analyzer.onSession!(session("x1"));
    analyzer.onSession!(session("x2")); // beyond the bound: not kept
    analyzer.onLogEvent!({ tUs: 0, type: "geo", session: "x1", region: "na", values: {}, labels: {}, line: 1 });
    analyzer.onLogEvent!({ tUs: 0, type: "geo", session: "x1", values: {}, labels: { asn: "AS1" }, line: 2 });
    analyzer.onLogEvent!({ tUs: 0, type: "geo", session: "x3", region: "na", values: {}, labels: {}, line: 3 }); // beyond the bound
    const summaries = analyzer.sessionSummaries();
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.rttSamplesMs).toEqual([30]);
    const report = analyzer.finish();
    expect(report.sessions.skipped["E_REGIONS_TOO_MANY_SESSIONS"]).toBe(2);
  });

  it("files log events naming a player before its session under that session (core's attribution), and skips players no session names", () => {
    const analyzer = createRegionsAnalyzer({ regionOfSession: () => "eu" });
    const logRtt = (tUs: number, player: string, line: number) => ({ tUs, type: "ping", player, region: "eu-west", values: { rttMs: 90 }, labels: {}, line });
    for (let index = 0; index < 3; index++) {
      analyzer.onLogEvent!(logRtt(index * 1e6, "3", index * 3 + 1));
      analyzer.onLogEvent!(logRtt(index * 1e6, "4", index * 3 + 2));
      analyzer.onLogEvent!(logRtt(index * 1e6, "404", index * 3 + 3));
    }
    // session "a" names player 3 in its client's messages; session "b" is player 4's by Session.player
    analyzer.onMessage(message("a", "clientToServer", 5e6, { playerId: 3 }));
    analyzer.onSession!({ ...session("b"), player: "4" });
    analyzer.onMessage(message("b", "clientToServer", 5e6, {}));
    const summaries = analyzer.sessionSummaries();
    expect(summaries.map((summary) => [summary.sessionId, summary.rttMs?.p50, summary.rttMs !== undefined])).toEqual([
      ["a", 90, true],
      ["b", 90, true],
    ]);
    expect(analyzer.finish().sessions.skipped.E_LOG_PLAYER_UNKNOWN).toBe(1);
  });

  it("counts sessions without RTT and too many sequence spaces", () => {
    const analyzer = createRegionsAnalyzer({ regionOfSession: { a: "eu", b: "eu" }, maxSequenceSpaces: 1, comparison: { placement: false } });
    analyzer.onMessage(message("a", "clientToServer", 0, { sequence: 1, channel: 0 }));
    analyzer.onMessage(message("b", "clientToServer", 0, { sequence: 1, channel: 0, reportedRttMs: 20 }));
    analyzer.onMessage(message("b", "clientToServer", 0, { sequence: 1, channel: 1 }));
    const report = analyzer.finish();
    expect(report.sessions.skipped).toEqual({ E_REGIONS_NO_RTT: 1, E_REGIONS_TOO_MANY_SEQUENCE_SPACES: 1 });
    expect(report.sessions.analysed).toBe(1);
  });

  it("rejects invalid options with E_INVALID_OPTION", () => {
    expect(() => createRegionsAnalyzer({ maxRttSamplesPerSession: 0 })).toThrow();
    try {
      createRegionsAnalyzer({ maxSpikesPerSeries: -1 });
    } catch (error) {
      expect(hasErrorCode(error, "E_INVALID_OPTION")).toBe(true);
    }
    expect(() => createRegionsAnalyzer({ lossWindow: 1.5 })).toThrow(/lossWindow/);
  });
});

describe("clientPrefixOf", () => {
  it("derives /24 and /48 prefixes", () => {
    expect(clientPrefixOf("203.0.113.77")).toBe("203.0.113.0/24");
    expect(clientPrefixOf("2001:0db8:0001:0002::5")).toBe("2001:db8:1::/48");
    expect(clientPrefixOf("::1")).toBe("0:0:0::/48");
    expect(clientPrefixOf("fe80::")).toBe("fe80:0:0::/48");
    expect(clientPrefixOf("not-an-address")).toBeUndefined();
    expect(clientPrefixOf("1:2")).toBeUndefined();
  });
});

describe("forRegion feeders (one capture per region)", () => {
  it("labels sessions by capture and keeps equal session ids of two captures apart", () => {
    const analyzer = createRegionsAnalyzer({ playerLocationOfSession: { s: { latitude: 48.86, longitude: 2.35 } }, comparison: { placement: false } });
    const europe = analyzer.forRegion("eu-west");
    const america = analyzer.forRegion("na-east");
    expect(europe.name).toBe("regions:eu-west");
    for (const [feeder, rttMs] of [[europe, 30], [america, 60]] as const) {
      feeder.onSession(session("s"));
      feeder.onLogEvent({ tUs: 0, type: "geo", session: "s", values: {}, labels: { asn: "AS1" }, line: 1 });
      feeder.onLogEvent({ tUs: 0, type: "tick", values: {}, labels: {}, line: 2 });
      for (let index = 0; index < 20; index++) {
        feeder.onMessage(message("s", "clientToServer", index * 1e5, { echoKey: String(index), echoPhase: "request" }));
        feeder.onMessage(message("s", "serverToClient", index * 1e5 + rttMs * 1000, { echoKey: String(index), echoPhase: "reply" }));
      }
    }
    const summaries = analyzer.sessionSummaries();
    expect(summaries.map((summary) => [summary.sessionId, summary.region, summary.asn, summary.playerLocation?.latitude])).toEqual([
      ["eu-west/s", "eu-west", "AS1", 48.86],
      ["na-east/s", "na-east", "AS1", 48.86],
    ]);
    const report = analyzer.finish();
    expect(report.ranking).toEqual(["eu-west", "na-east"]);
    expect(report.regions.map((region) => region.rttMs.p50)).toEqual([30, 60]);
    expect(() => analyzer.forRegion("")).toThrow(/non-empty/);
  });
});

describe("capture-point effects", () => {
  it("skips echoes that only measure the local turnaround and uses send-time jitter (RFC 3550) and the lossier direction", () => {
    // server-side capture: the client's pings are answered by the server in ~5 ms (local turnaround),
    // while the client reports 60 ms; client datagrams carry send times with ±3 ms transit variation.
    const analyzer = createRegionsAnalyzer({ regionOfSession: () => "eu", comparison: { placement: false } });
    let packetIndex = 0;
    const transitMs = [20, 23, 20, 17, 20, 23, 20, 17, 20, 23, 20, 17, 20];
    transitMs.forEach((transit, index) => {
      const sendUs = index * 100_000;
      const arrivalUs = sendUs + transit * 1000;
      if (index !== 5 && index !== 6) {
        analyzer.onMessage(message("s", "clientToServer", arrivalUs, { echoKey: String(index), echoPhase: "request", sendTimeUs: sendUs, sequence: index, reportedRttMs: 60 }, packetIndex++));
      }
      analyzer.onMessage(message("s", "serverToClient", arrivalUs + 5000, { echoKey: String(index), echoPhase: "reply", sendTimeUs: arrivalUs + 5000, sequence: index }, packetIndex++));
    });
    const [summary] = analyzer.sessionSummaries();
    expect(quantile(summary!.rttSamplesMs!, 0.5)).toBe(60); // reported, not the 5 ms turnaround
    // RFC 3550 J over consecutive |D| of the delivered client datagrams (indices 5 and 6 lost), not the server's own (0 jitter)
    const delivered = transitMs.filter((_, index) => index !== 5 && index !== 6);
    let jitter = 0;
    for (let index = 1; index < delivered.length; index++) jitter += (Math.abs(delivered[index]! - delivered[index - 1]!) - jitter) / 16;
    expect(summary!.jitterMs).toBeCloseTo(jitter, 3);
    expect(summary!.lossRate).toBeCloseTo(2 / 13, 9); // client→server, not diluted by the lossless server→client
    expect(summary!.lossBursts).toEqual({ count: 1, meanLength: 2, maxLength: 2 });
  });

  it("measures only the sessions labelled by their first message when asked: same report, late labels counted, not compared", () => {
    const generated = generateRegionMessages(withSessions(FIVE_REGIONS, 6), { seed: 5, durationS: 20 });
    // Every other session loses its region: counted as E_REGIONS_NO_REGION either way.
    const sessions = generated.sessions.map((entry, index) => {
      const copy = { ...entry };
      if (index % 2 === 1) delete copy.region;
      return copy;
    });
    const lateId = sessions[1]!.id;
    const run = (measureOnlyLabelledSessions: boolean, lateLabel: boolean) => {
      const analyzer = createRegionsAnalyzer({ measureOnlyLabelledSessions, comparison: { bootstrapIterations: 50, placement: false } });
      for (const entry of sessions) analyzer.onSession!(entry);
      for (const entry of generated.messages) analyzer.onMessage(entry);
      if (lateLabel) analyzer.onLogEvent!({ tUs: 0, type: "join", session: lateId, region: "eu-west", values: {}, labels: {}, line: 1 });
      return { summaries: analyzer.sessionSummaries(), report: analyzer.finish() };
    };
    const all = run(false, false);
    const labelledOnly = run(true, false);
    expect(all.report.sessions.skipped["E_REGIONS_NO_REGION"]).toBe(15);
    expect(all.summaries).toHaveLength(15);
    expect(JSON.stringify(labelledOnly.report)).toBe(JSON.stringify(all.report));
    expect(labelledOnly.summaries).toEqual(all.summaries);
    // A label arriving after the session started: measured sessions are compared on their whole RTT, skipped ones never on a part.
    const late = run(true, true);
    expect(late.report.sessions.skipped).toEqual({ E_REGIONS_LABELLED_LATE: 1, E_REGIONS_NO_REGION: 14 });
    expect(late.summaries.map((summary) => summary.sessionId)).toEqual(all.summaries.map((summary) => summary.sessionId));
    // What the option skips: an unlabelled session keeps no RTT series and fills no loss window (its spaces are only counted).
    const skipping = createRegionsAnalyzer({ measureOnlyLabelledSessions: true });
    for (const entry of sessions) skipping.onSession!(entry);
    for (const entry of generated.messages) skipping.onMessage(entry);
    const saved = skipping.saveState().sessions;
    const unlabelled = saved.find((state) => state.id === lateId)!;
    const labelled = saved.find((state) => state.id === sessions[0]!.id)!;
    expect(unlabelled.series).toEqual([]);
    expect(unlabelled.sequenceSpaces.length).toBeGreaterThan(0);
    expect(unlabelled.sequenceSpaces.every((space) => space.window.receivedCount === 0)).toBe(true);
    expect(labelled.series.length).toBeGreaterThan(0);
    expect(labelled.sequenceSpaces.some((space) => space.window.receivedCount > 0)).toBe(true);
    const measuredLate = run(false, true);
    expect(measuredLate.summaries.map((summary) => summary.sessionId)).toContain(lateId);
    expect(measuredLate.report.sessions.skipped).toEqual({ E_REGIONS_NO_REGION: 14 });
  });
});

