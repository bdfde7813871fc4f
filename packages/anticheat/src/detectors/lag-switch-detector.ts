import { Type, type Static } from "@sinclair/typebox";
import { serialDifference, type GameMessage, type SerialNumber } from "@tickscope/core";
import { addEvidencePacket, round3, type DetectorEvent, type SessionDetector } from "../detector.js";
import {
  CountSchema,
  decodeFloat,
  decodeOptionalSerial,
  EncodedFloatSchema,
  EncodedSerialSchema,
  encodeFloat,
  encodeOptionalSerial,
  EvidencePacketsSchema,
  placePacketIndex,
  placePacketIndices,
} from "../state-encoding.js";
import type { AnticheatOptions } from "../options.js";
import type { SessionTimeline } from "../session-timeline.js";

/** One flush after an outgoing silence, kept for the cross-session (shared outage) check. */
export interface LagSwitchEvent {
  sessionId: string;
  gapStartUs: number;
  gapEndUs: number;
  gapMs: number;
  flushedMessages: number;
  oldestAgeMs: number;
  ackedServerPackets: number;
  serverPacketsDuringGap: number;
  /** How long the acknowledgements of the newest message created in the silence were stale beyond one RTT, ms (−1 when unknown). */
  acknowledgementFrozenMs: number;
  positionJump: number;
  packetIndices: number[];
}

const INSIDE_MARGIN_US = 100_000;
/** First client datagrams of a pass kept for a rotation cut (a flush of held messages is judged on these). */
const HEAD_DATAGRAMS = 32;

/** One of a pass's first client datagrams (see {@link LagSwitchDetector}'s head). */
interface HeadDatagram {
  tUs: number;
  packetIndex: number;
  /** NaN when it claims no time. */
  claimedUs: number;
  ack: SerialNumber | undefined;
  position: { x: number; y: number; z: number } | undefined;
  /** Server datagrams the pass had seen when it arrived. */
  serverDatagrams: number;
  /** Capture time of the server datagram its ack names, as the pass knew it (NaN: unknown). */
  ackSentUs: number;
}

interface Candidate {
  gapStartUs: number;
  gapEndUs: number;
  serverDatagramsAtStart: number;
  serverDatagramsAtEnd: number;
  ackAtStart: SerialNumber | undefined;
  lastHeldAck: SerialNumber | undefined;
  /** Expected arrival (claimed time + clock offset) of the newest message created inside the silence. */
  latestExpectedUs: number;
  /** Its ack. */
  latestAck: SerialNumber | undefined;
  /** Capture time of the server datagram that ack names, when resolved at a save (NaN: not found); undefined: look it up. */
  latestAckSentUs?: number;
  flushed: number;
  maxAgeUs: number;
  positionAtStart: [number, number, number] | undefined;
  lastHeldPosition: [number, number, number] | undefined;
  packetIndices: number[];
}

const PositionStateSchema = Type.Union([Type.Tuple([EncodedFloatSchema, EncodedFloatSchema, EncodedFloatSchema]), Type.Null()]);
const OptionalSerialSchema = Type.Union([EncodedSerialSchema, Type.Null()]);

/** Saved lag-switch flush event (see {@link LagSwitchEvent}; its session is the saved session's). */
const LagSwitchEventStateSchema = Type.Object({
  gapStartUs: EncodedFloatSchema,
  gapEndUs: EncodedFloatSchema,
  gapMs: EncodedFloatSchema,
  flushedMessages: CountSchema,
  oldestAgeMs: EncodedFloatSchema,
  ackedServerPackets: Type.Number(),
  serverPacketsDuringGap: Type.Number(),
  acknowledgementFrozenMs: EncodedFloatSchema,
  positionJump: EncodedFloatSchema,
  packetIndices: EvidencePacketsSchema,
});

/** A saved head datagram: arrival µs, packet index, claimed µs, ack, position, server datagrams seen, capture µs of the acked server datagram. */
const HeadDatagramStateSchema = Type.Tuple([EncodedFloatSchema, Type.Integer({ minimum: 0 }), EncodedFloatSchema, OptionalSerialSchema, PositionStateSchema, CountSchema, EncodedFloatSchema]);

/**
 * Saved state of a {@link LagSwitchDetector}: its flush events, the silence
 * still open (judged at finish), the last datagram (where a silence across a
 * rotation cut starts) and the pass's first datagrams (the flush after such a
 * silence, replayed when the cut is merged).
 */
export const LagSwitchStateSchema = Type.Object({
  ackBits: Type.Integer({ minimum: 0, maximum: 64 }),
  lastArrivalUs: EncodedFloatSchema,
  lastPacketIndex: Type.Integer({ minimum: -1 }),
  lastAck: OptionalSerialSchema,
  lastPosition: PositionStateSchema,
  serverAtLastArrival: CountSchema,
  head: Type.Array(HeadDatagramStateSchema, { maxItems: HEAD_DATAGRAMS }),
  headOpen: Type.Boolean(),
  events: Type.Array(LagSwitchEventStateSchema, { maxItems: 100_000 }),
  droppedEvents: CountSchema,
  candidate: Type.Union([
    Type.Object({
      gapStartUs: EncodedFloatSchema,
      gapEndUs: EncodedFloatSchema,
      serverDatagramsAtStart: CountSchema,
      serverDatagramsAtEnd: CountSchema,
      ackAtStart: OptionalSerialSchema,
      lastHeldAck: OptionalSerialSchema,
      latestExpectedUs: EncodedFloatSchema,
      latestAck: OptionalSerialSchema,
      latestAckSentUs: EncodedFloatSchema,
      flushed: CountSchema,
      maxAgeUs: EncodedFloatSchema,
      positionAtStart: PositionStateSchema,
      lastHeldPosition: PositionStateSchema,
      packetIndices: EvidencePacketsSchema,
    }),
    Type.Null(),
  ]),
});

/** See {@link LagSwitchStateSchema}. */
export type LagSwitchState = Static<typeof LagSwitchStateSchema>;

function savePosition(position: [number, number, number] | undefined): Static<typeof PositionStateSchema> {
  return position === undefined ? null : [encodeFloat(position[0]), encodeFloat(position[1]), encodeFloat(position[2])];
}

function loadPosition(position: Static<typeof PositionStateSchema>): [number, number, number] | undefined {
  return position === null ? undefined : [decodeFloat(position[0]), decodeFloat(position[1]), decodeFloat(position[2])];
}

/** Numbers of one {@link LagSwitchDetector} step: arrival µs, claimed µs (NaN: none), clock offset µs, ack's send µs (NaN: none). */
const STEP = new Float64Array(4);

/**
 * Lag switch: the client's uplink falls silent, then a burst of messages
 * arrives whose send times are old (they were held, not lost). Real outages
 * differ in three ways, all checked: lost packets never flush; a two-way stall
 * freezes the client's acks of server packets during the silence (the client
 * received nothing), while a lag switch keeps acking (it only blocks
 * outgoing); and a path outage hits other sessions at the same time (checked
 * by the analyzer across sessions).
 */
export class LagSwitchDetector implements SessionDetector {
  private lastArrivalUs = Number.NaN;
  private lastPacketIndex = -1;
  private lastAck: SerialNumber | undefined;
  private hasLastPosition = false;
  private lastX = 0;
  private lastY = 0;
  private lastZ = 0;
  private candidate: Candidate | undefined;
  private ackBits = 16;
  /** Flushes that passed the single-session checks (bounded). */
  readonly events: LagSwitchEvent[] = [];
  /** Flush events beyond the bound (counted only). */
  droppedEvents = 0;
  /** The pass's first client datagrams, while {@link headOpen} (what a rotation cut replays). */
  private readonly head: HeadDatagram[] = [];
  private headOpen = true;

  constructor(
    private readonly options: AnticheatOptions,
    private readonly sessionId: string,
  ) {}

  onClientMessage(message: GameMessage, claimedUs: number | undefined, timeline: SessionTimeline): void {
    const roles = message.roles;
    const newDatagram = message.packetIndex !== this.lastPacketIndex;
    if (this.headOpen && newDatagram) this.recordHead(message, claimedUs, timeline);
    if (roles.sequenceBits !== undefined) this.ackBits = roles.sequenceBits;
    STEP[0] = message.tUs;
    STEP[1] = claimedUs ?? Number.NaN;
    STEP[2] = timeline.clockOffsetUs;
    this.step(message.packetIndex, newDatagram, claimedUs !== undefined, roles.ack, roles.position, timeline.serverDatagrams, timeline, false);
  }

  /** One client message (its datagram's first when `newDatagram`), with the timeline's clock offset and server datagram count. */
  private step(
    packetIndex: number,
    newDatagram: boolean,
    hasClaim: boolean,
    ack: SerialNumber | undefined,
    position: { x: number; y: number; z: number } | undefined,
    serverDatagrams: number,
    timeline: SessionTimeline,
    hasAckSent: boolean,
  ): void {
    // The numbers come in STEP (a number passed to a call that is not inlined is boxed).
    const tUs = STEP[0]!;
    const expectedUs = hasClaim ? STEP[1]! + STEP[2]! : Number.NaN;
    const candidate = this.candidate;
    if (candidate !== undefined && newDatagram) {
      // The flush is over once messages created after the silence arrive, or after the window.
      if (expectedUs > candidate.gapEndUs || tUs - candidate.gapEndUs > this.options.lagSwitchFlushWindowMs * 1000) {
        this.evaluate(candidate, timeline);
        this.candidate = undefined;
      }
    }
    if (newDatagram && this.lastArrivalUs === this.lastArrivalUs && tUs - this.lastArrivalUs >= this.options.lagSwitchMinGapMs * 1000) {
      if (this.candidate !== undefined) this.evaluate(this.candidate, timeline);
      this.candidate = {
        gapStartUs: this.lastArrivalUs,
        gapEndUs: tUs,
        serverDatagramsAtStart: this.serverAtLastArrival,
        serverDatagramsAtEnd: serverDatagrams,
        ackAtStart: this.lastAck,
        lastHeldAck: undefined,
        latestExpectedUs: Number.NaN,
        latestAck: undefined,
        flushed: 0,
        maxAgeUs: 0,
        positionAtStart: this.hasLastPosition ? [this.lastX, this.lastY, this.lastZ] : undefined,
        lastHeldPosition: undefined,
        packetIndices: [],
      };
    }
    const open = this.candidate;
    if (open !== undefined && hasClaim && newDatagram) {
      const ageUs = tUs - expectedUs;
      if (ageUs >= this.options.lagSwitchMinAgeFraction * (open.gapEndUs - open.gapStartUs)) {
        open.flushed += 1;
        if (ageUs > open.maxAgeUs) open.maxAgeUs = ageUs;
        if (ack !== undefined) open.lastHeldAck = ack;
        addEvidencePacket(open.packetIndices, packetIndex);
      }
      // Only messages clearly created inside the silence (a margin for path jitter: a message
      // created right after a two-way stall may already carry fresh acknowledgements).
      const gapUs = open.gapEndUs - open.gapStartUs;
      const cutoffUs = open.gapEndUs - Math.max(INSIDE_MARGIN_US, 0.25 * gapUs);
      if (expectedUs <= cutoffUs && !(expectedUs <= open.latestExpectedUs)) {
        // The newest message created inside the silence: what had the client received by then?
        open.latestExpectedUs = expectedUs;
        open.latestAck = ack;
        open.latestAckSentUs = hasAckSent ? STEP[3]! : undefined;
        if (position !== undefined) open.lastHeldPosition = [position.x, position.y, position.z];
      }
    }
    if (ack !== undefined) this.lastAck = ack;
    if (position !== undefined && this.candidate === undefined) {
      this.hasLastPosition = true;
      this.lastX = position.x;
      this.lastY = position.y;
      this.lastZ = position.z;
    }
    if (newDatagram) {
      this.lastArrivalUs = tUs;
      this.lastPacketIndex = packetIndex;
      this.serverAtLastArrival = serverDatagrams;
    }
  }

  /** Keeps the pass's first client datagrams (within the flush window of the first, at most {@link HEAD_DATAGRAMS}) for a rotation cut. */
  private recordHead(message: GameMessage, claimedUs: number | undefined, timeline: SessionTimeline): void {
    const head = this.head;
    if (head.length >= HEAD_DATAGRAMS || (head.length > 0 && message.tUs - head[0]!.tUs > this.options.lagSwitchFlushWindowMs * 1000)) {
      this.headOpen = false;
      return;
    }
    const position = message.roles.position;
    head.push({
      tUs: message.tUs,
      packetIndex: message.packetIndex,
      claimedUs: claimedUs ?? Number.NaN,
      ack: message.roles.ack,
      position: position === undefined ? undefined : { x: position.x, y: position.y, z: position.z },
      serverDatagrams: timeline.serverDatagrams,
      ackSentUs: message.roles.ack === undefined ? Number.NaN : timeline.serverDatagramTimeUs(message.roles.ack),
    });
  }

  private serverAtLastArrival = 0;

  private evaluate(candidate: Candidate, timeline: SessionTimeline): void {
    const gapUs = candidate.gapEndUs - candidate.gapStartUs;
    if (candidate.flushed < this.options.lagSwitchMinFlushMessages) return;
    if (candidate.maxAgeUs < this.options.lagSwitchMinAgeFraction * gapUs) return;
    const serverPackets = candidate.serverDatagramsAtEnd - candidate.serverDatagramsAtStart;
    let acked = Number.NaN;
    let frozenMs = -1;
    if (timeline.serverDatagrams > 0 && serverPackets < 2) return; // the server was silent too: nothing to compare
    const ackedAtUs = candidate.latestAck === undefined ? Number.NaN : (candidate.latestAckSentUs ?? timeline.serverDatagramTimeUs(candidate.latestAck));
    const insideUs = candidate.latestExpectedUs - candidate.gapStartUs;
    if (!Number.isNaN(ackedAtUs) && insideUs > 0) {
      // The newest message created inside the silence acknowledges server datagrams up to
      // `ackedAtUs`. A client that kept receiving (outgoing blocked only) acknowledged one sent
      // about one RTT earlier; in a two-way stall the acknowledgements froze when the silence began.
      const recentRttMs = timeline.recentRttMs();
      const rttMs = Number.isNaN(recentRttMs) ? 0 : recentRttMs;
      frozenMs = Math.max(0, (candidate.latestExpectedUs - ackedAtUs) / 1000 - rttMs);
      if (frozenMs > (1 - this.options.lagSwitchMinAckFraction) * (insideUs / 1000)) return;
    } else if (candidate.ackAtStart !== undefined && candidate.lastHeldAck !== undefined && serverPackets >= 2) {
      // Exact for any width (a u64 ack from 2^63 included); an ack behind the start acknowledged nothing new.
      acked = Math.max(0, serialDifference(candidate.ackAtStart, candidate.lastHeldAck, this.ackBits));
      if (acked < this.options.lagSwitchMinAckFraction * serverPackets) return;
    } else if (gapUs < this.options.lagSwitchNoAckMinGapMs * 1000) {
      return;
    }
    if (this.events.length >= this.options.maxEventsPerSession) {
      this.droppedEvents += 1;
      return;
    }
    let jump = 0;
    if (candidate.positionAtStart !== undefined && candidate.lastHeldPosition !== undefined) {
      const [x0, y0, z0] = candidate.positionAtStart;
      const [x1, y1, z1] = candidate.lastHeldPosition;
      jump = Math.hypot(x1 - x0, y1 - y0, z1 - z0);
    }
    this.events.push({
      sessionId: this.sessionId,
      gapStartUs: candidate.gapStartUs,
      gapEndUs: candidate.gapEndUs,
      gapMs: round3(gapUs / 1000),
      flushedMessages: candidate.flushed,
      oldestAgeMs: round3(candidate.maxAgeUs / 1000),
      ackedServerPackets: Number.isNaN(acked) ? -1 : acked,
      serverPacketsDuringGap: serverPackets,
      acknowledgementFrozenMs: round3(frozenMs),
      positionJump: round3(jump),
      packetIndices: candidate.packetIndices,
    });
  }

  /** Capture time of the client's last datagram, µs (NaN before one). */
  get lastDatagramUs(): number {
    return this.lastArrivalUs;
  }

  /**
   * The state as plain data; the detector is unchanged. The open silence's
   * newest ack is resolved to its server datagram's capture time here
   * (`timeline`: this session's), so the recent server sequences need not be saved.
   */
  saveState(timeline: SessionTimeline): LagSwitchState {
    const candidate = this.candidate;
    return {
      ackBits: this.ackBits,
      lastArrivalUs: encodeFloat(this.lastArrivalUs),
      lastPacketIndex: this.lastPacketIndex,
      lastAck: encodeOptionalSerial(this.lastAck),
      lastPosition: this.hasLastPosition ? savePosition([this.lastX, this.lastY, this.lastZ]) : null,
      serverAtLastArrival: this.serverAtLastArrival,
      head: this.head.map((datagram) => [
        encodeFloat(datagram.tUs),
        datagram.packetIndex,
        encodeFloat(datagram.claimedUs),
        encodeOptionalSerial(datagram.ack),
        datagram.position === undefined ? null : savePosition([datagram.position.x, datagram.position.y, datagram.position.z]),
        datagram.serverDatagrams,
        encodeFloat(datagram.ackSentUs),
      ]),
      headOpen: this.headOpen,
      events: this.events.map((event) => ({
        gapStartUs: encodeFloat(event.gapStartUs),
        gapEndUs: encodeFloat(event.gapEndUs),
        gapMs: encodeFloat(event.gapMs),
        flushedMessages: event.flushedMessages,
        oldestAgeMs: encodeFloat(event.oldestAgeMs),
        ackedServerPackets: event.ackedServerPackets,
        serverPacketsDuringGap: event.serverPacketsDuringGap,
        acknowledgementFrozenMs: encodeFloat(event.acknowledgementFrozenMs),
        positionJump: encodeFloat(event.positionJump),
        packetIndices: [...event.packetIndices],
      })),
      droppedEvents: this.droppedEvents,
      candidate:
        candidate === undefined
          ? null
          : {
              gapStartUs: encodeFloat(candidate.gapStartUs),
              gapEndUs: encodeFloat(candidate.gapEndUs),
              serverDatagramsAtStart: candidate.serverDatagramsAtStart,
              serverDatagramsAtEnd: candidate.serverDatagramsAtEnd,
              ackAtStart: encodeOptionalSerial(candidate.ackAtStart),
              lastHeldAck: encodeOptionalSerial(candidate.lastHeldAck),
              latestExpectedUs: encodeFloat(candidate.latestExpectedUs),
              latestAck: encodeOptionalSerial(candidate.latestAck),
              latestAckSentUs: encodeFloat(candidate.latestAck === undefined ? Number.NaN : (candidate.latestAckSentUs ?? timeline.serverDatagramTimeUs(candidate.latestAck))),
              flushed: candidate.flushed,
              maxAgeUs: encodeFloat(candidate.maxAgeUs),
              positionAtStart: savePosition(candidate.positionAtStart),
              lastHeldPosition: savePosition(candidate.lastHeldPosition),
              packetIndices: [...candidate.packetIndices],
            },
    };
  }

  /** Replaces the state by a validated saved one (packet indices moved by `packetIndexOffset`). */
  loadState(state: LagSwitchState, packetIndexOffset: number): void {
    this.ackBits = state.ackBits;
    this.lastArrivalUs = decodeFloat(state.lastArrivalUs);
    this.lastPacketIndex = placePacketIndex(state.lastPacketIndex, packetIndexOffset);
    this.lastAck = decodeOptionalSerial(state.lastAck);
    const last = loadPosition(state.lastPosition);
    this.hasLastPosition = last !== undefined;
    if (last !== undefined) [this.lastX, this.lastY, this.lastZ] = last;
    this.serverAtLastArrival = state.serverAtLastArrival;
    this.head.length = 0;
    for (const [tUs, packetIndex, claimedUs, ack, position, serverDatagrams, ackSentUs] of state.head) {
      const place = loadPosition(position);
      this.head.push({
        tUs: decodeFloat(tUs),
        packetIndex: packetIndex + packetIndexOffset,
        claimedUs: decodeFloat(claimedUs),
        ack: decodeOptionalSerial(ack),
        position: place === undefined ? undefined : { x: place[0], y: place[1], z: place[2] },
        serverDatagrams,
        ackSentUs: decodeFloat(ackSentUs),
      });
    }
    this.headOpen = state.headOpen;
    this.events.length = 0;
    for (const event of state.events) {
      this.events.push({
        sessionId: this.sessionId,
        gapStartUs: decodeFloat(event.gapStartUs),
        gapEndUs: decodeFloat(event.gapEndUs),
        gapMs: decodeFloat(event.gapMs),
        flushedMessages: event.flushedMessages,
        oldestAgeMs: decodeFloat(event.oldestAgeMs),
        ackedServerPackets: event.ackedServerPackets,
        serverPacketsDuringGap: event.serverPacketsDuringGap,
        acknowledgementFrozenMs: decodeFloat(event.acknowledgementFrozenMs),
        positionJump: decodeFloat(event.positionJump),
        packetIndices: placePacketIndices(event.packetIndices, packetIndexOffset),
      });
    }
    this.droppedEvents = state.droppedEvents;
    const candidate = state.candidate;
    this.candidate =
      candidate === null
        ? undefined
        : {
            gapStartUs: decodeFloat(candidate.gapStartUs),
            gapEndUs: decodeFloat(candidate.gapEndUs),
            serverDatagramsAtStart: candidate.serverDatagramsAtStart,
            serverDatagramsAtEnd: candidate.serverDatagramsAtEnd,
            ackAtStart: decodeOptionalSerial(candidate.ackAtStart),
            lastHeldAck: decodeOptionalSerial(candidate.lastHeldAck),
            latestExpectedUs: decodeFloat(candidate.latestExpectedUs),
            latestAck: decodeOptionalSerial(candidate.latestAck),
            latestAckSentUs: decodeFloat(candidate.latestAckSentUs),
            flushed: candidate.flushed,
            maxAgeUs: decodeFloat(candidate.maxAgeUs),
            positionAtStart: loadPosition(candidate.positionAtStart),
            lastHeldPosition: loadPosition(candidate.lastHeldPosition),
            packetIndices: placePacketIndices(candidate.packetIndices, packetIndexOffset),
          };
  }

  /**
   * Continues with the same session's detector after a rotation cut. Call
   * before the timelines are joined. The later pass's first datagrams are
   * replayed after this pass's last one (as one pass sees them): a silence
   * open at the cut goes on collecting its flush, and a silence across the
   * cut (from this pass's last datagram to the later pass's first) is found
   * and judged — on this pass's clock offset and RTT, and, when the ack's
   * server datagram was before the cut, on the ack count rather than its
   * timing. Events follow in order within `maxEventsPerSession`.
   */
  continueWith(later: LagSwitchDetector, timeline: SessionTimeline): void {
    const serverOffset = timeline.serverDatagrams;
    const minGapUs = this.options.lagSwitchMinGapMs * 1000;
    let first = true;
    for (const datagram of later.head) {
      // A silence between the later pass's own datagrams is the later pass's to judge.
      if (!first && datagram.tUs - this.lastArrivalUs >= minGapUs) break;
      const claimedUs = Number.isNaN(datagram.claimedUs) ? undefined : datagram.claimedUs;
      // The acked server datagram: before the cut (this pass's recent sequences) or after it (as the later pass saw it).
      const before = datagram.ack === undefined ? Number.NaN : timeline.serverDatagramTimeUs(datagram.ack);
      const ackSentUs = Number.isNaN(before) ? datagram.ackSentUs : before;
      STEP[0] = datagram.tUs;
      STEP[1] = claimedUs ?? Number.NaN;
      STEP[2] = timeline.clockOffsetUs;
      STEP[3] = ackSentUs ?? Number.NaN;
      this.step(datagram.packetIndex, true, claimedUs !== undefined, datagram.ack, datagram.position, serverOffset + datagram.serverDatagrams, timeline, ackSentUs !== undefined);
      first = false;
    }
    if (this.candidate !== undefined) this.evaluate(this.candidate, timeline);
    this.candidate = undefined;
    for (const event of later.events) {
      if (this.events.length >= this.options.maxEventsPerSession) this.droppedEvents += 1;
      else this.events.push(event);
    }
    this.droppedEvents += later.droppedEvents;
    const candidate = later.candidate;
    this.candidate =
      candidate === undefined
        ? undefined
        : { ...candidate, serverDatagramsAtStart: candidate.serverDatagramsAtStart + serverOffset, serverDatagramsAtEnd: candidate.serverDatagramsAtEnd + serverOffset };
    if (later.lastPacketIndex >= 0) {
      this.ackBits = later.ackBits;
      this.lastArrivalUs = later.lastArrivalUs;
      this.lastPacketIndex = later.lastPacketIndex;
      this.lastAck = later.lastAck;
      this.hasLastPosition = later.hasLastPosition;
      this.lastX = later.lastX;
      this.lastY = later.lastY;
      this.lastZ = later.lastZ;
      this.serverAtLastArrival = later.serverAtLastArrival + serverOffset;
    }
  }

  finish(timeline: SessionTimeline, _events: DetectorEvent[]): void {
    if (this.candidate !== undefined) this.evaluate(this.candidate, timeline);
    this.candidate = undefined;
  }
}

/** Turns the lag-switch events of one session that survived the shared-outage check into one finding. */
export function lagSwitchFinding(events: readonly LagSwitchEvent[], droppedEvents: number, minEvents = 1): DetectorEvent | undefined {
  if (events.length === 0 || events.length + droppedEvents < minEvents) return undefined;
  let miss = 1;
  let longestMs = 0;
  let totalFlushed = 0;
  let maxJump = 0;
  const packetIndices: number[] = [];
  for (const event of events) {
    const probability = event.gapMs >= 1000 ? 0.9 : event.gapMs >= 700 ? 0.8 : 0.6;
    miss *= 1 - probability;
    longestMs = Math.max(longestMs, event.gapMs);
    totalFlushed += event.flushedMessages;
    maxJump = Math.max(maxJump, event.positionJump);
    for (const index of event.packetIndices) addEvidencePacket(packetIndices, index);
  }
  const first = events[0]!;
  const last = events[events.length - 1]!;
  return {
    kind: "lagSwitch",
    startUs: first.gapStartUs,
    endUs: last.gapEndUs,
    confidence: round3(Math.min(0.99, 1 - miss)),
    summary: `${events.length + droppedEvents} outgoing silences (longest ${longestMs} ms) each followed by a flush of held messages while the client kept acknowledging server packets.`,
    values: {
      events: events.length + droppedEvents,
      longestSilenceMs: longestMs,
      flushedMessages: totalFlushed,
      firstSilenceMs: first.gapMs,
      firstOldestAgeMs: first.oldestAgeMs,
      firstAckedServerPackets: first.ackedServerPackets,
      firstServerPacketsDuringSilence: first.serverPacketsDuringGap,
      firstAcknowledgementFrozenMs: first.acknowledgementFrozenMs,
      maxPositionJump: maxJump,
    },
    packetIndices,
  };
}
