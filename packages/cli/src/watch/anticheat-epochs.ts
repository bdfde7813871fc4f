import { AnticheatAnalyzer, type AnticheatFinding, type AnticheatOptions, type AnticheatReport } from "@tickscope/anticheat";
import type { DecodeAnomaly, GameMessage, PacketObservation, Session } from "@tickscope/core";

/** Tuning of {@link AnticheatEpochs}. */
export interface AnticheatEpochOptions {
  /** Capture time one anticheat analyzer covers, ms; a new one starts every half epoch. */
  epochMs: number;
  /** Options of `@tickscope/anticheat` (the batch `anticheat` settings; same defaults). */
  anticheat?: Partial<AnticheatOptions>;
}

/** One finding of a flagged (cheating or suspicious) player, as the watch reports it. */
export interface EpochFinding {
  /** The finding, as batch `anticheat` words it (evidence, confidence, summary). */
  finding: AnticheatFinding;
  /** The player's verdict in the epoch. */
  verdict: "cheating" | "suspicious";
  /** The player's combined score in the epoch. */
  score: number;
  /** Capture time the epoch closed (when the watch knew), µs. */
  detectedAtUs: number;
}

interface Epoch {
  analyzer: AnticheatAnalyzer;
  startUs: number;
  endUs: number;
  /** Sessions announced to this epoch's analyzer (bounded by the sessions active in it). */
  announced: Set<string>;
}

/**
 * Batch `anticheat`'s own detectors (speedhack, lag switch, fake latency,
 * selective delay, tampering, replay, rewind abuse, movement, input flooding,
 * bot timing — {@link AnticheatAnalyzer}, same options and thresholds) run
 * live: over overlapping epochs of capture time. An analyzer covers
 * `epochMs` and a new one starts every `epochMs / 2`, so two run at once and
 * every event shorter than half an epoch lies whole inside one of them; when
 * an epoch ends its `finish()` gives the findings of the players it judged
 * cheating or suspicious (the batch verdict rules, including the shared-outage
 * check across sessions). Memory: two analyzers' per-session state (fixed
 * per session in `@tickscope/anticheat`) for the sessions active in the last
 * epoch; each analyzer is dropped when its epoch ends. Alerts come at most one
 * epoch after the event; an event longer than half an epoch (a lag switch
 * held for 20 s) is judged in parts.
 */
export class AnticheatEpochs {
  private readonly epochUs: number;
  private readonly epochs: Epoch[] = [];
  private nextStartUs = Number.NaN;
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly onFindings: (findings: EpochFinding[]) => void,
    private readonly options: AnticheatEpochOptions,
  ) {
    this.epochUs = options.epochMs * 1000;
  }

  /** Analyzers running now (at most two). */
  get runningAnalyzers(): number {
    return this.epochs.length;
  }

  /** Sessions announced to the running analyzers (each analyzer's per-session state). */
  get trackedSessions(): number {
    let count = 0;
    for (const epoch of this.epochs) count += epoch.announced.size;
    return count;
  }

  /** A new session: announced to each analyzer when it first sees the session (player label). */
  onSession(session: Session): void {
    this.sessions.set(session.id, session);
  }

  /** Forgets a session's label (the watch evicted it). */
  forget(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  onPacket(packet: PacketObservation): void {
    for (const epoch of this.advance(packet.tUs, packet.sessionId)) epoch.analyzer.onPacket(packet);
  }

  onMessage(message: GameMessage): void {
    for (const epoch of this.advance(message.tUs, message.sessionId)) epoch.analyzer.onMessage(message);
  }

  onAnomaly(anomaly: DecodeAnomaly): void {
    for (const epoch of this.advance(anomaly.tUs, anomaly.sessionId)) epoch.analyzer.onAnomaly(anomaly);
  }

  /** End of input: closes the running epochs (their findings are reported). */
  finish(lastUs: number): void {
    for (const epoch of this.epochs.splice(0)) this.close(epoch, lastUs);
  }

  /** Closes epochs that ended by `tUs`, opens the next when due, and returns the running ones (session announced). */
  private advance(tUs: number, sessionId: string): Epoch[] {
    if (Number.isNaN(this.nextStartUs)) this.nextStartUs = tUs;
    while (this.epochs.length > 0 && tUs >= this.epochs[0]!.endUs) this.close(this.epochs.shift()!, tUs);
    while (tUs >= this.nextStartUs) {
      // After a pause longer than an epoch, start at the current time instead of replaying empty epochs.
      const startUs = tUs - this.nextStartUs >= this.epochUs ? tUs : this.nextStartUs;
      this.epochs.push({
        analyzer: new AnticheatAnalyzer(this.options.anticheat ?? {}),
        startUs,
        endUs: startUs + this.epochUs,
        announced: new Set(),
      });
      this.nextStartUs = startUs + this.epochUs / 2;
    }
    for (const epoch of this.epochs) {
      if (epoch.announced.has(sessionId)) continue;
      epoch.announced.add(sessionId);
      const session = this.sessions.get(sessionId);
      if (session !== undefined) epoch.analyzer.onSession(session);
    }
    return this.epochs;
  }

  private close(epoch: Epoch, detectedAtUs: number): void {
    const report: AnticheatReport = epoch.analyzer.finish();
    const flagged = new Map(report.players.flatMap((player) => (player.verdict === "cheating" || player.verdict === "suspicious" ? [[player.session, player] as const] : [])));
    const findings: EpochFinding[] = [];
    for (const finding of report.findings) {
      const player = finding.session === undefined ? undefined : flagged.get(finding.session);
      if (player === undefined || !player.kinds.includes(finding.kind)) continue;
      findings.push({ finding, verdict: player.verdict as "cheating" | "suspicious", score: player.score, detectedAtUs });
    }
    if (findings.length > 0) this.onFindings(findings);
  }
}
