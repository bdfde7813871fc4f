import {
  type DecodeAnomaly,
  ErrorCode,
  type GameMessage,
  type MergePlacement,
  type MergeableAnalyzer,
  type PacketObservation,
  type Session,
  type Severity,
  TickscopeError,
} from "@tickscope/core";
import { ANTICHEAT_STATE_VERSION, anticheatOptionsDigest, checkAnticheatState, type AnticheatAnalyzerState, type AnticheatSessionState } from "./anticheat-state.js";
import type { AnticheatFinding, AnticheatReport, PlayerVerdict } from "./anticheat-report.js";
import { MITIGATIONS } from "./cheat-kind.js";
import { ClientDatagram } from "./client-datagram.js";
import { combineConfidence, type DetectorEvent, type SessionDetector } from "./detector.js";
import { BotTimingDetector } from "./detectors/bot-timing-detector.js";
import { FakeLatencyDetector } from "./detectors/fake-latency-detector.js";
import { InputFloodingDetector } from "./detectors/input-flooding-detector.js";
import { lagSwitchFinding, LagSwitchDetector, type LagSwitchEvent } from "./detectors/lag-switch-detector.js";
import { MovementDetector } from "./detectors/movement-detector.js";
import { ReplayDetector } from "./detectors/replay-detector.js";
import { protocolRewindClock, RewindDetector } from "./detectors/rewind-detector.js";
import { SelectiveDelayDetector } from "./detectors/selective-delay-detector.js";
import { SpeedhackDetector } from "./detectors/speedhack-detector.js";
import { TamperingDetector } from "./detectors/tampering-detector.js";
import { implausibleRoles, INPUT_PROBLEM_HINTS } from "./input-problem.js";
import { resolveAnticheatOptions, type AnticheatOptions } from "./options.js";
import { auditProtocol } from "./protocol-audit.js";
import { SessionTimeline } from "./session-timeline.js";

interface SessionState {
  timeline: SessionTimeline;
  label: string | undefined;
  detectors: SessionDetector[];
  speedhack: SpeedhackDetector;
  lagSwitch: LagSwitchDetector;
  fakeLatency: FakeLatencyDetector;
  selectiveDelay: SelectiveDelayDetector;
  datagram: ClientDatagram;
  tampering: TamperingDetector;
  replay: ReplayDetector;
  rewind: RewindDetector;
  movement: MovementDetector;
  flooding: InputFloodingDetector;
  botTiming: BotTimingDetector;
  serverMessages: number;
}

/** How far before the client's last datagram saved server sequences reach, µs. */
const RECENT_SERVER_SEQUENCES_US = 1_000_000;

function severityOf(confidence: number): Severity {
  return confidence >= 0.9 ? "high" : confidence >= 0.7 ? "medium" : "low";
}

/**
 * Streaming anticheat analysis: a {@link MessageAnalyzer} running every
 * detector (speedhack, lag switch, fake latency, tampering, replay, rewind
 * abuse, movement, input flooding, bot timing) per session with fixed memory
 * per session, plus the static protocol audit when `options.protocol` is
 * given. Works from `GameMessage.roles` only, so any protocol with a
 * definition (or any message stream a team builds itself) can be analyzed.
 */
export class AnticheatAnalyzer implements MergeableAnalyzer<AnticheatReport, AnticheatAnalyzerState> {
  /** Analysis name. */
  readonly name = "anticheat";
  /** Version of {@link AnticheatAnalyzerState}'s shape. */
  readonly stateVersion = ANTICHEAT_STATE_VERSION;
  /** The resolved options (defaults applied). */
  readonly options: AnticheatOptions;
  private readonly sessions = new Map<string, SessionState>();
  /** Decode anomalies by code (the report lists counts only). */
  private readonly anomalies = new Map<string, number>();
  private packets = 0;
  private lastSessionId = "";
  private lastSession: SessionState | undefined;

  private readonly actionTypes: ReadonlySet<string> | undefined;

  constructor(options: Partial<AnticheatOptions> = {}) {
    this.options = resolveAnticheatOptions(options);
    this.actionTypes = this.options.actionTypes === undefined ? undefined : new Set(this.options.actionTypes);
  }

  private state(sessionId: string): SessionState {
    if (sessionId === this.lastSessionId && this.lastSession !== undefined) return this.lastSession;
    let state = this.sessions.get(sessionId);
    if (state === undefined) {
      state = this.createSessionState(sessionId);
      this.sessions.set(sessionId, state);
    }
    this.lastSessionId = sessionId;
    this.lastSession = state;
    return state;
  }

  /** A fresh session state: timeline and every detector, wired together. */
  private createSessionState(sessionId: string): SessionState {
    const options = this.options;
    const timeline = new SessionTimeline(sessionId, options);
    const speedhack = new SpeedhackDetector(options);
    speedhack.attach(timeline);
    const lagSwitch = new LagSwitchDetector(options, sessionId);
    const fakeLatency = new FakeLatencyDetector(options);
    const selectiveDelay = new SelectiveDelayDetector(options);
    const tampering = new TamperingDetector(options);
    const replay = new ReplayDetector(options);
    const rewind = new RewindDetector(options);
    const movement = new MovementDetector(options);
    const flooding = new InputFloodingDetector(options);
    const botTiming = new BotTimingDetector(options);
    return {
      timeline,
      label: undefined,
      speedhack,
      lagSwitch,
      fakeLatency,
      selectiveDelay,
      datagram: new ClientDatagram(this.actionTypes),
      tampering,
      replay,
      rewind,
      movement,
      flooding,
      botTiming,
      serverMessages: 0,
      detectors: [speedhack, lagSwitch, fakeLatency, selectiveDelay, tampering, replay, rewind, movement, flooding, botTiming],
    };
  }

  /** Registers a session (its player label names the player in findings). */
  onSession(session: Session): void {
    const state = this.state(session.id);
    if (session.player !== undefined) state.label = session.player;
  }

  /** Counts datagrams (detectors work from decoded messages and anomalies). */
  onPacket(packet: PacketObservation): void {
    this.packets += 1;
    const timeline = this.state(packet.sessionId).timeline;
    timeline.touch(packet.tUs);
    if (packet.direction === "serverToClient") timeline.serverPackets += 1;
  }

  /** Feeds one decoded message to every detector of its session. */
  onMessage(message: GameMessage): void {
    const state = this.state(message.sessionId);
    const timeline = state.timeline;
    timeline.touch(message.tUs);
    if (message.direction === "clientToServer") {
      const ownClaimUs = timeline.claimedUs(message);
      timeline.observeClient(message, ownClaimUs);
      // Timing per datagram: a shot riding with the newest input claims that input's time.
      const datagram = state.datagram;
      if (message.packetIndex !== datagram.packetIndex) {
        if (datagram.packetIndex >= 0) this.closeDatagram(state);
        datagram.start(message);
      }
      datagram.add(message, ownClaimUs);
      // A message that claims no time itself (a shot next to an input) takes its datagram's claim.
      const claimedUs = ownClaimUs ?? (datagram.claimedUs === datagram.claimedUs ? datagram.claimedUs : undefined);
      // Direct calls (monomorphic call sites) on the hot path.
      state.speedhack.onClientMessage(message);
      state.lagSwitch.onClientMessage(message, claimedUs, timeline);
      state.fakeLatency.onClientMessage(message, claimedUs, timeline);
      state.tampering.onClientMessage(message);
      state.replay.onClientMessage(message, claimedUs, timeline);
      // Detectors that read a role only: not called (their state not touched) for a message without it.
      const roles = message.roles;
      if (claimedUs !== undefined || roles.position !== undefined) state.movement.onClientMessage(message, claimedUs);
      if (roles.inputSequence !== undefined || roles.inputCount !== undefined) state.flooding.onClientMessage(message, claimedUs);
      const actionTypes = this.actionTypes;
      if (actionTypes === undefined ? roles.targetTimeUs !== undefined : actionTypes.has(message.type)) state.botTiming.onClientMessage(message, claimedUs);
    } else {
      state.serverMessages += 1;
      timeline.observeServer(message);
      const placed = message.roles.position;
      if (placed !== undefined) state.movement.onServerPlacement(message.tUs, placed.x, placed.y, placed.z);
      const entities = message.roles.entities;
      if (entities !== undefined) state.movement.onServerEntities(message, entities);
    }
  }

  private closeDatagram(state: SessionState): void {
    const datagram = state.datagram;
    state.selectiveDelay.onClientDatagram(datagram, state.timeline);
    if (datagram.targetCount > 0) state.rewind.onClientDatagram(datagram, state.timeline);
  }

  /** Counts a decode anomaly; it feeds the tampering detector (and its key/definition check). */
  onAnomaly(anomaly: DecodeAnomaly): void {
    this.anomalies.set(anomaly.code, (this.anomalies.get(anomaly.code) ?? 0) + 1);
    const tampering = this.state(anomaly.sessionId).tampering;
    if (anomaly.direction === "clientToServer") tampering.onClientAnomaly(anomaly);
    else tampering.onServerAnomaly(anomaly);
  }

  /**
   * Saves the analysis state as JSON-safe plain data (see
   * {@link AnticheatAnalyzerState}); ends feeding like {@link finish}. The
   * analyzer itself is unchanged, so `finish()` may still be called on it.
   */
  saveState(): AnticheatAnalyzerState {
    const sessions: AnticheatSessionState[] = [];
    for (const sessionId of [...this.sessions.keys()].sort()) {
      const state = this.sessions.get(sessionId)!;
      sessions.push({
        id: sessionId,
        label: state.label ?? null,
        serverMessages: state.serverMessages,
        // Recent server sequences: from 1 s before the client's last datagram (acks after a rotation cut).
        timeline: state.timeline.saveState(state.lagSwitch.lastDatagramUs - RECENT_SERVER_SEQUENCES_US),
        datagram: state.datagram.saveState(),
        speedhack: state.speedhack.saveState(),
        lagSwitch: state.lagSwitch.saveState(state.timeline),
        fakeLatency: state.fakeLatency.saveState(),
        selectiveDelay: state.selectiveDelay.saveState(),
        tampering: state.tampering.saveState(),
        replay: state.replay.saveState(),
        rewind: state.rewind.saveState(),
        movement: state.movement.saveState(),
        flooding: state.flooding.saveState(),
        botTiming: state.botTiming.saveState(),
      });
    }
    return {
      analysis: "anticheat",
      stateVersion: ANTICHEAT_STATE_VERSION,
      optionsDigest: anticheatOptionsDigest(this.options),
      packets: this.packets,
      anomalies: [...this.anomalies].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      sessions,
    };
  }

  /**
   * Folds another pass's saved state in (passes in capture order). Sessions
   * new to this analyzer are restored as saved; a session this analyzer
   * already holds (a rotation cut it) continues — see
   * {@link AnticheatAnalyzerState} for what is exact across a cut. Throws
   * `E_BAD_PARTIAL` for a state this analyzer did not save (shape, version,
   * bounds) and `E_PARTIAL_MISMATCH` for one saved with other options, in
   * both cases before anything changes.
   */
  mergeState(state: AnticheatAnalyzerState, placement: MergePlacement): void {
    const offset = placement?.packetIndexOffset;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new TickscopeError(ErrorCode.badPartial, `anticheat state: packetIndexOffset must be a non-negative integer, got ${String(offset)}`);
    }
    checkAnticheatState(state, this.options, offset);
    // Restore every session detached first: nothing below can fail half way.
    const restored = state.sessions.map((saved) => {
      const session = this.createSessionState(saved.id);
      this.loadSession(session, saved, offset);
      return { id: saved.id, session };
    });
    this.packets += state.packets;
    for (const [code, count] of state.anomalies) this.anomalies.set(code, (this.anomalies.get(code) ?? 0) + count);
    for (const { id, session } of restored) {
      const existing = this.sessions.get(id);
      if (existing === undefined) this.sessions.set(id, session);
      else this.continueSession(existing, session);
    }
    this.lastSessionId = "";
    this.lastSession = undefined;
  }

  private loadSession(session: SessionState, saved: AnticheatSessionState, offset: number): void {
    session.label = saved.label ?? undefined;
    session.serverMessages = saved.serverMessages;
    session.timeline.loadState(saved.timeline);
    session.datagram.loadState(saved.datagram, offset);
    session.speedhack.loadState(saved.speedhack, offset);
    session.lagSwitch.loadState(saved.lagSwitch, offset);
    session.fakeLatency.loadState(saved.fakeLatency, offset);
    session.selectiveDelay.loadState(saved.selectiveDelay, offset);
    session.tampering.loadState(saved.tampering, offset);
    session.replay.loadState(saved.replay, offset);
    session.rewind.loadState(saved.rewind, offset);
    session.movement.loadState(saved.movement, offset);
    session.flooding.loadState(saved.flooding, offset);
    session.botTiming.loadState(saved.botTiming, offset);
  }

  /** A session cut by a rotation: `earlier` (this analyzer's) continues with `later` (the next pass's). */
  private continueSession(earlier: SessionState, later: SessionState): void {
    const established = earlier.timeline.serverDatagrams > 0 || earlier.timeline.serverPackets > 0;
    // The datagram open at the cut ends (the next one is in the later pass), judged on the earlier timeline.
    if (earlier.datagram.packetIndex >= 0) this.closeDatagram(earlier);
    earlier.lagSwitch.continueWith(later.lagSwitch, earlier.timeline);
    // Closes the envelope window open at the cut (a speedhack evaluation may run) before the later points follow.
    earlier.timeline.continueWith(later.timeline);
    earlier.speedhack.continueWith(later.speedhack);
    earlier.fakeLatency.continueWith(later.fakeLatency);
    earlier.selectiveDelay.continueWith(later.selectiveDelay);
    earlier.tampering.continueWith(later.tampering);
    earlier.replay.continueWith(later.replay, established);
    earlier.rewind.continueWith(later.rewind);
    earlier.movement.continueWith(later.movement);
    earlier.flooding.continueWith(later.flooding);
    earlier.botTiming.continueWith(later.botTiming);
    earlier.datagram.loadState(later.datagram.saveState(), 0);
    earlier.serverMessages += later.serverMessages;
    earlier.label ??= later.label;
  }

  /** Runs the end-of-capture checks and returns the report (deterministic order). */
  finish(): AnticheatReport {
    const options = this.options;
    const sessionIds = [...this.sessions.keys()].sort();
    const lagEvents: LagSwitchEvent[] = [];
    const perSession = new Map<string, DetectorEvent[]>();
    let clientMessages = 0;
    let serverMessages = 0;
    let retransmissions = 0;
    let handshakeRetries = 0;
    let inputProblemSessions = 0;
    let duplicates = 0;
    let rttSamples = 0;
    for (const sessionId of sessionIds) {
      const state = this.sessions.get(sessionId)!;
      state.timeline.flush();
      if (state.datagram.packetIndex >= 0) this.closeDatagram(state);
    }
    // One protocol puts shot targets in one clock: every session is judged in the clock most sessions' targets are nearest to.
    const rewindClock = protocolRewindClock(sessionIds.map((sessionId) => this.sessions.get(sessionId)!.rewind.nearestClock));
    for (const sessionId of sessionIds) {
      const state = this.sessions.get(sessionId)!;
      state.rewind.useClock(rewindClock);
      const events: DetectorEvent[] = [];
      for (const detector of state.detectors) detector.finish(state.timeline, events);
      perSession.set(sessionId, events);
      lagEvents.push(...state.lagSwitch.events);
      clientMessages += state.timeline.clientMessages;
      retransmissions += state.replay.retransmissions;
      handshakeRetries += state.replay.handshakeRetries;
      duplicates += state.replay.duplicates;
      rttSamples += state.timeline.rttSerial;
      serverMessages += state.serverMessages;
    }
    const shared = sharedOutages(lagEvents, options.lagSwitchSharedOutageSessions);
    const findings: AnticheatFinding[] = [];
    const players: PlayerVerdict[] = [];
    for (const sessionId of sessionIds) {
      const state = this.sessions.get(sessionId)!;
      const events = perSession.get(sessionId)!;
      const kept = state.lagSwitch.events.filter((event) => !shared.has(event));
      const lag = lagSwitchFinding(kept, kept.length === 0 ? 0 : state.lagSwitch.droppedEvents, options.lagSwitchMinEvents);
      if (lag !== undefined) events.push(lag);
      const player = state.label ?? state.timeline.player;
      const problem = state.tampering.inputProblem() ?? implausibleRoles(events, state.replay.sequencedDatagrams, options);
      if (problem !== undefined) {
        // The session's traffic cannot be read: report the input, judge nobody.
        inputProblemSessions += 1;
        findings.push({
          id: "",
          analysis: "anticheat",
          kind: problem.kind,
          severity: "high",
          startUs: problem.startUs,
          endUs: problem.endUs,
          session: sessionId,
          player,
          summary: problem.summary,
          evidence: { values: { ...problem.values, detectorFindingsWithheld: events.length }, packetIndices: problem.packetIndices },
          mitigation: INPUT_PROBLEM_HINTS[problem.kind],
        });
        players.push({ player, session: sessionId, verdict: "unreadable", score: 0, kinds: [problem.kind] });
        continue;
      }
      if (events.length === 0 && state.timeline.clientMessages === 0) {
        // Every detector reads decoded client messages: with none, nothing was judged.
        players.push({ player, session: sessionId, verdict: "notTested", score: 0, kinds: [] });
        continue;
      }
      events.sort((a, b) => a.startUs - b.startUs || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
      for (const event of events) {
        findings.push({
          id: "",
          analysis: "anticheat",
          kind: event.kind,
          severity: severityOf(event.confidence),
          startUs: event.startUs,
          endUs: event.endUs,
          session: sessionId,
          player,
          confidence: event.confidence,
          summary: event.summary,
          evidence: { values: event.values, packetIndices: event.packetIndices },
          mitigation: MITIGATIONS[event.kind],
        });
      }
      const score = combineConfidence(events.map((event) => event.confidence));
      players.push({
        player,
        session: sessionId,
        verdict: score >= options.cheatingScore ? "cheating" : score >= options.suspiciousScore ? "suspicious" : "clean",
        score,
        kinds: [...new Set(events.map((event) => event.kind))].sort(),
      });
    }
    findings.forEach((finding, index) => {
      finding.id = `anticheat.${finding.kind}.${index + 1}`;
    });
    return {
      analysis: "anticheat",
      findings,
      audit: options.protocol === undefined ? [] : auditProtocol(options.protocol),
      players,
      summary: {
        sessions: sessionIds.length,
        clientMessages,
        serverMessages,
        packets: this.packets,
        anomalies: Object.fromEntries([...this.anomalies].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
        legitimateRetransmissions: retransmissions,
        networkDuplicates: duplicates,
        measuredRttSamples: rttSamples,
        sharedOutagesDiscarded: shared.size,
        handshakeRetries,
        inputProblemSessions,
      },
    };
  }
}

/**
 * Lag-switch events whose silence began within `startToleranceUs` of silences in
 * at least `minOtherSessions` other sessions: the path (ISP, server uplink)
 * stalled for all of them at once, not one client's switch. Independent
 * cheaters' switches start at unrelated times, so they do not hide each other.
 */
export function sharedOutages(events: readonly LagSwitchEvent[], minOtherSessions: number, startToleranceUs = 300_000): Set<LagSwitchEvent> {
  const result = new Set<LagSwitchEvent>();
  if (minOtherSessions <= 0) return result;
  const sorted = [...events].sort((a, b) => a.gapStartUs - b.gapStartUs);
  let low = 0;
  for (let index = 0; index < sorted.length; index++) {
    const event = sorted[index]!;
    while (sorted[low]!.gapStartUs < event.gapStartUs - startToleranceUs) low++;
    const others = new Set<string>();
    for (let other = low; other < sorted.length && sorted[other]!.gapStartUs <= event.gapStartUs + startToleranceUs; other++) {
      if (sorted[other]!.sessionId !== event.sessionId) others.add(sorted[other]!.sessionId);
    }
    if (others.size >= minOtherSessions) result.add(event);
  }
  return result;
}

/** Creates the anticheat analyzer (see {@link AnticheatAnalyzer}). */
export function createAnticheatAnalyzer(options: Partial<AnticheatOptions> = {}): AnticheatAnalyzer {
  return new AnticheatAnalyzer(options);
}
