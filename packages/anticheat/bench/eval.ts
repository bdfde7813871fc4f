import { formatEvaluation, formatScenarios, runEvaluation, runScenarioEvaluation } from "../src/test-support/evaluation.js";

// Deterministic evaluation: 5 seeds × 162 players (108 honest on six network
// profiles, 54 cheaters: every kind × low/medium/high × 2), 60 s each; then the
// shape scenarios of issue 14 §4 (shots in the input's datagram, a cheat early in
// a long capture, netcode-like handshake retries, a wrong key, a wrong definition).
const seeds = (process.env.ANTICHEAT_EVAL_SEEDS ?? "1,2,3,4,5").split(",").map(Number);
const verbose = process.env.ANTICHEAT_EVAL_VERBOSE !== undefined;
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
