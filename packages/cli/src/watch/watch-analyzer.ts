import type { AnticheatOptions } from "@tickscope/anticheat";
import {
  RttSampler,
  serialResidue,
  type DecodeAnomaly,
  type Direction,
  type GameMessage,
  type MessageAnalyzer,
  type PacketObservation,
  type RttMethod,
  type RttSample,
  type Session,
} from "@tickscope/core";
import { AnticheatEpochs, type EpochFinding } from "./anticheat-epochs.js";
import { ClockRateDetector } from "./clock-rate-detector.js";
import { LossBurstDetector } from "./loss-burst-detector.js";
import { RttSpikeDetector, type RttSpike } from "./rtt-spike-detector.js";
import { roundValue, type WatchAlert, type WatchAlertKind } from "./watch-alert.js";
import { resolveWatchDetectorOptions, type WatchDetectorOptions } from "./watch-options.js";

/** Echo requests awaiting their reply, per session (core's echo matcher drops the oldest beyond). */
const PENDING_ECHOES = 64;
/** Sequence spaces (channels) tracked per session. */
const MAX_LOSS_STREAMS = 32;
/** Buckets of the decode-anomaly window. */
const ANOMALY_BUCKETS = 10;
/** Two latency alerts of one session closer than this are one event (several RTT streams saw it). */
const LATENCY_ALERT_MERGE_US = 1_000_000;
/** How often idle sessions are swept, capture time µs. */
const SWEEP_INTERVAL_US = 1_000_000;

const METHOD_INDEX: Readonly<Record<RttMethod, number>> = { echo: 0, reported: 1, ack: 2 };

function directionIndex(direction: Direction): number {
  return direction === "clientToServer" ? 0 : 1;
}

/** Per-direction state of one session. */
class DirectionState {
  lastClockPacketIndex = -1;
  clock: ClockRateDetector | undefined;
}

/** Rolling state of one session: fixed-size arrays and a bounded map of sequence spaces. */
class SessionState {
  readonly directions = [new DirectionState(), new DirectionState()] as const;
  readonly loss = new Map<string, LossBurstDetector>();
  /** Spike detectors of core's echo and ack RTT series, by method index × 2 + direction index (created at the first sample). */
  readonly rttSpikes: (RttSpikeDetector | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  readonly anomalyBucketIds = new Float64Array(ANOMALY_BUCKETS).fill(-1);
  readonly anomalyCounts = new Int32Array(ANOMALY_BUCKETS);
  readonly anomalyCodes = new Map<string, number>();
  lastLatencyAlertUs = Number.NEGATIVE_INFINITY;
  lastClockAlertUs = Number.NEGATIVE_INFINITY;
  lastAnomalyAlertUs = Number.NEGATIVE_INFINITY;
  /** End (µs) of the last alerted anticheat finding, by kind (at most one entry per cheat kind). */
  readonly cheatAlertEndUs = new Map<string, number>();

  constructor(
    readonly id: string,
    public lastSeenUs: number,
  ) {}
}

/** Counters of a watch run (the `finish()` report). */
export interface WatchSummary {
  /** Datagrams seen. */
  packets: number;
  /** Messages decoded. */
  messages: number;
  /** Decode anomalies seen. */
  decodeAnomalies: number;
  /** Alerts emitted, by kind. */
  alerts: Record<WatchAlertKind, number>;
  /** Sessions forgotten after being idle (or to stay under `maxSessions`). */
  sessionsEvicted: number;
  /** Most sessions tracked at once. */
  peakSessions: number;
  /** First and last capture time seen (µs; 0 when nothing was seen). */
  firstUs: number;
  lastUs: number;
}

/** Sizes of the watcher's state; constant for a steady set of sessions, whatever the stream length. */
export interface WatchStateSize {
  /** Sessions tracked. */
  sessions: number;
  /** Sequence spaces tracked for loss. */
  lossStreams: number;
  /** RTT baselines (one per RTT method and direction with samples). */
  rttDetectors: number;
  /** Sessions holding state in core's RTT sampler (sent sequences, echo requests). */
  rttSamplerSessions: number;
  /** Clock-rate trackers. */
  clockDetectors: number;
  /** Echo requests awaiting a reply. */
  pendingEchoes: number;
  /** Batch anticheat analyzers running (two overlapping epochs; 0 when off). */
  anticheatAnalyzers: number;
  /** Sessions those analyzers hold state for (summed over the analyzers). */
  anticheatSessions: number;
  /** Distinct decode-anomaly codes remembered. */
  anomalyCodes: number;
}

/**
 * The live analysis of `tickscope watch`: small rolling detectors per session
 * (latency spike from RTT vs a median+MAD baseline, loss bursts from
 * sequence gaps, fast cheat suspicion from the send-clock rate and decode
 * anomalies) that call `onAlert` as soon as the packet confirming an event is
 * seen, plus batch `anticheat`'s own detectors over overlapping epochs of
 * capture time ({@link AnticheatEpochs}: the lag switch, fake latency and
 * every other cheat batch finds, alerted when an epoch ends). The
 * RTT samples are core's (`RttSampler`: RFC 9002 acks on the channel the
 * definition names, echo pairs, reported values), the same samples the latency
 * and regions analyses take. Memory is bounded: fixed-size arrays per session,
 * idle sessions are forgotten after `sessionIdleMs` (here and in the sampler),
 * at most `maxSessions` are kept.
 */
export class WatchAnalyzer implements MessageAnalyzer<WatchSummary> {
  readonly name = "watch";
  readonly options: WatchDetectorOptions;
  private readonly sessions = new Map<string, SessionState>();
  /** Core's RTT sampling; its samples arrive (synchronously) in {@link onRttSample}. */
  private readonly sampler: RttSampler;
  /** Batch anticheat's detectors over epochs (undefined when `anticheatEpochMs` is 0). */
  private readonly anticheat: AnticheatEpochs | undefined;
  /** The session and capture time of the message being fed to the sampler. */
  private currentSession: SessionState | undefined;
  private currentUs = 0;
  private lastSweepUs = Number.NEGATIVE_INFINITY;
  private readonly summary: WatchSummary = {
    packets: 0,
    messages: 0,
    decodeAnomalies: 0,
    alerts: { latencySpike: 0, lossBurst: 0, cheatSuspicion: 0 },
    sessionsEvicted: 0,
    peakSessions: 0,
    firstUs: 0,
    lastUs: 0,
  };

  constructor(
    private readonly onAlert: (alert: WatchAlert) => void,
    options: Partial<WatchDetectorOptions> = {},
    anticheatOptions: Partial<AnticheatOptions> = {},
  ) {
    this.options = resolveWatchDetectorOptions(options);
    this.sampler = new RttSampler((sample) => this.onRttSample(sample), { echo: { maxPendingPerSession: PENDING_ECHOES } });
    this.anticheat =
      this.options.anticheatEpochMs > 0
        ? new AnticheatEpochs((findings) => this.onAnticheatFindings(findings), { epochMs: this.options.anticheatEpochMs, anticheat: anticheatOptions })
        : undefined;
  }

  /** Sizes of the state held right now. */
  stateSize(): WatchStateSize {
    const size: WatchStateSize = {
      sessions: this.sessions.size,
      lossStreams: 0,
      rttDetectors: 0,
      rttSamplerSessions: this.sampler.sessionCount,
      clockDetectors: 0,
      pendingEchoes: this.sampler.echo.pendingCount,
      anomalyCodes: 0,
      anticheatAnalyzers: this.anticheat?.runningAnalyzers ?? 0,
      anticheatSessions: this.anticheat?.trackedSessions ?? 0,
    };
    for (const session of this.sessions.values()) {
      size.lossStreams += session.loss.size;
      size.anomalyCodes += session.anomalyCodes.size;
      for (const detector of session.rttSpikes) if (detector !== undefined) size.rttDetectors += 1;
      for (const direction of session.directions) if (direction.clock !== undefined) size.clockDetectors += 1;
    }
    return size;
  }

  /** A new session (its player label goes to the anticheat detectors). */
  onSession(session: Session): void {
    this.anticheat?.onSession(session);
  }

  /** Counts the datagram and keeps its session alive. */
  onPacket(packet: PacketObservation): void {
    this.summary.packets += 1;
    this.session(packet.sessionId, packet.tUs);
    this.anticheat?.onPacket(packet);
  }

  /** Feeds the message's roles to the session's detectors. */
  onMessage(message: GameMessage): void {
    this.summary.messages += 1;
    const session = this.session(message.sessionId, message.tUs);
    this.anticheat?.onMessage(message);
    const roles = message.roles;
    const index = directionIndex(message.direction);
    const state = session.directions[index];
    const tUs = message.tUs;
    if (roles.sequence !== undefined) {
      // Loss works in a space of at most 52 bits: exact residues of the wire values (a u64
      // sequence near 2^63 is a bigint, never a rounded float), compared by serial arithmetic.
      const bits = Math.min(roles.sequenceBits ?? 32, 52);
      this.observeSequence(session, message, serialResidue(roles.sequence, bits), bits);
    }
    if (roles.sequence !== undefined || roles.ack !== undefined || roles.echoKey !== undefined) {
      // Core's sampler calls onRttSample synchronously for each sample this message completes.
      this.currentSession = session;
      this.currentUs = tUs;
      this.sampler.onMessage(message);
      this.currentSession = undefined;
    }
    if (roles.sendTimeUs !== undefined && state.lastClockPacketIndex !== message.packetIndex) {
      state.lastClockPacketIndex = message.packetIndex;
      state.clock ??= new ClockRateDetector(this.options);
      const suspicion = state.clock.add(roles.sendTimeUs, tUs);
      if (suspicion !== undefined && tUs - session.lastClockAlertUs >= this.options.cheatCooldownMs * 1000) {
        session.lastClockAlertUs = tUs;
        const rate = roundValue(suspicion.clockRate);
        this.emit({
          alert: "cheatSuspicion",
          session: session.id,
          tUs: suspicion.startUs,
          detectedAtUs: tUs,
          values: { reason: "clockRate", direction: message.direction, clockRate: rate, spanMs: roundValue(suspicion.spanMs) },
          summary: `send clock runs ${rate}x capture time over ${roundValue(suspicion.spanMs / 1000)} s (${message.direction}): speedhack?`,
        });
      }
    }
  }

  /** Counts the anomaly in the session's window; raises a suspicion when they pile up. */
  onAnomaly(anomaly: DecodeAnomaly): void {
    this.summary.decodeAnomalies += 1;
    const session = this.session(anomaly.sessionId, anomaly.tUs);
    this.anticheat?.onAnomaly(anomaly);
    const bucketUs = (this.options.windowMs * 1000) / ANOMALY_BUCKETS;
    const bucketId = Math.floor(anomaly.tUs / bucketUs);
    const slot = bucketId % ANOMALY_BUCKETS;
    if (session.anomalyBucketIds[slot] !== bucketId) {
      session.anomalyBucketIds[slot] = bucketId;
      session.anomalyCounts[slot] = 0;
    }
    session.anomalyCounts[slot] += 1;
    if (session.anomalyCodes.has(anomaly.code) || session.anomalyCodes.size < 16) {
      session.anomalyCodes.set(anomaly.code, (session.anomalyCodes.get(anomaly.code) ?? 0) + 1);
    }
    let count = 0;
    for (let other = 0; other < ANOMALY_BUCKETS; other += 1) {
      if (session.anomalyBucketIds[other]! > bucketId - ANOMALY_BUCKETS) count += session.anomalyCounts[other]!;
    }
    if (count < this.options.minDecodeAnomalies || anomaly.tUs - session.lastAnomalyAlertUs < this.options.cheatCooldownMs * 1000) return;
    session.lastAnomalyAlertUs = anomaly.tUs;
    const codes = [...session.anomalyCodes].sort((left, right) => right[1] - left[1] || (left[0] < right[0] ? -1 : 1));
    session.anomalyCodes.clear();
    this.emit({
      alert: "cheatSuspicion",
      session: session.id,
      tUs: anomaly.tUs,
      detectedAtUs: anomaly.tUs,
      values: { reason: "decodeAnomalies", direction: anomaly.direction, anomalies: count, windowMs: this.options.windowMs, topCode: codes[0]![0] },
      summary: `${count} decode anomalies within ${roundValue(this.options.windowMs / 1000)} s (mostly ${codes[0]![0]}): tampered or forged packets?`,
    });
  }

  /** Closes the running anticheat epochs (their alerts come now) and returns the counters. */
  finish(): WatchSummary {
    this.anticheat?.finish(this.summary.lastUs);
    return { ...this.summary, alerts: { ...this.summary.alerts } };
  }

  private emit(alert: WatchAlert): void {
    this.summary.alerts[alert.alert] += 1;
    this.onAlert(alert);
  }

  private session(id: string, tUs: number): SessionState {
    if (this.summary.firstUs === 0) this.summary.firstUs = tUs;
    if (tUs > this.summary.lastUs) this.summary.lastUs = tUs;
    if (tUs - this.lastSweepUs >= SWEEP_INTERVAL_US) this.sweep(tUs);
    let session = this.sessions.get(id);
    if (session === undefined) {
      if (this.sessions.size >= this.options.maxSessions) this.evictLeastRecent();
      session = new SessionState(id, tUs);
      this.sessions.set(id, session);
      if (this.sessions.size > this.summary.peakSessions) this.summary.peakSessions = this.sessions.size;
    } else if (tUs > session.lastSeenUs) {
      session.lastSeenUs = tUs;
    }
    return session;
  }

  private sweep(tUs: number): void {
    this.lastSweepUs = tUs;
    const idleUs = this.options.sessionIdleMs * 1000;
    for (const [id, session] of this.sessions) {
      if (tUs - session.lastSeenUs > idleUs) {
        this.sessions.delete(id);
        this.anticheat?.forget(id);
        this.summary.sessionsEvicted += 1;
      }
    }
    // The sampler saw a session's messages no later than its packets: it forgets at least these.
    this.sampler.evictIdle(tUs, idleUs);
  }

  private evictLeastRecent(): void {
    let oldest: SessionState | undefined;
    for (const session of this.sessions.values()) if (oldest === undefined || session.lastSeenUs < oldest.lastSeenUs) oldest = session;
    this.sessions.delete(oldest!.id);
    this.sampler.forget(oldest!.id);
    this.anticheat?.forget(oldest!.id);
    this.summary.sessionsEvicted += 1;
  }

  /**
   * One core RTT sample of the message being fed: its method and direction's
   * spike detector judges it. Reported RTTs are not judged: games smooth them
   * (and start them at 0), so — as in core's time-series rule — they are never
   * followed for spikes.
   */
  private onRttSample(sample: RttSample): void {
    const session = this.currentSession;
    if (session === undefined || sample.sessionId !== session.id || sample.method === "reported") return;
    const slot = METHOD_INDEX[sample.method] * 2 + directionIndex(sample.direction);
    let detector = session.rttSpikes[slot];
    if (detector === undefined) {
      detector = new RttSpikeDetector(this.options);
      session.rttSpikes[slot] = detector;
    }
    const spike = detector.add(sample.rttMs, sample.tUs);
    if (spike !== undefined) this.latencyAlert(session, spike, sample.direction, sample.method, this.currentUs);
  }

  private observeSequence(session: SessionState, message: GameMessage, sequence: number, bits: number): void {
    const channel = message.roles.channel;
    const key = channel === undefined ? message.direction : `${message.direction}\u0000${channel}`;
    let detector = session.loss.get(key);
    if (detector === undefined) {
      if (session.loss.size >= MAX_LOSS_STREAMS) return;
      detector = new LossBurstDetector(this.options);
      session.loss.set(key, detector);
    }
    const burst = detector.add(sequence, bits, message.tUs, message.packetIndex);
    if (burst === undefined) return;
    const channelText = channel === undefined ? "" : `, channel ${channel}`;
    const values: Record<string, number | string> = {
      direction: message.direction,
      lostPackets: burst.lostPackets,
      receivedPackets: burst.receivedPackets,
      lossRatio: roundValue(burst.lossRatio),
      windowMs: this.options.burstWindowMs,
    };
    if (channel !== undefined) values.channel = channel;
    this.emit({
      alert: "lossBurst",
      session: session.id,
      tUs: burst.startUs,
      detectedAtUs: message.tUs,
      values,
      summary: `${burst.lostPackets} of ${burst.lostPackets + burst.receivedPackets} packets lost within ${this.options.burstWindowMs} ms (${message.direction}${channelText})`,
    });
  }

  /**
   * Findings of players an anticheat epoch judged cheating or suspicious: one
   * `cheatSuspicion` alert per session and kind and event — the same event
   * seen by both overlapping epochs, or one continuing within
   * `cheatCooldownMs` of the last alerted, is not repeated; a speedhack or
   * tampering the fast clock-rate or decode-anomaly check already raised
   * within the cooldown is not raised again.
   */
  private onAnticheatFindings(findings: readonly EpochFinding[]): void {
    const cooldownUs = this.options.cheatCooldownMs * 1000;
    for (const { finding, verdict, score, detectedAtUs } of findings) {
      const session = this.sessions.get(finding.session!);
      if (session !== undefined) {
        const lastEndUs = session.cheatAlertEndUs.get(finding.kind);
        if (lastEndUs !== undefined && finding.startUs <= lastEndUs + cooldownUs) {
          if (finding.endUs > lastEndUs) session.cheatAlertEndUs.set(finding.kind, finding.endUs);
          continue;
        }
        session.cheatAlertEndUs.set(finding.kind, finding.endUs);
        if (finding.kind === "speedhack" && detectedAtUs - session.lastClockAlertUs < cooldownUs) continue;
        if (finding.kind === "tampering" && detectedAtUs - session.lastAnomalyAlertUs < cooldownUs) continue;
      }
      const values: Record<string, number | string> = { reason: finding.kind, verdict, score, confidence: finding.confidence ?? score };
      for (const [name, value] of Object.entries(finding.evidence.values)) values[name] = typeof value === "boolean" ? String(value) : value;
      this.emit({
        alert: "cheatSuspicion",
        session: finding.session!,
        tUs: finding.startUs,
        detectedAtUs,
        values,
        summary: `${finding.kind} (${verdict}, score ${roundValue(score)}): ${finding.summary}`,
        frameNumbers: finding.evidence.packetIndices.map((index) => index + 1),
      });
    }
  }

  private latencyAlert(session: SessionState, spike: RttSpike, direction: Direction, method: RttMethod, tUs: number): void {
    if (tUs - session.lastLatencyAlertUs < LATENCY_ALERT_MERGE_US) return;
    session.lastLatencyAlertUs = tUs;
    const rttMs = roundValue(spike.rttMs);
    const baselineMs = roundValue(spike.baselineMs);
    this.emit({
      alert: "latencySpike",
      session: session.id,
      tUs: spike.startUs,
      detectedAtUs: tUs,
      values: { direction, method, rttMs, baselineMs, madMs: roundValue(spike.madMs), thresholdMs: roundValue(spike.thresholdMs) },
      summary: `RTT ${rttMs} ms vs baseline ${baselineMs} ms (${method}, sent ${direction})`,
    });
  }
}
