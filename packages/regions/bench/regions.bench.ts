/**
 * Bench: 5 regions compared from decoded game messages.
 * Run: `pnpm --filter @tickscope/regions bench` (or `npx tsx bench/regions.bench.ts [sessionsPerRegion]`).
 * Floor: under 60 s; aim: under 5 s for the analysis (generation is timed separately).
 */
import { createRegionsAnalyzer } from "../src/index.js";
import { FIVE_REGIONS, generateRegionMessages, withSessions } from "../src/test-support/synthetic-population.js";

const sessionsPerRegion = Number(process.argv[2] ?? 100);
const generationStart = performance.now();
const profiles = withSessions(FIVE_REGIONS, sessionsPerRegion);
const generated = generateRegionMessages(profiles, { seed: 1, durationS: 60, inputRateHz: 30 });
const generationMs = performance.now() - generationStart;

const analyzer = createRegionsAnalyzer({
  playerLocationOfSession: Object.fromEntries(generated.truth.map((truth) => [truth.sessionId, truth.location])),
  comparison: { serverSites: Object.fromEntries(profiles.map((profile) => [profile.name, profile.serverSite])) },
});
const start = performance.now();
for (const session of generated.sessions) analyzer.onSession!(session);
for (const message of generated.messages) analyzer.onMessage(message);
const streamedMs = performance.now() - start;
const report = analyzer.finish();
const totalMs = performance.now() - start;

const seconds = (ms: number): string => (ms / 1000).toFixed(2);
console.log(`regions bench: ${profiles.length} regions × ${sessionsPerRegion} sessions, ${generated.messages.length} messages (generated in ${seconds(generationMs)} s)`);
console.log(`  streaming: ${seconds(streamedMs)} s, ${Math.round(generated.messages.length / (streamedMs / 1000)).toLocaleString("en-US")} messages/s`);
console.log(`  finish (summaries, ${report.comparisons.length} comparisons with ${report.method.bootstrapIterations} bootstrap resamples, routing, placement k=${report.placement?.k}): ${seconds(totalMs - streamedMs)} s`);
console.log(`  total: ${seconds(totalMs)} s (floor 60 s, aim 5 s) — ranking ${report.ranking.join(" < ")}`);
if (totalMs > 60_000) process.exitCode = 1;
