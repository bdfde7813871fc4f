import {
  acknowledgedChannel,
  AnomalyCounter,
  DEFAULT_RECENT_DATAGRAMS,
  RecentPayloadRings,
  DEFAULT_ANOMALY_EXAMPLES,
  type AnomalySummary,
  type MergeableAnalyzer,
  type MergePlacement,
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
import {
  DIRECTIONS,
  LOSS_STATE_VERSION,
  lossAnalyzerStateSchema,
  type LossAnalyzerState,
  type LossDirectionState,
  type LossHeadAckState,
  type LossHeadPacketState,
  type LossStreamCoreState,
  type LossStreamState,
} from "./loss-analyzer-state.js";
import { appendInput, graftInput, graftLogHistogram, graftRfc3550, graftSpace } from "./seam-graft.js";
import { compileStateCheck } from "./state-checker.js";
import { decodeSerial, encodeSerial } from "./state-encoding.js";
import { HeadEntryKind, StreamHeadLog } from "./stream-head-log.js";
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
  /**
   * Log each stream's head (its first events, until its windows moved past
   * where the pass began) so that `saveState()` lets a merge continue the
   * stream exactly across a rotation cut (see `LossAnalyzerState`). Default
   * false: a plain analysis never saves its state, and the log costs CPU and
   * memory per event; a state saved without it still merges exactly where no
   * stream continues across the cut, and counts each seam it cannot replay as
   * `E_LOSS_SEAM_INEXACT`. Not part of the report's options, and states saved
   * with and without it merge with each other.
   */
  keepSeamLog?: boolean;
}

type ResolvedOptions = Required<Omit<LossAnalyzerOptions, "defaultSequenceBits" | "keepSeamLog">> & { defaultSequenceBits: number | undefined };

/** Anomaly code counted when the stream limit is reached. */
export const STREAM_LIMIT_CODE = "E_LOSS_STREAM_LIMIT";
/** Anomaly code counted when a stream's entity limit is reached. */
export const ENTITY_LIMIT_CODE = "E_LOSS_ENTITY_LIMIT";
/** Anomaly code counted for a message whose sequence or input sequence is not a finite number (ignored). */
export const BAD_ROLE_CODE = "E_LOSS_BAD_ROLE";
/** Anomaly code counted per stray packet (too old for the window, or an unconfirmed jump). */
export const STRAY_CODE = "E_LOSS_STRAY_SEQUENCE";
/** Anomaly code counted per stream whose rotation cut could not be reconciled exactly at a merge (see `LossAnalyzerState`). */
export const SEAM_INEXACT_CODE = "E_LOSS_SEAM_INEXACT";

/** Sequences beyond one window a stream's head covers before its checkpoint (room for a pass beginning behind the previous one). */
const SEAM_MARGIN = 64;
/** Head entries of a stream at most, in windows (of the larger of the sequence and input windows; the checkpoint is taken then even if the windows have not moved on). */
const HEAD_WINDOWS = 8;
/** Window of the input trackers (InputCoverage's default). */
const INPUT_WINDOW = 4096;
/** Peer acks without a stream remembered per direction (acks of the previous pass's sequences). */
const MAX_HEAD_ACKS = 64;

const checkState = compileStateCheck(lossAnalyzerStateSchema);

interface StreamState {
  sessionId: string;
  direction: Direction;
  channel: string | null;
  channelKey: string | number | undefined;
  protocolSessionId: string | null;
  space: SequenceSpace;
  rfc3550: Rfc3550SequenceCounter | undefined;
  /** Messages per message type, in the order the types were first seen (the current run's messages wait in `currentTypeMessages`: read it through {@link settleMessageTypes}). */
  messageTypes: Map<string, MessageTypeCount>;
  /**
   * The type of the stream's last message (most messages repeat it) and the
   * messages of the current run of that type not yet added to its entry in
   * `messageTypes`: a message of the same type counts here, in the stream
   * object, without reaching for the entry.
   */
  currentType: string | undefined;
  currentTypeMessages: number;
  lastPacketIndex: number;
  /** Sequences counted in the current packet: `packetSequenceCount` of them, the first in `packetFirstSequence`, the others in `packetSequences` (reused). */
  packetFirstSequence: SerialNumber;
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
  /** Key of the stream in its direction's map. */
  key: string | number | undefined;
  /** The pass's first events of the stream (see `LossAnalyzerState`); undefined when no head is logged (`keepSeamLog` off). */
  head: StreamHeadLog | undefined;
  /** True until the checkpoint (never without a head log). */
  headOpen: boolean;
  /** The stream at the end of its head. */
  checkpoint: LossStreamCoreState | null;
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
  /** The stream the peer's acks last found by their channel, and that channel (a cache in front of `streams`: a key's stream never changes). */
  ackedStream: StreamState | undefined;
  ackedChannel: string | number | undefined;
  /** The sequence space of `ackedStream`, held here too: an ack goes from the direction straight to the space, one object fewer on its chain of loads. */
  ackedSpace: SequenceSpace | undefined;
  lastAck: SerialNumber;
  /** Inputs without a sequence role. */
  input: InputCoverage | undefined;
  /** The direction's ring of recent datagrams in the analyzer's {@link RecentPayloadRings}, to tell a datagram captured twice (allocated on the first payload; -1 before). */
  recent: number;
  /** The first datagrams of the pass (checked against the previous pass's at a merge). */
  headPackets: LossHeadPacketState[];
  /** True while `headPackets` has room (checked per datagram: a flag in the direction, not the list's length). */
  headPacketsOpen: boolean;
  /** Acks for this direction's streams that found no stream (they acknowledge the previous pass). */
  headAcks: LossHeadAckState[];
}

/** Datagrams remembered per session and direction for capture-duplicate detection (core's ring size, as bandwidth keeps one). */
const RECENT_DATAGRAMS = DEFAULT_RECENT_DATAGRAMS;

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
    ackedStream: undefined,
    ackedChannel: undefined,
    ackedSpace: undefined,
    lastAck: Number.NaN,
    input: undefined,
    recent: -1,
    headPackets: [],
    headPacketsOpen: true,
    headAcks: [],
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
export class LossAnalyzer implements MergeableAnalyzer<LossReport, LossAnalyzerState> {
  /** Analysis name. */
  readonly name = "loss";
  /** Version of {@link LossAnalyzerState}. */
  readonly stateVersion = LOSS_STATE_VERSION;
  private readonly options: ResolvedOptions;
  private readonly spaceOptions: SequenceSpaceOptions;
  private readonly sessions = new Map<string, SessionState>();
  private readonly anomalies = new AnomalyCounter();
  /** Every direction's recent-datagram ring (capture duplicates). */
  private readonly rings = new RecentPayloadRings();
  private streamCount = 0;
  /** The session of the last message (messages of one datagram, and often of consecutive datagrams, share it). */
  private lastSessionId: string | undefined;
  private lastSession: SessionState | undefined;
  /** Packet index of the current datagram when it is a capture duplicate (its messages are not new arrivals), else -1. */
  private captureDuplicatePacketIndex = -1;
  /** The current datagram when it is one of the first of its direction (its unsequenced messages are noted). */
  private headPacket: LossHeadPacketState | undefined;
  /** Anomalies of merged states (examples: the smallest packet indices, as one pass keeps them). */
  private mergedAnomalies: AnomalySummary = {};
  /** See {@link LossAnalyzerOptions.keepSeamLog}. */
  private readonly keepSeamLog: boolean;

  constructor(options: LossAnalyzerOptions = {}) {
    this.options = resolveOptions(options);
    this.keepSeamLog = options.keepSeamLog === true;
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
      currentType: undefined,
      currentTypeMessages: 0,
      lastPacketIndex: -1,
      packetFirstSequence: 0,
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
      key,
      head: this.keepSeamLog ? new StreamHeadLog() : undefined,
      headOpen: this.keepSeamLog,
      checkpoint: null,
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
    this.headPacket = undefined;
    const payload = packet.payload;
    if (payload === undefined) return;
    const session = this.session(packet.sessionId);
    const directionState = packet.direction === "clientToServer" ? session.clientToServer : session.serverToClient;
    const rings = this.rings;
    let ring = directionState.recent;
    if (ring < 0) ring = directionState.recent = rings.allocate();
    const fingerprint = payloadFingerprint(payload);
    const match = rings.find(ring, fingerprint, payload.length);
    if (match >= 0) {
      const first = { tUs: rings.timeUs(ring, match), ipIdentification: rings.ipIdentification(ring, match), interfaceId: rings.interfaceId(ring, match) };
      if (isCaptureDuplicate(first, packet)) this.captureDuplicatePacketIndex = packet.packetIndex;
      // A resend is left to the sequence space; either way the first copy stays the one remembered.
      return;
    }
    rings.add(ring, fingerprint, payload.length, packet.tUs, packet.ipIdentification ?? -1, packet.interfaceId ?? 0);
    if (directionState.headPacketsOpen) {
      this.headPacket = {
        packetIndex: packet.packetIndex,
        fingerprint,
        length: payload.length,
        tUs: packet.tUs,
        ipIdentification: packet.ipIdentification ?? -1,
        interfaceId: packet.interfaceId ?? 0,
        unsequenced: [],
      };
      directionState.headPackets.push(this.headPacket);
      directionState.headPacketsOpen = directionState.headPackets.length < RECENT_DATAGRAMS;
    }
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
    notePacketSequence(stream, sequence);
    stream.captureDuplicates += 1;
    stream.rfc3550?.update(sequence);
    if (stream.headOpen) stream.head!.captureDuplicate(sequence, message.packetIndex);
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
      const headPacket = this.headPacket;
      if (headPacket !== undefined && headPacket.packetIndex === message.packetIndex) countType(headPacket.unsequenced, message.type);
      if (inputSequence !== undefined) {
        directionState.input ??= new InputCoverage();
        directionState.input.observe(inputSequence, roles.inputCount, message.byteLength, roles.inputSequenceBits);
      }
      return;
    }
    const stream = this.stream(message, directionState);
    if (stream === undefined) return;
    if (message.type === stream.currentType) stream.currentTypeMessages += 1;
    else switchMessageType(stream, message.type);
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
      notePacketSequence(stream, sequence);
      if (stream.headOpen) stream.head!.observation(sequence, message.tUs, message.packetIndex, roles.sendTimeUs, resendCount, message.type);
      this.observeSequence(stream, sequence, message.tUs, message.packetIndex, roles.sendTimeUs, resendCount, true);
    } else if (stream.headOpen) {
      stream.head!.messageType(message.type);
    }
    if (stream.pendingStallPacketIndex === message.packetIndex && !stream.pendingStallTypes.includes(message.type)) stream.pendingStallTypes.push(message.type);
    if (inputSequence !== undefined) {
      if (stream.headOpen) stream.head!.input(inputSequence, roles.inputCount, message.byteLength, roles.inputSequenceBits, message.packetIndex);
      if (stream.lastOutcome !== Observation.pending) {
        // Inputs are message-level roles: every input message counts, wherever it sits in the datagram.
        stream.input ??= new InputCoverage();
        stream.input.observe(inputSequence, roles.inputCount, message.byteLength, roles.inputSequenceBits);
      }
    }
    if (stream.headOpen && (stream.head!.length & 63) === 0) this.considerCheckpoint(stream);
    if (stream.lastOutcome === Observation.advanced && isStateMessage(roles, inputSequence, reliable, resendRole)) {
      stream.state ??= new StateSyncTracker(this.options.interpolationDelayMs * 1000, this.options.maxEntitiesPerStream);
      const tracker = stream.state;
      tracker.onUpdate(message.tUs, message.packetIndex, stream.lastSkipped);
      const dropped = tracker.entitiesDropped;
      tracker.onEntities(roles, message.tUs, stream.lastSkipped);
      if (tracker.entitiesDropped !== dropped) this.anomalies.add(ENTITY_LIMIT_CODE, message.packetIndex);
    }
  }

  /** One sequence of a stream (the first of its packet): the space, stalls, strays, RFC 3550, resets. Shared by the live path and a merge's replay. */
  private observeSequence(
    stream: StreamState,
    sequence: SerialNumber,
    tUs: number,
    packetIndex: number,
    sendTimeUs: number | undefined,
    resendCount: number,
    countStrays: boolean,
  ): void {
    const space = stream.space;
    const strays = space.strays;
    stream.lastOutcome = space.observe(sequence, tUs, packetIndex, sendTimeUs, resendCount);
    stream.lastSkipped = stream.lastOutcome === Observation.advanced ? space.lastSkipped : 0;
    if (stream.pendingStallPacketIndex >= 0) commitStall(stream);
    if (stream.lastOutcome === Observation.reordered) {
      stream.pendingStallPacketIndex = packetIndex;
      stream.pendingStallUs = space.lastWaitUs;
    }
    if (countStrays && space.strays !== strays) this.anomalies.add(STRAY_CODE, packetIndex);
    stream.rfc3550?.update(sequence);
    if (space.resetCount !== stream.resetsSeen) {
      stream.resetsSeen = space.resetCount;
      stream.state?.onReset();
    }
  }

  /**
   * Ends a stream's head once its windows have moved a window (and a margin)
   * past where the pass began — from then on a pass after a cut sees exactly
   * what one pass would — or when the head reached its size limit.
   */
  private considerCheckpoint(stream: StreamState): void {
    const windowSize = this.options.windowSize;
    const spaceDone = stream.space.segmentProgress >= windowSize + SEAM_MARGIN;
    const input = stream.input;
    const inputDone = input === undefined || input.segmentProgress >= input.window + SEAM_MARGIN;
    // The input tracker's window (4096) can be larger than the sequence window: the limit covers both.
    if ((spaceDone && inputDone) || stream.head!.length >= HEAD_WINDOWS * Math.max(windowSize, INPUT_WINDOW)) this.takeCheckpoint(stream);
  }

  private takeCheckpoint(stream: StreamState): void {
    stream.checkpoint = this.saveCore(stream, true);
    stream.space.mark();
    stream.headOpen = false;
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
    let direct = peer.ackedStream;
    if (direct === undefined || channel !== peer.ackedChannel) {
      direct = peer.streams.get(channel);
      if (direct !== undefined) {
        peer.ackedStream = direct;
        peer.ackedChannel = channel;
        peer.ackedSpace = direct.space;
      }
    }
    if (direct !== undefined) {
      peer.ackedSpace!.onAck(ack, ackBits, width);
      // A head is logged only with keepSeamLog: without it the stream object is not needed here.
      if (this.keepSeamLog && direct.headOpen) direct.head!.ack(ack, ackBits, width, message.packetIndex);
      return;
    }
    let applied = false;
    for (const stream of peer.streams.values()) {
      if (stream.channelKey === channel && (stream.protocolSessionId === null || stream.protocolSessionId === (roles.sessionId ?? stream.protocolSessionId))) {
        stream.space.onAck(ack, ackBits, width);
        if (stream.headOpen) stream.head!.ack(ack, ackBits, width, message.packetIndex);
        applied = true;
      }
    }
    if (!applied && peer.headAcks.length < MAX_HEAD_ACKS) {
      peer.headAcks.push({
        packetIndex: message.packetIndex,
        ack: encodeSerial(ack),
        ackBits,
        ackBitsWidth: width,
        channel: channel ?? null,
        protocolSessionId: roles.sessionId ?? null,
      });
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
      anomalies: this.anomalySummary(),
      options: this.optionsForReport(),
    };
  }

  private optionsForReport(): LossReport["options"] {
    return { ...this.options, defaultSequenceBits: this.options.defaultSequenceBits ?? null };
  }

  /** Anomalies of this pass and of merged states; examples are the smallest packet indices (as one pass keeps them). */
  private anomalySummary(): AnomalySummary {
    return combineAnomalies(this.anomalies.toSummary(), this.mergedAnomalies, 0);
  }

  /** What a stream counts (`checkpoint`: without the state tracker and message counts, which a merge adds rather than replays). */
  private saveCore(stream: StreamState, checkpoint: boolean): LossStreamCoreState {
    return {
      space: stream.space.saveState(),
      rfc3550: stream.rfc3550?.saveState() ?? null,
      input: stream.input?.saveState() ?? null,
      state: checkpoint ? null : (stream.state?.saveState() ?? null),
      messageTypes: checkpoint ? [] : [...settleMessageTypes(stream).values()].map(({ type, messages }): [string, number] => [type, messages]),
      reliable: stream.reliable,
      resetsSeen: stream.resetsSeen,
      firstUs: stream.firstUs,
      lastUs: stream.lastUs,
      captureDuplicates: stream.captureDuplicates,
      stallsByBlocker: [...stream.stallsByBlocker.entries()].map(([key, histogram]): [string, ReturnType<LogHistogram["saveState"]>] => [key, histogram.saveState()]),
    };
  }

  /**
   * Ends feeding and returns the whole state as JSON-safe data (see
   * {@link LossAnalyzerState}): open windows are saved as they are, so a
   * later pass can continue them.
   */
  saveState(): LossAnalyzerState {
    const sessions: LossAnalyzerState["sessions"] = [];
    for (const sessionId of [...this.sessions.keys()].sort()) {
      const session = this.sessions.get(sessionId)!;
      const saveDirection = (direction: DirectionState): LossDirectionState => ({
        unsequenced: [...direction.unsequenced.entries()],
        input: direction.input?.saveState() ?? null,
        recent: direction.recent < 0 ? null : this.rings.saveColumns(direction.recent),
        headPackets: direction.headPackets.map((packet) => ({ ...packet, unsequenced: packet.unsequenced.map(([type, count]): [string, number] => [type, count]) })),
        headAcks: direction.headAcks.map((ack) => ({ ...ack })),
        streams: [...direction.streams.values()].map((stream): LossStreamState => {
          if (stream.pendingStallPacketIndex >= 0) commitStall(stream);
          return {
            key: stream.key ?? null,
            channel: stream.channel,
            channelKey: stream.channelKey ?? null,
            protocolSessionId: stream.protocolSessionId,
            core: this.saveCore(stream, false),
            head: stream.head?.saveState() ?? null,
            checkpoint: stream.checkpoint,
          };
        }),
      });
      sessions.push({ id: sessionId, clientToServer: saveDirection(session.clientToServer), serverToClient: saveDirection(session.serverToClient) });
    }
    return { analysis: "loss", version: LOSS_STATE_VERSION, options: this.optionsForReport(), anomalies: this.anomalySummary(), sessions };
  }

  /**
   * Folds a saved state in (see {@link LossAnalyzerState} for what is exact).
   * The state is checked completely — schema, version, options, windows —
   * before anything changes: `E_BAD_PARTIAL` for a state this analyzer did
   * not save, `E_PARTIAL_MISMATCH` for one saved with other options.
   */
  mergeState(state: LossAnalyzerState, placement: MergePlacement): void {
    const offset = placement?.packetIndexOffset;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new TickscopeError(ErrorCode.badPartial, `loss state: packetIndexOffset must be a non-negative integer, got ${String(offset)}`);
    }
    const problem = checkState(state);
    if (problem !== undefined) throw new TickscopeError(ErrorCode.badPartial, `loss state does not match its schema: ${problem}`);
    if (state.version !== LOSS_STATE_VERSION) {
      throw new TickscopeError(ErrorCode.badPartial, `loss state version ${state.version} is not supported (this analyzer reads version ${LOSS_STATE_VERSION})`);
    }
    const mine = JSON.stringify(this.optionsForReport());
    const theirs = JSON.stringify(state.options);
    if (mine !== theirs) throw new TickscopeError(ErrorCode.partialMismatch, `loss state was saved with other options: ${theirs}, this analyzer has ${mine}`);
    // Decode everything first: a bad window or head throws here, before any change.
    const decoded: { id: string; directions: [DecodedDirection, DecodedDirection] }[] = [];
    const seen = new Set<string>();
    for (const [sessionIndex, session] of state.sessions.entries()) {
      if (seen.has(session.id)) throw new TickscopeError(ErrorCode.badPartial, `loss state: session ${session.id} appears twice ($.sessions[${sessionIndex}])`);
      seen.add(session.id);
      const directions = DIRECTIONS.map((direction) => {
        const path = `$.sessions[${sessionIndex}].${direction}`;
        try {
          return this.decodeDirection(session[direction], offset, session.id, direction);
        } catch (error) {
          if (error instanceof RangeError || error instanceof SyntaxError) throw new TickscopeError(ErrorCode.badPartial, `loss state: ${path}: ${error.message}`);
          throw error;
        }
      }) as [DecodedDirection, DecodedDirection];
      decoded.push({ id: session.id, directions });
    }
    let newStreams = 0;
    for (const { id, directions } of decoded) {
      const existing = this.sessions.get(id);
      for (const direction of directions) {
        for (const stream of direction.streams) {
          const existingDirection = existing === undefined ? undefined : existing[stream.stream.direction];
          if (existingDirection === undefined || !existingDirection.streams.has(stream.stream.key)) newStreams += 1;
        }
      }
    }
    if (this.streamCount + newStreams > this.options.maxStreams) {
      throw new TickscopeError(ErrorCode.badPartial, `loss state: ${newStreams} more streams exceed maxStreams ${this.options.maxStreams}`);
    }
    // Apply (nothing below throws).
    this.mergedAnomalies = combineAnomalies(this.mergedAnomalies, state.anomalies, offset);
    this.lastSessionId = undefined;
    this.lastSession = undefined;
    for (const { id, directions } of decoded) {
      const existing = this.sessions.get(id);
      if (existing === undefined) {
        const session: SessionState = { clientToServer: directions[0].direction, serverToClient: directions[1].direction };
        for (const direction of directions) for (const { stream } of direction.streams) direction.direction.streams.set(stream.key, stream);
        this.streamCount += directions[0].streams.length + directions[1].streams.length;
        this.sessions.set(id, session);
        continue;
      }
      const duplicates = [this.seamDuplicates(existing.clientToServer, directions[0]), this.seamDuplicates(existing.serverToClient, directions[1])];
      for (let index = 0; index < 2; index++) {
        const target = index === 0 ? existing.clientToServer : existing.serverToClient;
        this.continueDirection(target, directions[index]!, duplicates[index]!, duplicates[1 - index]!, offset);
      }
    }
  }

  private decodeDirection(state: LossDirectionState, offset: number, sessionId: string, directionName: Direction): DecodedDirection {
    const direction = newDirection();
    for (const [type, count] of state.unsequenced) direction.unsequenced.set(type, count);
    direction.input = state.input === null ? undefined : InputCoverage.fromState(state.input);
    if (state.recent !== null) {
      direction.recent = this.rings.loadColumns(state.recent);
    }
    direction.headPackets = state.headPackets.map((packet) => ({ ...packet, packetIndex: packet.packetIndex + offset, unsequenced: packet.unsequenced.map(([type, count]): [string, number] => [type, count]) }));
    direction.headPacketsOpen = direction.headPackets.length < RECENT_DATAGRAMS;
    direction.headAcks = state.headAcks.map((ack) => ({ ...ack, packetIndex: ack.packetIndex + offset }));
    const keys = new Set<string | number | null>();
    const streams = state.streams.map((saved, index) => {
      if (keys.has(saved.key)) throw new RangeError(`stream key ${String(saved.key)} appears twice (streams[${index}])`);
      keys.add(saved.key);
      const stream = this.restoreStream(saved, offset, sessionId, directionName);
      if (saved.head === null && saved.checkpoint !== null) throw new RangeError(`stream ${String(saved.key)} has a checkpoint but no head log (streams[${index}])`);
      const checkpoint = saved.checkpoint === null ? null : offsetCore(saved.checkpoint, offset);
      if (checkpoint !== null) this.restoreCore(checkpoint, 0); // validates the checkpoint's windows
      stream.checkpoint = checkpoint;
      return { stream, saved };
    });
    return { direction, streams, headPackets: direction.headPackets, headAcks: direction.headAcks };
  }

  private restoreCore(core: LossStreamCoreState, offset: number): Pick<StreamState, "space" | "rfc3550" | "input" | "state" | "stallsByBlocker"> {
    const state = core.state === null ? undefined : new StateSyncTracker(this.options.interpolationDelayMs * 1000, this.options.maxEntitiesPerStream);
    if (state !== undefined) state.mergeState(core.state!, offset);
    return {
      space: SequenceSpace.fromState(this.spaceOptions, core.space, offset),
      rfc3550: core.rfc3550 === null ? undefined : Rfc3550SequenceCounter.fromState(core.rfc3550),
      input: core.input === null ? undefined : InputCoverage.fromState(core.input),
      state,
      stallsByBlocker: new Map(core.stallsByBlocker.map(([key, histogram]) => [key, LogHistogram.fromState(histogram)])),
    };
  }

  private restoreStream(saved: LossStreamState, offset: number, sessionId: string, direction: Direction): StreamState {
    const core = saved.core;
    const restored = this.restoreCore(core, offset);
    const messageTypes = new Map<string, MessageTypeCount>(core.messageTypes.map(([type, messages]) => [type, { type, messages }]));
    return {
      sessionId,
      direction,
      channel: saved.channel,
      channelKey: saved.channelKey ?? undefined,
      protocolSessionId: saved.protocolSessionId,
      ...restored,
      messageTypes,
      currentType: undefined,
      currentTypeMessages: 0,
      lastPacketIndex: -1,
      packetFirstSequence: 0,
      packetSequences: [],
      packetSequenceCount: 0,
      lastOutcome: Observation.duplicate,
      lastSkipped: 0,
      reliable: core.reliable,
      resetsSeen: core.resetsSeen,
      firstUs: core.firstUs,
      lastUs: core.lastUs,
      pendingStallPacketIndex: -1,
      pendingStallUs: 0,
      pendingStallTypes: [],
      captureDuplicates: core.captureDuplicates,
      key: saved.key ?? undefined,
      head: saved.head === null ? undefined : StreamHeadLog.fromState(saved.head, offset),
      headOpen: false,
      checkpoint: null,
    };
  }

  /** Packets of a later pass's head that are capture duplicates of datagrams the earlier pass remembered. */
  private seamDuplicates(earlier: DirectionState, later: DecodedDirection): Set<number> {
    const duplicates = new Set<number>();
    const ring = earlier.recent;
    if (ring < 0) return duplicates;
    const rings = this.rings;
    for (const packet of later.headPackets) {
      const match = rings.find(ring, packet.fingerprint, packet.length);
      if (match < 0) continue;
      const first = { tUs: rings.timeUs(ring, match), ipIdentification: rings.ipIdentification(ring, match), interfaceId: rings.interfaceId(ring, match) };
      if (isCaptureDuplicate(first, packet)) duplicates.add(packet.packetIndex);
    }
    return duplicates;
  }

  /** Continues a direction of the analyzer with a later pass's (a rotation cut; `cutPacketIndex`: the later pass's first packet). */
  private continueDirection(target: DirectionState, later: DecodedDirection, duplicates: Set<number>, peerDuplicates: Set<number>, cutPacketIndex: number): void {
    for (const [type, count] of later.direction.unsequenced) target.unsequenced.set(type, (target.unsequenced.get(type) ?? 0) + count);
    for (const packet of later.headPackets) {
      if (!duplicates.has(packet.packetIndex)) continue;
      for (const [type, count] of packet.unsequenced) {
        const remaining = (target.unsequenced.get(type) ?? 0) - count;
        if (remaining > 0) target.unsequenced.set(type, remaining);
        else target.unsequenced.delete(type);
      }
    }
    const laterInput = later.direction.input;
    if (laterInput !== undefined) {
      target.input = target.input === undefined ? laterInput : InputCoverage.fromState(appendInput(target.input.saveState(), laterInput.saveState()));
    }
    if (later.direction.recent >= 0) target.recent = later.direction.recent;
    target.lastStream = undefined;
    target.ackedStream = undefined;
    target.ackedSpace = undefined;
    target.lastAckPacketIndex = -1;
    // Acks of the later pass that found no stream there acknowledge this pass's sequences.
    for (const ack of later.headAcks) {
      if (peerDuplicates.has(ack.packetIndex)) continue;
      for (const stream of target.streams.values()) {
        if (stream.channelKey === (ack.channel ?? undefined) && (stream.protocolSessionId === null || stream.protocolSessionId === (ack.protocolSessionId ?? stream.protocolSessionId))) {
          stream.space.onAck(decodeSerial(ack.ack), ack.ackBits, ack.ackBitsWidth);
        }
      }
    }
    for (const { stream: laterStream, saved } of later.streams) {
      const stream = target.streams.get(laterStream.key);
      if (stream === undefined) {
        target.streams.set(laterStream.key, laterStream);
        this.streamCount += 1;
        continue;
      }
      this.continueStream(stream, laterStream, duplicates, peerDuplicates, cutPacketIndex);
    }
    target.headPackets = [];
    target.headPacketsOpen = true;
  }

  /**
   * Replays a later pass's head onto a stream, then grafts the rest of that
   * pass (see `seam-graft.ts`). A later pass without a head log is grafted
   * from its start (its state when the stream began) after this pass's open
   * window is closed (its holes lost, as at the end of a pass), and the seam
   * is counted as `E_LOSS_SEAM_INEXACT` at `cutPacketIndex`.
   */
  private continueStream(stream: StreamState, later: StreamState, duplicates: Set<number>, peerDuplicates: Set<number>, cutPacketIndex: number): void {
    if (stream.pendingStallPacketIndex >= 0) commitStall(stream);
    if (stream.checkpoint === null && stream.head !== undefined) {
      // This analyzer's whole pass was head: its end is the checkpoint of the combined pass.
      this.takeCheckpoint(stream);
    }
    stream.headOpen = false;
    stream.lastPacketIndex = -1;
    const head = later.head;
    const laterState = later.state?.saveState();
    const seamSkipped = head === undefined ? 0 : this.replayHead(stream, later, head, laterState, duplicates, peerDuplicates);
    const laterCore = this.saveCore(later, false);
    const checkpoint = head === undefined ? this.initialCore(later) : later.checkpoint;
    if (checkpoint !== null) {
      // The stall of the last replayed packet is in the later pass's counts since its checkpoint.
      stream.pendingStallPacketIndex = -1;
      stream.pendingStallTypes.length = 0;
      // Without a head to replay, this pass's open window ends here, as a pass ending at the cut would close it.
      if (head === undefined) stream.space.finish();
      const exact = this.graftStream(stream, checkpoint, laterCore);
      if (head === undefined) this.anomalies.add(SEAM_INEXACT_CODE, cutPacketIndex);
      else if (!exact) this.anomalies.add(SEAM_INEXACT_CODE, head.packetIndices.length > 0 ? head.packetIndices.get(0) : 0);
    }
    const messageTypes = settleMessageTypes(stream);
    for (const { type, messages } of settleMessageTypes(later).values()) {
      const entry = messageTypes.get(type);
      if (entry !== undefined) entry.messages += messages;
      else if (messages > 0) messageTypes.set(type, { type, messages });
    }
    stream.currentType = undefined;
    stream.reliable ||= later.reliable;
    stream.resetsSeen = stream.space.resetCount;
    if (later.firstUs < stream.firstUs) stream.firstUs = later.firstUs;
    if (later.lastUs > stream.lastUs) stream.lastUs = later.lastUs;
    if (laterState !== undefined) {
      if (stream.state === undefined) {
        stream.state = new StateSyncTracker(this.options.interpolationDelayMs * 1000, this.options.maxEntitiesPerStream);
        stream.state.mergeState(laterState);
      } else {
        stream.state.continueWith(laterState, seamSkipped);
      }
    }
  }

  /** What a stream counts when it begins (no sequence yet): where a pass without a head log is grafted from. */
  private initialCore(stream: StreamState): LossStreamCoreState {
    const space = new SequenceSpace(this.spaceOptions);
    const bits = stream.space.sequenceBits;
    space.setSequenceBits(bits);
    return {
      space: space.saveState(),
      rfc3550: stream.rfc3550 === undefined || bits === undefined ? null : new Rfc3550SequenceCounter(bits).saveState(),
      input: null,
      state: null,
      messageTypes: [],
      reliable: false,
      resetsSeen: 0,
      firstUs: stream.firstUs,
      lastUs: stream.firstUs,
      captureDuplicates: 0,
      stallsByBlocker: [],
    };
  }

  /** Replays a later pass's head log onto a stream; returns the datagrams lost before the later pass's first state update. */
  private replayHead(
    stream: StreamState,
    later: StreamState,
    head: StreamHeadLog,
    laterState: ReturnType<StateSyncTracker["saveState"]> | undefined,
    duplicates: Set<number>,
    peerDuplicates: Set<number>,
  ): number {
    let observation = 0;
    let ack = 0;
    let input = 0;
    let sendIndex = 0;
    let resendIndex = 0;
    const firstUpdatePacketIndex = laterState?.firstUpdate?.packetIndex ?? -1;
    let seamSkipped = 0;
    for (let index = 0; index < head.length; index++) {
      const kind = head.kindOf(index);
      const sequence = head.sequenceAt(index);
      const packetIndex = head.packetIndices.get(index);
      if (kind === HeadEntryKind.observation) {
        const number = observation++;
        const types = head.typesOf(number);
        if (duplicates.has(packetIndex)) {
          stream.captureDuplicates += 1;
          stream.rfc3550?.update(sequence);
          for (const [type, count] of types) {
            const entry = settleMessageTypes(later).get(type);
            if (entry !== undefined) entry.messages -= count;
          }
          continue;
        }
        while (sendIndex < head.sendTimeNumbers.length && head.sendTimeNumbers.get(sendIndex) < number) sendIndex += 1;
        const sendTimeUs = sendIndex < head.sendTimeNumbers.length && head.sendTimeNumbers.get(sendIndex) === number ? head.sendTimeValues.get(sendIndex) : undefined;
        while (resendIndex < head.resendCounts.length && head.resendCounts[resendIndex]![0] < number) resendIndex += 1;
        const resendCount = head.resendCounts[resendIndex]?.[0] === number ? head.resendCounts[resendIndex]![1] : 0;
        this.observeSequence(stream, sequence, head.timesUs.get(number), packetIndex, sendTimeUs, resendCount, false);
        if (packetIndex === firstUpdatePacketIndex) seamSkipped = stream.lastSkipped;
        if (stream.pendingStallPacketIndex === packetIndex) for (const [type] of types) if (!stream.pendingStallTypes.includes(type)) stream.pendingStallTypes.push(type);
      } else if (kind === HeadEntryKind.ack) {
        const entry = ack++;
        if (!peerDuplicates.has(packetIndex)) stream.space.onAck(sequence, head.ackBits.get(entry), head.ackWidths.get(entry));
      } else if (kind === HeadEntryKind.captureDuplicate) {
        stream.captureDuplicates += 1;
        stream.rfc3550?.update(sequence);
      } else {
        const entry = input++;
        if (!duplicates.has(packetIndex) && stream.lastOutcome !== Observation.pending) {
          stream.input ??= new InputCoverage();
          const inputCount = head.inputCounts.get(entry);
          const inputBits = head.inputBits.get(entry);
          stream.input.observe(sequence, Number.isNaN(inputCount) ? undefined : inputCount, head.inputBytes.get(entry), Number.isNaN(inputBits) ? undefined : inputBits);
        }
      }
    }
    return seamSkipped;
  }

  /** Grafts the later pass's counts since `checkpoint` (its state where the merge continues it) onto a stream; false when the seam is not exact. */
  private graftStream(stream: StreamState, checkpoint: LossStreamCoreState, laterCore: LossStreamCoreState): boolean {
    const a = this.saveCore(stream, true);
    const space = graftSpace(a.space, checkpoint.space, laterCore.space, this.spaceOptions.maxResetCandidates);
    let exact = space.exact;
    let rfc3550 = laterCore.rfc3550;
    if (a.rfc3550 !== null && checkpoint.rfc3550 !== null && laterCore.rfc3550 !== null) {
      const grafted = graftRfc3550(a.rfc3550, checkpoint.rfc3550, laterCore.rfc3550);
      rfc3550 = grafted.state;
      exact &&= grafted.exact;
    } else if (a.rfc3550 !== null) {
      rfc3550 = a.rfc3550;
      exact &&= laterCore.rfc3550 === null;
    }
    const inputs = graftInput(a.input, checkpoint.input, laterCore.input);
    exact &&= inputs.exact;
    const stalls = new Map<string, ReturnType<LogHistogram["saveState"]>>(a.stallsByBlocker);
    const headStalls = new Map(checkpoint.stallsByBlocker);
    const empty = new LogHistogram().saveState();
    for (const [key, histogram] of laterCore.stallsByBlocker) {
      stalls.set(key, graftLogHistogram(stalls.get(key) ?? empty, headStalls.get(key) ?? empty, histogram));
    }
    stream.space = SequenceSpace.fromState(this.spaceOptions, space.state, 0);
    // The direction's ack cache (ackedStream, ackedSpace) was cleared by continueDirection before its streams continue.
    stream.rfc3550 = rfc3550 === null ? undefined : Rfc3550SequenceCounter.fromState(rfc3550);
    stream.input = inputs.state === null ? undefined : InputCoverage.fromState(inputs.state);
    stream.stallsByBlocker = new Map([...stalls.entries()].filter(([, histogram]) => histogram.count > 0).map(([key, histogram]) => [key, LogHistogram.fromState(histogram)]));
    stream.captureDuplicates += laterCore.captureDuplicates - checkpoint.captureDuplicates;
    return exact;
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
    const messageTypes = [...settleMessageTypes(stream).values()].map(({ type, messages }) => ({ type, messages })).sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
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

/** A direction of a saved state, decoded (not yet part of the analyzer). */
interface DecodedDirection {
  direction: DirectionState;
  streams: { stream: StreamState; saved: LossStreamState }[];
  headPackets: LossHeadPacketState[];
  headAcks: LossHeadAckState[];
}

/** Adds a packet index offset to the packet indices a stream core holds. */
function offsetCore(core: LossStreamCoreState, offset: number): LossStreamCoreState {
  if (offset === 0) return core;
  const space = core.space;
  return {
    ...core,
    space: {
      ...space,
      pending: space.pending === null ? null : { ...space.pending, packetIndex: space.pending.packetIndex + offset },
      resetCandidates: space.resetCandidates.map((candidate) => ({ ...candidate, packetIndex: candidate.packetIndex + offset })),
      gapPacketIndices: space.gapPacketIndices.map((packetIndex) => packetIndex + offset),
    },
  };
}

/** Sums two anomaly summaries; examples are the smallest locations (`offset` added to the second's). */
function combineAnomalies(first: AnomalySummary, second: AnomalySummary, offset: number): AnomalySummary {
  const result: AnomalySummary = {};
  for (const code of [...new Set([...Object.keys(first), ...Object.keys(second)])].sort()) {
    const left = first[code];
    const right = second[code];
    const examples = [...(left?.examples ?? []), ...(right?.examples ?? []).map((example) => example + offset)].sort((a, b) => a - b);
    result[code] = { count: (left?.count ?? 0) + (right?.count ?? 0), examples: examples.slice(0, DEFAULT_ANOMALY_EXAMPLES) };
  }
  return result;
}

function countType(counts: [string, number][], type: string): void {
  const entry = counts.find((candidate) => candidate[0] === type);
  if (entry === undefined) counts.push([type, 1]);
  else entry[1] += 1;
}

function containsSequence(stream: StreamState, sequence: SerialNumber): boolean {
  const count = stream.packetSequenceCount;
  if (count === 0) return false;
  if (stream.packetFirstSequence === sequence) return true;
  const sequences = stream.packetSequences;
  for (let index = 0; index < count - 1; index++) if (sequences[index] === sequence) return true;
  return false;
}

/** Counts a sequence in the stream's current packet (the first in the stream object: most packets carry one per stream). */
function notePacketSequence(stream: StreamState, sequence: SerialNumber): void {
  const count = stream.packetSequenceCount;
  if (count === 0) stream.packetFirstSequence = sequence;
  else stream.packetSequences[count - 1] = sequence;
  stream.packetSequenceCount = count + 1;
}

/** A message of another type than the stream's last: the run of the last type is added to its entry, and the new run begins (its entry made on first sight, as `messageTypes` keeps first-seen order). */
function switchMessageType(stream: StreamState, type: string): void {
  const messageTypes = settleMessageTypes(stream);
  if (!messageTypes.has(type)) messageTypes.set(type, { type, messages: 0 });
  stream.currentType = type;
  stream.currentTypeMessages = 1;
}

/** The stream's message counts with the current run added (`messageTypes` as one count per message would have it). */
function settleMessageTypes(stream: StreamState): Map<string, MessageTypeCount> {
  const messageTypes = stream.messageTypes;
  if (stream.currentTypeMessages > 0) {
    messageTypes.get(stream.currentType!)!.messages += stream.currentTypeMessages;
    stream.currentTypeMessages = 0;
  }
  return messageTypes;
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
