import {
  acknowledgedChannel,
  AnomalyCounter,
  isCaptureDuplicate,
  payloadFingerprint,
  ErrorCode,
  TickscopeError,
  type DecodeAnomaly,
  type Direction,
  type Finding,
  type GameMessage,
  type MessageAnalyzer,
  type MessageRoles,
  type PacketObservation,
  type Recommendation,
  type SerialNumber,
  serialNumberForReport,
} from "@tickscope/core";
import { DEFAULT_PATTERN_LENGTH, fitGilbertElliott, formatNetemGemodel, type GilbertElliottFit } from "./gilbert-elliott-fit.js";
import { LogHistogram, round, type RunLengthHistogram } from "./histogram.js";
import { InputCoverage } from "./input-coverage.js";
import { replayResidualInputLoss, simulateResidualInputLoss } from "./replay.js";
import type {
  Distribution,
  InputSyncImpact,
  LossReport,
  LossStream,
  ReliableSyncImpact,
  StateSyncImpact,
  SyncImpact,
} from "./report-schema.js";
import { Rfc3550SequenceCounter } from "./rfc3550-sequence.js";
import { Observation, SequenceSpace, type ObservationValue, type SequenceSpaceOptions } from "./sequence-space.js";
import { MAX_BUFFER_SNAPSHOTS, StateSyncTracker } from "./state-sync.js";
import { wilsonInterval } from "./wilson.js";

/** Where the capture was taken, which decides how loss is inferred per direction. */
export type VantagePoint = "auto" | "receiver" | "client" | "server";

/** Options of {@link createLossAnalyzer}. Every field has a default. */
export interface LossAnalyzerOptions {
  /**
   * `receiver`: every direction from sequence gaps. `client` / `server`: the
   * capture is at that host, so its outgoing direction is judged from the
   * peer's acks and the other from gaps. `auto` (default): per stream, acks
   * when the stream shows no gaps but the peer's acks show losses (the
   * capture is at the sender), gaps otherwise.
   */
  vantagePoint?: VantagePoint;
  /** Reorder window in sequences, power of two (default 2048). */
  windowSize?: number;
  /** Largest forward sequence jump counted as loss; larger ones are reset candidates (default 1000). */
  maxGap?: number;
  /** Silence after which a jump is a pause candidate, ms (default 1000). */
  pauseThresholdMs?: number;
  /** Minimum skipped sequences for a pause candidate (default 8). */
  pauseMinimumSkipped?: number;
  /**
   * A copy of a received sequence arriving later than this after the original
   * is a restart candidate (a sequence reset into recent numbers), not a
   * duplicate, ms (default 1000).
   */
  maxDuplicateDelayMs?: number;
  /** Playout deadline for `late`, ms (default 100). */
  playoutDelayMs?: number;
  /** Client interpolation delay, ms (default 100). */
  interpolationDelayMs?: number;
  /** Confidence of the Wilson intervals (default 0.95). */
  confidence?: number;
  /** Sequence width when the `sequenceBits` role is absent (default: none, no wrap-around). */
  defaultSequenceBits?: number;
  /** One sequence space per message type too (protocols numbering each type separately). Default false. */
  spacePerMessageType?: boolean;
  /** Pattern length of the Gilbert–Elliott fit (default 8). */
  patternLength?: number;
  /** Seed of the model re-simulations (default 1). */
  seed?: number | string;
  /** Datagrams of each model re-simulation (default 200000). */
  simulationDatagrams?: number;
  /** Residual input loss a recommendation aims for (default 0.001). */
  targetResidualInputLossRate?: number;
  /** Interval coverage an interpolation buffer recommendation aims for (default 0.99). */
  targetBufferCoverage?: number;
  /** Loss rate at or above which a stream gets a finding (default 0.02). */
  highLossRate?: number;
  /** Entities tracked per stream for correction jumps (default 4096). */
  maxEntitiesPerStream?: number;
  /** Sequence spaces tracked in total (default 100000); more are counted as anomalies. */
  maxStreams?: number;
}

type ResolvedOptions = Required<Omit<LossAnalyzerOptions, "defaultSequenceBits">> & { defaultSequenceBits: number | undefined };

/** Anomaly code counted when the stream limit is reached. */
export const STREAM_LIMIT_CODE = "E_LOSS_STREAM_LIMIT";
/** Anomaly code counted when a stream's entity limit is reached. */
export const ENTITY_LIMIT_CODE = "E_LOSS_ENTITY_LIMIT";
/** Anomaly code counted for a message whose sequence or input sequence is not a finite number (ignored). */
export const BAD_ROLE_CODE = "E_LOSS_BAD_ROLE";
/** Anomaly code counted per stray packet (too old for the window, or an unconfirmed jump). */
export const STRAY_CODE = "E_LOSS_STRAY_SEQUENCE";

interface StreamState {
  sessionId: string;
  direction: Direction;
  channel: string | null;
  channelKey: string | number | undefined;
  protocolSessionId: string | null;
  space: SequenceSpace;
  rfc3550: Rfc3550SequenceCounter | undefined;
  /** Messages per message type. */
  messageTypes: Map<string, MessageTypeCount>;
  /** The entry of the last message type seen (most datagrams repeat it). */
  lastMessageType: MessageTypeCount | undefined;
  lastPacketIndex: number;
  /** Sequences counted in the current packet: the first `packetSequenceCount` entries (the array is reused). */
  packetSequences: SerialNumber[];
  packetSequenceCount: number;
  lastOutcome: ObservationValue;
  lastSkipped: number;
  reliable: boolean;
  resetsSeen: number;
  state: StateSyncTracker | undefined;
  input: InputCoverage | undefined;
  firstUs: number;
  lastUs: number;
  /** Head-of-line stalls by the message types of the datagram that ended them (the blocker). */
  stallsByBlocker: Map<string, LogHistogram>;
  /** The stall of the current packet, committed when the packet ends. */
  pendingStallPacketIndex: number;
  pendingStallUs: number;
  pendingStallTypes: string[];
  /** Sequence numbers seen again in datagrams captured twice (not sent twice: see `isCaptureDuplicate`). */
  captureDuplicates: number;
}

/** Message count of one message type in a stream. */
interface MessageTypeCount {
  type: string;
  messages: number;
}

interface DirectionState {
  streams: Map<string | number | undefined, StreamState>;
  /** The stream of the last sequenced message and the key parts that found it (a cache in front of `streams`). */
  lastStream: StreamState | undefined;
  lastChannel: string | number | undefined;
  lastMessageType: string;
  lastProtocolSessionId: string | undefined;
  unsequenced: Map<string, number>;
  lastAckPacketIndex: number;
  lastAck: SerialNumber;
  /** Inputs without a sequence role. */
  input: InputCoverage | undefined;
  /** Recent datagrams of the direction, to tell a datagram captured twice (allocated on the first payload). */
  recent: RecentDatagrams | undefined;
}

/** Datagrams remembered per session and direction for capture-duplicate detection (as bandwidth does). */
const RECENT_DATAGRAMS = 32;

/** A ring of the last {@link RECENT_DATAGRAMS} distinct payloads of a direction: fingerprint, length and capture stamp. */
interface RecentDatagrams {
  fingerprints: Float64Array;
  lengths: Int32Array;
  times: Float64Array;
  ipIdentifications: Float64Array;
  interfaceIds: Int32Array;
  next: number;
}

function newRecentDatagrams(): RecentDatagrams {
  return {
    fingerprints: new Float64Array(RECENT_DATAGRAMS).fill(-1),
    lengths: new Int32Array(RECENT_DATAGRAMS).fill(-1),
    times: new Float64Array(RECENT_DATAGRAMS),
    ipIdentifications: new Float64Array(RECENT_DATAGRAMS),
    interfaceIds: new Int32Array(RECENT_DATAGRAMS),
    next: 0,
  };
}

interface SessionState {
  clientToServer: DirectionState;
  serverToClient: DirectionState;
}

function newDirection(): DirectionState {
  return {
    streams: new Map(),
    lastStream: undefined,
    lastChannel: undefined,
    lastMessageType: "",
    lastProtocolSessionId: undefined,
    unsequenced: new Map(),
    lastAckPacketIndex: -1,
    lastAck: Number.NaN,
    input: undefined,
    recent: undefined,
  };
}

/**
 * Unreliable state (a snapshot): carries entities or a simulation tick, and is
 * neither an input nor a reliable event (events such as spawns carry a tick
 * and a resend count; shots carry a position but no tick).
 */
function isStateMessage(roles: MessageRoles, inputSequence: SerialNumber | undefined, reliable: boolean | undefined, resendCount: number | undefined): boolean {
  return inputSequence === undefined && reliable !== true && resendCount === undefined && (roles.entities !== undefined || roles.tick !== undefined);
}

function resolveOptions(options: LossAnalyzerOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    vantagePoint: options.vantagePoint ?? "auto",
    windowSize: options.windowSize ?? 2048,
    maxGap: options.maxGap ?? 1000,
    pauseThresholdMs: options.pauseThresholdMs ?? 1000,
    pauseMinimumSkipped: options.pauseMinimumSkipped ?? 8,
    maxDuplicateDelayMs: options.maxDuplicateDelayMs ?? 1000,
    playoutDelayMs: options.playoutDelayMs ?? 100,
    interpolationDelayMs: options.interpolationDelayMs ?? 100,
    confidence: options.confidence ?? 0.95,
    defaultSequenceBits: options.defaultSequenceBits,
    spacePerMessageType: options.spacePerMessageType ?? false,
    patternLength: options.patternLength ?? DEFAULT_PATTERN_LENGTH,
    seed: options.seed ?? 1,
    simulationDatagrams: options.simulationDatagrams ?? 200_000,
    targetResidualInputLossRate: options.targetResidualInputLossRate ?? 0.001,
    targetBufferCoverage: options.targetBufferCoverage ?? 0.99,
    highLossRate: options.highLossRate ?? 0.02,
    maxEntitiesPerStream: options.maxEntitiesPerStream ?? 4096,
    maxStreams: options.maxStreams ?? 100_000,
  };
  const window = resolved.windowSize;
  const invalid = (message: string): never => {
    throw new TickscopeError(ErrorCode.invalidOption, message);
  };
  if (!Number.isInteger(window) || window < 64 || (window & (window - 1)) !== 0) invalid(`windowSize must be a power of two ≥ 64, got ${window}`);
  if (!Number.isInteger(resolved.maxGap) || resolved.maxGap < 1 || resolved.maxGap >= window) invalid(`maxGap must be an integer in [1, windowSize), got ${resolved.maxGap}`);
  if (!(resolved.confidence > 0 && resolved.confidence < 1)) invalid(`confidence must be in (0, 1), got ${resolved.confidence}`);
  if (!Number.isInteger(resolved.patternLength) || resolved.patternLength < 2 || resolved.patternLength > 12) invalid(`patternLength must be an integer in [2, 12], got ${resolved.patternLength}`);
  if (!["auto", "receiver", "client", "server"].includes(resolved.vantagePoint)) invalid(`unknown vantagePoint ${String(resolved.vantagePoint)}`);
  return resolved;
}

function distribution(histogram: LogHistogram, scale: number): Distribution {
  return histogram.summary(scale);
}

function rateOrNull(value: number): number | null {
  return Number.isNaN(value) ? null : round(value);
}

/**
 * Streaming loss analysis (`tickscope loss`): per session, direction and
 * sequence space (channel; optionally message type) — expected, received,
 * lost, duplicated, reordered (RFC 4737: not loss), late, with Wilson
 * intervals; loss/receive run lengths, conditional loss, Gilbert–Elliott fit
 * and netem line; RFC 3550 A.3 counts; sender-side loss from acks; effect on
 * state sync, inputs and reliable channels; recommendations measured by
 * replaying the observed loss. Header roles copied onto every message of a
 * datagram are counted once per `packetIndex`. Memory is bounded per stream.
 */
export class LossAnalyzer implements MessageAnalyzer<LossReport> {
  /** Analysis name. */
  readonly name = "loss";
  private readonly options: ResolvedOptions;
  private readonly spaceOptions: SequenceSpaceOptions;
  private readonly sessions = new Map<string, SessionState>();
  private readonly anomalies = new AnomalyCounter();
  private streamCount = 0;
  /** The session of the last message (messages of one datagram, and often of consecutive datagrams, share it). */
  private lastSessionId: string | undefined;
  private lastSession: SessionState | undefined;
  /** Packet index of the current datagram when it is a capture duplicate (its messages are not new arrivals), else -1. */
  private captureDuplicatePacketIndex = -1;

  constructor(options: LossAnalyzerOptions = {}) {
    this.options = resolveOptions(options);
    this.spaceOptions = {
      windowSize: this.options.windowSize,
      maxGap: this.options.maxGap,
      pauseThresholdUs: this.options.pauseThresholdMs * 1000,
      pauseMinimumSkipped: this.options.pauseMinimumSkipped,
      maxDuplicateDelayUs: this.options.maxDuplicateDelayMs * 1000,
      playoutDelayUs: this.options.playoutDelayMs * 1000,
      patternLength: this.options.patternLength,
      runLengthLimit: 256,
      maxResetCandidates: 20,
    };
  }

  private session(sessionId: string): SessionState {
    if (sessionId === this.lastSessionId) return this.lastSession!;
    let session = this.sessions.get(sessionId);
    if (session === undefined) {
      session = { clientToServer: newDirection(), serverToClient: newDirection() };
      this.sessions.set(sessionId, session);
    }
    this.lastSessionId = sessionId;
    this.lastSession = session;
    return session;
  }

  private stream(message: GameMessage, directionState: DirectionState): StreamState | undefined {
    const channel = message.roles.channel;
    const protocolSessionId = message.roles.sessionId;
    const cached = directionState.lastStream;
    if (
      cached !== undefined &&
      channel === directionState.lastChannel &&
      protocolSessionId === directionState.lastProtocolSessionId &&
      (!this.options.spacePerMessageType || message.type === directionState.lastMessageType)
    ) {
      return cached;
    }
    const stream = this.lookUpStream(message, directionState, channel, protocolSessionId);
    if (stream !== undefined) {
      directionState.lastStream = stream;
      directionState.lastChannel = channel;
      directionState.lastProtocolSessionId = protocolSessionId;
      directionState.lastMessageType = message.type;
    }
    return stream;
  }

  private lookUpStream(
    message: GameMessage,
    directionState: DirectionState,
    channel: string | number | undefined,
    protocolSessionId: string | undefined,
  ): StreamState | undefined {
    const key =
      this.options.spacePerMessageType || protocolSessionId !== undefined
        ? `${channel ?? ""}\u0000${this.options.spacePerMessageType ? message.type : ""}\u0000${protocolSessionId ?? ""}`
        : channel;
    let stream = directionState.streams.get(key);
    if (stream !== undefined) return stream;
    if (this.streamCount >= this.options.maxStreams) {
      this.anomalies.add(STREAM_LIMIT_CODE, message.packetIndex);
      return undefined;
    }
    this.streamCount += 1;
    stream = {
      sessionId: message.sessionId,
      direction: message.direction,
      channel: channel === undefined ? null : String(channel),
      channelKey: channel,
      protocolSessionId: protocolSessionId ?? null,
      space: new SequenceSpace(this.spaceOptions),
      rfc3550: undefined,
      messageTypes: new Map(),
      lastMessageType: undefined,
      lastPacketIndex: -1,
      packetSequences: [],
      packetSequenceCount: 0,
      lastOutcome: Observation.duplicate,
      lastSkipped: 0,
      reliable: false,
      resetsSeen: 0,
      state: undefined,
      input: undefined,
      firstUs: message.tUs,
      lastUs: message.tUs,
      stallsByBlocker: new Map(),
      pendingStallPacketIndex: -1,
      pendingStallUs: 0,
      pendingStallTypes: [],
      captureDuplicates: 0,
    };
    const bits = message.roles.sequenceBits ?? this.options.defaultSequenceBits;
    stream.space.setSequenceBits(bits);
    if (bits !== undefined && bits > 0 && bits <= 32) stream.rfc3550 = new Rfc3550SequenceCounter(bits);
    directionState.streams.set(key, stream);
    return stream;
  }

  /**
   * Tells a datagram captured twice (byte-identical to a recent one of the same
   * session and direction, and a copy by core's `isCaptureDuplicate` rule, the
   * one bandwidth uses) from a new arrival: its messages are then counted as
   * capture duplicates, not as received or duplicated sequence numbers.
   */
  onPacket(packet: PacketObservation): void {
    this.captureDuplicatePacketIndex = -1;
    const payload = packet.payload;
    if (payload === undefined) return;
    const session = this.session(packet.sessionId);
    const directionState = packet.direction === "clientToServer" ? session.clientToServer : session.serverToClient;
    const recent = (directionState.recent ??= newRecentDatagrams());
    const fingerprint = payloadFingerprint(payload);
    for (let index = 0; index < RECENT_DATAGRAMS; index++) {
      if (recent.fingerprints[index] === fingerprint && recent.lengths[index] === payload.length) {
        const first = { tUs: recent.times[index]!, ipIdentification: recent.ipIdentifications[index]!, interfaceId: recent.interfaceIds[index]! };
        if (isCaptureDuplicate(first, packet)) this.captureDuplicatePacketIndex = packet.packetIndex;
        // A resend is left to the sequence space; either way the first copy stays the one remembered.
        return;
      }
    }
    recent.fingerprints[recent.next] = fingerprint;
    recent.lengths[recent.next] = payload.length;
    recent.times[recent.next] = packet.tUs;
    recent.ipIdentifications[recent.next] = packet.ipIdentification ?? -1;
    recent.interfaceIds[recent.next] = packet.interfaceId ?? 0;
    recent.next = (recent.next + 1) % RECENT_DATAGRAMS;
  }

  /**
   * A message of a datagram captured twice: its sequence numbers count as capture
   * duplicates of their stream (once per datagram) and in the RFC 3550 A.3 counts
   * (which, like tshark's, count every captured packet); nothing else sees it.
   */
  private onCaptureDuplicate(message: GameMessage, directionState: DirectionState): void {
    const sequence = message.roles.sequence;
    if (sequence === undefined || (typeof sequence === "number" && !Number.isFinite(sequence))) return;
    const stream = this.stream(message, directionState);
    if (stream === undefined) return;
    if (stream.lastPacketIndex === message.packetIndex) {
      if (containsSequence(stream, sequence)) return;
    } else {
      stream.lastPacketIndex = message.packetIndex;
      stream.packetSequenceCount = 0;
    }
    stream.packetSequences[stream.packetSequenceCount++] = sequence;
    stream.captureDuplicates += 1;
    stream.rfc3550?.update(sequence);
  }

  /** Accounts one decoded message. */
  onMessage(message: GameMessage): void {
    const roles = message.roles;
    const session = this.session(message.sessionId);
    const toServer = message.direction === "clientToServer";
    const directionState = toServer ? session.clientToServer : session.serverToClient;
    if (message.packetIndex === this.captureDuplicatePacketIndex) {
      this.onCaptureDuplicate(message, directionState);
      return;
    }
    // Each role is read once: roles objects differ in shape between message types.
    const ack = roles.ack;
    if (ack !== undefined) this.applyAck(message, ack, directionState, toServer ? session.serverToClient : session.clientToServer);
    const sequence = roles.sequence;
    const inputSequence = roles.inputSequence;
    if (typeof sequence === "number" && !Number.isFinite(sequence)) {
      this.anomalies.add(BAD_ROLE_CODE, message.packetIndex);
      return;
    }
    if (typeof inputSequence === "number" && !Number.isFinite(inputSequence)) {
      this.anomalies.add(BAD_ROLE_CODE, message.packetIndex);
      return;
    }
    if (sequence === undefined) {
      directionState.unsequenced.set(message.type, (directionState.unsequenced.get(message.type) ?? 0) + 1);
      if (inputSequence !== undefined) {
        directionState.input ??= new InputCoverage();
        directionState.input.observe(inputSequence, roles.inputCount, message.byteLength, roles.inputSequenceBits);
      }
      return;
    }
    const stream = this.stream(message, directionState);
    if (stream === undefined) return;
    let typeCount = stream.lastMessageType;
    if (typeCount === undefined || typeCount.type !== message.type) {
      typeCount = stream.messageTypes.get(message.type);
      if (typeCount === undefined) {
        typeCount = { type: message.type, messages: 0 };
        stream.messageTypes.set(message.type, typeCount);
      }
      stream.lastMessageType = typeCount;
    }
    typeCount.messages += 1;
    if (message.tUs > stream.lastUs) stream.lastUs = message.tUs;
    const resendRole = roles.resendCount;
    const resendCount = resendRole ?? 0;
    const reliable = roles.reliable;
    if (reliable === true || resendCount > 0) stream.reliable = true;
    let firstInPacket = true;
    if (stream.lastPacketIndex === message.packetIndex) {
      firstInPacket = !containsSequence(stream, sequence);
    } else {
      stream.lastPacketIndex = message.packetIndex;
      stream.packetSequenceCount = 0;
    }
    if (firstInPacket) {
      stream.packetSequences[stream.packetSequenceCount++] = sequence;
      const space = stream.space;
      const strays = space.strays;
      stream.lastOutcome = space.observe(sequence, message.tUs, message.packetIndex, roles.sendTimeUs, resendCount);
      stream.lastSkipped = stream.lastOutcome === Observation.advanced ? space.lastSkipped : 0;
      if (stream.pendingStallPacketIndex >= 0) commitStall(stream);
      if (stream.lastOutcome === Observation.reordered) {
        stream.pendingStallPacketIndex = message.packetIndex;
        stream.pendingStallUs = space.lastWaitUs;
      }
      if (space.strays !== strays) this.anomalies.add(STRAY_CODE, message.packetIndex);
      stream.rfc3550?.update(sequence);
      if (space.resetCount !== stream.resetsSeen) {
        stream.resetsSeen = space.resetCount;
        stream.state?.onReset();
      }
    }
    if (stream.pendingStallPacketIndex === message.packetIndex && !stream.pendingStallTypes.includes(message.type)) stream.pendingStallTypes.push(message.type);
    if (inputSequence !== undefined && stream.lastOutcome !== Observation.pending) {
      // Inputs are message-level roles: every input message counts, wherever it sits in the datagram.
      stream.input ??= new InputCoverage();
      stream.input.observe(inputSequence, roles.inputCount, message.byteLength, roles.inputSequenceBits);
    }
    if (stream.lastOutcome === Observation.advanced && isStateMessage(roles, inputSequence, reliable, resendRole)) {
      stream.state ??= new StateSyncTracker(this.options.interpolationDelayMs * 1000, this.options.maxEntitiesPerStream);
      const tracker = stream.state;
      tracker.onUpdate(message.tUs, message.packetIndex, stream.lastSkipped);
      const dropped = tracker.entitiesDropped;
      tracker.onEntities(roles, message.tUs, stream.lastSkipped);
      if (tracker.entitiesDropped !== dropped) this.anomalies.add(ENTITY_LIMIT_CODE, message.packetIndex);
    }
  }

  private applyAck(message: GameMessage, ack: SerialNumber, directionState: DirectionState, peer: DirectionState): void {
    const roles = message.roles;
    if (directionState.lastAckPacketIndex === message.packetIndex && directionState.lastAck === ack) return;
    directionState.lastAckPacketIndex = message.packetIndex;
    directionState.lastAck = ack;
    const ackBitsRole = roles.ackBits;
    const ackBits = ackBitsRole ?? 0;
    const width = roles.ackBitsWidth ?? (ackBitsRole === undefined ? 0 : 32);
    // The channel the definition says the ack acknowledges (core's one rule, shared with latency's RTT).
    const channel = acknowledgedChannel(roles);
    const direct = peer.streams.get(channel);
    if (direct !== undefined) {
      direct.space.onAck(ack, ackBits, width);
      return;
    }
    for (const stream of peer.streams.values()) {
      if (stream.channelKey === channel && (stream.protocolSessionId === null || stream.protocolSessionId === (roles.sessionId ?? stream.protocolSessionId))) {
        stream.space.onAck(ack, ackBits, width);
      }
    }
  }

  /** Counts decode anomalies (a datagram that could not be decoded still arrived). */
  onAnomaly(anomaly: DecodeAnomaly): void {
    this.anomalies.add(anomaly.code, anomaly.packetIndex);
  }

  /** Ends the analysis and returns the report. */
  finish(): LossReport {
    const rows: { row: LossStream; stream: StreamState; fit: GilbertElliottFit | undefined; lossRuns: RunLengthHistogram }[] = [];
    const syncImpact: SyncImpact[] = [];
    const recommendations: Recommendation[] = [];
    const unsequenced: LossReport["unsequencedMessages"] = [];
    const sessionIds = [...this.sessions.keys()].sort();
    for (const sessionId of sessionIds) {
      const session = this.sessions.get(sessionId)!;
      for (const direction of ["clientToServer", "serverToClient"] as const) {
        const directionState = session[direction];
        for (const type of [...directionState.unsequenced.keys()].sort()) {
          unsequenced.push({ id: sessionId, direction, messageType: type, messages: directionState.unsequenced.get(type)! });
        }
        directionState.input?.finish();
        if (directionState.input !== undefined && directionState.input.expected > 0) {
          syncImpact.push(this.inputImpact(sessionId, direction, null, directionState.input, undefined, 0));
        }
        for (const stream of directionState.streams.values()) {
          if (stream.pendingStallPacketIndex >= 0) commitStall(stream);
          stream.space.finish();
          stream.input?.finish();
          rows.push(this.streamRow(stream));
        }
      }
    }
    rows.sort((a, b) => compareRows(a.row, b.row));
    for (const { row, stream, fit, lossRuns } of rows) {
      if (stream.state !== undefined) {
        const impact = this.stateImpact(row, stream.state);
        syncImpact.push(impact);
        const recommendation = this.bufferRecommendation(row, impact, recommendations.length);
        if (recommendation !== undefined) recommendations.push(recommendation);
      }
      if (stream.input !== undefined && stream.input.expected > 0) {
        const slots = row.expected;
        const impact = this.inputImpact(row.id, row.direction, row.channel, stream.input, lossRuns, slots);
        syncImpact.push(impact);
        const recommendation = this.redundancyRecommendation(row, stream.input, impact, lossRuns, fit, recommendations.length);
        if (recommendation !== undefined) recommendations.push(recommendation);
      }
      if (stream.reliable) {
        syncImpact.push(this.reliableImpact(row, stream));
        const recommendation = this.channelRecommendation(row, stream, recommendations.length);
        if (recommendation !== undefined) recommendations.push(recommendation);
      }
    }
    const findings = this.findings(rows.map((entry) => entry.row));
    return {
      sessions: rows.map((entry) => entry.row),
      syncImpact,
      recommendations,
      findings,
      unsequencedMessages: unsequenced,
      anomalies: this.anomalies.toSummary(),
      options: { ...this.options, defaultSequenceBits: this.options.defaultSequenceBits ?? null },
    };
  }

  private chooseMethod(stream: StreamState): "gaps" | "acks" {
    const space = stream.space;
    if (space.ackPatterns === undefined || space.ackCovered === 0) return "gaps";
    const vantage = this.options.vantagePoint;
    if (vantage === "receiver") return "gaps";
    if (vantage === "client") return stream.direction === "clientToServer" ? "acks" : "gaps";
    if (vantage === "server") return stream.direction === "serverToClient" ? "acks" : "gaps";
    return space.lost === 0 && space.ackLost > 0 ? "acks" : "gaps";
  }

  private streamRow(stream: StreamState): { row: LossStream; stream: StreamState; fit: GilbertElliottFit | undefined; lossRuns: RunLengthHistogram } {
    const space = stream.space;
    const method = this.chooseMethod(stream);
    const byAcks = method === "acks";
    const expected = byAcks ? space.ackCovered : space.expected;
    const lost = byAcks ? space.ackLost : space.lost;
    const received = expected - lost;
    const patterns = byAcks ? space.ackPatterns! : space.patterns;
    const lossRuns = byAcks ? space.ackLossRuns! : space.lossRuns;
    const receiveRuns = byAcks ? space.ackReceiveRuns! : space.receiveRuns;
    const confidence = this.options.confidence;
    const fit = lost > 0 ? fitGilbertElliott(patterns) : undefined;
    const conditional = patterns.conditionalLoss();
    const lossSummary = lossRuns.summary();
    const messageTypes = [...stream.messageTypes.values()].map(({ type, messages }) => ({ type, messages })).sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    const row: LossStream = {
      id: stream.sessionId,
      direction: stream.direction,
      channel: stream.channel,
      protocolSessionId: stream.protocolSessionId,
      messageType: messageTypes.map((entry) => entry.type).join("+"),
      method,
      sequenceBits: space.sequenceBits ?? null,
      firstUs: stream.firstUs,
      lastUs: stream.lastUs,
      durationMs: round((stream.lastUs - stream.firstUs) / 1000, 3),
      expected,
      received,
      lost,
      duplicates: space.duplicates,
      captureDuplicates: stream.captureDuplicates,
      reordered: space.reordered,
      late: space.late,
      strays: space.strays,
      lossRate: expected === 0 ? 0 : round(lost / expected),
      lossRateInterval: roundInterval(wilsonInterval(lost, expected, confidence)),
      lateRate: space.received === 0 ? 0 : round(space.late / space.received),
      lateRateInterval: roundInterval(wilsonInterval(space.late, space.received, confidence)),
      bursts: { meanLength: lossSummary.meanLength, maxLength: lossSummary.maxLength, lossRuns: lossSummary, receiveRuns: receiveRuns.summary() },
      conditionalLossProbability: { afterLoss: rateOrNull(conditional.afterLoss), afterReceive: rateOrNull(conditional.afterReceive) },
      gilbertElliott: fit ?? null,
      netem: fit === undefined ? null : formatNetemGemodel(fit),
      resets: {
        count: space.resetCount,
        candidates: space.resetCandidates.map((candidate) => ({
          ...candidate,
          fromSequence: serialNumberForReport(candidate.fromSequence),
          toSequence: serialNumberForReport(candidate.toSequence),
        })),
      },
      rfc3550: stream.rfc3550 === undefined ? null : { expected: stream.rfc3550.expected, received: stream.rfc3550.received, lost: stream.rfc3550.lost },
      senderView:
        space.ackPatterns === undefined
          ? null
          : {
              covered: space.ackCovered,
              acknowledged: space.ackAcknowledged,
              lost: space.ackLost,
              lossRate: space.ackCovered === 0 ? 0 : round(space.ackLost / space.ackCovered),
              lossRateInterval: roundInterval(wilsonInterval(space.ackLost, space.ackCovered, confidence)),
              meanAckRedundancy: space.ackAcknowledged === 0 ? 0 : round(space.ackMentions / space.ackAcknowledged),
              acksBeyondHighest: space.acksBeyondHighest,
            },
      messageTypes,
      gapPacketIndices: [...space.gapPacketIndices],
      arrivalGaps: [...space.arrivalGaps].sort((left, right) => left.tUs - right.tUs),
    };
    return { row, stream, fit, lossRuns };
  }

  private stateImpact(row: LossStream, tracker: StateSyncTracker): StateSyncImpact {
    const counted = tracker.intervalsUs.count;
    const bufferCoverage: { snapshots: number; coveredRate: number }[] = [];
    for (let snapshots = 1; snapshots <= MAX_BUFFER_SNAPSHOTS; snapshots++) {
      const coverage = tracker.bufferCoverage(snapshots);
      if (!Number.isNaN(coverage)) bufferCoverage.push({ snapshots, coveredRate: round(coverage) });
    }
    const hasJumps = tracker.jumpAfterLoss.count + tracker.jumpBaseline.count > 0;
    return {
      kind: "state",
      id: row.id,
      direction: row.direction,
      channel: row.channel,
      updates: tracker.updates,
      updateIntervalMs: distribution(tracker.intervalsUs, 1 / 1000),
      staleAfterLossMs: distribution(tracker.staleAfterLossUs, 1 / 1000),
      nominalUpdateIntervalMs: round(tracker.nominalIntervalUs / 1000),
      interpolationDelayMs: this.options.interpolationDelayMs,
      exceedsInterpolationDelay: tracker.exceeds,
      exceedsInterpolationDelayRate: counted === 0 ? 0 : round(tracker.exceeds / counted),
      bufferCoverage,
      correctionJump: hasJumps
        ? { afterLoss: distribution(tracker.jumpAfterLoss, StateSyncTracker.jumpScale), baseline: distribution(tracker.jumpBaseline, StateSyncTracker.jumpScale) }
        : null,
    };
  }

  private bufferRecommendation(row: LossStream, impact: StateSyncImpact, index: number): Recommendation | undefined {
    const nominalMs = impact.nominalUpdateIntervalMs;
    if (impact.bufferCoverage.length === 0 || nominalMs <= 0) return undefined;
    const current = Math.min(MAX_BUFFER_SNAPSHOTS, Math.max(1, Math.round(this.options.interpolationDelayMs / nominalMs)));
    const currentCoverage = impact.bufferCoverage[current - 1]!.coveredRate;
    if (currentCoverage >= this.options.targetBufferCoverage) return undefined;
    const better = impact.bufferCoverage.find((entry) => entry.snapshots > current && entry.coveredRate >= this.options.targetBufferCoverage);
    if (better === undefined) return undefined;
    return {
      id: `loss.interpolationBuffer.${index}`,
      analysis: "loss",
      kind: "interpolationBuffer",
      title: `Interpolation buffer of ${better.snapshots} snapshots covers ${formatPercent(better.coveredRate)} of update gaps (now ${current}: ${formatPercent(currentCoverage)})`,
      metric: "coveredUpdateIntervalRate",
      before: currentCoverage,
      after: better.coveredRate,
      verified: true,
      method: `replayed the ${impact.updateIntervalMs.count} observed update intervals against a ${better.snapshots}-snapshot buffer (interval ≤ (buffer + ½) × nominal ${nominalMs} ms)`,
      cost: { addedDelayMs: round((better.snapshots - current) * nominalMs) },
      session: row.id,
    };
  }

  private inputImpact(
    sessionId: string,
    direction: Direction,
    channel: string | null,
    input: InputCoverage,
    lossRuns: RunLengthHistogram | undefined,
    slots: number,
  ): InputSyncImpact {
    const redundancyReplay: { redundancy: number; residualInputLossRate: number }[] = [];
    if (lossRuns !== undefined && slots > 0) {
      for (let redundancy = 1; redundancy <= 8; redundancy++) {
        redundancyReplay.push({ redundancy, residualInputLossRate: round(replayResidualInputLoss(lossRuns, slots, redundancy)) });
      }
    }
    const datagramLoss = lossRuns === undefined || slots === 0 ? 0 : lossRuns.windowsInside(1) / slots;
    return {
      kind: "input",
      id: sessionId,
      direction,
      channel,
      inputsExpected: input.expected,
      inputsLost: input.lost,
      residualInputLossRate: input.expected === 0 ? 0 : round(input.lost / input.expected),
      residualInputLossRateInterval: roundInterval(wilsonInterval(input.lost, input.expected, this.options.confidence)),
      currentRedundancy: input.currentRedundancy,
      datagramLossRate: round(datagramLoss),
      redundancyReplay,
    };
  }

  private redundancyRecommendation(
    row: LossStream,
    input: InputCoverage,
    impact: InputSyncImpact,
    lossRuns: RunLengthHistogram,
    fit: GilbertElliottFit | undefined,
    index: number,
  ): Recommendation | undefined {
    const current = impact.currentRedundancy;
    const target = this.options.targetResidualInputLossRate;
    if (impact.residualInputLossRate <= target) return undefined;
    let chosen = 0;
    let after = 0;
    for (let redundancy = current + 1; redundancy <= 16; redundancy++) {
      after = replayResidualInputLoss(lossRuns, row.expected, redundancy);
      if (after <= target) {
        chosen = redundancy;
        break;
      }
    }
    if (chosen === 0) return undefined;
    const bytesPerInput = input.messages === 0 ? 0 : input.bytes / input.messages / current;
    const durationSeconds = rowDurationSeconds(row);
    const datagramsPerSecond = durationSeconds > 0 ? row.received / durationSeconds : 0;
    const model =
      fit === undefined
        ? ""
        : `; fitted Gilbert–Elliott model re-simulated (seed ${String(this.options.seed)}, ${this.options.simulationDatagrams} datagrams): ${formatPercent(
            simulateResidualInputLoss(fit, chosen, this.options.simulationDatagrams, this.options.seed),
          )}`;
    return {
      id: `loss.inputRedundancy.${index}`,
      analysis: "loss",
      kind: "inputRedundancy",
      title: `Send the last ${chosen} inputs in every packet: residual input loss ${formatPercent(impact.residualInputLossRate)} → ${formatPercent(after)}`,
      metric: "residualInputLossRate",
      before: impact.residualInputLossRate,
      after: round(after),
      verified: true,
      method: `replayed the observed datagram loss trace (${row.expected} datagrams, ${row.lost} lost) with ${chosen} inputs per datagram${model}`,
      cost: {
        bytesPerSecond: round((chosen - current) * bytesPerInput * datagramsPerSecond, 1),
        note: `${chosen - current} more inputs per datagram at ≈${round(bytesPerInput, 1)} bytes each (mean input message size / current redundancy)`,
      },
      session: row.id,
    };
  }

  private reliableImpact(row: LossStream, stream: StreamState): ReliableSyncImpact {
    const space = stream.space;
    const resendCounts: { resendCount: number; messages: number }[] = [];
    let resends = 0;
    for (let count = 1; count < space.resendCounts.length; count++) {
      const messages = space.resendCounts[count]!;
      resends += messages;
      if (messages > 0) resendCounts.push({ resendCount: count, messages });
    }
    return {
      kind: "reliable",
      id: row.id,
      direction: row.direction,
      channel: row.channel,
      resends,
      resendCounts,
      duplicateDeliveries: space.duplicates,
      retransmissionDelayMs: distribution(space.retransmissionDelayUs, 1 / 1000),
      headOfLineStallMs: distribution(space.stallUs, 1 / 1000),
      meanAckRedundancy: row.senderView === null ? null : row.senderView.meanAckRedundancy,
    };
  }

  /**
   * On an ordered reliable stream carrying several message types: the p95
   * head-of-line stall if one type had its own channel, replayed on the
   * observed stalls by dropping those that a lost message of that type alone
   * caused (the datagram that ended the stall carried only that type).
   */
  private channelRecommendation(row: LossStream, stream: StreamState, index: number): Recommendation | undefined {
    if (stream.messageTypes.size < 2 || stream.stallsByBlocker.size < 2) return undefined;
    const all = new LogHistogram();
    for (const histogram of stream.stallsByBlocker.values()) all.merge(histogram);
    const before = all.quantile(0.95);
    let best: { type: string; after: number; remaining: number } | undefined;
    for (const type of [...stream.stallsByBlocker.keys()].sort()) {
      if (type.includes("+")) continue;
      const others = new LogHistogram();
      for (const [key, histogram] of stream.stallsByBlocker) if (key !== type) others.merge(histogram);
      const after = others.quantile(0.95);
      if (best === undefined || after < best.after) best = { type, after, remaining: others.count };
    }
    if (best === undefined || best.after > 0.8 * before) return undefined;
    const beforeMs = round(before / 1000, 3);
    const afterMs = round(best.after / 1000, 3);
    return {
      id: `loss.channelSeparation.${index}`,
      analysis: "loss",
      kind: "channelSeparation",
      title: `Move \`${best.type}\` off the ordered channel${row.channel === null ? "" : ` ${row.channel}`}: head-of-line stall p95 ${beforeMs} ms → ${afterMs} ms`,
      metric: "headOfLineStallP95Ms",
      before: beforeMs,
      after: afterMs,
      verified: true,
      method: `replayed the ${all.count} observed head-of-line stalls without the ${all.count - best.remaining} ended by a datagram carrying only \`${best.type}\``,
      cost: { addedDelayMs: 0, note: `\`${best.type}\` needs its own ordered channel (a second sequence space and ack state)` },
      session: row.id,
    };
  }

  private findings(rows: LossStream[]): Finding[] {
    const findings: Finding[] = [];
    for (const row of rows) {
      const where = `${row.id} ${row.direction}${row.channel === null ? "" : ` channel ${row.channel}`} (${row.messageType})`;
      if (row.expected > 0 && row.lossRate >= this.options.highLossRate) {
        findings.push({
          id: `loss.highLoss.${findings.length}`,
          analysis: "loss",
          kind: "highLoss",
          severity: row.lossRate >= 0.1 ? "high" : "medium",
          startUs: row.firstUs,
          endUs: row.lastUs,
          session: row.id,
          confidence: round(1 - (1 - this.options.confidence) / 2),
          summary: `${where}: ${formatPercent(row.lossRate)} lost (${row.lost} of ${row.expected}; ${formatPercent(row.lossRateInterval.lower)}–${formatPercent(row.lossRateInterval.upper)}), bursts up to ${row.bursts.maxLength}`,
          evidence: {
            values: { lost: row.lost, expected: row.expected, lossRate: row.lossRate, maxBurstLength: row.bursts.maxLength, method: row.method },
            packetIndices: row.gapPacketIndices,
          },
        });
      }
      for (const candidate of row.resets.candidates) {
        findings.push({
          id: `loss.resetCandidate.${findings.length}`,
          analysis: "loss",
          kind: candidate.reason === "pause" ? "pauseCandidate" : "resetCandidate",
          severity: "info",
          startUs: candidate.tUs - candidate.pauseMs * 1000,
          endUs: candidate.tUs,
          session: row.id,
          summary: `${where}: sequence ${candidate.fromSequence} → ${candidate.toSequence} after ${candidate.pauseMs} ms (${candidate.reason}); not counted as loss`,
          evidence: {
            values: { fromSequence: candidate.fromSequence, toSequence: candidate.toSequence, pauseMs: candidate.pauseMs, skippedSequences: candidate.skippedSequences },
            packetIndices: [candidate.packetIndex],
          },
        });
      }
    }
    return findings;
  }
}

function containsSequence(stream: StreamState, sequence: SerialNumber): boolean {
  const sequences = stream.packetSequences;
  for (let index = 0; index < stream.packetSequenceCount; index++) if (sequences[index] === sequence) return true;
  return false;
}

function commitStall(stream: StreamState): void {
  const key = stream.pendingStallTypes.sort().join("+");
  let histogram = stream.stallsByBlocker.get(key);
  if (histogram === undefined) {
    histogram = new LogHistogram();
    stream.stallsByBlocker.set(key, histogram);
  }
  histogram.add(stream.pendingStallUs);
  stream.pendingStallPacketIndex = -1;
  stream.pendingStallTypes.length = 0;
}

function rowDurationSeconds(row: LossStream): number {
  return row.durationMs / 1000;
}

function roundInterval(interval: { lower: number; upper: number; confidence: number }): { lower: number; upper: number; confidence: number } {
  return { lower: round(interval.lower), upper: round(interval.upper), confidence: interval.confidence };
}

function formatPercent(rate: number): string {
  return `${round(rate * 100, 3)}%`;
}

function compareRows(a: LossStream, b: LossStream): number {
  const keyA = `${a.id}\u0000${a.direction}\u0000${a.channel ?? ""}\u0000${a.protocolSessionId ?? ""}\u0000${a.messageType}`;
  const keyB = `${b.id}\u0000${b.direction}\u0000${b.channel ?? ""}\u0000${b.protocolSessionId ?? ""}\u0000${b.messageType}`;
  return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
}

/** Creates a {@link LossAnalyzer}. */
export function createLossAnalyzer(options: LossAnalyzerOptions = {}): LossAnalyzer {
  return new LossAnalyzer(options);
}
