import { AnticheatAnalyzer } from "../anticheat-analyzer.js";
import type { AnticheatReport } from "../anticheat-report.js";
import { CHEAT_KINDS, type CheatKind } from "../cheat-kind.js";
import type { AnticheatOptions } from "../options.js";
import { flaggedKindsBySession } from "./flagged-kinds.js";
import { evaluationPlayers, generateMatch, type InputFault, type MatchOptions, type PlayerSpec, type PlayerTruth, type ProtocolShape } from "./match-generator.js";
import { NETWORK_PROFILES, type NetworkProfileName } from "./network-model.js";
import { mixSeed, Random } from "./random.js";

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

/** One scenario of the shape evaluation: a protocol shape or capture situation the detectors must hold on. */
export interface EvaluationScenario {
  name: string;
  /** What it checks (printed with the table). */
  description: string;
  durationSeconds: number;
  shape?: ProtocolShape;
  handshakeSeconds?: readonly [number, number];
  inputFault?: InputFault;
  /** Cheat kinds planted (each at low/medium/high × `cheatersPerCell`; fake latency and replay alternate their modes). */
  kinds: readonly CheatKind[];
  /** Only this mode of a kind (e.g. fake latency `selective`), when set. */
  modes?: Partial<Record<CheatKind, string>>;
  /** Cheats active only in this part of the capture, seconds. */
  cheatWindowSeconds?: readonly [number, number];
}

/** The scenarios of issue 14 §4: shapes and situations beyond arena's. */
export const EVALUATION_SCENARIOS: readonly EvaluationScenario[] = [
  {
    name: "bundled",
    description: "one datagram per client frame: newest input (claimed by tick) + shot + pong, which claim nothing themselves",
    durationSeconds: 60,
    shape: "bundled",
    kinds: CHEAT_KINDS,
  },
  {
    name: "earlyCheat",
    description: "180 s capture, cheat only in 10–40 s (rewind, shots held, reported RTT inflated); separate datagrams",
    durationSeconds: 180,
    kinds: ["fakeLatency", "rewindAbuse"],
    cheatWindowSeconds: [10, 40],
  },
  {
    name: "earlyCheatBundled",
    description: "as earlyCheat, with shots riding in the input's datagram",
    durationSeconds: 180,
    shape: "bundled",
    kinds: ["fakeLatency", "rewindAbuse"],
    modes: { fakeLatency: "selective" },
    cheatWindowSeconds: [10, 40],
  },
  {
    name: "handshake",
    description: "netcode-like: the client resends an identical unauthenticated connection request every 100 ms for 0.5–3 s until the server is up; then authenticated traffic",
    durationSeconds: 60,
    handshakeSeconds: [0.5, 3],
    kinds: ["replay", "tampering"],
  },
  {
    name: "wrongKey",
    description: "as handshake, but the key file is wrong: every datagram after the connection request fails authentication",
    durationSeconds: 30,
    handshakeSeconds: [0.5, 3],
    inputFault: "wrongKey",
    kinds: ["replay", "fakeLatency", "tampering"],
  },
  {
    name: "wrongDefinition",
    description: "the definition does not match: every datagram fails to decode",
    durationSeconds: 30,
    inputFault: "wrongDefinition",
    kinds: ["tampering", "speedhack"],
  },
];

/** Result of one scenario. */
export interface ScenarioResult {
  scenario: EvaluationScenario;
  rows: Array<{ kind: CheatKind; cheaters: number; detected: number; recall: number; otherKinds: Record<string, number> }>;
  honest: number;
  honestFlagged: number;
  /** Players (honest or not) with any cheat finding. */
  playersFlagged: number;
  players: number;
  /** Sessions reported as key/definition problems of the input. */
  inputProblemSessions: number;
  misses: string[];
  falsePositives: string[];
  messages: number;
}

/** Runs every scenario (or the given ones) over the seeds; `scale` multiplies durations (e.g. 0.5 in tests). */
export function runScenarioEvaluation(
  seeds: readonly number[],
  options: { honestPerProfile: number; cheatersPerCell: number; scale?: number; scenarios?: readonly EvaluationScenario[] },
): ScenarioResult[] {
  const results: ScenarioResult[] = [];
  for (const scenario of options.scenarios ?? EVALUATION_SCENARIOS) {
    const counts = new Map<CheatKind, { cheaters: number; detected: number; otherKinds: Record<string, number> }>();
    for (const kind of scenario.kinds) counts.set(kind, { cheaters: 0, detected: 0, otherKinds: {} });
    const result: ScenarioResult = { scenario, rows: [], honest: 0, honestFlagged: 0, playersFlagged: 0, players: 0, inputProblemSessions: 0, misses: [], falsePositives: [], messages: 0 };
    const scale = options.scale ?? 1;
    const window = scenario.cheatWindowSeconds;
    for (const seed of seeds) {
      const random = new Random(mixSeed(seed, 78));
      const players: PlayerSpec[] = [];
      for (const network of NETWORK_PROFILES) for (let index = 0; index < options.honestPerProfile; index++) players.push({ cheat: "honest", network });
      let cell = 0;
      for (const cheat of scenario.kinds) {
        for (const intensity of ["low", "medium", "high"] as const) {
          for (let index = 0; index < options.cheatersPerCell; index++) {
            const network = random.chance(0.4) ? "good" : random.pick(NETWORK_PROFILES);
            const alternate = cell % 2 === 0;
            const mode =
              scenario.modes?.[cheat] ?? (cheat === "fakeLatency" ? (alternate ? "reported" : "selective") : cheat === "replay" ? (alternate ? "resend" : "edit") : undefined);
            const spec: PlayerSpec = { cheat, intensity, network };
            if (mode !== undefined) spec.mode = mode;
            if (window !== undefined) spec.cheatWindowSeconds = window;
            players.push(spec);
            cell += 1;
          }
        }
      }
      const matchOptions: MatchOptions = { seed, players, durationSeconds: scenario.durationSeconds * scale };
      if (scenario.shape !== undefined) matchOptions.shape = scenario.shape;
      if (scenario.handshakeSeconds !== undefined) matchOptions.handshakeSeconds = scenario.handshakeSeconds;
      if (scenario.inputFault !== undefined) matchOptions.inputFault = scenario.inputFault;
      const match = generateMatch(matchOptions);
      const analyzer = new AnticheatAnalyzer();
      for (const session of match.sessions) analyzer.onSession(session);
      for (const event of match.events) {
        if (event.message !== undefined) analyzer.onMessage(event.message);
        else analyzer.onAnomaly(event.anomaly!);
      }
      const report = analyzer.finish();
      result.messages += match.messageCount;
      result.inputProblemSessions += report.summary.inputProblemSessions;
      const kindsBySession = flaggedKindsBySession(report);
      for (const player of match.truth) {
        result.players += 1;
        const found = kindsBySession.get(player.sessionId) ?? new Set<string>();
        if (found.size > 0) result.playersFlagged += 1;
        const describe = () => report.findings.filter((finding) => finding.session === player.sessionId).map((finding) => `${finding.kind}: ${finding.summary}`).join(" | ");
        if (player.cheat === "honest") {
          result.honest += 1;
          if (found.size > 0) {
            result.honestFlagged += 1;
            result.falsePositives.push(`${scenario.name} seed ${seed} ${player.sessionId} ${player.network}: ${describe()}`);
          }
          continue;
        }
        const row = counts.get(player.cheat)!;
        row.cheaters += 1;
        if (found.has(player.cheat)) row.detected += 1;
        else if (scenario.inputFault === undefined) result.misses.push(`${scenario.name} seed ${seed} ${player.sessionId} ${player.cheat}/${player.intensity}/${player.mode ?? "-"} on ${player.network}: found ${[...found].join(",") || "nothing"}`);
        for (const kind of found) if (kind !== player.cheat) row.otherKinds[kind] = (row.otherKinds[kind] ?? 0) + 1;
      }
    }
    result.rows = scenario.kinds.map((kind) => {
      const row = counts.get(kind)!;
      return { kind, ...row, recall: row.cheaters === 0 ? Number.NaN : row.detected / row.cheaters };
    });
    results.push(result);
  }
  return results;
}

/** Formats scenario results as Markdown tables (the README's). */
export function formatScenarios(results: readonly ScenarioResult[]): string {
  const percent = (value: number) => (Number.isNaN(value) ? "n/a" : `${(value * 100).toFixed(1)}%`);
  const lines = ["| scenario | cheat kind | cheaters | recall | also flagged as |", "|---|---|---:|---:|---|"];
  for (const result of results) {
    for (const row of result.rows) {
      const other = Object.entries(row.otherKinds)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([kind, count]) => `${kind} × ${count}`)
        .join(", ");
      const recall = result.scenario.inputFault === undefined ? percent(row.recall) : `${row.detected} flagged (input problem: not judged)`;
      lines.push(`| ${result.scenario.name} | ${row.kind} | ${row.cheaters} | ${recall} | ${other || "–"} |`);
    }
  }
  lines.push("");
  lines.push("| scenario | players | honest | honest flagged | players flagged | input-problem sessions |");
  lines.push("|---|---:|---:|---:|---:|---:|");
  for (const result of results) {
    lines.push(
      `| ${result.scenario.name} | ${result.players} | ${result.honest} | ${result.honestFlagged} (${percent(result.honest === 0 ? 0 : result.honestFlagged / result.honest)}) | ${result.playersFlagged} | ${result.inputProblemSessions} |`,
    );
  }
  return lines.join("\n");
}
