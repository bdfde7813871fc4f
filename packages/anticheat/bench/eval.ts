import { formatEvaluation, runEvaluation } from "../src/test-support/evaluation.js";

// Deterministic evaluation: 5 seeds × 162 players (108 honest on six network
// profiles, 54 cheaters: every kind × low/medium/high × 2), 60 s each.
const seeds = (process.env.ANTICHEAT_EVAL_SEEDS ?? "1,2,3,4,5").split(",").map(Number);
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
if (process.env.ANTICHEAT_EVAL_VERBOSE !== undefined) {
  console.log("\nmisses:\n" + result.misses.join("\n"));
  console.log("\nfalse positives:\n" + result.falsePositives.join("\n"));
}
