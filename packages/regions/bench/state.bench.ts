/**
 * Bench and measurement of the regions analyzer's saved state: its JSON size
 * on a simulated match, the cost of saveState / mergeState, and what a
 * rotation cut changes against one pass (per-session RTT, jitter, spikes,
 * loss; the report's comparisons).
 * Run: `npx tsx packages/regions/bench/state.bench.ts [players] [durationS]` (default 16 × 60 s).
 */
import { gzipSync } from "node:zlib";
import { createRegionsAnalyzer, type RegionsAnalyzerOptions, type RegionsAnalyzerState, type SessionSummary } from "../src/index.js";
import { cutAt, feed, recordSimulatedMatch, type MatchEvent } from "../src/test-support/recorded-match.js";
import { FIVE_REGIONS, generateRegionMessages, withSessions } from "../src/test-support/synthetic-population.js";

const players = Number(process.argv[2] ?? 16);
const durationS = Number(process.argv[3] ?? 60);

function relative(left: number, right: number): number {
  return right === 0 ? (left === 0 ? 0 : Infinity) : Math.abs(left - right) / right;
}

/** RTT samples over every session and series of a state. */
function sampleCount(state: RegionsAnalyzerState): number {
  let count = 0;
  for (const session of state.sessions) for (const series of session.series) count += series.sketch.count;
  return count;
}

function measureCut(name: string, events: readonly MatchEvent[], options: () => RegionsAnalyzerOptions): void {
  const single = createRegionsAnalyzer(options());
  feed(single, events);
  const one = single.sessionSummaries();
  const oneSamples = sampleCount(single.saveState());
  const oneReport = single.finish();
  const times = events.flatMap((event) => (event.kind === "message" ? [event.message.tUs] : []));
  const start = times.reduce((low, value) => Math.min(low, value), Infinity);
  const end = times.reduce((high, value) => Math.max(high, value), -Infinity);
  for (const share of [0.25, 0.5, 0.75]) {
    const cut = cutAt(events, start + share * (end - start));
    const first = createRegionsAnalyzer(options());
    feed(first, cut.first);
    const second = createRegionsAnalyzer(options());
    feed(second, cut.second);
    const merged = createRegionsAnalyzer(options());
    merged.mergeState(JSON.parse(JSON.stringify(first.saveState())), { packetIndexOffset: 0 });
    merged.mergeState(JSON.parse(JSON.stringify(second.saveState())), { packetIndexOffset: cut.firstPackets });
    const mergedSamples = sampleCount(merged.saveState());
    const both = new Map<string, SessionSummary>(merged.sessionSummaries().map((summary) => [summary.sessionId, summary]));
    let lossEqual = 0;
    let p50Equal = 0;
    let p95Max = 0;
    let p99Max = 0;
    let jitterMax = 0;
    let spikesOne = 0;
    let spikesMerged = 0;
    for (const summary of one) {
      const other = both.get(summary.sessionId)!;
      if (other.lossRate === summary.lossRate && JSON.stringify(other.lossBursts) === JSON.stringify(summary.lossBursts)) lossEqual++;
      if (other.rttMs!.p50 === summary.rttMs!.p50) p50Equal++;
      p95Max = Math.max(p95Max, relative(other.rttMs!.p95!, summary.rttMs!.p95!));
      p99Max = Math.max(p99Max, relative(other.rttMs!.p99!, summary.rttMs!.p99!));
      jitterMax = Math.max(jitterMax, Math.abs(other.jitterMs! - summary.jitterMs!));
      spikesOne += summary.spikeCount ?? 0;
      spikesMerged += other.spikeCount ?? 0;
    }
    const report = merged.finish();
    const significantOne = oneReport.comparisons.filter((comparison) => comparison.significant).length;
    const significantMerged = report.comparisons.filter((comparison) => comparison.significant).length;
    console.log(
      `${name}, cut at ${share * 100} %: ${one.length} sessions; loss+bursts equal ${lossEqual}/${one.length} (inexact joins ${merged.inexactLossJoins}); ` +
        `RTT p50 equal ${p50Equal}/${one.length}, p95 within ${(p95Max * 100).toFixed(2)} %, p99 within ${(p99Max * 100).toFixed(2)} %; ` +
        `RTT samples ${oneSamples - mergedSamples} of ${oneSamples} missing (straddle the cut); jitter within ${jitterMax.toFixed(3)} ms; ` +
        `spikes ${spikesMerged} vs ${spikesOne}; significant comparisons ${significantMerged} vs ${significantOne}; ranking ${report.ranking.join(">") === oneReport.ranking.join(">") ? "equal" : "differs"}`,
    );
  }
}

const match = await recordSimulatedMatch(5, players, durationS * 1000);
const simOptions = (): RegionsAnalyzerOptions => ({ regionOfSession: match.regionOf });
{
  const analyzer = createRegionsAnalyzer(simOptions());
  const feedStart = performance.now();
  feed(analyzer, match.events);
  const feedMs = performance.now() - feedStart;
  const saveStart = performance.now();
  const state = analyzer.saveState();
  const text = JSON.stringify(state);
  const saveMs = performance.now() - saveStart;
  const mergeStart = performance.now();
  const merged = createRegionsAnalyzer(simOptions());
  merged.mergeState(JSON.parse(text), { packetIndexOffset: 0 });
  const mergeMs = performance.now() - mergeStart;
  let reservoir = 0;
  let windows = 0;
  let streams = 0;
  for (const session of state.sessions) {
    for (const series of session.series) reservoir += JSON.stringify(series.reservoir).length;
    windows += JSON.stringify(session.sequenceSpaces).length;
    streams += JSON.stringify(session.sendTimeStreams).length;
  }
  console.log(
    `simulated match ${players} players × ${durationS} s (${match.packets} datagrams, ${match.events.length} events): state ${state.sessions.length} sessions, ` +
      `${(text.length / 1e6).toFixed(3)} MB JSON, ${(gzipSync(text).length / 1e6).toFixed(3)} MB gzip (reservoirs ${(reservoir / 1e6).toFixed(3)} MB, ` +
      `send-time jitter ${(streams / 1e6).toFixed(3)} MB, loss windows ${(windows / 1e6).toFixed(3)} MB); feed ${feedMs.toFixed(0)} ms, ` +
      `saveState + stringify ${saveMs.toFixed(0)} ms, parse + mergeState ${mergeMs.toFixed(0)} ms`,
  );
}
measureCut("simulated match", match.events, simOptions);
const generated = generateRegionMessages(withSessions(FIVE_REGIONS, 20), { seed: 4, durationS: 120, inputRateHz: 5 });
measureCut(
  "synthetic 5 regions × 20 sessions × 120 s (spikes, bursty loss)",
  [...generated.sessions.map((session) => ({ kind: "session" as const, session })), ...generated.messages.map((message) => ({ kind: "message" as const, message }))],
  () => ({}),
);
