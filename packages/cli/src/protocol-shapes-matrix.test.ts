import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ARENA_DEFINITION, simulateMatchToMemory, type MatchOptions, type MatchTruth } from "@tickscope/sim";
import { ExitCode } from "./exit-code.js";
import { runInMemory } from "./test-support/run.js";

/**
 * Reduced evaluation matrix (issue 14 §3): one match per protocol shape with an injected latency
 * spike (players 3, 4), a loss burst (player 2) and three cheaters (5 speedhack, 6 lag switch, 7 rewind abuse),
 * analysed from the capture alone and scored against the truth.
 */
const examples = fileURLToPath(new URL("../../../examples/protocols/", import.meta.url));
const SHAPES = ["arena", "le-wrapping-clock", "channel-acks", "combined-command", "tick-clock", "aead-sequence64"] as const;
const SPIKE_START_MS = 12_000;
const SPIKE_MS = 2_000;
const LOSS_START_MS = 20_000;
const MATCH: MatchOptions = {
  seed: 7,
  players: 8,
  durationMs: 30_000,
  tickRate: 30,
  profile: "cable",
  networkEvents: [
    { kind: "latencySpike", startMs: SPIKE_START_MS, durationMs: SPIKE_MS, extraDelayMs: 200, playerIds: [3, 4] },
    { kind: "lossBurst", startMs: LOSS_START_MS, durationMs: 1_500, lossProbability: 0.6, playerIds: [2] },
  ],
  cheats: [
    { playerId: 5, kind: "speedhack", intensity: 1.3 },
    { playerId: 6, kind: "lagSwitch" },
    { playerId: 7, kind: "rewindAbuse" },
  ],
};
const directory = mkdtempSync(join(tmpdir(), "tickscope-shape-matrix-"));
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
  const lines = ["| shape | spike sessions found (of 2) | latency-change findings: on injected / all | loss-burst player lost, longest burst | honest players' lost | honest flagged | cheaters flagged (5 speedhack, 6 lagSwitch, 7 rewindAbuse) | latency anomalies |", "|---|---|---|---|---|---|---|---|"];
  for (const row of rows) {
    lines.push(`| ${row.shape} | ${row.spikeSessionsFound} | ${row.spikeFindingsOnInjected} / ${row.spikeFindings} (${row.spikeKinds.join(", ")}) | ${row.lossBurstLost}, ${row.lossBurstLongest} | ${row.honestLost} | ${row.honestFlagged.join(" ") || "none"} | ${row.cheatersFlagged.join(" ") || "none"} | ${JSON.stringify(row.latencyAnomalies)} |`);
  }
  console.log(lines.join("\n"));
});

interface Finding {
  kind: string;
  session?: string;
  startUs: number;
  endUs: number;
}
interface Row {
  shape: string;
  spikeSessionsFound: number;
  /** Latency-change findings (spikes and baseline shifts) in all, and on the injected sessions and window. */
  spikeFindings: number;
  spikeFindingsOnInjected: number;
  spikeKinds: string[];
  lossBurstLost: number;
  lossBurstLongest: number;
  honestLost: number;
  honestFlagged: string[];
  cheatersFlagged: string[];
  latencyAnomalies: Record<string, number>;
}
const rows: Row[] = [];

async function evaluate(shape: (typeof SHAPES)[number]): Promise<Row> {
  const definitionPath = shape === "arena" ? join(directory, "arena.json") : `${examples}${shape}.json`;
  if (shape === "arena") writeFileSync(definitionPath, JSON.stringify(ARENA_DEFINITION));
  const definition = JSON.parse(readFileSync(definitionPath, "utf8")) as unknown;
  const match = simulateMatchToMemory(MATCH, shape === "arena" ? {} : { protocol: definition });
  const capture = join(directory, `${shape}.pcapng`);
  writeFileSync(capture, match.pcapng);
  const out = join(directory, `${shape}-report`);
  const run = await runInMemory(["analyze", capture, "--protocol", definitionPath, "--format", "json", "--out", out]);
  expect(run.code, run.stderr).toBe(ExitCode.ok);
  const report = (JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as { report: MatrixReport }).report;
  return score(shape, match.truth, report);
}

/** The parts of the JSON report the matrix reads. */
interface MatrixReport {
  analyses: {
    latency: { findings: Finding[]; anomalies: Record<string, number> };
    loss: { sessions: { id: string; lost: number; bursts: { maxLength: number } }[] };
    anticheat: { players: { session: string; verdict: string; kinds: string[] }[] };
  };
}

function score(shape: string, truth: MatchTruth, report: MatrixReport): Row {
  const playerOf = new Map<string, number>();
  for (const player of truth.players) playerOf.set(`udp:${player.address}:${player.port}-${truth.servers[0].address}:${truth.servers[0].port}`, player.playerId);
  const spikeStartUs = truth.startUs + SPIKE_START_MS * 1000;
  const spikeEndUs = spikeStartUs + SPIKE_MS * 1000;
  // every latency finding about a latency change (spike or baseline shift), not the methods' disagreement
  const spikeFindings = report.analyses.latency.findings.filter((finding) => finding.kind !== "rttMethodsDisagree");
  const onInjected = spikeFindings.filter((finding) => [3, 4].includes(playerOf.get(finding.session ?? "") ?? -1) && finding.startUs < spikeEndUs + 1e6 && finding.endUs > spikeStartUs - 1e6);
  const lossOf = (player: number): { lost: number; longest: number } => {
    let lost = 0;
    let longest = 0;
    for (const session of report.analyses.loss.sessions) {
      if (playerOf.get(session.id) !== player) continue;
      lost += session.lost;
      longest = Math.max(longest, session.bursts.maxLength);
    }
    return { lost, longest };
  };
  const cheaters = new Set(truth.cheats.map((cheat) => cheat.playerId));
  const flagged = report.analyses.anticheat.players.filter((player) => player.verdict !== "clean");
  const describe = (player: { session: string; verdict: string; kinds: string[] }): string => `${playerOf.get(player.session)}:${player.verdict}(${player.kinds.join("+")})`;
  const honestLost = [0, 1, 3, 4, 5, 6, 7].reduce((sum, player) => sum + lossOf(player).lost, 0);
  return {
    shape,
    spikeSessionsFound: new Set(onInjected.map((finding) => finding.session)).size,
    spikeFindings: spikeFindings.length,
    spikeFindingsOnInjected: onInjected.length,
    spikeKinds: [...new Set(spikeFindings.map((finding) => finding.kind))].sort(),
    lossBurstLost: lossOf(2).lost,
    lossBurstLongest: lossOf(2).longest,
    honestLost,
    honestFlagged: flagged.filter((player) => !cheaters.has(playerOf.get(player.session) ?? -1)).map(describe),
    cheatersFlagged: flagged.filter((player) => cheaters.has(playerOf.get(player.session) ?? -1)).map(describe),
    latencyAnomalies: report.analyses.latency.anomalies,
  };
}

// Latency-change precision: the 2 s spike is a spike (not a baseline shift: the reported RTT, a
// client's smoothed value, decays back for seconds), and a reported RTT of 0 before the first pong
// is not a sample (no baseline shift at ~1 s). Rewind abuse is judged in the protocol's target clock
// (le-wrapping-clock: the rewind lands near the abuser's own clock). Acks before the first send on
// their channel (session start) and resends are method details, not anomalies.
describe.each(SHAPES)("evaluation matrix: %s", (shape) => {
  it("finds the injected spike and loss burst and flags no honest player", async () => {
    const row = await evaluate(shape);
    rows.push(row);
    console.log(JSON.stringify(row));
    expect(row.spikeSessionsFound).toBe(2);
    expect(row.lossBurstLongest).toBeGreaterThanOrEqual(3);
    expect(row.honestFlagged).toEqual([]);
    expect(row.cheatersFlagged.map((entry) => entry.split(":")[0]).sort()).toEqual(["5", "6", "7"]);
    expect(row.cheatersFlagged.find((entry) => entry.startsWith("7:"))).toContain("rewindAbuse");
    expect(row.spikeFindingsOnInjected).toBe(row.spikeFindings);
    expect(row.spikeKinds).toEqual(["latencySpike"]);
    expect(row.latencyAnomalies).toEqual({});
    expect(row.lossBurstLost).toBeGreaterThan(row.honestLost);
  });
});
