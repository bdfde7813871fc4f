/**
 * Spike evaluation on simulated matches with known truth (`pnpm --filter @tickscope/latency eval`):
 * several seeds × jitter profiles × player counts (up to 1,000 players), every cause kind injected
 * (≥ 30 ms above baseline, ≥ 100 ms long). Prints recall, precision, onset error and top-cause accuracy.
 * Set LATENCY_EVAL_QUICK=1 for a small run.
 */
import { EVALUATION_PROFILES, evaluateScenario, summarize, type EvaluationResult } from "../src/test-support/evaluate-detection.js";
import { formatLatencyShapeMatrix, MATRIX_PLAYERS, MATRIX_PROFILES, runLatencyShapeMatrix, SHAPE_NAMES, type ShapeName } from "../src/test-support/shape-matrix.js";

const quick = process.env.LATENCY_EVAL_QUICK === "1";
if (process.env.LATENCY_EVAL_SKIP_MAIN !== "1") {
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

  // Lost acks and cross-channel acks (issue 13): 2 % random loss in both directions, 32 ack bits, no pings
  // (acks are the only RTT, so every lost ack datagram could inflate a sample), with acks in the datagram
  // header and with acks on a control channel naming the channel they acknowledge next to a second,
  // never-acknowledged data channel.
  for (const controlChannelAcks of [false, true]) {
    const scenarioResults: EvaluationResult[] = [];
    for (const profile of EVALUATION_PROFILES) {
      for (const seed of quick ? [11] : [11, 12, 13]) {
        scenarioResults.push(evaluateScenario({ seed, profile, sessions: quick ? 6 : 24, durationMs: 70_000, lossProbability: 0.02, pingPeriodMs: 0, controlChannelAcks }));
      }
    }
    const scenario = summarize(scenarioResults);
    const detected = scenarioResults.reduce((sum, result) => sum + result.detectedSpikes, 0);
    console.log(
      `${controlChannelAcks ? "cross-channel acks" : "lost acks (header acks)"}, 2 % loss both ways: injected ${scenario.rows.find((row) => row.kind === "all")!.injected}, ` +
        `detected spikes ${detected}, precision ${(scenario.precision * 100).toFixed(1)}%  recall ${(scenario.recall * 100).toFixed(1)}%`,
    );
  }
}

// The protocol-shape matrix (issue 14 §3): every shape × network profile × seed simulated by
// @tickscope/sim through the shape's definition (role-mapped encoder → pcapng → @tickscope/capture →
// core's compiled decoder), with a shared-path delay, a last-mile delay, cross traffic, a loss
// burst, a server stall and a route change injected (LATENCY_SHAPE_SEEDS, LATENCY_SHAPE_SECONDS,
// LATENCY_SHAPE_PROFILES, LATENCY_SHAPES; LATENCY_EVAL_SKIP_MAIN=1 prints the matrix only).
const shapeSeeds = (process.env.LATENCY_SHAPE_SEEDS ?? (quick ? "1" : "1,2")).split(",").map(Number);
const shapeSeconds = Number(process.env.LATENCY_SHAPE_SECONDS ?? 60);
const shapeProfiles = process.env.LATENCY_SHAPE_PROFILES?.split(",") ?? [...MATRIX_PROFILES];
const shapes = (process.env.LATENCY_SHAPES?.split(",") ?? [...SHAPE_NAMES]) as ShapeName[];
const matrixStarted = performance.now();
const matrix = await runLatencyShapeMatrix({ shapes, profiles: shapeProfiles, seeds: shapeSeeds, durationMs: shapeSeconds * 1000 });
console.log(
  `\nprotocol-shape matrix (issue 14 §3): ${shapes.length} shapes × ${shapeProfiles.length} profiles (${shapeProfiles.join(", ")}) × seeds ${shapeSeeds.join(",")}, ` +
    `${shapeSeconds} s matches of ${MATRIX_PLAYERS} players, ${((performance.now() - matrixStarted) / 1000).toFixed(1)} s`,
);
console.log("");
console.log(formatLatencyShapeMatrix(matrix));
const missed = matrix.filter((row) => row.precision < 0.9).map((row) => `${row.shape} precision ${(row.precision * 100).toFixed(1)}%`);
console.log(`\nfloor (spike precision ≥ 90%): ${missed.length === 0 ? "met on every shape" : `MISSED: ${missed.join("; ")}`}`);
if (process.env.LATENCY_EVAL_VERBOSE !== undefined) {
  for (const row of matrix) {
    for (const miss of row.misses) console.log(`miss: ${miss}`);
    for (const falsePositive of row.falsePositives) console.log(`false positive: ${falsePositive}`);
  }
}
