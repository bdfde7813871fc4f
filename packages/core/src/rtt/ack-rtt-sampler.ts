import { Type, type Static } from "@sinclair/typebox";
import type { GameMessage } from "../game-message.js";
import { serialDifference, SerialUnwrapper, type SerialNumber } from "../serial-number.js";
import { DirectionSchema } from "../session.js";
import { countSchema, decodeNumber, encodeNumber, encodedNumberSchema } from "./rtt-state.js";
import type { Direction } from "../session.js";
import { acknowledgedChannel, channelKey } from "./acknowledged-channel.js";
import type { RttSample, RttSampleSink } from "./rtt-sample.js";

/** Options of {@link AckRttSampler}. */
export interface AckRttSamplerOptions {
  /** Sent sequences remembered per send stream (ring size, rounded up to a power of two). Default 1024. */
  windowSize?: number;
  /** Acks arriving later than this after the send give no sample, ms. Default 10,000. */
  maxRttMs?: number;
}

// Slot states of the sent ring (0 = empty).
/** Sent once, not yet acknowledged: can give a sample. */
const PENDING = 1;
/** Sent more than once (or marked resent): its RTT is ambiguous (Karn). */
const AMBIGUOUS = 2;
/** Already acknowledged. */
const ACKNOWLEDGED = 3;
/** Numbers per slot of a send stream's ring: extended sequence, send time µs, state. */
const RING_STRIDE = 3;

/** One send stream: the sequences one side sent on one channel of a session. */
interface SendStream {
  readonly direction: Direction;
  /** {@link channelKey} of the channel. */
  readonly channel: string;
  readonly unwrapper: SerialUnwrapper;
  /**
   * The sent ring, {@link RING_STRIDE} numbers per slot, side by side (one
   * cache line per send and per ack): at `RING_STRIDE·slot` the extended
   * sequence (−1 = none), then its first send time (µs), then its state
   * (0 empty, {@link PENDING}, {@link AMBIGUOUS}, {@link ACKNOWLEDGED}).
   */
  readonly ring: Float64Array;
  /** Largest extended sequence acknowledged so far (NaN before the first ack). */
  largestAcknowledged: number;
  /** Smallest RTT seen before subtracting ack delays, µs (RFC 9002 `min_rtt`). */
  minimumRttUs: number;
  /** The datagram and raw sequence seen last (a header sequence repeated on every message of a datagram counts once). */
  lastPacketIndex: number;
  lastSequence: SerialNumber;
  /** The datagram and raw ack applied last. */
  lastAckPacketIndex: number;
  lastAck: SerialNumber;
  /** The last datagram whose sequence skipped ahead (the ones before it are lost or late), −1 before. */
  gapPacketIndex: number;
  /** Extended value of the first send, and the raw value of the highest send. */
  firstExtended: number;
  highestRaw: SerialNumber;
}

/** Send streams of one session, by direction (0 = client→server), and when the session was last fed. */
interface SessionStreams {
  readonly byDirection: [SendStream[], SendStream[]];
  /** The stream of each direction looked up last (most sessions send on one channel each way: one load instead of a scan of `byDirection`). */
  recentClientStream: SendStream | undefined;
  recentServerStream: SendStream | undefined;
  /** Capture time of the latest message of the session, µs. */
  lastSeenUs: number;
  /** Acks that found no send stream, by `<send direction index>:<channel key>`, until a send on that channel shows they came before it (rare: created on the first). */
  earlyAcks: Map<string, number> | undefined;
  /** The first acks of sends this pass never saw (before the stream's first send, or with no stream): a previous pass may hold the sends. */
  unmatchedAcks: UnmatchedAck[] | undefined;
}

/** An ack of a send this pass did not see (see {@link AckSessionCarry}). */
interface UnmatchedAck {
  sendDirection: 0 | 1;
  channel: string;
  ack: SerialNumber;
  tUs: number;
  packetIndex: number;
  ackDelayUs: number | undefined;
  afterGap: boolean;
  /** Whether it was counted in acksWithoutSendStream / acksBeforeFirstSend (no stream when it came). */
  withoutStream: boolean;
  /** The acker's own sequence and channel when this datagram was the acker's first of the pass (the previous pass knows whether it followed a gap). */
  ackerSequence: SerialNumber | undefined;
  ackerChannel: string;
}

/** Unmatched acks remembered per session for a later merge with the previous pass (first ones only). */
export const MAX_CARRIED_ACKS = 32;
/** Unacknowledged sends carried per send stream (the latest ones). */
export const MAX_CARRIED_SENDS = 256;

const serialSchema = Type.Union([Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), Type.String({ pattern: "^[0-9]{1,20}$" })]);

/** TypeBox schema of {@link AckSessionCarry}. */
export const ackSessionCarrySchema = Type.Object(
  {
    streams: Type.Array(
      Type.Object(
        {
          direction: DirectionSchema,
          channel: Type.String({ maxLength: 256 }),
          bits: Type.Integer({ minimum: 1, maximum: 64 }),
          highestRaw: serialSchema,
          /** Largest acknowledged, as sequences behind the highest send (null: none acknowledged). */
          largestAcknowledgedBehind: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
          minimumRttUs: encodedNumberSchema,
          /** Unacknowledged sends newer than the largest acknowledged: `[behind highest, send time µs, ambiguous 0/1]`. */
          sends: Type.Array(Type.Tuple([Type.Integer({ minimum: 0 }), Type.Number(), Type.Integer({ minimum: 0, maximum: 1 })]), { maxItems: MAX_CARRIED_SENDS }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 512 },
    ),
    acks: Type.Array(
      Type.Object(
        {
          sendDirection: Type.Union([Type.Literal(0), Type.Literal(1)]),
          channel: Type.String({ maxLength: 256 }),
          ack: serialSchema,
          tUs: Type.Number(),
          packetIndex: countSchema,
          ackDelayUs: Type.Union([Type.Number(), Type.Null()]),
          afterGap: Type.Boolean(),
          /** The acker's own sequence when the ack rode in its first datagram of the pass (else null), and its channel. */
          ackerSequence: Type.Union([serialSchema, Type.Null()]),
          ackerChannel: Type.String({ maxLength: 256 }),
          /** The counter this pass counted the ack in (an ack arriving with no stream on its channel). */
          counted: Type.Union([Type.Literal("withoutSendStream"), Type.Literal("beforeFirstSend"), Type.Literal("none")]),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_CARRIED_ACKS },
    ),
  },
  { additionalProperties: false },
);

/**
 * What a rotation cut needs of one session's ack sampling, as plain data
 * ({@link AckRttSampler.saveCarry}): the sends still unacknowledged at the end
 * of the pass (newer than the largest acknowledged, the latest
 * {@link MAX_CARRIED_SENDS} per stream) and the first acks of the pass whose
 * sends it never saw. {@link continueAckCarry} pairs the earlier pass's sends
 * with the later pass's acks by RFC 9002's rule, giving the samples one pass
 * would have taken across the cut.
 */
export type AckSessionCarry = Static<typeof ackSessionCarrySchema>;

function encodeSerial(value: SerialNumber): number | string {
  return typeof value === "bigint" ? value.toString() : value;
}

function decodeSerial(value: number | string): SerialNumber {
  return typeof value === "string" ? BigInt(value) : value;
}

/** Bit width assumed for a sequence without a `sequenceBits` role: 16, or 32 / 64 when the value does not fit. */
function defaultSequenceBits(value: SerialNumber): number {
  if (typeof value === "bigint") return 64;
  if (value <= 0xffff) return 16;
  return value <= 0xffffffff ? 32 : 64;
}

/** An empty sent ring of `windowSize` slots (every sequence −1: none). */
function emptyRing(windowSize: number): Float64Array {
  const ring = new Float64Array(RING_STRIDE * windowSize);
  for (let at = 0; at < ring.length; at += RING_STRIDE) ring[at] = -1;
  return ring;
}

/** The send stream of a channel in one direction's group (a group holds a few channels: a scan beats a map). */
function streamOfChannel(group: readonly SendStream[], channel: string): SendStream | undefined {
  for (let index = 0; index < group.length; index++) if (group[index].channel === channel) return group[index];
  return undefined;
}

/**
 * Ack-based RTT per RFC 9002 §5.1, from roles only: for every received ack,
 * one sample, taken from the ack's *largest acknowledged* sequence, and only
 * when
 * - that sequence is newly acknowledged (larger than every sequence the stream
 *   had acknowledged before: a repeated, reordered or duplicated ack gives none);
 * - it was sent exactly once (Karn's rule: a retransmitted sequence — seen twice
 *   or carrying `resendCount` > 0 — gives none).
 *
 * `ackBits` never produce samples: after a lost ack datagram, the next ack
 * covers the older sequences in its bits, and their send times would inflate
 * the RTT by one ack interval per lost ack. The peer's declared ack delay
 * (`ackDelay` role) is subtracted as RFC 9002 §5.3 does (only while the
 * result stays at or above the smallest RTT seen).
 *
 * The stream an ack covers is the one of {@link acknowledgedChannel} in the
 * opposite direction — never every channel: an ack whose channel has no send
 * stream gives no sample. It is counted in {@link acksBeforeFirstSend} once
 * that channel's first send shows up (a capture or session that starts with
 * the peer acknowledging before the side it acknowledges sent anything — the
 * placeholder ack of a sender that has received nothing yet: expected at the
 * edges), else in {@link acksWithoutSendStream} (a channel never sent on: the
 * definition's ack channel does not match the traffic).
 * Sequences of any width up to 64 bits are extended with {@link SerialUnwrapper}.
 * Memory: `windowSize` slots (24 bytes each) per send stream; on an endless
 * stream, {@link evictIdle} (or {@link forget}) drops the sessions that ended.
 */
export class AckRttSampler {
  private readonly sessions = new Map<string, SessionStreams>();
  private readonly windowSize: number;
  private readonly windowMask: number;
  private readonly maxRttUs: number;
  /** The session looked up last, and its streams (the messages of a datagram hit it again). */
  private lastSessionId: string | undefined;
  private lastStreams: SessionStreams | undefined;
  /** The send stream of the message being fed, once its sequence was taken ({@link onMessage}; the acker's stream when its ack is judged). */
  private messageSendStream: SendStream | undefined;
  /** The sample object handed to the sink (reused). */
  private readonly sample: RttSample = { sessionId: "", direction: "clientToServer", method: "ack", tUs: 0, rttMs: 0, packetIndex: 0, channel: "" };
  /** Sequences sent more than once (never sampled). */
  retransmissions = 0;
  /** Acks whose largest acknowledged sequence had been retransmitted (no sample, Karn's rule). */
  ambiguousAcks = 0;
  /** Acks naming a channel on which the peer sent nothing (no sample); acks that turn out to precede the channel's first send move to {@link acksBeforeFirstSend}. */
  acksWithoutSendStream = 0;
  /** Acks that arrived before the first send on their channel (capture or session start; no sample, not a problem of the input). */
  acksBeforeFirstSend = 0;
  /** Acks in the first datagram after a gap in the acker's own sequence (no sample: they may have been sent before, in the missing datagrams). */
  acksAfterGap = 0;

  constructor(
    private readonly sink: RttSampleSink,
    options: AckRttSamplerOptions = {},
  ) {
    let size = 1;
    while (size < (options.windowSize ?? 1024)) size *= 2;
    this.windowSize = size;
    this.windowMask = size - 1;
    this.maxRttUs = (options.maxRttMs ?? 10_000) * 1000;
  }

  /** Feeds one message: its `sequence` is a send, its `ack` an acknowledgement of the peer's sends. */
  onMessage(message: GameMessage): void {
    const roles = message.roles;
    this.messageSendStream = undefined;
    if (roles.sequence !== undefined) this.onSend(message, roles.sequence as SerialNumber);
    if (roles.ack !== undefined) this.onAck(message, roles.ack as SerialNumber);
  }

  /** Sessions holding send streams. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Forgets every session whose latest message is more than `idleUs` older
   * than `nowUs` (capture time, µs) and returns how many. With `idleUs` at
   * least `maxRttMs`, no sample is lost: a send that old could not give one.
   * O(sessions); call it every second or so on an endless stream.
   */
  evictIdle(nowUs: number, idleUs: number): number {
    let evicted = 0;
    for (const [sessionId, streams] of this.sessions) {
      if (nowUs - streams.lastSeenUs > idleUs) {
        this.forget(sessionId);
        evicted += 1;
      }
    }
    return evicted;
  }

  /** Forgets one session's send streams (a later message starts it afresh). */
  forget(sessionId: string): void {
    this.sessions.delete(sessionId);
    if (this.lastSessionId === sessionId) {
      this.lastSessionId = undefined;
      this.lastStreams = undefined;
    }
  }

  private streamsOf(message: GameMessage, create: boolean): SessionStreams | undefined {
    const sessionId = message.sessionId;
    let streams: SessionStreams | undefined;
    if (sessionId === this.lastSessionId) streams = this.lastStreams;
    else {
      streams = this.sessions.get(sessionId);
      if (streams === undefined) {
        if (!create) return undefined;
        streams = { byDirection: [[], []], recentClientStream: undefined, recentServerStream: undefined, lastSeenUs: message.tUs, earlyAcks: undefined, unmatchedAcks: undefined };
        this.sessions.set(sessionId, streams);
      }
      this.lastSessionId = sessionId;
      this.lastStreams = streams;
    }
    if (message.tUs > streams!.lastSeenUs) streams!.lastSeenUs = message.tUs;
    return streams;
  }

  /** Ring slot of an extended sequence (a 32-bit mask while it fits, else a remainder; both agree for the same value). */
  private slotOf(extended: number): number {
    return extended >= -0x80000000 && extended <= 0x7fffffff ? extended & this.windowMask : ((extended % this.windowSize) + this.windowSize) % this.windowSize;
  }

  /** The send stream of `channel` in one direction of a session (what {@link streamOfChannel} finds), through the direction's most recent one. */
  private streamOf(streams: SessionStreams, directionIndex: number, channel: string): SendStream | undefined {
    const recent = directionIndex === 0 ? streams.recentClientStream : streams.recentServerStream;
    if (recent !== undefined && recent.channel === channel) return recent;
    const found = streamOfChannel(streams.byDirection[directionIndex], channel);
    if (found !== undefined) {
      if (directionIndex === 0) streams.recentClientStream = found;
      else streams.recentServerStream = found;
    }
    return found;
  }

  private onSend(message: GameMessage, sequence: SerialNumber): void {
    const roles = message.roles;
    const channel = channelKey(roles.channel);
    const streams = this.streamsOf(message, true)!;
    const directionIndex = message.direction === "clientToServer" ? 0 : 1;
    let stream = this.streamOf(streams, directionIndex, channel);
    if (stream === undefined) {
      stream = {
        direction: message.direction,
        channel,
        unwrapper: new SerialUnwrapper(roles.sequenceBits ?? defaultSequenceBits(sequence)),
        ring: emptyRing(this.windowSize),
        largestAcknowledged: Number.NaN,
        minimumRttUs: Infinity,
        lastPacketIndex: -1,
        lastSequence: -1,
        lastAckPacketIndex: -1,
        lastAck: -1,
        gapPacketIndex: -1,
        firstExtended: Number.NaN,
        highestRaw: sequence,
      };
      streams.byDirection[directionIndex].push(stream);
      if (directionIndex === 0) streams.recentClientStream = stream;
      else streams.recentServerStream = stream;
      if (streams.earlyAcks !== undefined) this.settleEarlyAcks(streams.earlyAcks, `${directionIndex}:${channel}`);
    }
    this.messageSendStream = stream;
    if (stream.lastPacketIndex === message.packetIndex && stream.lastSequence === sequence) return;
    stream.lastPacketIndex = message.packetIndex;
    stream.lastSequence = sequence;
    const previousHighest = stream.unwrapper.highestExtended;
    const extended = stream.unwrapper.extend(sequence);
    if (extended > previousHighest + 1) stream.gapPacketIndex = message.packetIndex;
    if (extended > previousHighest) stream.highestRaw = sequence;
    else if (Number.isNaN(previousHighest)) {
      stream.firstExtended = extended;
      stream.highestRaw = sequence;
    }
    // The ring slot (slotOf, its 32-bit mask inlined for the usual extended sequence).
    const at = RING_STRIDE * (extended >= 0 && extended <= 0x7fffffff ? extended & this.windowMask : this.slotOf(extended));
    const ring = stream.ring;
    const resent = roles.resendCount !== undefined && roles.resendCount > 0;
    // A new highest sequence cannot be in the ring (it holds sequences up to the previous highest): no read of its cold slot.
    if (extended <= previousHighest && ring[at] === extended) {
      // The same sequence in another datagram: a retransmission, its RTT is ambiguous.
      ring[at + 2] = AMBIGUOUS;
      this.retransmissions += 1;
      return;
    }
    if (resent) this.retransmissions += 1;
    ring[at] = extended;
    ring[at + 1] = message.tUs;
    ring[at + 2] = resent ? AMBIGUOUS : PENDING;
  }

  /**
   * True when the ack rides in a datagram whose own sequence skipped ahead of the acker's last one:
   * the datagrams in between (lost or late) may have carried the same ack earlier, so its age is
   * ambiguous — as a retransmitted sequence's is (Karn) — and a sample would add the loss gap to the
   * RTT (a loss burst read as a latency spike). Acks in unsequenced messages are not judged.
   */
  private followsOwnGap(ackerGroup: readonly SendStream[], message: GameMessage): boolean {
    if (message.roles.sequence === undefined) return false;
    // The message's sequence was taken first (onMessage): its stream is the acker's.
    const acker = this.messageSendStream !== undefined ? this.messageSendStream : streamOfChannel(ackerGroup, channelKey(message.roles.channel));
    return acker !== undefined && acker.gapPacketIndex === message.packetIndex;
  }

  /** Remembers one of the session's first acks of sends this pass did not see. */
  private rememberUnmatched(streams: SessionStreams, message: GameMessage, ack: SerialNumber, channel: string, withoutStream: boolean, afterGap: boolean): void {
    streams.unmatchedAcks ??= [];
    if (streams.unmatchedAcks.length >= MAX_CARRIED_ACKS) return;
    const ackerChannel = channelKey(message.roles.channel);
    const acker = message.roles.sequence === undefined ? undefined : streamOfChannel(streams.byDirection[message.direction === "clientToServer" ? 0 : 1], ackerChannel);
    const ackerFirst = acker !== undefined && acker.lastPacketIndex === message.packetIndex && acker.unwrapper.highestExtended === acker.firstExtended;
    streams.unmatchedAcks.push({
      ackerSequence: ackerFirst ? (message.roles.sequence as SerialNumber) : undefined,
      ackerChannel,
      sendDirection: message.direction === "clientToServer" ? 1 : 0,
      channel,
      ack,
      tUs: message.tUs,
      packetIndex: message.packetIndex,
      ackDelayUs: message.roles.ackDelayUs,
      afterGap: afterGap || (withoutStream && this.followsOwnGap(streams.byDirection[message.direction === "clientToServer" ? 0 : 1], message)),
      withoutStream,
    });
  }

  /**
   * What a rotation cut needs of one session (see {@link AckSessionCarry}), or
   * undefined when the sampler holds nothing of it. Packet indices as this pass numbers them.
   */
  saveCarry(sessionId: string): AckSessionCarry | undefined {
    const streams = this.sessions.get(sessionId);
    if (streams === undefined) return undefined;
    const carried: AckSessionCarry["streams"] = [];
    for (const group of streams.byDirection) {
      for (const stream of group) {
        const highest = stream.unwrapper.highestExtended;
        if (Number.isNaN(highest)) continue;
        const sends: [number, number, number][] = [];
        const oldest = Math.max(Number.isNaN(stream.largestAcknowledged) ? -Infinity : stream.largestAcknowledged + 1, highest - Math.min(this.windowSize, MAX_CARRIED_SENDS) + 1);
        for (let extended = Math.max(oldest, highest - this.windowSize + 1); extended <= highest; extended++) {
          const at = RING_STRIDE * this.slotOf(extended);
          if (stream.ring[at] !== extended) continue;
          const state = stream.ring[at + 2];
          if (state === PENDING || state === AMBIGUOUS) sends.push([highest - extended, stream.ring[at + 1], state === AMBIGUOUS ? 1 : 0]);
        }
        carried.push({
          direction: stream.direction,
          channel: stream.channel,
          bits: stream.unwrapper.bits,
          highestRaw: encodeSerial(stream.highestRaw),
          largestAcknowledgedBehind: Number.isNaN(stream.largestAcknowledged) || stream.largestAcknowledged > highest ? null : highest - stream.largestAcknowledged,
          minimumRttUs: encodeNumber(stream.minimumRttUs),
          sends,
        });
      }
    }
    const acks = (streams.unmatchedAcks ?? []).map((entry) => ({
      sendDirection: entry.sendDirection,
      channel: entry.channel,
      ack: encodeSerial(entry.ack),
      tUs: entry.tUs,
      packetIndex: entry.packetIndex,
      ackDelayUs: entry.ackDelayUs ?? null,
      afterGap: entry.afterGap,
      ackerSequence: entry.ackerSequence === undefined ? null : encodeSerial(entry.ackerSequence),
      ackerChannel: entry.ackerChannel,
      // Counted without a stream, moved to "before first send" once a send on the channel came later in the pass.
      counted: !entry.withoutStream ? ("none" as const) : streamOfChannel(streams.byDirection[entry.sendDirection], entry.channel) === undefined ? ("withoutSendStream" as const) : ("beforeFirstSend" as const),
    }));
    return { streams: carried, acks };
  }

  /** The acks that waited for a send on `key`'s channel came before its first send: moved from {@link acksWithoutSendStream} to {@link acksBeforeFirstSend}. */
  private settleEarlyAcks(earlyAcks: Map<string, number>, key: string): void {
    const count = earlyAcks.get(key);
    if (count === undefined) return;
    earlyAcks.delete(key);
    this.acksWithoutSendStream -= count;
    this.acksBeforeFirstSend += count;
  }

  private onAck(message: GameMessage, ack: SerialNumber): void {
    const streams = this.streamsOf(message, false);
    if (streams === undefined) return;
    const sendDirectionIndex = message.direction === "clientToServer" ? 1 : 0;
    const group = streams.byDirection[sendDirectionIndex];
    const channel = channelKey(acknowledgedChannel(message.roles));
    let stream = this.streamOf(streams, sendDirectionIndex, channel);
    if (stream === undefined) {
      this.acksWithoutSendStream += 1;
      this.rememberUnmatched(streams, message, ack, channel, true, false);
      const key = `${message.direction === "clientToServer" ? 1 : 0}:${channel}`;
      streams.earlyAcks ??= new Map();
      streams.earlyAcks.set(key, (streams.earlyAcks.get(key) ?? 0) + 1);
      return;
    }
    if (stream.lastAckPacketIndex === message.packetIndex && stream.lastAck === ack) return;
    stream.lastAckPacketIndex = message.packetIndex;
    stream.lastAck = ack;
    const largest = stream.unwrapper.peek(ack);
    // Not newly acknowledged (a repeat, a reordered older ack), or beyond anything sent.
    if (largest <= stream.largestAcknowledged || largest > stream.unwrapper.highestExtended) return;
    stream.largestAcknowledged = largest;
    const at = RING_STRIDE * (largest >= 0 && largest <= 0x7fffffff ? largest & this.windowMask : this.slotOf(largest));
    const ring = stream.ring;
    if (ring[at] !== largest) {
      // An ack of a send before this pass's first on the stream: the previous pass may hold it.
      if (largest < stream.firstExtended && (streams.unmatchedAcks === undefined || streams.unmatchedAcks.length < MAX_CARRIED_ACKS)) {
        this.rememberUnmatched(streams, message, ack, channel, false, this.followsOwnGap(group === streams.byDirection[0] ? streams.byDirection[1] : streams.byDirection[0], message));
      }
      return;
    }
    const state = ring[at + 2];
    ring[at + 2] = ACKNOWLEDGED;
    if (state === AMBIGUOUS) {
      this.ambiguousAcks += 1;
      return;
    }
    if (state !== PENDING) return;
    if (this.followsOwnGap(group === streams.byDirection[0] ? streams.byDirection[1] : streams.byDirection[0], message)) {
      this.acksAfterGap += 1;
      return;
    }
    const sendUs = ring[at + 1];
    const latestUs = message.tUs - sendUs;
    if (latestUs < 0 || latestUs > this.maxRttUs) return;
    if (latestUs < stream.minimumRttUs) stream.minimumRttUs = latestUs;
    const ackDelayUs = message.roles.ackDelayUs;
    let rttUs = latestUs;
    if (ackDelayUs !== undefined && ackDelayUs > 0 && latestUs >= stream.minimumRttUs + ackDelayUs) rttUs = latestUs - ackDelayUs;
    const sample = this.sample;
    sample.sessionId = message.sessionId;
    sample.direction = stream.direction;
    sample.tUs = sendUs;
    sample.rttMs = rttUs / 1000;
    sample.packetIndex = message.packetIndex;
    sample.channel = stream.channel;
    this.sink(sample);
  }
}

/** Samples and counter corrections {@link continueAckCarry} found across a rotation cut. */
export interface AckCarryResult {
  /** The samples one pass would have taken from the later pass's acks of the earlier pass's sends (copies, ack method). */
  samples: RttSample[];
  /** Acks the later pass counted as coming before their channel's first send, that one pass would have matched. */
  acksBeforeFirstSend: number;
  /** Acks the later pass counted as naming a channel never sent on, that one pass would have matched. */
  acksWithoutSendStream: number;
  /** Acks of retransmitted sends (no sample, Karn). */
  ambiguousAcks: number;
}

/**
 * Pairs the earlier pass's unacknowledged sends with the later pass's acks of
 * sends it never saw (both {@link AckRttSampler.saveCarry} of one session), by
 * the rule of {@link AckRttSampler}: only a newly acknowledged largest
 * sequence, sent once, not in a datagram after a gap of the acker's own
 * sequence, within `maxRttMs`; the peer's ack delay subtracted as RFC 9002
 * §5.3 does. `packetIndexOffset` is added to the later pass's packet indices.
 */
export function continueAckCarry(sessionId: string, earlier: AckSessionCarry, later: AckSessionCarry, packetIndexOffset: number, maxRttMs = 10_000): AckCarryResult {
  const result: AckCarryResult = { samples: [], acksBeforeFirstSend: 0, acksWithoutSendStream: 0, ambiguousAcks: 0 };
  const state = earlier.streams.map((stream) => ({
    stream,
    highestRaw: decodeSerial(stream.highestRaw),
    largestBehind: stream.largestAcknowledgedBehind,
    minimumRttUs: decodeNumber(stream.minimumRttUs),
    sends: new Map(stream.sends.map(([behind, sendUs, ambiguous]) => [behind, { sendUs, ambiguous: ambiguous === 1, acknowledged: false }])),
  }));
  for (const ack of later.acks) {
    const direction = ack.sendDirection === 0 ? "clientToServer" : "serverToClient";
    const entry = state.find((candidate) => candidate.stream.direction === direction && candidate.stream.channel === ack.channel);
    if (entry === undefined) continue;
    let behind: number;
    try {
      behind = -serialDifference(entry.highestRaw, decodeSerial(ack.ack), entry.stream.bits);
    } catch {
      continue;
    }
    // One pass would not have counted this ack as early: it found the earlier pass's stream.
    if (ack.counted === "withoutSendStream") result.acksWithoutSendStream += 1;
    else if (ack.counted === "beforeFirstSend") result.acksBeforeFirstSend += 1;
    if (behind < 0 || (entry.largestBehind !== null && behind >= entry.largestBehind)) continue;
    entry.largestBehind = behind;
    const send = entry.sends.get(behind);
    if (send === undefined || send.acknowledged) continue;
    send.acknowledged = true;
    if (send.ambiguous) {
      result.ambiguousAcks += 1;
      continue;
    }
    if (ack.afterGap || followsEarlierGap(earlier, ack)) continue;
    const latestUs = ack.tUs - send.sendUs;
    if (latestUs < 0 || latestUs > maxRttMs * 1000) continue;
    if (latestUs < entry.minimumRttUs) entry.minimumRttUs = latestUs;
    let rttUs = latestUs;
    if (ack.ackDelayUs !== null && ack.ackDelayUs > 0 && latestUs >= entry.minimumRttUs + ack.ackDelayUs) rttUs = latestUs - ack.ackDelayUs;
    result.samples.push({ sessionId, direction, method: "ack", tUs: send.sendUs, rttMs: rttUs / 1000, packetIndex: ack.packetIndex + packetIndexOffset, channel: ack.channel });
  }
  return result;
}


/** Whether an ack in the acker's first datagram of the later pass followed a gap in its sequence after the earlier pass's highest. */
function followsEarlierGap(earlier: AckSessionCarry, ack: AckSessionCarry["acks"][number]): boolean {
  if (ack.ackerSequence === null) return false;
  const ackerDirection = ack.sendDirection === 0 ? "serverToClient" : "clientToServer";
  const acker = earlier.streams.find((stream) => stream.direction === ackerDirection && stream.channel === ack.ackerChannel);
  if (acker === undefined) return false;
  try {
    return serialDifference(decodeSerial(acker.highestRaw), decodeSerial(ack.ackerSequence), acker.bits) > 1;
  } catch {
    return false;
  }
}
