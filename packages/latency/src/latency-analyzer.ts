import {
  AnomalyCounter,
  badState,
  checkState,
  continueAckCarry,
  continueEchoCarry,
  type AckSessionCarry,
  type EchoSessionCarry,
  decodeNumber,
  encodeNumber,
  ErrorCode,
  TickscopeError,
  type MergeableAnalyzer,
  type MergePlacement,
  LogEventAttribution,
  channelKey,
  formatEndpoint,
  formatTimeUs,
  QuantileSketch,
  type QuantileSketchCheckpoint,
  RttSampler,
  rttPercentiles,
  RTT_DISAGREEMENT_FACTOR,
  SerialUnwrapper,
  sendTimeChannel,
  SessionRtt,
  SessionRttSignals,
  SmoothedRtt,
  SpikeDetector,
  spikeCounts,
  type SpikeDetectorState,
  type AckRttSamplerOptions,
  type DetectedSpike,
  type InterarrivalJitter,
  type RttSeriesSignals,
  type RttSpike,
  type SendTimeStream,
  type SpikeDetectorOptions,
  type Direction,
  type EchoRttMatcherOptions,
  type RttDisagreement,
  type RttSample,
  type RttSeries,
  type SerialNumber,
  type Finding,
  type GameMessage,
  type LogEvent,
  type MessageAnalyzer,
  type PacketObservation,
  type Session,
  type Severity,
} from "@tickscope/core";
import { CauseTimeline, compareCauses, round3, type CauseTimelineOptions, type SpikeCause, type SpikeCauseKind } from "./cause-timeline.js";
import type {
  LatencyMinuteReport,
  LatencyPercentiles,
  LatencyReport,
  LatencySeriesReport,
  LatencySessionReport,
  LatencySpikeReport,
  LatencyStreamReport,
} from "./latency-report.js";
import { LATENCY_STATE_VERSION, latencyAnalyzerStateSchema, type LatencyAnalyzerState, type LatencySeriesState, type LatencySessionState, type LatencySpikeState } from "./latency-analyzer-state.js";
import { LogEventTimeline } from "./log-event-timeline.js";
import { RttTimeline } from "./rtt-timeline.js";
import { LATENCY_METHODS, type LatencyMethod } from "./rtt-sample.js";
import { poissonUpperTailLog10, surpriseToScore } from "./significance.js";

/** Options of {@link LatencyAnalyzer}. */
export interface LatencyAnalyzerOptions {
  /** Spike detection (margin, MAD multiplier, window...). */
  spike?: SpikeDetectorOptions;
  /** Cause history (bin width, lookback...). */
  causes?: CauseTimelineOptions;
  /** Ack-based RTT options (core's RFC 9002 sampler). */
  ack?: AckRttSamplerOptions;
  /** Echo-based RTT options. */
  echo?: EchoRttMatcherOptions;
  /** Spikes of other sessions within this many ms count as the same event. Default 250. */
  sharedWindowMs?: number;
  /** Causes scoring below this are not listed. Default 0.4 (p = 0.01). */
  minimumCauseScore?: number;
  /** Spikes kept per series (more are counted as `E_SPIKES_DROPPED`). Default 1,000. */
  maxSpikesPerSeries?: number;
  /** Minute rows kept per series. Default 1,440 (a day). */
  maxMinutesPerSeries?: number;
  /** Points of each session's RTT timeline (max/min per bucket; buckets widen to stay under it). Default 600. */
  timelinePoints?: number;
  /** Sessions tracked (more are counted as `E_SESSIONS_DROPPED`). Default 100,000. */
  maxSessions?: number;
  /** Log event value names read as a reported RTT in ms. Default core's `DEFAULT_REPORTED_RTT_LOG_KEYS` (`rttMs`, `rtt`, `pingMs`, `ping`, `latencyMs`). */
  reportedRttLogKeys?: readonly string[];
}

/** Suggested fix per cause kind. */
export const SUGGESTED_FIXES: Readonly<Record<SpikeCauseKind | "unexplained", string>> = {
  lossBurst: "adaptive packet size and redundancy for the lossy link; more interpolation delay to ride out bursts",
  queueBuildup: "adaptive packet size / send-rate control to keep bytes in flight below the bottleneck queue (bufferbloat)",
  snapshotBurst: "smaller snapshots: spread full snapshots over several ticks and delta-compress them",
  tickStall: "fix the server stall (tick loop blocked)",
  serverLogEvent: "fix the server stall reported by the server log",
  retransmissionStorm: "adaptive packet size and fewer reliable resends (back off retransmission)",
  sharedPath: "escalate the route: many sessions spiked together (server uplink or shared network path)",
  routeChange: "escalate the route: the baseline latency moved (route change)",
  unexplained: "more interpolation delay (jitter buffer); no server or traffic cause found, likely the player's last mile",
};

const CAUSE_LABELS: Readonly<Record<SpikeCauseKind, string>> = {
  lossBurst: "a loss burst",
  queueBuildup: "queue build-up (traffic rising before the spike)",
  snapshotBurst: "a packet-size surge",
  tickStall: "a server tick stall",
  serverLogEvent: "a server log event",
  retransmissionStorm: "a retransmission storm",
  sharedPath: "a shared-path event",
  routeChange: "a route change",
};

/** A spike of a series (core's, with the direct series contradicting it) and its ranked causes. */
interface SpikeRecord extends RttSpike {
  causes: SpikeCause[];
}

interface MinuteState {
  minute: number;
  /** The minute's samples (while the minute is open, an empty placeholder: built from the series sketch when it closes). */
  sketch: QuantileSketch;
}

class SeriesState {
  /** The session-long sketch: the core {@link RttSeries} regions reads too. */
  readonly sketch: QuantileSketch;
  readonly smoothed = new SmoothedRtt();
  readonly spikes: SpikeRecord[] = [];
  readonly minutes: LatencyMinuteReport[] = [];
  readonly timeline: RttTimeline;
  current: MinuteState | undefined;
  /** `current.minute` while `current` is set (read per sample without touching the minute's object). */
  currentMinute = 0;
  /**
   * The open minute: the session-long sketch's checkpoint at its first sample
   * and the exact sum, min and max of its samples. Its sketch is the series
   * sketch's values added since, built when it closes (each sample goes into
   * one sketch, not two).
   */
  minuteCheckpoint: QuantileSketchCheckpoint | undefined;
  minuteSumMs = 0;
  minuteMinMs = Infinity;
  minuteMaxMs = -Infinity;
  /** The pass's first minute and the minute closed last, as sketches (a rotation cut rebuilds the minute it split). */
  firstMinute: MinuteState | undefined;
  lastMinute: MinuteState | undefined;
  /** The pass's first sample (a later pass continues the smoothed RTT and time above thresholds from it). */
  firstSample: { tUs: number; rttMs: number } | undefined;
  /** The pass's first {@link HEAD_SAMPLES} samples as flat `[tUs, rttMs, packetIndex, …]` (replayed onto an earlier pass at a rotation cut). */
  readonly head: number[] = [];
  /** `head` holds its {@link HEAD_SAMPLES} (it only grows): the per-sample path stops reading it. */
  headFull = false;
  /** The spike detector as the pass ended, before its open spike was closed (a later pass's head continues it). */
  detectorAtEnd: SpikeDetectorState | undefined;
  /** Whether the last spike was still open when the pass ended (closed there by `finish`/`saveState`). */
  openAtEnd = false;
  readonly aboveUs = [0, 0, 0];
  previousUs = Number.NaN;
  readonly method: LatencyMethod;
  readonly direction: Direction;
  /** Whether the series is an ack series (its samples' channels are counted). */
  readonly isAck: boolean;

  constructor(
    /** Core's spike detector, RTT-series jitter and recent samples of this series (the regions analysis uses the same). */
    readonly signals: RttSeriesSignals,
    timelinePoints: number,
  ) {
    this.sketch = signals.series.sketch;
    this.method = signals.method;
    this.direction = signals.direction;
    this.isAck = signals.method === "ack";
    this.timeline = new RttTimeline(timelinePoints);
  }

  /** Jitter of the RTT series itself (the session's fallback when no stream carries `sendTime`; PDV is never reported for it). */
  get jitter(): InterarrivalJitter {
    return this.signals.jitter;
  }

  /** Start time of the first sample, µs. */
  get firstUs(): number {
    return this.signals.firstUs;
  }

  /** Start time of the latest sample, µs. */
  get lastUs(): number {
    return this.signals.lastUs;
  }
}

interface ReceiveStream {
  readonly channel: string;
  readonly unwrapper: SerialUnwrapper;
  lastPacketIndex: number;
  lastSequence: SerialNumber;
}

interface SessionState {
  readonly id: string;
  /** The session's RTT series (core): the same computation regions uses. */
  readonly rtt: SessionRtt;
  /** Spikes, jitter and send-time streams of the session (core): the same computation regions uses. */
  readonly signals: SessionRttSignals;
  client: string;
  server: string;
  player: string | undefined;
  /** Whether the player id in the client's own messages was already given to the log attribution. */
  playerLearnedFromMessages: boolean;
  readonly timeline: CauseTimeline;
  lastPacketIndex: number;
  usesPacketHook: boolean;
  lastServerUs: number;
  lastServerSendUs: number;
  pendingGapMs: number;
  pendingGapUs: number;
  /** Receive streams by direction (0 = client→server), then channel. */
  readonly receiveStreams: [ReceiveStream[], ReceiveStream[]];
  readonly series: Map<string, SeriesState>;
  /** Series by method index × 2 + direction index, for the hot path. */
  readonly seriesSlots: (SeriesState | undefined)[];
  /** The spike detector of each series in `seriesSlots` (core's {@link SessionRttSignals.detectSpikes}, without touching the series). */
  readonly detectors: (SpikeDetector | undefined)[];
  /**
   * What waits to be added ({@link PENDING_NUMBERS} numbers at most;
   * allocated with the first entry, grown by doubling), in arrival order, each
   * entry as long as it needs: RTT samples `[slot + 8 · (channel index + 1) ≥ 0,
   * tUs, rttMs, packetIndex]`, datagrams `[DATAGRAM_FROM_…, tUs, wire bytes]`,
   * message bytes `[TIMELINE_MESSAGE_BYTES − type index, tUs, bytes]`,
   * sequences `[SEQUENCE − (4 · channel index + 2 · resent + from server), tUs,
   * sequence, packetIndex]` (their bits in `SEQUENCE_BITS` entries),
   * server send times and sender times ({@link SEND_TIME}). Added in one pass
   * ({@link LatencyAnalyzer.addPending}), in arrival order — the series', cause
   * timeline's, server gap's and receive streams' state is touched once per
   * batch, not per datagram — with the samples' spike detection while no
   * server-log event was seen (see `detectEagerly`): a spike closing there
   * finds the session as it was when its sample arrived.
   */
  pending: Float64Array | undefined;
  /** Numbers of `pending` in use. */
  pendingLength: number;
  /** Whether the pending entries are being added (a spike closing meanwhile must not add the later ones). */
  adding: boolean;
  /** The sequence bits (NaN: none given) of the latest pending sequence, and of the latest added. */
  sequenceBits: number;
  addedSequenceBits: number;
  /**
   * The receive stream (2 × channel index + 1 for a server datagram; −1 none),
   * datagram and sequence of the latest pending sequence, and the send-time
   * stream and datagram of the latest pending sender time: the same again (a
   * header repeated on each message of a datagram) is not recorded, as its
   * stream would skip it.
   */
  lastSequenceStream: number;
  lastSequencePacket: number;
  lastSequenceValue: number;
  lastSendTimeStream: number;
  lastSendTimePacket: number;
  /** Channels of the session's ack samples (pending samples name them by index), and the last one named. */
  readonly channels: string[];
  lastChannelIndex: number;
  /** Send-time channels of the session's pending sender times (named by index). */
  readonly sendTimeChannels: string[];
  /** The send-time modulus (NaN: none) and sequence bits of the latest pending sender time, and of the latest added. */
  sendTimeModulusUs: number;
  sendTimeBits: number;
  addedModulusUs: number;
  addedBits: number;
  /** Message types of the session's pending byte records (named by index), and the last one named. */
  readonly types: string[];
  lastTypeIndex: number;
  /** A restored session's open exchanges at the ends of its passes (a fed session's are in the samplers). */
  carry: { ack: AckSessionCarry | undefined; echo: EchoSessionCarry | undefined } | undefined;
}

const THRESHOLDS_MS = [50, 100, 150];
/** RTT values kept from the start of each series for a rotation cut (the smoothed RTT's start difference decays as 0.875^n). */
const HEAD_SAMPLES = 128;
/** Numbers a session's pending entries may take before they are added in one batch ({@link SessionState.pending}; 32 KB: a larger batch adds more of a session's entries while its series, sketches and detectors are in the caches — 1,024 / 2,048 / 4,096 / 8,192 measured on the 223 MB capture). */
const PENDING_NUMBERS = 4096;
/** Numbers of a session's pending array when first allocated (1 KB; doubled up to {@link PENDING_NUMBERS}). */
const INITIAL_PENDING_NUMBERS = 128;
/** Numbers of a pending RTT sample. */
const SAMPLE_ENTRY = 4;
/** Codes of pending cause-timeline records: a datagram, lost packets, a resend, a server gap, a message's bytes. */
const DATAGRAM_FROM_CLIENT = -1;
const DATAGRAM_FROM_SERVER = -2;
/** A server datagram's send time: `[SERVER_SEND_TIME, send µs]`. */
const SERVER_SEND_TIME = -3;
/** The sequence bits from here on: `[SEQUENCE_BITS, bits or NaN]`. */
const SEQUENCE_BITS = -4;
/** A sequence: this code minus (4 × channel index + 2 × resent + 1 for a server datagram). */
const SEQUENCE = -1024;
/** Sequence channels a session names by index in its pending entries (more are handled at once, after what waits). */
const MAX_SEQUENCE_CHANNELS = 64;
/** A message's bytes: this code minus the index of its type. */
const TIMELINE_MESSAGE_BYTES = -16;
/** The session's send-time modulus and sequence bits from here on: `[SEND_TIME_SETTINGS, modulus µs or NaN, bits]`. */
const SEND_TIME_SETTINGS = -5;
/** A sender time: this code minus (2 × channel index + 1 for a server datagram), `[code, tUs, send µs, sequence or NaN, packetIndex]`. */
const SEND_TIME = -256;
/** Send-time channels a session names by index in its pending entries (more go to their stream at once, after what waits). */
const MAX_SEND_TIME_CHANNELS = 64;
/** Message types a session names by index in its pending records (more are recorded at once). */
const MAX_PENDING_TYPES = 64;
const METHOD_INDEX: Readonly<Record<LatencyMethod, number>> = { echo: 0, reported: 1, ack: 2, oneWay: 3 };
const MINUTE_US = 60_000_000;

/**
 * The latency analysis: ack-, echo- and reported RTT per session and
 * direction, RFC 3550 jitter per stream, percentiles per session and per
 * minute, spikes over a robust baseline and their candidate causes ranked by
 * statistical surprise. Streaming; memory bounded per session.
 */
export class LatencyAnalyzer implements MergeableAnalyzer<LatencyReport, LatencyAnalyzerState> {
  readonly name = "latency";
  /** Version of the saved state's shape ({@link LatencyAnalyzerState}). */
  readonly stateVersion = LATENCY_STATE_VERSION;
  /** Counters of merged states (method details and anomalies of the samplers and log attribution), added at finish. */
  private readonly mergedCounters = { ackRetransmissions: 0, acksBeforeFirstSend: 0, acksWithoutSendStream: 0, unmatchedEchoReplies: 0, invalidReported: 0, unmeasuredReported: 0, unattributedLogEvents: 0 };
  /** Anomaly counts of merged states, added at finish. */
  private readonly mergedAnomalies = new Map<string, number>();
  /** Whether feeding ended (saveState or finish closed every spike and minute). */
  private ended = false;
  /** Whether finish() ran (it adds cross-session causes to the spikes: no state may be saved or merged after it). */
  private finished = false;
  private readonly options: LatencyAnalyzerOptions;
  private readonly sessions = new Map<string, SessionState>();
  /** Core's one rule for which session a server-log event belongs to (regions uses it too). */
  private readonly logAttribution = new LogEventAttribution();
  private readonly sampler: RttSampler;
  private readonly logTimeline: LogEventTimeline;
  private readonly anomalies = new AnomalyCounter();
  private lastUs = Number.NaN;
  /** Spikes of a time series dropped because the headline method contradicted them. */
  private contradictedSpikes = 0;
  /**
   * Whether a sample's spike detection runs as it arrives: from the first
   * server-log event on (a closing spike's log causes depend on the log
   * timeline at that moment); before, it runs with the session's batch, in
   * arrival order (a spike's traffic causes are all per session).
   */
  private detectEagerly = false;
  /** The session looked up last (messages of one datagram, and its samples, hit it again). */
  private lastSessionId: string | undefined;
  private lastSession: SessionState | undefined;

  constructor(options: LatencyAnalyzerOptions = {}) {
    this.options = options;
    this.sampler = new RttSampler((sample) => this.addSample(sample), { ack: options.ack, echo: options.echo, reportedRttLogKeys: options.reportedRttLogKeys });
    this.logTimeline = new LogEventTimeline(
      options.causes?.binMs,
      options.causes?.historyBins,
      options.causes?.lookbackMs,
      options.causes?.lookaheadMs,
    );
  }

  /** Registers a session's endpoints and player. */
  onSession(session: Session): void {
    const state = this.session(session.id);
    if (state === undefined) return;
    state.client = formatEndpoint(session.client);
    state.server = formatEndpoint(session.server);
    if (session.player !== undefined) {
      state.player = session.player;
      this.releaseHeldLogEvents(session.player, session.id);
    }
  }

  /** Counts a datagram (traffic, gaps) for cause search. */
  onPacket(packet: PacketObservation): void {
    const state = this.session(packet.sessionId);
    if (state === undefined) return;
    state.usesPacketHook = true;
    this.datagramSeen(state, packet.direction, packet.tUs, packet.wireLength);
  }

  /** Feeds one decoded message. */
  onMessage(message: GameMessage): void {
    const state = this.session(message.sessionId);
    if (state === undefined) return;
    const roles = message.roles;
    const newDatagram = message.packetIndex !== state.lastPacketIndex;
    if (newDatagram) {
      state.lastPacketIndex = message.packetIndex;
      if (!state.usesPacketHook) this.datagramSeen(state, message.direction, message.tUs, message.packetWireLength);
    }
    this.recordMessageBytes(state, message.tUs, message.type, message.byteLength);
    // Only the client's own messages name its player (server messages carry other players' ids), as regions reads them.
    if (!state.playerLearnedFromMessages && roles.playerId !== undefined && message.direction === "clientToServer") {
      state.playerLearnedFromMessages = true;
      this.releaseHeldLogEvents(String(roles.playerId), state.id);
    }
    if (roles.sequence !== undefined) this.recordSequence(state, message, roles.sequence as SerialNumber);
    if (roles.sequence !== undefined || roles.ack !== undefined || roles.echoKey !== undefined || roles.reportedRttMs !== undefined) this.sampler.onMessage(message);
    if (roles.sendTimeUs !== undefined) {
      this.receiveSendTime(state, message, roles.sendTimeUs);
      if (newDatagram && message.direction === "serverToClient") {
        const at = this.reserve(state, 2);
        state.pending![at] = SERVER_SEND_TIME;
        state.pending![at + 1] = roles.sendTimeUs;
      }
    }
  }

  /** Counts a decode anomaly (not used for latency, but kept for the report). */
  onAnomaly(): void {
    this.anomalies.add("E_DECODE_ANOMALY_SEEN", 0);
  }

  /** Server-log events: reported RTT values become samples, every type becomes a candidate cause. */
  onLogEvent(event: LogEvent): void {
    if (!this.detectEagerly) {
      // Spikes closing in the waiting samples are scored before this event joins the log timeline; later ones as they close.
      for (const state of this.sessions.values()) this.addPending(state);
      this.detectEagerly = true;
    }
    this.clock(event.tUs);
    this.logTimeline.add(event.tUs, event.type);
    // Core's attribution (the rule regions uses for the same log): the event's session, else its player's session,
    // held until a session names the player; a capture-wide event is a cause candidate only, no session's sample.
    const placement = this.logAttribution.attribute(event);
    if (placement.kind === "session") this.sampler.onLogEvent(event, placement.sessionId);
  }

  /** Files the reported RTTs of the log events held for `player` under `sessionId`, in arrival order. */
  private releaseHeldLogEvents(player: string, sessionId: string): void {
    for (const held of this.logAttribution.learnPlayer(player, sessionId)) this.sampler.onLogEvent(held, sessionId);
  }

  /** Ends the analysis: closes open spikes, scores shared-path causes, builds the report. */
  finish(): LatencyReport {
    // Spikes are followed on each session's time series (the headline, or a denser method agreeing with it).
    this.endFeeding();
    this.finished = true;
    const primaries = new Map<string, SeriesState>();
    const choices = new Map<string, { headline: SeriesState; disagreements: RttDisagreement[] }>();
    // Sessions in id order: the cross-session sums (shared-path rates) do not depend on arrival or merge order.
    for (const id of [...this.sessions.keys()].sort()) {
      const state = this.sessions.get(id)!;
      const choice = state.rtt.choose();
      if (choice === undefined) continue;
      const primary = seriesStateOf(state, choice.timeSeries);
      const headline = seriesStateOf(state, choice.headline);
      if (primary !== headline) {
        // A spike of the denser method that the direct measure, sampled during it, contradicts is not a spike (core's rule).
        const kept = primary.spikes.filter((spike) => spikeCounts(spike, choice));
        if (kept.length < primary.spikes.length) this.anomalies.add("E_SPIKE_CONTRADICTED", 0);
        this.contradictedSpikes += primary.spikes.length - kept.length;
        primary.spikes.length = 0;
        primary.spikes.push(...kept);
      }
      primaries.set(state.id, primary);
      choices.set(state.id, { headline, disagreements: choice.disagreements });
    }
    const minimumScore = this.options.minimumCauseScore ?? 0.4;
    this.scoreSharedPath(primaries, minimumScore);
    const sessions: LatencySessionReport[] = [];
    const findings: Finding[] = [];
    for (const id of [...primaries.keys()].sort()) {
      const state = this.sessions.get(id)!;
      const primary = primaries.get(id)!;
      const choice = choices.get(id)!;
      sessions.push(this.sessionReport(state, choice.headline, primary, choice.disagreements, minimumScore, findings));
    }
    const streams: LatencyStreamReport[] = [];
    for (const id of [...this.sessions.keys()].sort()) {
      const state = this.sessions.get(id)!;
      for (const stream of state.signals.orderedSendTimeStreams()) {
        const jitter = stream.jitter;
        streams.push({
          session: id,
          direction: stream.direction,
          ssrcOrChannel: stream.channel,
          packets: jitter.packets,
          jitterMs: { mean: round3(jitter.meanJitterUs / 1000), max: round3(jitter.maxJitterUs / 1000), last: round3(jitter.jitterUs / 1000) },
          perPacketJitterP95Ms: round3(jitter.perPacketMs.count === 0 ? 0 : jitter.perPacketMs.quantile(0.95)),
          pdvMs: {
            p50: round3(jitter.pdvQuantileMs(0.5)),
            p95: round3(jitter.pdvQuantileMs(0.95)),
            p99: round3(jitter.pdvQuantileMs(0.99)),
            max: round3(jitter.pdvQuantileMs(1)),
          },
          restarts: jitter.restartCount,
          timestampResets: jitter.restarts.map((restart, index) => ({
            tUs: restart.tUs,
            reason: restart.reason,
            sequence: restart.sequence,
            sendJumpMs: round3(restart.sendJumpMs),
            arrivalGapMs: round3(restart.arrivalGapMs),
            packetIndex: stream.restartPacketIndices[index],
          })),
        });
        if (jitter.restartCount > 0) findings.push(jitterRestartFinding(state, stream, findings.length));
      }
    }
    const anomalies = this.anomalies.toCounts();
    for (const [code, count] of this.mergedAnomalies) anomalies[code] = (anomalies[code] ?? 0) + count;
    if (anomalies.E_SPIKE_CONTRADICTED !== undefined) anomalies.E_SPIKE_CONTRADICTED = this.contradictedSpikes;
    const counters = this.counters();
    // Resends and acks before the first send on their channel are normal protocol behaviour at a capture's
    // edges: method details, not anomalies of the input. An ack of a channel never sent on is one.
    if (counters.acksWithoutSendStream > 0) anomalies.E_RTT_ACK_CHANNEL_UNKNOWN = counters.acksWithoutSendStream;
    if (counters.unmatchedEchoReplies > 0) anomalies.E_ECHO_UNMATCHED = counters.unmatchedEchoReplies;
    if (counters.unattributedLogEvents > 0) anomalies.E_LOG_PLAYER_UNKNOWN = counters.unattributedLogEvents;
    if (counters.invalidReported > 0) anomalies.E_RTT_INVALID = (anomalies.E_RTT_INVALID ?? 0) + counters.invalidReported;
    const methodDetails = { ackRetransmissionsSkipped: counters.ackRetransmissions, acksBeforeFirstSend: counters.acksBeforeFirstSend, reportedRttNotYetMeasured: counters.unmeasuredReported };
    return { sessions, streams, findings, anomalies: sortKeys(anomalies), methodDetails };
  }

  /**
   * Ends feeding and returns the analysis' state as JSON-safe plain data
   * ({@link LatencyAnalyzerState}): open spikes are closed and scored, as
   * `finish()` closes them, so `finish()` afterwards (or of a fresh analyzer
   * with the same options that merged this state) gives the same report.
   */
  saveState(): LatencyAnalyzerState {
    this.refuseAfterFinish("saveState");
    this.endFeeding();
    const sessions: LatencySessionState[] = [];
    for (const id of [...this.sessions.keys()].sort()) sessions.push(saveSession(this.sessions.get(id)!, this.carryOf(this.sessions.get(id)!)));
    const anomalies = new Map<string, number>(Object.entries(this.anomalies.toCounts()));
    for (const [code, count] of this.mergedAnomalies) anomalies.set(code, (anomalies.get(code) ?? 0) + count);
    return {
      analysis: "latency",
      version: LATENCY_STATE_VERSION,
      settings: this.settings(),
      sessions,
      counters: this.counters(),
      anomalies: [...anomalies].sort((left, right) => (left[0] < right[0] ? -1 : 1)),
    };
  }

  /**
   * Folds a saved state into this analyzer (states in capture order; create
   * the analyzer with the same options). Sessions new here are restored as
   * saved, with `placement.packetIndexOffset` added to every packet index; a
   * session already here (a rotation cut it) continues as
   * {@link LatencyAnalyzerState} describes. The whole state is checked and
   * every session rebuilt before anything changes: a state this version did not
   * save throws `E_BAD_PARTIAL`, one saved with other options `E_PARTIAL_MISMATCH`,
   * and this analyzer is unchanged. Ends feeding.
   */
  mergeState(state: LatencyAnalyzerState, placement: MergePlacement): void {
    this.refuseAfterFinish("mergeState");
    const offset = placement.packetIndexOffset;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new TickscopeError(ErrorCode.badPartial, `packetIndexOffset must be a non-negative integer, got ${offset}`);
    if (typeof state === "object" && state !== null && (state as { version?: unknown }).version !== LATENCY_STATE_VERSION && (state as { analysis?: unknown }).analysis === "latency") {
      throw new TickscopeError(ErrorCode.badPartial, `latency state version ${String((state as { version?: unknown }).version)} is not this version's (${LATENCY_STATE_VERSION})`, { fieldPath: "/version" });
    }
    const checked = checkState(latencyAnalyzerStateSchema, state, "latency state");
    if (checked.settings !== this.settings()) {
      throw new TickscopeError(ErrorCode.partialMismatch, "latency state was saved with other latency options: merge only states of analyses run with the same options", { fieldPath: "/settings" });
    }
    this.endFeeding();
    const ids = new Set<string>();
    const replacements: SessionState[] = [];
    const counterDeltas = { acksBeforeFirstSend: 0, acksWithoutSendStream: 0, unmatchedEchoReplies: 0 };
    checked.sessions.forEach((saved, index) => {
      if (ids.has(saved.id)) badState("latency state", `/sessions/${index}/id`, `session ${saved.id} appears twice`);
      ids.add(saved.id);
      const existing = this.sessions.get(saved.id);
      // Rebuild into new objects (checking everything); an existing session is merged into a copy of itself.
      const restored =
        existing === undefined
          ? this.restoreSession(saved, offset, `/sessions/${index}`)
          : this.continueSession(this.restoreSession(saveSession(existing, this.carryOf(existing)), 0, `/sessions/${index}`), saved, offset, `/sessions/${index}`, counterDeltas);
      replacements.push(restored);
    });
    // Commit: nothing below throws.
    for (const restored of replacements) {
      if (!this.sessions.has(restored.id) && this.sessions.size >= (this.options.maxSessions ?? 100_000)) {
        this.anomalies.add("E_SESSIONS_DROPPED", 0);
        continue;
      }
      this.sessions.set(restored.id, restored);
    }
    this.lastSessionId = undefined;
    this.lastSession = undefined;
    for (const key of Object.keys(this.mergedCounters) as (keyof typeof this.mergedCounters)[]) this.mergedCounters[key] += checked.counters[key];
    // Acks and pongs the later pass could not pair, paired across the cut: one pass never counted them.
    for (const key of Object.keys(counterDeltas) as (keyof typeof counterDeltas)[]) this.mergedCounters[key] -= counterDeltas[key];
    for (const [code, count] of checked.anomalies) this.mergedAnomalies.set(code, (this.mergedAnomalies.get(code) ?? 0) + count);
  }

  /** A session's open exchanges: from the samplers for a session fed here, else as restored. */
  private carryOf(state: SessionState): { ack: AckSessionCarry | undefined; echo: EchoSessionCarry | undefined } {
    if (state.carry !== undefined) return state.carry;
    return { ack: this.sampler.ack.saveCarry(state.id), echo: this.sampler.echo.saveCarry(state.id) };
  }

  /** Throws `E_BAD_PARTIAL` once `finish()` ran: the report's cross-session causes were added to the spikes. */
  private refuseAfterFinish(what: string): void {
    if (this.finished) throw new TickscopeError(ErrorCode.badPartial, `latency: ${what}() after finish(): save or merge states before finishing`);
  }

  /** The options that shape the report, as canonical JSON (states merge only with equal settings). */
  private settings(): string {
    const options = this.options;
    return canonicalJson({
      spike: options.spike ?? null,
      causes: options.causes ?? null,
      ack: options.ack ?? null,
      echo: options.echo ?? null,
      sharedWindowMs: options.sharedWindowMs ?? 250,
      minimumCauseScore: options.minimumCauseScore ?? 0.4,
      maxSpikesPerSeries: options.maxSpikesPerSeries ?? 1000,
      maxMinutesPerSeries: options.maxMinutesPerSeries ?? 1440,
      timelinePoints: options.timelinePoints ?? 600,
      maxSessions: options.maxSessions ?? 100_000,
      reportedRttLogKeys: options.reportedRttLogKeys ?? null,
    });
  }

  /** Sampler and log-attribution counters of this pass plus every merged state's. */
  private counters(): LatencyAnalyzerState["counters"] {
    const { ack, echo } = this.sampler;
    const merged = this.mergedCounters;
    return {
      ackRetransmissions: ack.retransmissions + merged.ackRetransmissions,
      acksBeforeFirstSend: ack.acksBeforeFirstSend + merged.acksBeforeFirstSend,
      acksWithoutSendStream: ack.acksWithoutSendStream + merged.acksWithoutSendStream,
      unmatchedEchoReplies: echo.unmatchedReplies + merged.unmatchedEchoReplies,
      invalidReported: this.sampler.invalidReported + merged.invalidReported,
      unmeasuredReported: this.sampler.unmeasuredReported + merged.unmeasuredReported,
      unattributedLogEvents: this.logAttribution.unattributedEvents + merged.unattributedLogEvents,
    };
  }

  /** Closes every open spike (scoring it) and minute, once: what `finish()` and `saveState()` both start with. */
  private endFeeding(): void {
    for (const state of this.sessions.values()) this.addPending(state);
    if (this.ended) return;
    this.ended = true;
    for (const state of this.sessions.values()) {
      for (const series of state.series.values()) if (series.sketch.count > 0) series.detectorAtEnd = series.signals.detector.saveState();
      state.signals.finish();
      for (const series of state.series.values()) {
        this.closeMinute(series);
        const open = series.detectorAtEnd?.open;
        const last = series.spikes[series.spikes.length - 1];
        series.openAtEnd = open !== null && open !== undefined && last !== undefined && last.startUs === open.startUs;
      }
    }
  }

  /** A fresh session state (no samples). */
  private newSession(id: string): SessionState {
    const rtt = new SessionRtt();
    const state: SessionState = {
      id,
      client: "",
      server: "",
      player: undefined,
      playerLearnedFromMessages: false,
      timeline: new CauseTimeline(this.options.causes),
      lastPacketIndex: -1,
      usesPacketHook: false,
      lastServerUs: Number.NaN,
      lastServerSendUs: Number.NaN,
      pendingGapMs: 0,
      pendingGapUs: Number.NaN,
      receiveStreams: [[], []],
      seriesSlots: new Array<SeriesState | undefined>(LATENCY_METHODS.length * 2).fill(undefined),
      detectors: new Array<SpikeDetector | undefined>(LATENCY_METHODS.length * 2).fill(undefined),
      pending: undefined,
      pendingLength: 0,
      channels: [],
      lastChannelIndex: -1,
      sendTimeChannels: [],
      sendTimeModulusUs: Number.NaN,
      sendTimeBits: 16,
      addedModulusUs: Number.NaN,
      addedBits: 16,
      types: [],
      lastTypeIndex: -1,
      adding: false,
      sequenceBits: Number.NaN,
      addedSequenceBits: Number.NaN,
      lastSequenceStream: -1,
      lastSequencePacket: -1,
      lastSequenceValue: Number.NaN,
      lastSendTimeStream: -1,
      lastSendTimePacket: -1,
      series: new Map(),
      rtt,
      signals: new SessionRttSignals(
        rtt,
        this.options.spike,
        (signals, spike) => this.onSpike(state, signals, spike),
        () => this.addPending(state),
      ),
      carry: undefined,
    };
    return state;
  }

  /** The latency series of a method and direction, created (with its core signals) when missing. */
  private seriesOf(state: SessionState, method: RttSample["method"], direction: Direction): SeriesState {
    const slot = METHOD_INDEX[method] * 2 + (direction === "clientToServer" ? 0 : 1);
    let series = state.seriesSlots[slot];
    if (series === undefined) {
      series = new SeriesState(state.signals.seriesFor(method, direction), this.options.timelinePoints ?? 600);
      state.seriesSlots[slot] = series;
      state.detectors[slot] = series.signals.detector;
      state.series.set(`${method}\u0000${direction}`, series);
    }
    return series;
  }

  /** A session rebuilt from its saved state, packet indices moved by `offset` (throws `E_BAD_PARTIAL` on an inconsistent state). */
  private restoreSession(saved: LatencySessionState, offset: number, path: string): SessionState {
    const state = this.newSession(saved.id);
    state.client = saved.client;
    state.server = saved.server;
    state.player = saved.player ?? undefined;
    state.playerLearnedFromMessages = saved.playerLearnedFromMessages;
    state.rtt.mergeState(saved.rtt);
    state.signals.loadState(saved.signals, offset);
    state.carry = { ack: saved.carry.ack ?? undefined, echo: saved.carry.echo ?? undefined };
    const seen = new Set<string>();
    saved.series.forEach((entry, index) => {
      const key = `${entry.method}:${entry.direction}`;
      if (seen.has(key)) badState("latency state", `${path}/series/${index}`, `series ${key} appears twice`);
      seen.add(key);
      if (state.signals.get(entry.method, entry.direction) === undefined) badState("latency state", `${path}/series/${index}`, `series ${key} has no core signals`);
      const series = this.seriesOf(state, entry.method, entry.direction);
      restoreSeries(series, entry, offset, this.options.maxSpikesPerSeries ?? 1000, this.options.maxMinutesPerSeries ?? 1440, `${path}/series/${index}`, this.options.spike);
    });
    return state;
  }

  /**
   * Continues a session with a later pass's saved state of it (a rotation cut
   * it): see {@link LatencyAnalyzerState} for what is exact and what is not.
   */
  private continueSession(
    state: SessionState,
    later: LatencySessionState,
    offset: number,
    path: string,
    counterDeltas: { acksBeforeFirstSend: number; acksWithoutSendStream: number; unmatchedEchoReplies: number },
  ): SessionState {
    // Check the later pass on its own first (a fresh rebuild throws on anything inconsistent).
    const laterState = this.restoreSession(later, offset, path);
    // Exchanges spanning the cut: the earlier pass's open sends and pings, the later pass's first unpaired acks and pongs.
    const earlierCarry = state.carry;
    const laterCarry = laterState.carry!;
    /** Samples paired across the cut, per series: in one pass they arrived first after the cut (replayed before the later pass's head). */
    const bridges = new Map<SeriesState, number[]>();
    if (earlierCarry?.ack !== undefined && laterCarry.ack !== undefined) {
      const paired = continueAckCarry(state.id, earlierCarry.ack, laterCarry.ack, offset, this.options.ack?.maxRttMs);
      for (const sample of paired.samples) this.addCarriedSample(state, sample, bridges);
      counterDeltas.acksBeforeFirstSend += paired.acksBeforeFirstSend;
      counterDeltas.acksWithoutSendStream += paired.acksWithoutSendStream;
    }
    if (earlierCarry?.echo !== undefined && laterCarry.echo !== undefined) {
      const paired = continueEchoCarry(state.id, earlierCarry.echo, laterCarry.echo, offset, this.options.echo?.maxRttMs);
      for (const sample of paired.samples) this.addCarriedSample(state, sample, bridges);
      counterDeltas.unmatchedEchoReplies += paired.matchedReplies;
    }
    state.carry = {
      ack: laterCarry.ack === undefined ? earlierCarry?.ack : earlierCarry?.ack === undefined ? laterCarry.ack : { streams: laterCarry.ack.streams, acks: earlierCarry.ack.acks },
      echo: laterCarry.echo === undefined ? earlierCarry?.echo : earlierCarry?.echo === undefined ? laterCarry.echo : { requests: laterCarry.echo.requests, replies: earlierCarry.echo.replies },
    };
    state.client = later.client || state.client;
    state.server = later.server || state.server;
    state.player = later.player ?? state.player;
    state.playerLearnedFromMessages ||= later.playerLearnedFromMessages;
    state.rtt.mergeState(later.rtt);
    state.signals.mergeState(later.signals, offset);
    for (const laterSeries of laterState.series.values()) {
      const method = laterSeries.signals.method;
      const own = state.seriesSlots[METHOD_INDEX[method] * 2 + (laterSeries.direction === "clientToServer" ? 0 : 1)];
      if (own === undefined || own.firstSample === undefined) {
        const created = this.seriesOf(state, method, laterSeries.direction);
        copySeries(created, laterSeries);
        continue;
      }
      this.continueSeries(own, laterSeries, bridges.get(own) ?? []);
    }
    return state;
  }

  /**
   * Adds a sample paired across a rotation cut to the session's series
   * sketch, its minute (the earlier pass's last) and timeline, as one pass
   * would have counted it; not to the smoothed RTT, jitter or spike detector.
   */
  private addCarriedSample(state: SessionState, sample: RttSample, bridges: Map<SeriesState, number[]>): void {
    if (!Number.isFinite(sample.rttMs) || sample.rttMs < 0) return;
    const series = this.seriesOf(state, sample.method, sample.direction);
    let bridge = bridges.get(series);
    if (bridge === undefined) bridges.set(series, (bridge = []));
    bridge.push(sample.tUs, sample.rttMs, sample.packetIndex);
    state.rtt.add(sample);
    series.timeline.add(sample.tUs, sample.rttMs);
    const minute = Math.floor(sample.tUs / MINUTE_US);
    const last = series.lastMinute;
    if (last === undefined || last.minute !== minute) return;
    last.sketch.add(sample.rttMs);
    const row = series.minutes.findIndex((entry) => entry.minuteStartUs === minute * MINUTE_US);
    if (row >= 0) series.minutes[row] = { minuteStartUs: minute * MINUTE_US, ...percentiles(last.sketch) };
  }

  /**
   * The spikes of a series across a rotation cut: the later pass's first
   * samples ({@link HEAD_SAMPLES}) are fed to this pass's spike detector as it
   * ended (baseline window, run, open spike), so a spike open at the cut
   * continues and a spike within the later pass's warm-up is found; the later
   * pass's own spikes starting within those samples are replaced by the
   * replay's, and one still open after them extends the replay's open spike.
   * A replayed spike keeps the causes scored for the spike it continues (this
   * pass's open one, else the later pass's overlapping one), else has none.
   */
  private continueSpikes(own: SeriesState, later: SeriesState, bridge: readonly number[]): SpikeRecord[] {
    const state = own.detectorAtEnd;
    if (state === undefined || later.head.length === 0) return [...own.spikes, ...later.spikes];
    const options = own.method === "reported" ? { ...this.options.spike, smoothedInput: true } : this.options.spike;
    const replayed: DetectedSpike[] = [];
    const detector = new SpikeDetector((spike) => replayed.push({ ...spike, packetIndices: [...spike.packetIndices] }), options);
    detector.loadState(state);
    let headEndUs = Number.NaN;
    for (let index = 0; index < bridge.length; index += 3) detector.add(bridge[index], bridge[index + 1], bridge[index + 2]);
    for (let index = 0; index < later.head.length; index += 3) {
      detector.add(later.head[index], later.head[index + 1], later.head[index + 2]);
      headEndUs = later.head[index];
    }
    const openAtHeadEnd = detector.saveState().open !== null;
    detector.finish(headEndUs);
    const ownSpikes = own.openAtEnd ? own.spikes.slice(0, -1) : [...own.spikes];
    const continued = own.openAtEnd ? own.spikes[own.spikes.length - 1] : undefined;
    const laterWithinHead = later.spikes.filter((spike) => spike.startUs <= headEndUs);
    const spanning = openAtHeadEnd ? laterWithinHead.find((spike) => spike.endUs > headEndUs) : undefined;
    const records: SpikeRecord[] = replayed.map((spike, index) => {
      const match = continued !== undefined && spike.startUs === continued.startUs ? continued : laterWithinHead.find((other) => other.startUs <= spike.endUs && other.endUs >= spike.startUs);
      const record: SpikeRecord = { ...spike, contradictedBy: match?.contradictedBy, causes: match === undefined ? [] : match.causes.map((cause) => ({ ...cause })) };
      if (index === replayed.length - 1 && spanning !== undefined) {
        // Still open after the replayed samples: it lasts as long as the later pass saw it last.
        record.endUs = spanning.endUs;
        record.samples += spanning.samples;
        if (spanning.peakMs > record.peakMs) {
          record.peakMs = spanning.peakMs;
          record.peakUs = spanning.peakUs;
          record.packetIndices = [record.packetIndices[0], spanning.packetIndices[1]];
        }
        record.levelShift = spanning.levelShift;
        record.afterBaselineMs = spanning.levelShift ? spanning.afterBaselineMs : record.baselineMs;
      }
      return record;
    });
    return [...ownSpikes, ...records, ...later.spikes.filter((spike) => spike.startUs > headEndUs)];
  }

  /** Continues a series with the later pass's series of the same method and direction. */
  private continueSeries(own: SeriesState, later: SeriesState, bridge: readonly number[]): void {
    const first = later.firstSample!;
    // Smoothed RTT: the later pass's first samples are replayed onto this pass's smoothed RTT, and both
    // updates decay a start difference (srtt by 7/8, rttvar by 3/4 per sample), so one pass's values are
    // the later pass's plus the decayed difference after the replayed head (exact when the head is all).
    const replay = new SmoothedRtt(own.smoothed.alpha, own.smoothed.beta);
    replay.loadState(own.smoothed.saveState());
    const fresh = new SmoothedRtt(own.smoothed.alpha, own.smoothed.beta);
    for (let index = 1; index < bridge.length; index += 3) replay.add(bridge[index]);
    for (let index = 1; index < later.head.length; index += 3) {
      replay.add(later.head[index]);
      fresh.add(later.head[index]);
    }
    const remaining = later.sketch.count - later.head.length / 3;
    if (remaining <= 0 || Number.isNaN(fresh.smoothedMs)) {
      own.smoothed.smoothedMs = Number.isNaN(replay.smoothedMs) ? later.smoothed.smoothedMs : replay.smoothedMs;
      own.smoothed.variationMs = Number.isNaN(replay.variationMs) ? later.smoothed.variationMs : replay.variationMs;
    } else {
      own.smoothed.smoothedMs = later.smoothed.smoothedMs + Math.pow(1 - own.smoothed.alpha, remaining) * (replay.smoothedMs - fresh.smoothedMs);
      own.smoothed.variationMs = later.smoothed.variationMs + Math.pow(1 - own.smoothed.beta, remaining) * (replay.variationMs - fresh.variationMs);
    }
    // Time above thresholds: the samples paired across the cut, then the later pass's first, each held since the one before.
    let previousUs = own.previousUs;
    const chain = [...bridge, first.tUs, first.rttMs, 0];
    for (let sample = 0; sample < chain.length; sample += 3) {
      if (!Number.isNaN(previousUs)) {
        const heldUs = Math.min(Math.max(0, chain[sample] - previousUs), 1_000_000);
        for (let index = 0; index < THRESHOLDS_MS.length; index++) if (chain[sample + 1] > THRESHOLDS_MS[index]) own.aboveUs[index] += heldUs;
      }
      previousUs = chain[sample];
    }
    for (let index = 0; index < THRESHOLDS_MS.length; index++) own.aboveUs[index] += later.aboveUs[index];
    own.previousUs = later.previousUs;
    // Spikes: the later pass's first samples are replayed through this pass's detector as it ended.
    const maxSpikes = this.options.maxSpikesPerSeries ?? 1000;
    const spikes = this.continueSpikes(own, later, bridge);
    own.spikes.length = 0;
    for (const spike of spikes) {
      if (own.spikes.length >= maxSpikes) this.anomalies.add("E_SPIKES_DROPPED", spike.packetIndices[0]);
      else own.spikes.push(spike);
    }
    own.detectorAtEnd = later.detectorAtEnd;
    own.openAtEnd = later.openAtEnd;
    // Minutes: the minute the cut split is rebuilt from both halves.
    let laterRows = later.minutes;
    let lastMinute = later.lastMinute;
    const ownLast = own.lastMinute;
    const laterFirst = later.firstMinute;
    if (ownLast !== undefined && laterFirst !== undefined && ownLast.minute === laterFirst.minute) {
      const joined: MinuteState = { minute: ownLast.minute, sketch: QuantileSketch.fromState(ownLast.sketch.saveState()) };
      joined.sketch.mergeState(laterFirst.sketch.saveState());
      const startUs = ownLast.minute * MINUTE_US;
      const ownRow = own.minutes.length > 0 && own.minutes[own.minutes.length - 1].minuteStartUs === startUs ? own.minutes.length - 1 : -1;
      if (ownRow >= 0) own.minutes[ownRow] = { minuteStartUs: startUs, ...percentiles(joined.sketch) };
      if (laterRows.length > 0 && laterRows[0].minuteStartUs === startUs) {
        if (ownRow < 0) own.minutes.push({ minuteStartUs: startUs, ...percentiles(joined.sketch) });
        laterRows = laterRows.slice(1);
      }
      if (later.lastMinute === laterFirst) lastMinute = joined;
    }
    const maxMinutes = this.options.maxMinutesPerSeries ?? 1440;
    for (const row of laterRows) {
      if (own.minutes.length >= maxMinutes) this.anomalies.add("E_MINUTES_DROPPED", 0);
      else own.minutes.push(row);
    }
    if (lastMinute !== undefined) own.lastMinute = lastMinute;
    own.timeline.loadState(later.timeline.saveState(), "append");
  }

  private session(id: string): SessionState | undefined {
    if (id === this.lastSessionId) return this.lastSession;
    let state = this.sessions.get(id);
    if (state === undefined) {
      if (this.sessions.size >= (this.options.maxSessions ?? 100_000)) {
        this.anomalies.add("E_SESSIONS_DROPPED", 0);
        return undefined;
      }
      state = this.newSession(id);
      this.sessions.set(id, state);
    }
    this.lastSessionId = id;
    this.lastSession = state;
    return state;
  }

  private clock(tUs: number): void {
    if (Number.isNaN(this.lastUs) || tUs > this.lastUs) {
      this.lastUs = tUs;
      this.logTimeline.advance(tUs);
    }
  }

  /** A datagram of the session: the log clock moves now, its traffic and server gap go with the session's batch. */
  private datagramSeen(state: SessionState, direction: Direction, tUs: number, wireLength: number): void {
    this.clock(tUs);
    this.record(state, direction === "serverToClient" ? DATAGRAM_FROM_SERVER : DATAGRAM_FROM_CLIENT, tUs, wireLength);
  }

  /** A datagram's traffic (added in arrival order): the cause timeline, and a server datagram's gap to the one before. */
  private addDatagram(state: SessionState, fromServer: boolean, tUs: number, wireLength: number): void {
    state.timeline.addPacket(tUs, wireLength);
    if (!fromServer) return;
    this.commitGap(state);
    if (!Number.isNaN(state.lastServerUs)) {
      state.pendingGapMs = (tUs - state.lastServerUs) / 1000;
      state.pendingGapUs = tUs;
    }
    state.lastServerUs = tUs;
  }

  /** A server datagram's send time (added in arrival order): the server's own send-time gap tells a stall from a delay onset (which only widens arrival gaps). */
  private addServerSendTime(state: SessionState, sendTimeUs: number): void {
    if (!Number.isNaN(state.lastServerSendUs) && !Number.isNaN(state.pendingGapUs)) {
      if (sendTimeUs > state.lastServerSendUs) state.pendingGapMs = (sendTimeUs - state.lastServerSendUs) / 1000;
      else state.pendingGapUs = Number.NaN; // reordered: no gap information
    }
    if (Number.isNaN(state.lastServerSendUs) || sendTimeUs > state.lastServerSendUs) state.lastServerSendUs = sendTimeUs;
  }

  /** Commits the server gap measured at the last server datagram (the session's entries before now added). */
  private commitGap(state: SessionState): void {
    if (Number.isNaN(state.pendingGapUs)) return;
    state.timeline.addServerGap(state.pendingGapUs, state.pendingGapMs);
    state.pendingGapUs = Number.NaN;
  }

  /** A message's sequence, with the session's batch (a 64-bit one, or past {@link MAX_SEQUENCE_CHANNELS} channels, at once after what waits). */
  private recordSequence(state: SessionState, message: GameMessage, sequence: SerialNumber): void {
    const roles = message.roles;
    const channel = channelKey(roles.channel);
    const resent = (roles.resendCount ?? 0) > 0;
    let channelIndex = -1;
    if (typeof sequence === "number") {
      const names = state.channels;
      channelIndex = names.indexOf(channel);
      if (channelIndex < 0 && names.length < MAX_SEQUENCE_CHANNELS) channelIndex = names.push(channel) - 1;
    }
    if (channelIndex < 0) {
      this.addPending(state);
      state.lastSequenceStream = -1;
      this.receiveSequence(state, message.direction, channel, sequence, roles.sequenceBits, message.packetIndex, resent, message.tUs);
      return;
    }
    const stream = 2 * channelIndex + (message.direction === "serverToClient" ? 1 : 0);
    // The datagram's sequence again (another message of it): its stream skips it, resent or not.
    if (stream === state.lastSequenceStream && message.packetIndex === state.lastSequencePacket && sequence === state.lastSequenceValue) return;
    state.lastSequenceStream = stream;
    state.lastSequencePacket = message.packetIndex;
    state.lastSequenceValue = sequence as number;
    const bits = roles.sequenceBits ?? Number.NaN;
    if (!Object.is(bits, state.sequenceBits)) {
      state.sequenceBits = bits;
      const at = this.reserve(state, 2);
      state.pending![at] = SEQUENCE_BITS;
      state.pending![at + 1] = bits;
    }
    const at = this.reserve(state, 4);
    const pending = state.pending!;
    pending[at] = SEQUENCE - (4 * channelIndex + (resent ? 2 : 0) + (message.direction === "serverToClient" ? 1 : 0));
    pending[at + 1] = message.tUs;
    pending[at + 2] = sequence as number;
    pending[at + 3] = message.packetIndex;
  }

  /** A message's sequence (in arrival order): its receive stream's loss and resends for the cause timeline. */
  private receiveSequence(state: SessionState, direction: Direction, channel: string, sequence: SerialNumber, sequenceBits: number | undefined, packetIndex: number, resent: boolean, tUs: number): void {
    const streams = state.receiveStreams[direction === "clientToServer" ? 0 : 1];
    let stream: ReceiveStream | undefined;
    for (let index = 0; index < streams.length; index++) {
      if (streams[index].channel === channel) {
        stream = streams[index];
        break;
      }
    }
    if (stream === undefined) {
      const unwrapper = new SerialUnwrapper(sequenceBits ?? (typeof sequence === "bigint" ? 64 : sequence > 0xffff ? 32 : 16));
      unwrapper.extend(sequence);
      streams.push({ channel, unwrapper, lastPacketIndex: packetIndex, lastSequence: sequence });
      return;
    }
    if (stream.lastPacketIndex === packetIndex && stream.lastSequence === sequence) return;
    stream.lastPacketIndex = packetIndex;
    stream.lastSequence = sequence;
    if (resent) {
      state.timeline.addResend(tUs);
      return;
    }
    const highest = stream.unwrapper.highestExtended;
    const extended = stream.unwrapper.extend(sequence);
    if (extended <= highest) return;
    const missing = extended - highest - 1;
    if (missing > 0) {
      state.timeline.addLoss(tUs, Math.min(missing, 1000));
      // A silence with lost packets in it is loss, not a server stall.
      if (direction === "serverToClient") state.pendingGapUs = Number.NaN;
    }
  }

  /**
   * A message's sender time, with the session's batch: core's send-time
   * streams (RFC 3550 jitter, restarts at discontinuities — the same
   * computation regions uses) take it in arrival order, after the RTT samples
   * before it (whose RTT-series jitter is fed until a stream has 2 datagrams).
   */
  private receiveSendTime(state: SessionState, message: GameMessage, sendTimeUs: number): void {
    const roles = message.roles;
    const channel = sendTimeChannel(message);
    const names = state.sendTimeChannels;
    let channelIndex = names.indexOf(channel);
    if (channelIndex < 0 && names.length < MAX_SEND_TIME_CHANNELS) channelIndex = names.push(channel) - 1;
    if (channelIndex < 0) {
      this.addPending(state);
      state.lastSendTimeStream = -1;
      state.signals.addSendTime(message, sendTimeUs);
      return;
    }
    const stream = 2 * channelIndex + (message.direction === "clientToServer" ? 0 : 1);
    // The datagram's sender time again (another message of it): its stream takes one per datagram.
    if (stream === state.lastSendTimeStream && message.packetIndex === state.lastSendTimePacket) return;
    state.lastSendTimeStream = stream;
    state.lastSendTimePacket = message.packetIndex;
    const modulusUs = roles.sendTimeModulusUs ?? Number.NaN;
    const bits = roles.sequenceBits ?? 16;
    if (bits !== state.sendTimeBits || !Object.is(modulusUs, state.sendTimeModulusUs)) {
      state.sendTimeBits = bits;
      state.sendTimeModulusUs = modulusUs;
      const at = this.reserve(state, 3);
      const pending = state.pending!;
      pending[at] = SEND_TIME_SETTINGS;
      pending[at + 1] = modulusUs;
      pending[at + 2] = bits;
    }
    const at = this.reserve(state, 5);
    const pending = state.pending!;
    pending[at] = SEND_TIME - stream;
    pending[at + 1] = message.tUs;
    pending[at + 2] = sendTimeUs;
    pending[at + 3] = typeof roles.sequence === "number" ? roles.sequence : Number.NaN;
    pending[at + 4] = message.packetIndex;
  }

  /**
   * Takes one sample (core's samplers reuse the object: nothing here keeps
   * it): its values are added with the session's next batch
   * ({@link addPending}); its spike detection runs there too, in arrival
   * order, until the first server-log event, and from then on now (a spike
   * closing then scores its causes on the log timeline as it is now).
   */
  private addSample(sample: RttSample): void {
    if (!Number.isFinite(sample.rttMs) || sample.rttMs < 0) {
      this.anomalies.add("E_RTT_INVALID", sample.packetIndex);
      return;
    }
    const state = this.session(sample.sessionId);
    if (state === undefined) return;
    const method = sample.method;
    // The method's slot by comparison (a keyed lookup by a varying string is slower on this per-sample path).
    const methodIndex = method === "ack" ? 2 : method === "reported" ? 1 : method === "echo" ? 0 : METHOD_INDEX[method];
    const slot = methodIndex * 2 + (sample.direction === "clientToServer" ? 0 : 1);
    if (state.detectors[slot] === undefined) state.detectors[slot] = this.seriesOf(state, sample.method, sample.direction).signals.detector;
    let channelIndex = -1;
    if (method === "ack") {
      channelIndex = state.lastChannelIndex;
      if (channelIndex < 0 || state.channels[channelIndex] !== sample.channel) {
        channelIndex = state.channels.indexOf(sample.channel);
        if (channelIndex < 0) channelIndex = state.channels.push(sample.channel) - 1;
        state.lastChannelIndex = channelIndex;
      }
    }
    const at = this.reserve(state, SAMPLE_ENTRY);
    const pending = state.pending!;
    pending[at] = slot + 8 * (channelIndex + 1);
    pending[at + 1] = sample.tUs;
    pending[at + 2] = sample.rttMs;
    pending[at + 3] = sample.packetIndex;
    // Core's SessionRttSignals.detectSpikes (the series' detector, held here).
    if (this.detectEagerly) state.detectors[slot]!.addSample(sample);
  }

  /** The offset of a new pending entry of `numbers` numbers (the pending entries are added first when full). */
  private reserve(state: SessionState, numbers: number): number {
    let pending = state.pending;
    if (pending === undefined) state.pending = pending = new Float64Array(INITIAL_PENDING_NUMBERS);
    if (state.pendingLength + numbers > pending.length) {
      // Grown by doubling up to PENDING_NUMBERS (a session of a few datagrams keeps 1 KB), then added.
      if (pending.length < PENDING_NUMBERS) {
        const grown = new Float64Array(pending.length * 2);
        grown.set(pending);
        state.pending = grown;
      } else this.addPending(state);
    }
    const at = state.pendingLength;
    state.pendingLength = at + numbers;
    return at;
  }

  /** Records a cause-timeline entry (added to the timeline with the session's next batch; a resend has no value). */
  private record(state: SessionState, code: number, tUs: number, value: number): void {
    const at = this.reserve(state, 3);
    const pending = state.pending!;
    pending[at] = code;
    pending[at + 1] = tUs;
    pending[at + 2] = value;
  }

  /** Records a message's bytes for the cause timeline (by type). */
  private recordMessageBytes(state: SessionState, tUs: number, type: string, bytes: number): void {
    let typeIndex = state.lastTypeIndex;
    if (typeIndex < 0 || state.types[typeIndex] !== type) {
      typeIndex = state.types.indexOf(type);
      if (typeIndex < 0) {
        if (state.types.length >= MAX_PENDING_TYPES) {
          // A session with this many message types: its further types are recorded at once, after what waits.
          this.addPending(state);
          state.timeline.addMessageBytes(tUs, type, bytes);
          return;
        }
        typeIndex = state.types.push(type) - 1;
      }
      state.lastTypeIndex = typeIndex;
    }
    this.record(state, TIMELINE_MESSAGE_BYTES - typeIndex, tUs, bytes);
  }

  /**
   * Adds a session's pending entries, in arrival order: a cause-timeline
   * record to the timeline; an RTT sample to its series' smoothed RTT, head,
   * time above thresholds, minute and timeline, then core's signals
   * ({@link SessionRttSignals.addValue}: the session-long sketch — the open
   * minute is its values since the minute's checkpoint —, RTT-series jitter
   * and recent samples) and an ack sample's channel.
   */
  private addPending(state: SessionState): void {
    const length = state.pendingLength;
    if (length === 0 || state.adding) return;
    state.adding = true;
    const pending = state.pending!;
    const signals = state.signals;
    const slots = state.seriesSlots;
    const causes = state.timeline;
    for (let at = 0; at < length; ) {
      const code = pending[at];
      if (code < 0) {
        if (code <= SEQUENCE) {
          const key = SEQUENCE - code;
          const bits = state.addedSequenceBits;
          this.receiveSequence(state, (key & 1) === 0 ? "clientToServer" : "serverToClient", state.channels[key >> 2], pending[at + 2], Number.isNaN(bits) ? undefined : bits, pending[at + 3], (key & 2) !== 0, pending[at + 1]);
          at += 4;
        } else if (code <= SEND_TIME) {
          const stream = SEND_TIME - code;
          const modulusUs = state.addedModulusUs;
          signals.addSendTimeOf(
            (stream & 1) === 0 ? "clientToServer" : "serverToClient",
            state.sendTimeChannels[stream >> 1],
            pending[at + 4],
            pending[at + 1],
            pending[at + 2],
            Number.isNaN(modulusUs) ? undefined : modulusUs,
            pending[at + 3],
            state.addedBits,
          );
          at += 5;
        } else if (code <= TIMELINE_MESSAGE_BYTES) {
          causes.addMessageBytes(pending[at + 1], state.types[TIMELINE_MESSAGE_BYTES - code], pending[at + 2]);
          at += 3;
        } else if (code === DATAGRAM_FROM_CLIENT || code === DATAGRAM_FROM_SERVER) {
          this.addDatagram(state, code === DATAGRAM_FROM_SERVER, pending[at + 1], pending[at + 2]);
          at += 3;
        } else if (code === SERVER_SEND_TIME) {
          this.addServerSendTime(state, pending[at + 1]);
          at += 2;
        } else if (code === SEQUENCE_BITS) {
          state.addedSequenceBits = pending[at + 1];
          at += 2;
        } else {
          state.addedModulusUs = pending[at + 1];
          state.addedBits = pending[at + 2];
          at += 3;
        }
        continue;
      }
      const slot = code & 7;
      const channelIndex = (code >> 3) - 1;
      const series = slots[slot]!;
      const tUs = pending[at + 1];
      const rttMs = pending[at + 2];
      if (series.firstSample === undefined) series.firstSample = { tUs, rttMs };
      series.smoothed.add(rttMs);
      if (!series.headFull) {
        if (series.head.length < 3 * HEAD_SAMPLES) series.head.push(tUs, rttMs, pending[at + 3]);
        else series.headFull = true;
      }
      // Time above each threshold (THRESHOLDS_MS ascend: a value above one is above every lower one; most are below all).
      if (rttMs > THRESHOLDS_MS[0] && !Number.isNaN(series.previousUs)) {
        const heldUs = Math.min(Math.max(0, tUs - series.previousUs), 1_000_000);
        for (let index = 0; index < THRESHOLDS_MS.length && rttMs > THRESHOLDS_MS[index]; index++) series.aboveUs[index] += heldUs;
      }
      series.previousUs = tUs;
      const minute = Math.floor(tUs / MINUTE_US);
      if (minute > series.currentMinute || series.current === undefined) {
        this.closeMinute(series);
        series.current = { minute, sketch: new QuantileSketch() };
        series.currentMinute = minute;
        series.minuteCheckpoint = series.sketch.checkpoint();
        series.minuteSumMs = 0;
        series.minuteMinMs = Infinity;
        series.minuteMaxMs = -Infinity;
        if (series.firstMinute === undefined) series.firstMinute = series.current;
      }
      series.minuteSumMs += rttMs;
      if (rttMs < series.minuteMinMs) series.minuteMinMs = rttMs;
      if (rttMs > series.minuteMaxMs) series.minuteMaxMs = rttMs;
      series.timeline.add(tUs, rttMs);
      signals.addValue(series.signals, tUs, rttMs, !series.isAck);
      if (series.isAck) series.signals.series.countChannel(state.channels[channelIndex]);
      // Core's SessionRttSignals.detectSpikes, in arrival order: a spike closing here finds the session as it was then.
      if (!this.detectEagerly) state.detectors[slot]!.add(tUs, rttMs, pending[at + 3]);
      at += SAMPLE_ENTRY;
    }
    state.pendingLength = 0;
    state.adding = false;
  }

  private closeMinute(series: SeriesState): void {
    const current = series.current;
    if (current === undefined) return;
    series.current = undefined;
    current.sketch = series.sketch.addedSince(series.minuteCheckpoint!, series.minuteSumMs, series.minuteMinMs, series.minuteMaxMs);
    series.minuteCheckpoint = undefined;
    series.lastMinute = current;
    if (series.minutes.length >= (this.options.maxMinutesPerSeries ?? 1440)) {
      this.anomalies.add("E_MINUTES_DROPPED", 0);
      return;
    }
    series.minutes.push({ minuteStartUs: current.minute * MINUTE_US, ...percentiles(current.sketch) });
  }

  private onSpike(state: SessionState, signals: RttSeriesSignals, spike: RttSpike): void {
    const series = seriesStateOf(state, signals.series);
    if (series.spikes.length >= (this.options.maxSpikesPerSeries ?? 1000)) {
      this.anomalies.add("E_SPIKES_DROPPED", spike.packetIndices[0]);
      return;
    }
    // Closed while the session's entries are added, the session is as its sample found it; on arrival, its entries are added first.
    this.addPending(state);
    this.commitGap(state);
    const causes = state.timeline.scoreSpike(spike.startUs, spike.endUs);
    for (const cause of this.logTimeline.scoreSpike(spike.startUs, spike.endUs)) causes.push(cause);
    if (spike.levelShift) {
      const shiftMs = spike.afterBaselineMs - spike.baselineMs;
      const z = shiftMs / Math.max(spike.spreadMs, 1);
      const surprise = z > 0 ? -poissonUpperTailLog10(Math.round(z), 1) : 0;
      causes.push({
        kind: "routeChange",
        score: surpriseToScore(surprise),
        surprise,
        lagMs: 0,
        evidence: { baselineBeforeMs: round3(spike.baselineMs), baselineAfterMs: round3(spike.afterBaselineMs), shiftMs: round3(shiftMs) },
      });
    }
    causes.sort(compareCauses);
    series.spikes.push({ ...spike, causes });
  }

  private scoreSharedPath(primaries: Map<string, SeriesState>, minimumScore: number): void {
    const windowUs = (this.options.sharedWindowMs ?? 250) * 1000;
    const entries: { session: string; spike: SpikeRecord }[] = [];
    let rateSum = 0;
    let durationRateSum = 0;
    const sessionRates = new Map<string, { rate: number; durationRate: number }>();
    for (const [session, series] of primaries) {
      const observedUs = Math.max(1, series.lastUs - series.firstUs);
      let durationUs = 0;
      for (const spike of series.spikes) {
        entries.push({ session, spike });
        durationUs += spike.endUs - spike.startUs;
      }
      const rate = series.spikes.length / observedUs;
      const durationRate = durationUs / observedUs;
      rateSum += rate;
      durationRateSum += durationRate;
      sessionRates.set(session, { rate, durationRate });
    }
    if (primaries.size < 3 || entries.length === 0) return;
    entries.sort((a, b) => a.spike.startUs - b.spike.startUs || (a.session < b.session ? -1 : 1));
    let maxDurationUs = 0;
    for (const entry of entries) maxDurationUs = Math.max(maxDurationUs, entry.spike.endUs - entry.spike.startUs);
    for (let index = 0; index < entries.length; index++) {
      const { session, spike } = entries[index];
      const others = new Set<string>();
      // Spikes overlapping [start − w, end + w]: their start lies in [start − w − maxDuration, end + w].
      for (let scan = index - 1; scan >= 0; scan--) {
        const other = entries[scan];
        if (other.spike.startUs < spike.startUs - windowUs - maxDurationUs) break;
        if (other.session !== session && other.spike.endUs >= spike.startUs - windowUs) others.add(other.session);
      }
      for (let scan = index + 1; scan < entries.length; scan++) {
        const other = entries[scan];
        if (other.spike.startUs > spike.endUs + windowUs) break;
        if (other.session !== session) others.add(other.session);
      }
      if (others.size === 0) continue;
      const own = sessionRates.get(session)!;
      const spanUs = spike.endUs - spike.startUs + 2 * windowUs;
      const expected = Math.max((rateSum - own.rate) * spanUs + (durationRateSum - own.durationRate), 1e-6);
      let surprise = -poissonUpperTailLog10(others.size, expected);
      // Explaining away: a server-side mechanism seen in the same window already explains why sessions spike together.
      let serverSide = 0;
      for (const cause of spike.causes) {
        if ((cause.kind === "tickStall" || cause.kind === "serverLogEvent") && cause.score >= minimumScore) {
          serverSide = Math.max(serverSide, cause.score);
        }
      }
      surprise *= 1 - serverSide;
      if (surprise <= 0) continue;
      spike.causes.push({
        kind: "sharedPath",
        score: surpriseToScore(surprise),
        surprise,
        lagMs: 0,
        evidence: { sessionsSpiking: others.size + 1, sessionsObserved: primaries.size, sessionsExpected: round3(expected + 1) },
      });
      spike.causes.sort(compareCauses);
    }
  }

  private sessionReport(
    state: SessionState,
    headline: SeriesState,
    primary: SeriesState,
    disagreements: readonly RttDisagreement[],
    minimumScore: number,
    findings: Finding[],
  ): LatencySessionReport {
    const series: LatencySeriesReport[] = [];
    for (const method of LATENCY_METHODS) {
      for (const direction of ["clientToServer", "serverToClient"] as const) {
        const entry = state.series.get(`${method}\u0000${direction}`);
        if (entry === undefined) continue;
        series.push({
          method,
          direction,
          ...percentiles(entry.sketch),
          min: round3(entry.sketch.min),
          mean: round3(entry.sketch.mean),
          smoothedMs: round3(entry.smoothed.smoothedMs),
          variationMs: round3(entry.smoothed.variationMs),
        });
      }
    }
    const spikes: LatencySpikeReport[] = [];
    for (const spike of primary.spikes) {
      const causes = spike.causes.filter((cause) => cause.score >= minimumScore);
      const top = causes[0];
      const suggestedFix = SUGGESTED_FIXES[top === undefined ? "unexplained" : top.kind];
      spikes.push({
        startUs: spike.startUs,
        endUs: spike.endUs,
        durationMs: round3((spike.endUs - spike.startUs) / 1000),
        peakMs: round3(spike.peakMs),
        baselineMs: round3(spike.baselineMs),
        levelShift: spike.levelShift,
        causes: causes.map((cause) => ({ kind: cause.kind, score: round3(cause.score), lagMs: round3(cause.lagMs), evidence: cause.evidence })),
        suggestedFix,
      });
      findings.push(spikeFinding(state, primary, spike, top, suggestedFix, findings.length));
    }
    const observedHours = Math.max((primary.lastUs - primary.firstUs) / 3_600_000_000, 1 / 60);
    let worst: LatencyMinuteReport | undefined;
    for (const minute of primary.minutes) {
      if (minute.samples > 0 && (worst === undefined || minute.p95 > worst.p95)) worst = minute;
    }
    // Core's rule (as regions takes it): the received send-time stream, else the time series' RTT jitter.
    const jitter = state.signals.receivedStream()?.jitter ?? primary.jitter;
    for (const disagreement of disagreements) findings.push(disagreementFinding(state, headline, disagreement, findings.length));
    return {
      id: state.id,
      client: state.client,
      server: state.server,
      method: headline.method,
      direction: headline.direction,
      rttMs: { ...percentiles(headline.sketch), smoothedMs: round3(headline.smoothed.smoothedMs), variationMs: round3(headline.smoothed.variationMs) },
      timeSeries: { method: primary.method, direction: primary.direction },
      methodsDisagree: disagreements.map((disagreement) => ({ ...disagreement })),
      jitterMs: {
        rfc3550: round3(jitter.jitterUs / 1000),
        p95: round3(jitter.perPacketMs.count === 0 ? 0 : jitter.perPacketMs.quantile(0.95)),
      },
      series,
      perMinute: primary.minutes,
      timeline: primary.timeline.toJSON(),
      spikes,
      experience: {
        timeAbove50Ms: round3(primary.aboveUs[0] / 1000),
        timeAbove100Ms: round3(primary.aboveUs[1] / 1000),
        timeAbove150Ms: round3(primary.aboveUs[2] / 1000),
        spikesPerHour: round3(primary.spikes.length / observedHours),
        worstMinuteStartUs: worst === undefined ? null : worst.minuteStartUs,
        worstMinuteP95Ms: worst === undefined ? null : worst.p95,
      },
    };
  }
}

/** The latency series state of one of the session's core RTT series. */
function seriesStateOf(state: SessionState, series: RttSeries): SeriesState {
  return state.series.get(`${series.method}\u0000${series.direction}`)!;
}

function percentiles(sketch: QuantileSketch): LatencyPercentiles {
  return rttPercentiles(sketch);
}

function severityOf(excessMs: number): Severity {
  if (excessMs >= 150) return "critical";
  if (excessMs >= 100) return "high";
  if (excessMs >= 50) return "medium";
  if (excessMs >= 25) return "low";
  return "info";
}

function spikeFinding(
  state: SessionState,
  series: SeriesState,
  spike: SpikeRecord,
  top: SpikeCause | undefined,
  suggestedFix: string,
  index: number,
): Finding {
  const durationMs = (spike.endUs - spike.startUs) / 1000;
  const what = spike.levelShift ? "baseline latency moved" : "latency spiked";
  const because = top === undefined ? "no traffic or server cause stood out" : `most likely ${CAUSE_LABELS[top.kind]} (score ${top.score.toFixed(2)})`;
  const summary =
    `Session ${state.id}: ${what} (${series.method} RTT) from ${spike.baselineMs.toFixed(1)} ms to ${spike.peakMs.toFixed(1)} ms ` +
    `for ${durationMs.toFixed(0)} ms at ${formatTimeUs(spike.startUs)}; ${because}. Suggested fix: ${suggestedFix}.`;
  const values: Record<string, number | string | boolean> = {
    method: series.method,
    direction: series.direction,
    baselineMs: round3(spike.baselineMs),
    peakMs: round3(spike.peakMs),
    durationMs: round3(durationMs),
    levelShift: spike.levelShift,
    topCause: top === undefined ? "unexplained" : top.kind,
  };
  if (top !== undefined) values.topCauseScore = round3(top.score);
  const finding: Finding = {
    id: `latency.spike.${index}`,
    analysis: "latency",
    kind: spike.levelShift ? "latencyBaselineShift" : "latencySpike",
    severity: severityOf(spike.peakMs - spike.baselineMs),
    startUs: spike.startUs,
    endUs: spike.endUs,
    session: state.id,
    confidence: top === undefined ? 0 : round3(top.score),
    summary,
    evidence: { values, packetIndices: [...new Set(spike.packetIndices)].sort((a, b) => a - b) },
  };
  if (state.player !== undefined) finding.player = state.player;
  return finding;
}

/**
 * A finding per stream whose sender timestamp jumped (an RTP timestamp reset
 * at a fax switch-over, a restarted sender clock) or changed clock: the
 * jitter difference chain restarted there instead of counting the jump as
 * jitter. Severity info: an event to know about, not a network problem.
 */
function jitterRestartFinding(state: SessionState, stream: SendTimeStream, index: number): Finding {
  const jitter = stream.jitter;
  const first = jitter.restarts[0];
  const jumps = jitter.restarts.filter((restart) => restart.reason === "timestampJump").length;
  const what = first.reason === "timestampJump" ? `sender timestamp jumped by ${round3(first.sendJumpMs)} ms while ${round3(first.arrivalGapMs)} ms passed` : "sender clock changed (another payload type)";
  const where = `Session ${state.id} ${stream.direction} stream ${stream.channel === "" ? "(one stream)" : stream.channel}`;
  const summary =
    `${where}: ${jitter.restartCount} timestamp discontinuit${jitter.restartCount === 1 ? "y" : "ies"}; first at ${formatTimeUs(first.tUs)}` +
    `${first.sequence === null ? "" : ` (sequence ${first.sequence})`}: ${what}. Jitter restarted there (not counted as jitter)${first.sequence === null ? "" : "; the sequence continued, so it is not loss"}.`;
  const last = jitter.restarts[jitter.restarts.length - 1];
  const finding: Finding = {
    id: `latency.timestampReset.${index}`,
    analysis: "latency",
    kind: "timestampReset",
    severity: "info",
    startUs: first.tUs,
    endUs: last.tUs,
    session: state.id,
    summary,
    evidence: {
      values: { direction: stream.direction, stream: stream.channel, restarts: jitter.restartCount, timestampJumps: jumps, clockChanges: jitter.restarts.length - jumps, firstSendJumpMs: round3(first.sendJumpMs) },
      packetIndices: [...stream.restartPacketIndices],
    },
  };
  if (state.player !== undefined) finding.player = state.player;
  return finding;
}

/** A finding saying two RTT methods of a session disagree, and the likely reason (never a spike). */
function disagreementFinding(state: SessionState, headline: SeriesState, disagreement: RttDisagreement, index: number): Finding {
  const other = state.series.get(`${disagreement.method}\u0000${disagreement.direction}`)!;
  const otherFigures = percentiles(other.sketch);
  const headlineFigures = percentiles(headline.sketch);
  const worstRatio = Math.max(disagreement.p50Ratio, disagreement.p95Ratio, 1 / Math.max(disagreement.p50Ratio, 1e-9), 1 / Math.max(disagreement.p95Ratio, 1e-9));
  const summary =
    `Session ${state.id}: ${disagreement.method} RTT (p50 ${otherFigures.p50.toFixed(1)} ms, p95 ${otherFigures.p95.toFixed(1)} ms) disagrees with the ` +
    `${headline.method} RTT (p50 ${headlineFigures.p50.toFixed(1)} ms, p95 ${headlineFigures.p95.toFixed(1)} ms) by more than ${RTT_DISAGREEMENT_FACTOR}×: ` +
    `${disagreement.reason}. The headline stays ${headline.method}; ${disagreement.method} is not used for spikes.`;
  const values: Record<string, number | string | boolean> = {
    method: disagreement.method,
    direction: disagreement.direction,
    headlineMethod: headline.method,
    headlineDirection: headline.direction,
    p50Ratio: disagreement.p50Ratio,
    p95Ratio: disagreement.p95Ratio,
    factor: RTT_DISAGREEMENT_FACTOR,
    reason: disagreement.reason,
  };
  if (disagreement.channel !== "") values.channel = disagreement.channel;
  const finding: Finding = {
    id: `latency.methods.${index}`,
    analysis: "latency",
    kind: "rttMethodsDisagree",
    severity: worstRatio >= 4 ? "medium" : "low",
    startUs: Math.min(headline.firstUs, other.firstUs),
    endUs: Math.max(headline.lastUs, other.lastUs),
    session: state.id,
    confidence: 1,
    summary,
    evidence: { values, packetIndices: [] },
  };
  if (state.player !== undefined) finding.player = state.player;
  return finding;
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const key of Object.keys(record).sort()) result[key] = record[key];
  return result;
}

/** Canonical JSON (keys sorted) of plain option values. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A minute sketch as plain data. */
function saveMinute(minute: MinuteState | undefined): LatencySeriesState["firstMinute"] {
  return minute === undefined ? null : { minute: minute.minute, sketch: minute.sketch.saveState() };
}

/** A closed spike as plain data. */
function saveSpike(spike: SpikeRecord): LatencySpikeState {
  return {
    spike: {
      startUs: spike.startUs,
      endUs: spike.endUs,
      peakMs: spike.peakMs,
      peakUs: spike.peakUs,
      baselineMs: encodeNumber(spike.baselineMs),
      spreadMs: encodeNumber(spike.spreadMs),
      samples: spike.samples,
      levelShift: spike.levelShift,
      afterBaselineMs: encodeNumber(spike.afterBaselineMs),
      packetIndices: [...spike.packetIndices],
    },
    contradictedBy: spike.contradictedBy === undefined ? null : [...spike.contradictedBy],
    causes: spike.causes.map((cause) => ({
      kind: cause.kind,
      score: encodeNumber(cause.score),
      surprise: encodeNumber(cause.surprise),
      lagMs: encodeNumber(cause.lagMs),
      evidence: Object.entries(cause.evidence).map(([key, value]): [string, "number", ReturnType<typeof encodeNumber>] | [string, "text", string] =>
        typeof value === "number" ? [key, "number", encodeNumber(value)] : [key, "text", value],
      ),
    })),
  };
}

/** A closed spike rebuilt from plain data, packet indices moved by `offset`. */
function restoreSpike(saved: LatencySpikeState, offset: number): SpikeRecord {
  const spike = saved.spike;
  return {
    startUs: spike.startUs,
    endUs: spike.endUs,
    peakMs: spike.peakMs,
    peakUs: spike.peakUs,
    baselineMs: decodeNumber(spike.baselineMs),
    spreadMs: decodeNumber(spike.spreadMs),
    samples: spike.samples,
    levelShift: spike.levelShift,
    afterBaselineMs: decodeNumber(spike.afterBaselineMs),
    packetIndices: spike.packetIndices.map((index) => index + offset),
    contradictedBy: saved.contradictedBy === null ? undefined : [...saved.contradictedBy],
    causes: saved.causes.map((cause) => {
      const evidence: Record<string, number | string> = {};
      for (const entry of cause.evidence) evidence[entry[0]] = entry[1] === "number" ? decodeNumber(entry[2]) : entry[2];
      return { kind: cause.kind as SpikeCauseKind, score: decodeNumber(cause.score), surprise: decodeNumber(cause.surprise), lagMs: decodeNumber(cause.lagMs), evidence };
    }),
  };
}

/** A session as plain data (feeding ended: spikes and minutes closed). */
function saveSession(state: SessionState, carry: { ack: AckSessionCarry | undefined; echo: EchoSessionCarry | undefined }): LatencySessionState {
  const signals = state.signals.saveState();
  // Recent samples only decide contradictions when a spike closes, and every spike is closed at save.
  for (const entry of signals.series) {
    entry.recentSamples = null;
    entry.recentCount = 0;
  }
  const series: LatencySeriesState[] = [];
  for (const entry of state.seriesSlots) {
    if (entry === undefined) continue;
    series.push({
      method: entry.signals.method,
      direction: entry.direction,
      smoothed: entry.smoothed.saveState(),
      spikes: entry.spikes.map(saveSpike),
      minutes: entry.minutes.map((row) => ({ ...row })),
      timeline: entry.timeline.saveState(),
      aboveUs: [entry.aboveUs[0], entry.aboveUs[1], entry.aboveUs[2]],
      previousUs: encodeNumber(entry.previousUs),
      firstSample: entry.firstSample === undefined ? null : { ...entry.firstSample },
      head: [...entry.head],
      detectorAtEnd: entry.detectorAtEnd ?? null,
      openAtEnd: entry.openAtEnd,
      firstMinute: saveMinute(entry.firstMinute),
      lastMinute: saveMinute(entry.lastMinute),
    });
  }
  return {
    id: state.id,
    client: state.client,
    server: state.server,
    player: state.player ?? null,
    playerLearnedFromMessages: state.playerLearnedFromMessages,
    rtt: state.rtt.saveState(),
    signals,
    series,
    carry: { ack: carry.ack ?? null, echo: carry.echo ?? null },
  };
}

/** Restores a saved series into a fresh one (throws `E_BAD_PARTIAL` on rows beyond the options' caps or bad sketches). */
function restoreSeries(series: SeriesState, saved: LatencySeriesState, offset: number, maxSpikes: number, maxMinutes: number, path: string, detectorOptions: SpikeDetectorOptions | undefined): void {
  if (saved.spikes.length > maxSpikes) badState("latency state", `${path}/spikes`, `${saved.spikes.length} spikes, at most ${maxSpikes}`);
  if (saved.minutes.length > maxMinutes) badState("latency state", `${path}/minutes`, `${saved.minutes.length} minute rows, at most ${maxMinutes}`);
  series.smoothed.loadState(saved.smoothed);
  series.timeline.loadState(saved.timeline, "load");
  const minuteOf = (entry: LatencySeriesState["firstMinute"]): MinuteState | undefined => (entry === null ? undefined : { minute: entry.minute, sketch: QuantileSketch.fromState(entry.sketch) });
  series.firstMinute = minuteOf(saved.firstMinute);
  series.lastMinute = saved.lastMinute !== null && saved.firstMinute !== null && JSON.stringify(saved.lastMinute) === JSON.stringify(saved.firstMinute) ? series.firstMinute : minuteOf(saved.lastMinute);
  for (const spike of saved.spikes) series.spikes.push(restoreSpike(spike, offset));
  for (const row of saved.minutes) series.minutes.push({ ...row });
  for (let index = 0; index < 3; index++) series.aboveUs[index] = saved.aboveUs[index];
  series.previousUs = decodeNumber(saved.previousUs);
  series.firstSample = saved.firstSample === null ? undefined : { ...saved.firstSample };
  for (let index = 0; index < saved.head.length; index += 3) series.head.push(saved.head[index], saved.head[index + 1], saved.head[index + 2] + offset);
  if (saved.head.length % 3 !== 0) badState("latency state", `${path}/head`, "samples come as [tUs, rttMs, packetIndex] triples");
  if (saved.detectorAtEnd !== null) {
    // Checked against this analyzer's detector options, packet indices moved by the offset.
    const detector = new SpikeDetector(() => undefined, detectorOptions);
    detector.loadState(saved.detectorAtEnd, offset);
    series.detectorAtEnd = detector.saveState();
  }
  series.openAtEnd = saved.openAtEnd;
}

/** Copies a (restored) series' latency state into a fresh series of another session object. */
function copySeries(target: SeriesState, source: SeriesState): void {
  target.smoothed.loadState(source.smoothed.saveState());
  target.timeline.loadState(source.timeline.saveState(), "load");
  target.firstMinute = source.firstMinute;
  target.lastMinute = source.lastMinute;
  target.spikes.push(...source.spikes);
  target.minutes.push(...source.minutes);
  for (let index = 0; index < 3; index++) target.aboveUs[index] = source.aboveUs[index];
  target.previousUs = source.previousUs;
  target.firstSample = source.firstSample;
  target.head.push(...source.head);
  target.detectorAtEnd = source.detectorAtEnd;
  target.openAtEnd = source.openAtEnd;
}
