/**
 * Saved-state figures of the latency analysis (run with
 * `npx tsx --tsconfig packages/latency/bench/tsconfig.json packages/latency/bench/state.ts [seed] [players] [seconds]`):
 * the state's JSON size for a simulated match, the time to save and merge it,
 * and what a rotation cut changes against one pass (samples, percentiles,
 * spikes, minute rows, smoothed RTT, jitter, method details), for cuts outside
 * and inside a latency spike shared by every player.
 */
import { LatencyAnalyzer, type LatencyReport } from "../src/index.js";
import { feed, matchEvents, rotationCut } from "../src/test-support/split-passes.js";
import { generateMatch } from "../src/test-support/synthetic-match.js";

const seed = Number(process.argv[2] ?? 3);
const players = Number(process.argv[3] ?? 16);
const seconds = Number(process.argv[4] ?? 60);
const match = generateMatch({
  seed,
  durationMs: seconds * 1000,
  sessions: players,
  spikes: [
    { kind: "lastMile", startMs: seconds * 333, durationMs: 1500, extraMs: 150, sessions: [1] },
    { kind: "sharedPath", startMs: seconds * 508, durationMs: 2000, extraMs: 120 },
    { kind: "lossBurst", startMs: seconds * 683, durationMs: 800, sessions: [2] },
    { kind: "tickStall", startMs: seconds * 833, durationMs: 400, logEvent: "gc_pause" },
  ],
});
const events = matchEvents(match, true);
const single = new LatencyAnalyzer();
feed(single, events);
let started = performance.now();
const state = single.saveState();
const json = JSON.stringify(state);
const saveMs = performance.now() - started;
const whole = single.finish();
started = performance.now();
const restored = new LatencyAnalyzer();
restored.mergeState(JSON.parse(json), { packetIndexOffset: 0 });
const mergeMs = performance.now() - started;
console.log(`${players} players x ${seconds} s (seed ${seed}): state ${(json.length / 1024).toFixed(1)} KB JSON (${(json.length / 1024 / players).toFixed(1)} KB/session); save+stringify ${saveMs.toFixed(0)} ms, parse+merge ${mergeMs.toFixed(0)} ms; round trip identical: ${JSON.stringify(restored.finish()) === JSON.stringify(whole)}`);

function compare(cutMs: number, merged: LatencyReport): Record<string, unknown> {
  let samplesLost = 0;
  let samples = 0;
  let p50 = 0;
  let p99 = 0;
  let max = 0;
  let smoothed = 0;
  let variation = 0;
  let jitter = 0;
  let spikesWhole = 0;
  let spikesMerged = 0;
  let minutes = 0;
  let timelines = 0;
  const spikesDiffering: string[] = [];
  merged.sessions.forEach((session, index) => {
    const one = whole.sessions[index];
    session.series.forEach((series, seriesIndex) => {
      const other = one.series[seriesIndex];
      samplesLost += other.samples - series.samples;
      samples += other.samples;
      p50 = Math.max(p50, Math.abs(series.p50 - other.p50) / other.p50);
      p99 = Math.max(p99, Math.abs(series.p99 - other.p99) / other.p99);
      max = Math.max(max, Math.abs(series.max - other.max));
      smoothed = Math.max(smoothed, Math.abs(series.smoothedMs - other.smoothedMs));
      variation = Math.max(variation, Math.abs(series.variationMs - other.variationMs));
    });
    jitter = Math.max(jitter, Math.abs(session.jitterMs.rfc3550 - one.jitterMs.rfc3550));
    spikesWhole += one.spikes.length;
    spikesMerged += session.spikes.length;
    const key = (spike: { startUs: number; endUs: number; peakMs: number }): string => `${spike.startUs}:${spike.endUs}:${spike.peakMs}`;
    const oneKeys = new Set(one.spikes.map(key));
    for (const spike of session.spikes) if (!oneKeys.has(key(spike))) spikesDiffering.push(`${session.id} ${((spike.startUs - match.startUs) / 1e6).toFixed(2)}-${((spike.endUs - match.startUs) / 1e6).toFixed(2)} s peak ${spike.peakMs}`);
    const mergedKeys = new Set(session.spikes.map(key));
    for (const spike of one.spikes) if (!mergedKeys.has(key(spike))) spikesDiffering.push(`one pass only: ${session.id} ${((spike.startUs - match.startUs) / 1e6).toFixed(2)}-${((spike.endUs - match.startUs) / 1e6).toFixed(2)} s peak ${spike.peakMs}`);
    if (JSON.stringify(session.perMinute) !== JSON.stringify(one.perMinute)) minutes += 1;
    if (JSON.stringify(session.timeline) !== JSON.stringify(one.timeline)) timelines += 1;
  });
  let pdv = 0;
  merged.streams.forEach((stream, index) => (pdv = Math.max(pdv, Math.abs(stream.pdvMs.p95 - whole.streams[index].pdvMs.p95))));
  return {
    cutS: cutMs / 1000,
    samplesLost,
    samples,
    maxRelativeP50: p50,
    maxRelativeP99: p99,
    maxAbsoluteMaxMs: max,
    smoothedMaxDiffMs: smoothed,
    variationMaxDiffMs: variation,
    sessionJitterMaxDiffMs: jitter,
    pdvP95MaxDiffMs: pdv,
    spikes: `${spikesMerged} (one pass ${spikesWhole})`,
    spikesDiffering,
    sessionsWithOtherMinuteRows: minutes,
    sessionsWithOtherTimeline: timelines,
    methodDetailsEqual: JSON.stringify(merged.methodDetails) === JSON.stringify(whole.methodDetails),
    anomaliesEqual: JSON.stringify(merged.anomalies) === JSON.stringify(whole.anomalies),
    findings: `${merged.findings.length} (one pass ${whole.findings.length})`,
    findingsDiffering: merged.findings.filter((finding, index) => JSON.stringify(finding) !== JSON.stringify(whole.findings[index])).map((finding) => `${finding.session} ${finding.kind} ${finding.summary.slice(0, 160)}`),
    reportIdentical: JSON.stringify(merged) === JSON.stringify(whole),
  };
}

for (const cutMs of [seconds * 334, seconds * 516, seconds * 755]) {
  const { first, second, offset } = rotationCut(events, match.startUs + cutMs * 1000);
  const passes = [first, second].map((pass) => {
    const analyzer = new LatencyAnalyzer();
    feed(analyzer, pass);
    return JSON.parse(JSON.stringify(analyzer.saveState()));
  });
  const merged = new LatencyAnalyzer();
  merged.mergeState(passes[0], { packetIndexOffset: 0 });
  merged.mergeState(passes[1], { packetIndexOffset: offset });
  console.log(JSON.stringify(compare(cutMs, merged.finish())));
}
