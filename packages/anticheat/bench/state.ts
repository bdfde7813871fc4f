import { runCapturePipeline } from "@tickscope/capture";
import { compileProtocol, type ProtocolDefinition } from "@tickscope/core/protocol";
import { simulateMatchToMemory } from "@tickscope/sim";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AnticheatAnalyzer, type AnticheatAnalyzerState, type AnticheatReport } from "../src/index.js";
import { CHEAT_KINDS } from "../src/cheat-kind.js";
import { flaggedKindsBySession } from "../src/test-support/flagged-kinds.js";
import { evaluationPlayers, generateMatch } from "../src/test-support/match-generator.js";
import { onePass, rotationMerge, shardedStates } from "../src/test-support/partial-passes.js";

// Saved-state figures (issue 18): the state's JSON size on a 16-player × 60-s simulated match
// (@tickscope/sim → capture → arena definition), save/merge time, and what a rotation cut
// changes on a labelled match with every cheat kind (the package's generator):
// flagged (session, kind) pairs and summary counts with and without a cut at several positions.
const arena = JSON.parse(readFileSync(fileURLToPath(new URL("../../../examples/protocols/arena.json", import.meta.url)), "utf8")) as ProtocolDefinition;

const simulated = simulateMatchToMemory({ seed: 7, players: 16, durationMs: 60_000, profileMix: { fibre: 2, cable: 2, "4g": 1, dsl: 1 } });
const truth = simulated.truth as unknown as { maxSpeed: number };
const analyzer = new AnticheatAnalyzer({ maxSpeedUnitsPerSecond: truth.maxSpeed });
await runCapturePipeline({ sources: [simulated.pcapng], decoder: compileProtocol(arena), serverPorts: [7777], analyzers: [analyzer] });
let started = performance.now();
const state = analyzer.saveState();
const json = JSON.stringify(state);
const saveMs = performance.now() - started;
started = performance.now();
const merged = new AnticheatAnalyzer({ maxSpeedUnitsPerSecond: truth.maxSpeed });
merged.mergeState(JSON.parse(json) as AnticheatAnalyzerState, { packetIndexOffset: 0 });
const mergeMs = performance.now() - started;
const same = JSON.stringify(merged.finish()) === JSON.stringify(analyzer.finish());
console.log(
  `simulated match, 16 players × 60 s: ${state.sessions.length} sessions, ${state.packets} packets; state JSON ${json.length} bytes ` +
    `(${(json.length / state.sessions.length / 1024).toFixed(1)} KB per session); save+stringify ${saveMs.toFixed(1)} ms, parse+check+merge ${mergeMs.toFixed(1)} ms; round trip identical: ${same}`,
);

function pairs(report: AnticheatReport): string[] {
  const result: string[] = [];
  for (const [session, kinds] of flaggedKindsBySession(report)) for (const kind of kinds) result.push(`${session} ${kind}`);
  return result.sort();
}

const seeds = (process.env.ANTICHEAT_STATE_SEEDS ?? "101,202,303").split(",").map(Number);
const durationSeconds = Number(process.env.ANTICHEAT_STATE_SECONDS ?? 40);
const fractions = [0.1, 0.25, 0.5, 0.75, 0.9];
for (const seed of seeds) {
  const match = generateMatch({ seed, durationSeconds, players: evaluationPlayers(seed, 1, 1, CHEAT_KINDS), sharedPathPlayers: 4 });
  const single = onePass(match).finish();
  const expected = JSON.stringify(single);
  const disjoint = [2, 3, 5].map((groups) => {
    const result = new AnticheatAnalyzer();
    for (const saved of shardedStates(match, groups, seed + groups)) result.mergeState(saved, { packetIndexOffset: 0 });
    return JSON.stringify(result.finish()) === expected;
  });
  const base = pairs(single);
  console.log(`\nseed ${seed}: ${match.sessions.length} sessions, ${durationSeconds} s, ${base.length} flagged (session, kind) pairs; disjoint 2/3/5 groups identical: ${disjoint.join("/")}`);
  const startUs = (match.events[0]!.message ?? match.events[0]!.anomaly!).tUs;
  for (const fraction of fractions) {
    const report = rotationMerge(match, startUs + fraction * durationSeconds * 1e6).finish();
    const found = pairs(report);
    const truthOf = (pair: string): string => {
      const player = match.truth.find((entry) => entry.sessionId === pair.split(" ")[0]);
      return `${pair} [truth: ${player?.cheat ?? "?"}${player?.intensity === undefined ? "" : ` ${player.intensity}`}${player?.mode === undefined ? "" : ` ${player.mode}`}]`;
    };
    const missing = base.filter((pair) => !found.includes(pair)).map(truthOf);
    const extra = found.filter((pair) => !base.includes(pair)).map(truthOf);
    const differences: string[] = [];
    for (const key of Object.keys(single.summary) as Array<keyof AnticheatReport["summary"]>) {
      if (JSON.stringify(single.summary[key]) !== JSON.stringify(report.summary[key])) differences.push(`${key} ${JSON.stringify(report.summary[key])} vs ${JSON.stringify(single.summary[key])}`);
    }
    const verdicts = report.players
      .filter((player, index) => player.verdict !== single.players[index]!.verdict)
      .map((player) => `${player.session} ${single.players.find((entry) => entry.session === player.session)!.verdict}→${player.verdict}`);
    console.log(
      `  cut at ${(fraction * 100).toFixed(0)}%: pairs missing ${missing.length}${missing.length > 0 ? ` (${missing.join(", ")})` : ""}, extra ${extra.length}${extra.length > 0 ? ` (${extra.join(", ")})` : ""}; ` +
        `verdicts changed ${verdicts.length}${verdicts.length > 0 ? ` (${verdicts.join(", ")})` : ""}; summary differs: ${differences.join("; ") || "none"}`,
    );
  }
}
