/**
 * Spike evaluation on simulated matches with known truth (`pnpm --filter @tickscope/latency eval`):
 * several seeds × jitter profiles × player counts (up to 1,000 players), every cause kind injected
 * (≥ 30 ms above baseline, ≥ 100 ms long). Prints recall, precision, onset error and top-cause accuracy.
 * Set LATENCY_EVAL_QUICK=1 for a small run.
 */
import { EVALUATION_PROFILES, evaluateScenario, summarize, type EvaluationResult } from "../src/test-support/evaluate-detection.js";

const quick = process.env.LATENCY_EVAL_QUICK === "1";
const results: EvaluationResult[] = [];
const plans: { sessions: number; durationMs: number; seeds: number[] }[] = quick
  ? [{ sessions: 6, durationMs: 45_000, seeds: [1] }]
  : [
      { sessions: 4, durationMs: 70_000, seeds: [1, 2, 3] },
      { sessions: 24, durationMs: 70_000, seeds: [4, 5] },
      { sessions: 1000, durationMs: 40_000, seeds: [6] },
    ];
for (const plan of plans) {
  for (const profile of EVALUATION_PROFILES) {
    if (plan.sessions >= 1000 && profile.name !== "broadband") continue;
    for (const seed of plan.seeds) {
      const started = performance.now();
      const result = evaluateScenario({ seed, profile, sessions: plan.sessions, durationMs: plan.durationMs });
      results.push(result);
      const detected = result.truths.filter((truth) => truth.detected).length;
      console.log(
        `${profile.name.padEnd(9)} seed ${seed} players ${String(plan.sessions).padStart(4)}: injected ${result.truths.length}, ` +
          `found ${detected}, detected spikes ${result.detectedSpikes} (${result.matchedSpikes} true) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }
  }
}
const summary = summarize(results);
console.log("");
console.log("kind           injected  recall  top-cause  median |onset − injected start| ms  median |onset − first affected packet| ms");
for (const row of summary.rows) {
  console.log(
    `${row.kind.padEnd(14)} ${String(row.injected).padStart(8)}  ${(row.recall * 100).toFixed(1).padStart(5)}%  ${(row.topCauseAccuracy * 100).toFixed(1).padStart(8)}%  ` +
      `${row.medianAbsoluteOnsetErrorMs.toFixed(2).padStart(33)}  ${row.medianAbsoluteFirstAffectedErrorMs.toFixed(2).padStart(39)}`,
  );
}
console.log(`precision ${(summary.precision * 100).toFixed(1)}%  recall ${(summary.recall * 100).toFixed(1)}%`);
