import { createAnticheatAnalyzer, type AnticheatReport } from "@tickscope/anticheat";
import { runCapturePipeline } from "@tickscope/capture";
import type { GameMessage, MessageAnalyzer } from "@tickscope/core";
import { LatencyAnalyzer, type LatencyReport } from "@tickscope/latency";
import { createLossAnalyzer, type LossReport } from "@tickscope/loss";
import { createRegionsAnalyzer, type RegionsReport } from "@tickscope/regions";
import { describe, expect, it } from "vitest";
import { generateWrappingClockMatch, type WrappingClockMatch, type WrappingClockMatchOptions } from "./test-support/wrapping-clock-match.js";

interface Reports {
  latency: LatencyReport;
  loss: LossReport;
  anticheat: AnticheatReport;
  regions: RegionsReport;
}

/**
 * Puts the wire values back (what analyzers saw before clocks were unwrapped
 * in the pipeline): only to measure what the unwrapping changes.
 */
function rewrapped(analyzers: MessageAnalyzer<unknown>[]): MessageAnalyzer<unknown> {
  return {
    name: "rewrap",
    onSession: (session) => analyzers.forEach((analyzer) => analyzer.onSession?.(session)),
    onPacket: (packet) => analyzers.forEach((analyzer) => analyzer.onPacket?.(packet)),
    onAnomaly: (anomaly) => analyzers.forEach((analyzer) => analyzer.onAnomaly?.(anomaly)),
    onMessage(message: GameMessage) {
      const roles = { ...message.roles };
      if (roles.sendTimeUs !== undefined && roles.sendTimeModulusUs !== undefined) roles.sendTimeUs %= roles.sendTimeModulusUs;
      if (roles.targetTimeUs !== undefined && roles.targetTimeModulusUs !== undefined) roles.targetTimeUs %= roles.targetTimeModulusUs;
      if (typeof roles.tick === "number" && roles.tickBits !== undefined) roles.tick %= 2 ** roles.tickBits;
      const copy = { ...message, roles };
      for (const analyzer of analyzers) analyzer.onMessage(copy);
    },
    finish: () => analyzers.map((analyzer) => analyzer.finish()),
  };
}

async function analyze(match: WrappingClockMatch, unwrap = true): Promise<Reports> {
  const analyzers = [new LatencyAnalyzer(), createLossAnalyzer(), createAnticheatAnalyzer(), createRegionsAnalyzer({})] as MessageAnalyzer<unknown>[];
  const result = await runCapturePipeline({
    sources: [match.capture],
    decoder: match.protocol,
    serverPorts: [7777],
    analyzers: unwrap ? analyzers : [rewrapped(analyzers)],
  });
  const reports = (unwrap ? result.reports : result.reports[0]) as unknown[];
  return { latency: reports[0] as LatencyReport, loss: reports[1] as LossReport, anticheat: reports[2] as AnticheatReport, regions: reports[3] as RegionsReport };
}

/** Honest players (by session id) the anticheat analysis flags, and whether every cheater is caught. */
function verdicts(match: WrappingClockMatch, report: AnticheatReport): { honestFlagged: string[]; cheatersCaught: number } {
  const byPlayer = new Map(report.players.map((player) => [player.session, player]));
  const honestFlagged: string[] = [];
  let cheatersCaught = 0;
  match.sessionIds.forEach((sessionId, player) => {
    const verdict = byPlayer.get(sessionId);
    if (match.cheaters.has(player)) {
      if (verdict?.verdict === "cheating" && verdict.kinds.includes("speedhack")) cheatersCaught += 1;
    } else if (verdict !== undefined && verdict.verdict !== "clean") honestFlagged.push(`${sessionId}: ${verdict.verdict} ${verdict.kinds.join(",")}`);
  });
  return { honestFlagged, cheatersCaught };
}

/** What a wrap could wrongly produce on honest sessions: latency spike/shift/reset findings, jitter streams above 10 ms, loss resets. */
function wrapArtifacts(reports: Reports, cheaterSessions: Set<string | undefined>): { latencyFindings: number; jitterAboveTenMs: number; lossResets: number } {
  const kinds = new Set(["latencySpike", "latencyBaselineShift", "timestampReset"]);
  const latencyFindings = reports.latency.findings.filter((finding) => kinds.has(finding.kind) && !cheaterSessions.has(finding.session)).length;
  const jitterAboveTenMs = reports.latency.streams.filter((stream) => !cheaterSessions.has(stream.session) && (stream.jitterMs.max >= 10 || stream.restarts > 0)).length;
  const lossResets = reports.loss.sessions.reduce((sum, stream) => sum + stream.resets.count, 0);
  return { latencyFindings, jitterAboveTenMs, lossResets };
}

const BASE: Omit<WrappingClockMatchOptions, "clockBits" | "tickBits" | "wrapAt"> = {
  seed: 1,
  players: 6,
  durationS: 40,
  sequence: "u16",
  sequenceStart: 65_000n,
  speedhackers: [5],
};

describe("clocks and ticks that wrap mid-match (u16/u24/u32, at the start, middle and end)", () => {
  const cases: { bits: number; wrapAt: number }[] = [];
  for (const bits of [16, 24, 32]) for (const wrapAt of [0.05, 0.5, 0.95]) cases.push({ bits, wrapAt });
  let honestChecked = 0;
  let honestFlaggedWithout = 0;
  let latencyFindingsWithout = 0;
  let jitterStreamsWithout = 0;
  let lossResetsWithout = 0;

  for (const { bits, wrapAt } of cases) {
    it(`u${bits} ms clock and u${bits} tick wrapping at ${Math.round(wrapAt * 100)}%: no cheat, spike, jitter sample or loss from the wrap`, async () => {
      const match = generateWrappingClockMatch({ ...BASE, seed: bits * 100 + Math.round(wrapAt * 100), clockBits: bits, tickBits: bits, wrapAt });
      const reports = await analyze(match);
      // Anticheat: every honest player clean, the speedhacker still caught.
      const { honestFlagged, cheatersCaught } = verdicts(match, reports.anticheat);
      expect(honestFlagged).toEqual([]);
      expect(cheatersCaught).toBe(1);
      const rewinds = reports.anticheat.findings.filter((finding) => finding.kind === "rewindAbuse");
      expect(rewinds).toEqual([]);
      honestChecked += match.sessionIds.length - match.cheaters.size;
      // Latency: no spike anywhere (the network is steady), jitter in milliseconds, no timestamp resets.
      const cheaterSessions = new Set([...match.cheaters].map((player) => match.sessionIds[player]));
      expect(wrapArtifacts(reports, cheaterSessions)).toEqual({ latencyFindings: 0, jitterAboveTenMs: 0, lossResets: 0 });
      for (const stream of reports.latency.streams) {
        if (cheaterSessions.has(stream.session) && stream.direction === "clientToServer") continue; // its clock runs 1.5× real time
        expect(stream.pdvMs.max).toBeLessThan(50);
      }
      for (const session of reports.latency.sessions) expect(session.rttMs.max).toBeLessThan(200);
      // Loss: about the injected 1%, no reset from a wrap.
      expect(reports.loss.sessions.length).toBeGreaterThan(0);
      for (const stream of reports.loss.sessions) {
        expect(stream.resets.count).toBe(0);
        expect(stream.lossRate).toBeLessThan(0.04);
      }
      // Before the unwrapping (wire values straight to the analyzers), for the record.
      const before = await analyze(match, false);
      honestFlaggedWithout += verdicts(match, before.anticheat).honestFlagged.length;
      const artifacts = wrapArtifacts(before, cheaterSessions);
      latencyFindingsWithout += artifacts.latencyFindings;
      jitterStreamsWithout += artifacts.jitterAboveTenMs;
      lossResetsWithout += artifacts.lossResets;
    }, 60_000);
  }

  it("summary: honest players flagged with and without unwrapping", () => {
    console.log(
      `wrapping-clock matches (${cases.length}): ${honestChecked} honest players checked; with unwrapping 0 flagged, 0 spike/reset findings, 0 jitter streams > 10 ms, 0 loss resets; ` +
        `with wire values ${honestFlaggedWithout} flagged, ${latencyFindingsWithout} spike/reset findings, ${jitterStreamsWithout} jitter streams > 10 ms, ${lossResetsWithout} loss resets`,
    );
    expect(honestChecked).toBe(cases.length * 5);
  });
});

describe("netcode-style u64 sequences from 2^63 (handshake) and across the u64 wrap", () => {
  for (const [label, start] of [
    ["from 2^63", 2n ** 63n],
    ["across the u64 wrap", 2n ** 64n - 1200n],
  ] as const) {
    it(`${label}: no hang, no false retransmission, exact sequences in the loss report, every player clean`, async () => {
      const match = generateWrappingClockMatch({
        seed: 64,
        players: 3,
        durationS: 30,
        clockBits: 32,
        tickBits: 32,
        wrapAt: 0.5,
        sequence: "u64",
        sequenceStart: start,
        speedhackers: [],
        pauseMs: 1500,
      });
      const started = performance.now();
      const reports = await analyze(match);
      expect(performance.now() - started).toBeLessThan(30_000); // regions used to spin forever on 2^63
      expect(reports.regions.sessions.total).toBe(3);
      // Every sequence is distinct on the wire: not one retransmission.
      expect(reports.latency.anomalies.E_RTT_RETRANSMISSION_SKIPPED ?? 0).toBe(0);
      for (const session of reports.latency.sessions) expect(session.rttMs.max).toBeLessThan(200);
      // Loss: ~1% from the random loss, and the pause is a reset candidate printed with exact wire values.
      const clientStreams = reports.loss.sessions.filter((stream) => stream.direction === "clientToServer");
      expect(clientStreams).toHaveLength(3);
      for (const stream of reports.loss.sessions) {
        expect(stream.sequenceBits).toBe(64);
        expect(stream.lossRate).toBeLessThan(0.04);
      }
      for (const stream of clientStreams) {
        expect(stream.resets.count).toBe(1);
        const candidate = stream.resets.candidates[0]!;
        expect(candidate.reason).toBe("pause");
        const from = BigInt(candidate.fromSequence);
        const to = BigInt(candidate.toSequence);
        expect(typeof candidate.fromSequence === "string" || from <= BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
        // The wire values themselves, not floats: the distance is the ~90 datagrams held during the pause.
        const distance = BigInt.asUintN(64, to - from);
        expect(distance).toBeGreaterThan(80n);
        expect(distance).toBeLessThan(110n);
        if (start === 2n ** 63n) expect(from >= start && from < start + 10_000n).toBe(true);
      }
      expect(JSON.stringify(reports.loss)).not.toContain("9223372036854776000");
      // Anticheat: no replay, no verdict.
      expect(verdicts(match, reports.anticheat).honestFlagged).toEqual([]);
      expect(reports.anticheat.findings.filter((finding) => finding.kind === "replay")).toEqual([]);
    }, 60_000);
  }
});
