import { LatencyAnalyzer, type LatencyAnalyzerOptions } from "../latency-analyzer.js";
import type { LatencyReport } from "../latency-report.js";
import {
  createRandom,
  generateMatch,
  runAnalyzer,
  type InjectedKind,
  type InjectedSpike,
  type Datagram,
  type SyntheticMatch,
  type SyntheticMatchOptions,
} from "./synthetic-match.js";

/** Cause kinds the evaluation injects, each with the cause the analyzer should rank first. */
export const EVALUATED_KINDS: readonly InjectedKind[] = ["queueBuildup", "lossBurst", "tickStall", "snapshotBurst", "sharedPath"];

/**
 * Injected kinds that change the round-trip time, so a spike must be found.
 * A loss burst of server datagrams and a server tick stall delay no round trip:
 * per RFC 9002 the first ack after them samples its largest (newest) sequence,
 * so they are no RTT spike — a spike overlapping one is a false positive (the
 * lost-ack artifact this evaluation guards against). They stay injected as
 * candidate causes (loss bursts, server gaps) for the spikes that are real.
 */
export const RTT_CHANGING_KINDS: readonly InjectedKind[] = ["queueBuildup", "snapshotBurst", "sharedPath", "lastMile", "routeChange"];

/** A jitter/RTT profile. */
export interface EvaluationProfile {
  name: string;
  baseRttMs: number;
  jitterMeanMs: number;
  lossProbability: number;
}

/** Profiles used by the evaluation. */
export const EVALUATION_PROFILES: readonly EvaluationProfile[] = [
  { name: "lan", baseRttMs: 20, jitterMeanMs: 0.5, lossProbability: 0.001 },
  { name: "broadband", baseRttMs: 50, jitterMeanMs: 1.5, lossProbability: 0.003 },
  { name: "mobile", baseRttMs: 90, jitterMeanMs: 3, lossProbability: 0.01 },
];

/** One scenario. */
export interface EvaluationScenario {
  seed: number;
  profile: EvaluationProfile;
  sessions: number;
  durationMs: number;
  /** Acks on a control channel naming the channel they acknowledge (the cross-channel scenario). */
  controlChannelAcks?: boolean;
  /** Background loss in both directions, replacing the profile's (the lost-ack scenario uses 0.02). */
  lossProbability?: number;
  /** Client ping period, ms (default 1000; 0 = none, so acks are the only RTT). */
  pingPeriodMs?: number;
}

/** Outcome per injected (spike, session). */
export interface TruthOutcome {
  kind: InjectedKind;
  session: string;
  startUs: number;
  detected: boolean;
  /** Detected start − injected start, ms. */
  onsetErrorMs: number;
  /** Detected start − send time of the first packet whose round trip the event touched (simulator truth), ms. */
  firstAffectedErrorMs: number;
  topCause: string;
}

/** Totals of a scenario set. */
export interface EvaluationResult {
  truths: TruthOutcome[];
  detectedSpikes: number;
  matchedSpikes: number;
}

/** Injected events of a scenario: every kind once per 12 s slot, ≥ 30 ms above baseline, ≥ 100 ms long. */
export function scenarioSpikes(scenario: EvaluationScenario): InjectedSpike[] {
  const random = createRandom(scenario.seed * 7919 + 1);
  const spikes: InjectedSpike[] = [];
  let slot = 0;
  for (let startMs = 8_000; startMs + 4_000 < scenario.durationMs; startMs += 6_000) {
    const kind = EVALUATED_KINDS[slot % EVALUATED_KINDS.length];
    slot += 1;
    const durationMs = 100 + Math.round(random() * 200);
    const extraMs = 30 + Math.round(random() * 50);
    const session = Math.floor(random() * scenario.sessions);
    spikes.push({
      kind,
      startMs: startMs + Math.round(random() * 1000),
      durationMs,
      extraMs,
      sessions: kind === "tickStall" || kind === "sharedPath" ? undefined : [session],
    });
  }
  return spikes;
}

/** Runs one scenario and scores the report against the injected truth. */
export function evaluateScenario(scenario: EvaluationScenario, options: LatencyAnalyzerOptions = {}): EvaluationResult & { report: LatencyReport } {
  const spikes = scenarioSpikes(scenario);
  const matchOptions: SyntheticMatchOptions = {
    seed: scenario.seed,
    durationMs: scenario.durationMs,
    sessions: scenario.sessions,
    baseRttMs: scenario.profile.baseRttMs,
    jitterMeanMs: scenario.profile.jitterMeanMs,
    lossProbability: scenario.lossProbability ?? scenario.profile.lossProbability,
    spikes,
    controlChannelAcks: scenario.controlChannelAcks ?? false,
  };
  if (scenario.pingPeriodMs !== undefined) matchOptions.pingPeriodMs = scenario.pingPeriodMs;
  const match = generateMatch(matchOptions);
  const report = runAnalyzer(new LatencyAnalyzer(options), match);
  const truths: TruthOutcome[] = [];
  const used = new Set<string>();
  let detectedSpikes = 0;
  for (const session of report.sessions) detectedSpikes += session.spikes.length;
  for (const spike of spikes) {
    if (!RTT_CHANGING_KINDS.includes(spike.kind)) continue;
    const startUs = match.startUs + spike.startMs * 1000;
    const endUs = startUs + spike.durationMs * 1000;
    const hit = spike.sessions ?? match.sessions.map((_, index) => index);
    for (const index of hit) {
      const id = match.sessions[index].id;
      const session = report.sessions.find((entry) => entry.id === id);
      const found = session?.spikes.findIndex((detected) => detected.startUs <= endUs + 300_000 && detected.endUs >= startUs - 300_000) ?? -1;
      if (found >= 0) used.add(`${id}:${found}`);
      const detected = found >= 0 ? session!.spikes[found] : undefined;
      const firstAffectedUs = firstAffectedSendUs(match, index, spike.kind, startUs);
      truths.push({
        kind: spike.kind,
        session: id,
        startUs,
        detected: detected !== undefined,
        onsetErrorMs: detected === undefined ? Number.NaN : (detected.startUs - startUs) / 1000,
        firstAffectedErrorMs: detected === undefined ? Number.NaN : (detected.startUs - firstAffectedUs) / 1000,
        topCause: detected?.causes[0]?.kind ?? "unexplained",
      });
    }
  }
  return { truths, detectedSpikes, matchedSpikes: used.size, report };
}

/**
 * Simulator truth of the earliest measurable onset: the send time of the
 * first client packet whose round trip the event touched (upstream delay:
 * first packet sent at or after the start; server-side events: first packet
 * reaching the server after its last unaffected send).
 */
export function firstAffectedSendUs(match: SyntheticMatch, sessionIndex: number, kind: InjectedKind, startUs: number): number {
  const upstream = kind === "queueBuildup" || kind === "sharedPath" || kind === "lastMile" || kind === "routeChange";
  const datagrams = sessionDatagrams(match)[sessionIndex] ?? [];
  let lastServerSendUs = -Infinity;
  if (!upstream) {
    for (const datagram of datagrams) {
      if (datagram.direction === "serverToClient" && datagram.sendUs < startUs) lastServerSendUs = Math.max(lastServerSendUs, datagram.sendUs);
    }
  }
  let first = Infinity;
  for (const datagram of datagrams) {
    if (datagram.direction !== "clientToServer" || datagram.lost) continue;
    const affected = upstream ? datagram.sendUs >= startUs : datagram.arriveUs > lastServerSendUs;
    if (affected && datagram.sendUs < first) first = datagram.sendUs;
  }
  return first;
}

const bySession = new WeakMap<SyntheticMatch, Datagram[][]>();

function sessionDatagrams(match: SyntheticMatch): Datagram[][] {
  let lists = bySession.get(match);
  if (lists === undefined) {
    lists = match.sessions.map(() => []);
    for (const datagram of match.datagrams) lists[datagram.sessionIndex].push(datagram);
    bySession.set(match, lists);
  }
  return lists;
}

/** Summary table rows (one per kind plus "all"). */
export interface EvaluationRow {
  kind: string;
  injected: number;
  recall: number;
  topCauseAccuracy: number;
  medianAbsoluteOnsetErrorMs: number;
  medianAbsoluteFirstAffectedErrorMs: number;
}

/** Aggregates outcomes per kind. */
export function summarize(results: EvaluationResult[]): { rows: EvaluationRow[]; precision: number; recall: number } {
  const truths = results.flatMap((result) => result.truths);
  const rows: EvaluationRow[] = [];
  for (const kind of [...EVALUATED_KINDS.filter((entry) => RTT_CHANGING_KINDS.includes(entry)), "all"]) {
    const subset = truths.filter((truth) => kind === "all" || truth.kind === kind);
    if (subset.length === 0) continue;
    const detected = subset.filter((truth) => truth.detected);
    const errors = detected.map((truth) => Math.abs(truth.onsetErrorMs)).sort((a, b) => a - b);
    const affectedErrors = detected.map((truth) => Math.abs(truth.firstAffectedErrorMs)).sort((a, b) => a - b);
    rows.push({
      kind,
      injected: subset.length,
      recall: detected.length / subset.length,
      topCauseAccuracy: detected.length === 0 ? 0 : detected.filter((truth) => truth.topCause === truth.kind).length / detected.length,
      medianAbsoluteOnsetErrorMs: errors.length === 0 ? Number.NaN : errors[errors.length >> 1],
      medianAbsoluteFirstAffectedErrorMs: affectedErrors.length === 0 ? Number.NaN : affectedErrors[affectedErrors.length >> 1],
    });
  }
  const detectedSpikes = results.reduce((sum, result) => sum + result.detectedSpikes, 0);
  const matchedSpikes = results.reduce((sum, result) => sum + result.matchedSpikes, 0);
  return {
    rows,
    precision: detectedSpikes === 0 ? 1 : matchedSpikes / detectedSpikes,
    recall: truths.length === 0 ? 1 : truths.filter((truth) => truth.detected).length / truths.length,
  };
}
