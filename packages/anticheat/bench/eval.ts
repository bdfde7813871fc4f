import { formatEvaluation, formatScenarios, runEvaluation, runScenarioEvaluation } from "../src/test-support/evaluation.js";
import { formatShapeMatrix, MATRIX_PROFILES, missedFloors, runShapeMatrix, SHAPE_NAMES, type ShapeName } from "../src/test-support/shape-matrix.js";

// Deterministic evaluation: 5 seeds × 162 players (108 honest on six network
// profiles, 54 cheaters: every kind × low/medium/high × 2), 60 s each; then the
// shape scenarios of issue 14 §4 (shots in the input's datagram, a cheat early in
// a long capture, netcode-like handshake retries, a wrong key, a wrong definition); then the
// protocol-shape matrix through the real pipeline (ANTICHEAT_SHAPE_SEEDS, ANTICHEAT_SHAPE_SECONDS,
// ANTICHEAT_SHAPE_PROFILES, ANTICHEAT_SHAPES, ANTICHEAT_SHAPE_HONEST; ANTICHEAT_EVAL_SKIP_MAIN=1
// prints the matrix only).
const seeds = (process.env.ANTICHEAT_EVAL_SEEDS ?? "1,2,3,4,5").split(",").map(Number);
const verbose = process.env.ANTICHEAT_EVAL_VERBOSE !== undefined;
if (process.env.ANTICHEAT_EVAL_SKIP_MAIN !== "1") {
  const started = performance.now();
  const result = runEvaluation({
    seeds,
    durationSeconds: Number(process.env.ANTICHEAT_EVAL_SECONDS ?? 60),
    honestPerProfile: 18,
    cheatersPerCell: 2,
    sharedPathPlayers: 12,
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`anticheat evaluation: seeds ${seeds.join(",")}, ${result.honest + result.rows.reduce((sum, row) => sum + row.cheaters, 0)} players, ${result.messages} messages, ${seconds.toFixed(1)} s`);
  console.log(`shared path stalls discarded as outages (not lag switches): ${result.sharedOutagesDiscarded}`);
  console.log("");
  console.log(formatEvaluation(result));
  if (verbose) {
    console.log("\nmisses:\n" + result.misses.join("\n"));
    console.log("\nfalse positives:\n" + result.falsePositives.join("\n"));
  }

  const scenarioStarted = performance.now();
  const scenarios = runScenarioEvaluation(seeds, { honestPerProfile: 6, cheatersPerCell: 2, scale: Number(process.env.ANTICHEAT_EVAL_SCENARIO_SCALE ?? 1) });
  const players = scenarios.reduce((sum, entry) => sum + entry.players, 0);
  const messages = scenarios.reduce((sum, entry) => sum + entry.messages, 0);
  console.log(`\nshape scenarios (issue 14 §4): seeds ${seeds.join(",")}, ${players} players, ${messages} messages, ${((performance.now() - scenarioStarted) / 1000).toFixed(1)} s`);
  for (const entry of scenarios) console.log(`- ${entry.scenario.name}: ${entry.scenario.description}`);
  console.log("");
  console.log(formatScenarios(scenarios));
  if (verbose) {
    for (const entry of scenarios) {
      for (const miss of entry.misses) console.log(`miss: ${miss}`);
      for (const falsePositive of entry.falsePositives) console.log(`false positive: ${falsePositive}`);
    }
  }
}

// The protocol-shape matrix (issue 14 §3): every shape × network profile × seed simulated by
// @tickscope/sim through the shape's definition (role-mapped encoder → pcapng → @tickscope/capture →
// core's compiled decoder), one cheater per simulated kind and honest players in every match.
const shapeSeeds = (process.env.ANTICHEAT_SHAPE_SEEDS ?? "1,2").split(",").map(Number);
const shapeSeconds = Number(process.env.ANTICHEAT_SHAPE_SECONDS ?? 60);
const shapeProfiles = process.env.ANTICHEAT_SHAPE_PROFILES?.split(",") ?? [...MATRIX_PROFILES];
const shapes = (process.env.ANTICHEAT_SHAPES?.split(",") ?? [...SHAPE_NAMES]) as ShapeName[];
const matrixStarted = performance.now();
const matrix = await runShapeMatrix({
  shapes,
  profiles: shapeProfiles,
  seeds: shapeSeeds,
  durationMs: shapeSeconds * 1000,
  honestPlayers: Number(process.env.ANTICHEAT_SHAPE_HONEST ?? 10),
  onMatch: verbose ? (shape, profile, seed, matchSeconds) => console.log(`  ${shape} ${profile} seed ${seed}: ${matchSeconds.toFixed(1)} s`) : undefined,
});
console.log(
  `\nprotocol-shape matrix (issue 14 §3): ${shapes.length} shapes × ${shapeProfiles.length} profiles (${shapeProfiles.join(", ")}) × seeds ${shapeSeeds.join(",")}, ` +
    `${shapeSeconds} s matches, ${((performance.now() - matrixStarted) / 1000).toFixed(1)} s`,
);
console.log("");
console.log(formatShapeMatrix(matrix));
const missed = matrix.flatMap(missedFloors);
console.log(`\nfloors (recall ≥ 90% per kind with a wire signature, honest flagged ≤ 1%): ${missed.length === 0 ? "met on every shape" : `MISSED: ${missed.join("; ")}`}`);
if (verbose) {
  for (const row of matrix) {
    for (const miss of row.misses) console.log(`miss: ${miss}`);
    for (const falsePositive of row.falsePositives) console.log(`false positive: ${falsePositive}`);
  }
}
