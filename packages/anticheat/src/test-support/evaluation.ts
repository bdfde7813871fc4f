import { AnticheatAnalyzer } from "../anticheat-analyzer.js";
import type { AnticheatReport } from "../anticheat-report.js";
import { CHEAT_KINDS, type CheatKind } from "../cheat-kind.js";
import type { AnticheatOptions } from "../options.js";
import { evaluationPlayers, generateMatch, type PlayerTruth } from "./match-generator.js";
import { NETWORK_PROFILES, type NetworkProfileName } from "./network-model.js";

/** Options of {@link runEvaluation}. */
export interface EvaluationOptions {
  seeds: readonly number[];
  durationSeconds: number;
  honestPerProfile: number;
  cheatersPerCell: number;
  sharedPathPlayers: number;
  kinds?: readonly CheatKind[];
  analyzer?: Partial<AnticheatOptions>;
}

/** Per-kind detection numbers. */
export interface KindRow {
  kind: CheatKind;
  cheaters: number;
  detected: number;
  recall: number;
  recallByIntensity: Record<string, string>;
  /** Players flagged with this kind. */
  flagged: number;
  /** Flagged players whose truth is this kind. */
  truePositives: number;
  precision: number;
}

/** Result of an evaluation. */
export interface EvaluationResult {
  rows: KindRow[];
  honest: number;
  honestFlagged: number;
  falsePositiveRate: number;
  badNetworkHonest: number;
  badNetworkFlagged: number;
  badNetworkFalsePositiveRate: number;
  byNetwork: Record<string, { honest: number; flagged: number }>;
  messages: number;
  /** Misses and false positives, for inspection. */
  misses: string[];
  falsePositives: string[];
  sharedOutagesDiscarded: number;
}

/** Runs the analyzer over one generated match and returns the report with the truth. */
export function analyzeMatch(seed: number, options: EvaluationOptions): { report: AnticheatReport; truth: PlayerTruth[]; messages: number } {
  const kinds = options.kinds ?? CHEAT_KINDS;
  const match = generateMatch({
    seed,
    durationSeconds: options.durationSeconds,
    players: evaluationPlayers(seed, options.honestPerProfile, options.cheatersPerCell, kinds),
    sharedPathPlayers: options.sharedPathPlayers,
  });
  const analyzer = new AnticheatAnalyzer(options.analyzer);
  for (const session of match.sessions) analyzer.onSession(session);
  for (const event of match.events) {
    if (event.message !== undefined) analyzer.onMessage(event.message);
    else analyzer.onAnomaly(event.anomaly!);
  }
  return { report: analyzer.finish(), truth: match.truth, messages: match.messageCount };
}

/**
 * The evaluation behind the README table: several seeds, every cheat kind at
 * low/medium/high intensity, honest players on every network profile.
 * Recall counts a cheater as detected only when a finding of its own kind
 * names it; a false positive is an honest player with any finding.
 */
export function runEvaluation(options: EvaluationOptions): EvaluationResult {
  const kinds = options.kinds ?? CHEAT_KINDS;
  const counts = new Map<CheatKind, { cheaters: number; detected: number; flagged: number; truePositives: number; byIntensity: Map<string, [number, number]> }>();
  for (const kind of kinds) counts.set(kind, { cheaters: 0, detected: 0, flagged: 0, truePositives: 0, byIntensity: new Map() });
  const byNetwork: Record<string, { honest: number; flagged: number }> = {};
  for (const network of NETWORK_PROFILES) byNetwork[network] = { honest: 0, flagged: 0 };
  const misses: string[] = [];
  const falsePositives: string[] = [];
  let messages = 0;
  let shared = 0;
  for (const seed of options.seeds) {
    const { report, truth, messages: count } = analyzeMatch(seed, options);
    messages += count;
    shared += report.summary.sharedOutagesDiscarded;
    const kindsBySession = new Map<string, Set<string>>();
    for (const finding of report.findings) {
      const set = kindsBySession.get(finding.session!) ?? new Set<string>();
      set.add(finding.kind);
      kindsBySession.set(finding.session!, set);
    }
    for (const player of truth) {
      const found = kindsBySession.get(player.sessionId) ?? new Set<string>();
      for (const kind of found) {
        const row = counts.get(kind as CheatKind);
        if (row === undefined) continue;
        row.flagged += 1;
        if (player.cheat === kind) row.truePositives += 1;
      }
      if (player.cheat === "honest") {
        byNetwork[player.network]!.honest += 1;
        if (found.size > 0) {
          byNetwork[player.network]!.flagged += 1;
          falsePositives.push(`seed ${seed} ${player.sessionId} ${player.network}${player.sharedPath ? " shared" : ""}: ${[...found].join(",")} ${report.findings.filter((f) => f.session === player.sessionId).map((f) => f.summary).join(" | ")}`);
        }
        continue;
      }
      const row = counts.get(player.cheat)!;
      row.cheaters += 1;
      const cell = row.byIntensity.get(player.intensity!) ?? [0, 0];
      cell[1] += 1;
      if (found.has(player.cheat)) {
        row.detected += 1;
        cell[0] += 1;
      } else {
        misses.push(`seed ${seed} ${player.sessionId} ${player.cheat}/${player.intensity}/${player.mode ?? "-"} on ${player.network}: found ${[...found].join(",") || "nothing"}`);
      }
      row.byIntensity.set(player.intensity!, cell);
    }
  }
  const rows: KindRow[] = kinds.map((kind) => {
    const row = counts.get(kind)!;
    const recallByIntensity: Record<string, string> = {};
    for (const intensity of ["low", "medium", "high"]) {
      const cell = row.byIntensity.get(intensity) ?? [0, 0];
      recallByIntensity[intensity] = `${cell[0]}/${cell[1]}`;
    }
    return {
      kind,
      cheaters: row.cheaters,
      detected: row.detected,
      recall: row.cheaters === 0 ? Number.NaN : row.detected / row.cheaters,
      recallByIntensity,
      flagged: row.flagged,
      truePositives: row.truePositives,
      precision: row.flagged === 0 ? Number.NaN : row.truePositives / row.flagged,
    };
  });
  let honest = 0;
  let flagged = 0;
  let badHonest = 0;
  let badFlagged = 0;
  for (const network of NETWORK_PROFILES) {
    const entry = byNetwork[network as NetworkProfileName]!;
    honest += entry.honest;
    flagged += entry.flagged;
    if (network !== "good") {
      badHonest += entry.honest;
      badFlagged += entry.flagged;
    }
  }
  return {
    rows,
    honest,
    honestFlagged: flagged,
    falsePositiveRate: honest === 0 ? 0 : flagged / honest,
    badNetworkHonest: badHonest,
    badNetworkFlagged: badFlagged,
    badNetworkFalsePositiveRate: badHonest === 0 ? 0 : badFlagged / badHonest,
    byNetwork,
    messages,
    misses,
    falsePositives,
    sharedOutagesDiscarded: shared,
  };
}

/** Formats an evaluation as a Markdown table (the README's). */
export function formatEvaluation(result: EvaluationResult): string {
  const percent = (value: number) => (Number.isNaN(value) ? "n/a" : `${(value * 100).toFixed(1)}%`);
  const lines = [
    "| cheat kind | cheaters | recall | low | medium | high | flagged | precision |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const row of result.rows) {
    lines.push(
      `| ${row.kind} | ${row.cheaters} | ${percent(row.recall)} | ${row.recallByIntensity.low} | ${row.recallByIntensity.medium} | ${row.recallByIntensity.high} | ${row.flagged} | ${percent(row.precision)} |`,
    );
  }
  lines.push("");
  lines.push("| honest players | count | flagged (any finding) | false-positive rate |");
  lines.push("|---|---:|---:|---:|");
  for (const [network, entry] of Object.entries(result.byNetwork)) {
    lines.push(`| ${network} | ${entry.honest} | ${entry.flagged} | ${percent(entry.honest === 0 ? 0 : entry.flagged / entry.honest)} |`);
  }
  lines.push(`| **bad networks (all but good)** | ${result.badNetworkHonest} | ${result.badNetworkFlagged} | ${percent(result.badNetworkFalsePositiveRate)} |`);
  lines.push(`| **all honest** | ${result.honest} | ${result.honestFlagged} | ${percent(result.falsePositiveRate)} |`);
  return lines.join("\n");
}
