import type { Finding, Severity } from "@tickscope/core";

/** A finding of the anticheat analysis: the core finding plus the server-side mitigation to apply. */
export interface AnticheatFinding extends Finding {
  /** What the server should do about it. */
  mitigation: string;
}

/** One weakness of a protocol definition found by the static audit. */
export interface AuditFinding {
  /** Stable id, e.g. `audit.noAuthentication`. */
  id: string;
  severity: Severity;
  title: string;
  /** The exploit the weakness enables. */
  exploit: string;
  /** How to fix it. */
  fix: string;
  /** Where in the definition (message or field path), when it concerns one place. */
  location?: string;
}

/**
 * Verdict on one player. `unreadable`: the session's traffic (nearly) never
 * verified or decoded (a key or definition problem, reported as a
 * `keyMismatch` / `definitionMismatch` finding), so the player is not judged.
 * `notTested`: no client message of the session was decoded (no protocol
 * definition, or one that decoded nothing the client sent) and no detector
 * found anything, so nothing was judged — never read it as `clean`.
 */
export type PlayerVerdictLabel = "clean" | "suspicious" | "cheating" | "unreadable" | "notTested";

/** One player's verdict: combined confidence of its findings (input-problem findings do not count). */
export interface PlayerVerdict {
  player: string;
  session: string;
  verdict: PlayerVerdictLabel;
  /** 1 − Π(1 − confidence) over the player's findings (0 when none). */
  score: number;
  /** Finding kinds behind the score, sorted. */
  kinds: string[];
}

/** Counts over the whole input. */
export interface AnticheatSummary {
  sessions: number;
  clientMessages: number;
  serverMessages: number;
  packets: number;
  /** Decode anomalies by code (both directions). */
  anomalies: Record<string, number>;
  /** Client messages marked as retransmissions (`resendCount` > 0): legitimate, never replays. */
  legitimateRetransmissions: number;
  /** Byte-identical repeats within the duplicate window: network duplicates, not replays. */
  networkDuplicates: number;
  /** RTT samples measured from echo pairs (the kind that measures the real RTT). */
  measuredRttSamples: number;
  /** Lag-switch-like flushes discarded because other sessions stalled at the same time (a path outage). */
  sharedOutagesDiscarded: number;
  /** Repeated datagrams sent before the server answered the session (connection-request retries): never replays. */
  handshakeRetries: number;
  /** Sessions whose traffic (nearly) never verified or decoded: key or definition problems, players not judged. */
  inputProblemSessions: number;
}

/** Report of the anticheat analysis (the CLI's `--json` shape). */
export interface AnticheatReport {
  analysis: "anticheat";
  findings: AnticheatFinding[];
  audit: AuditFinding[];
  players: PlayerVerdict[];
  summary: AnticheatSummary;
}
