import type { Direction, GameMessage } from "@tickscope/core";
import type { LatencySampleSink } from "./rtt-sample.js";
import { sequenceWidth, unwrapNearest } from "./sequence-unwrapper.js";

/** Options of {@link AckRttTracker}. */
export interface AckRttTrackerOptions {
  /** Sent sequences remembered per stream (ring size, power of two). Default 1024. */
  windowSize?: number;
  /** Acks arriving later than this after the send are ignored, ms. Default 10,000. */
  maxRttMs?: number;
}

const PENDING = 1;
const AMBIGUOUS = 2;

interface SendStream {
  readonly sessionId: string;
  readonly direction: Direction;
  readonly channel: string;
  bits: number;
  highest: number;
  /** Per ring slot s: `[2s]` the extended sequence sent (−1 = none), `[2s + 1]` its send time (µs); side by side so a lookup touches one cache line. */
  readonly sent: Float64Array;
  readonly states: Uint8Array;
  lastPacketIndex: number;
  lastSequence: number;
  lastAckPacketIndex: number;
  lastAck: number;
  lastAckBits: number;
  /** Last applied ack (extended) and its bits, to scan only newly covered bits. */
  previousAckExtended: number;
  previousAckBits: number;
}

/**
 * Ack-based RTT: the send of sequence N in one direction → the first message
 * in the other direction whose `ack`/`ackBits` cover N. One stream per
 * (session, direction, channel); a header sequence repeated on every message
 * of a datagram counts once; retransmitted sequences give no sample (Karn's
 * rule). Memory: `windowSize` slots per stream.
 */
export class AckRttTracker {
  /** Per session: send streams by direction (0 = client→server), then channel. */
  private readonly sessions = new Map<string, [SendStream[], SendStream[]]>();
  private readonly windowMask: number;
  private readonly windowSize: number;
  private readonly maxRttUs: number;
  /** The session looked up last, and its streams. */
  private lastSessionId: string | undefined;
  private lastGroups: [SendStream[], SendStream[]] | undefined;
  /** Sequences retransmitted (excluded from RTT). */
  retransmissions = 0;

  constructor(
    private readonly sink: LatencySampleSink,
    options: AckRttTrackerOptions = {},
  ) {
    let size = 1;
    while (size < (options.windowSize ?? 1024)) size *= 2;
    this.windowSize = size;
    this.windowMask = size - 1;
    this.maxRttUs = (options.maxRttMs ?? 10_000) * 1000;
  }

  /** Feeds one message. */
  onMessage(message: GameMessage): void {
    const roles = message.roles;
    if (roles.sequence !== undefined) this.onSend(message, roles.sequence);
    if (roles.ack !== undefined) this.onAck(message, roles.ack, roles.ackBits ?? 0, roles.ackBitsWidth ?? 32);
  }

  private groups(sessionId: string): [SendStream[], SendStream[]] | undefined {
    if (sessionId === this.lastSessionId) return this.lastGroups;
    const groups = this.sessions.get(sessionId);
    if (groups !== undefined) {
      this.lastSessionId = sessionId;
      this.lastGroups = groups;
    }
    return groups;
  }

  private stream(sessionId: string, direction: Direction, channel: string, bits: number): SendStream {
    let groups = this.groups(sessionId);
    if (groups === undefined) {
      groups = [[], []];
      this.sessions.set(sessionId, groups);
    }
    const group = groups[direction === "clientToServer" ? 0 : 1];
    for (let index = 0; index < group.length; index++) if (group[index].channel === channel) return group[index];
    const stream: SendStream = {
      sessionId,
      direction,
      channel,
      bits,
      highest: Number.NaN,
      sent: emptySentRing(this.windowSize),
      states: new Uint8Array(this.windowSize),
      lastPacketIndex: -1,
      lastSequence: -1,
      lastAckPacketIndex: -1,
      lastAck: -1,
      lastAckBits: -1,
      previousAckExtended: Number.NaN,
      previousAckBits: 0,
    };
    group.push(stream);
    return stream;
  }

  private onSend(message: GameMessage, sequence: number): void {
    const channel = message.roles.channel === undefined ? "" : String(message.roles.channel);
    const bits = sequenceWidth(sequence, message.roles.sequenceBits);
    const stream = this.stream(message.sessionId, message.direction, channel, bits);
    if (stream.lastPacketIndex === message.packetIndex && stream.lastSequence === sequence) return;
    stream.lastPacketIndex = message.packetIndex;
    stream.lastSequence = sequence;
    const extended = Number.isNaN(stream.highest) ? sequence : unwrapNearest(sequence, stream.bits, stream.highest);
    if (Number.isNaN(stream.highest) || extended > stream.highest) stream.highest = extended;
    const slot = extended & this.windowMask;
    const resent = (message.roles.resendCount ?? 0) > 0;
    if (stream.sent[2 * slot] === extended) {
      // Same sequence in another datagram: a retransmission; its RTT is ambiguous.
      if (stream.states[slot] !== 0) stream.states[slot] = AMBIGUOUS;
      this.retransmissions += 1;
      return;
    }
    if (resent) this.retransmissions += 1;
    stream.sent[2 * slot] = extended;
    stream.sent[2 * slot + 1] = message.tUs;
    stream.states[slot] = resent ? AMBIGUOUS : PENDING;
  }

  private onAck(message: GameMessage, ack: number, ackBits: number, ackBitsWidth: number): void {
    const groups = this.groups(message.sessionId);
    if (groups === undefined) return;
    const group = groups[message.direction === "clientToServer" ? 1 : 0];
    if (group.length === 0) return;
    const channel = message.roles.channel === undefined ? "" : String(message.roles.channel);
    for (let index = 0; index < group.length; index++) {
      if (group[index].channel === channel) {
        this.applyAck(group[index], message, ack, ackBits, ackBitsWidth);
        return;
      }
    }
    // The ack travels on another channel (e.g. a control channel acking a data
    // channel): apply it to each peer stream where the acked sequence is pending.
    for (const stream of group) this.applyAck(stream, message, ack, ackBits, ackBitsWidth);
  }

  private applyAck(stream: SendStream, message: GameMessage, ack: number, ackBits: number, ackBitsWidth: number): void {
    if (Number.isNaN(stream.highest)) return;
    if (stream.lastAckPacketIndex === message.packetIndex && stream.lastAck === ack && stream.lastAckBits === ackBits) return;
    stream.lastAckPacketIndex = message.packetIndex;
    stream.lastAck = ack;
    stream.lastAckBits = ackBits;
    const extended = unwrapNearest(ack, stream.bits, stream.highest);
    const width = Math.min(ackBitsWidth, 32);
    let bits = (width >= 32 ? ackBits : ackBits & ((1 << width) - 1)) >>> 0;
    // Skip bits the previous ack already covered (bit i ⇔ extended − 1 − i).
    const advance = extended - stream.previousAckExtended;
    if (advance >= 0 && advance <= 32) {
      const previous = stream.previousAckBits;
      const covered = (advance === 0 ? previous : (advance < 32 ? previous << advance : 0) | (1 << (advance - 1))) >>> 0;
      const union = (covered | bits) >>> 0;
      bits = (bits & ~covered) >>> 0;
      stream.previousAckExtended = extended;
      stream.previousAckBits = union;
    } else if (!(advance < 0)) {
      // First ack, or a jump beyond the bit window.
      stream.previousAckExtended = extended;
      stream.previousAckBits = bits;
    }
    // Oldest first, so samples come out in send-time order.
    while (bits !== 0) {
      const bit = 31 - Math.clz32(bits);
      this.cover(stream, message, extended - 1 - bit);
      bits = (bits & ~(1 << bit)) >>> 0;
    }
    this.cover(stream, message, extended);
  }

  private cover(stream: SendStream, message: GameMessage, extended: number): void {
    const slot = extended & this.windowMask;
    if (stream.sent[2 * slot] !== extended) return;
    const state = stream.states[slot];
    if (state === 0) return;
    stream.states[slot] = 0;
    if (state === AMBIGUOUS) return;
    const sendUs = stream.sent[2 * slot + 1];
    const rttUs = message.tUs - sendUs;
    if (rttUs < 0 || rttUs > this.maxRttUs) return;
    this.sink({
      sessionId: stream.sessionId,
      direction: stream.direction,
      method: "ack",
      tUs: sendUs,
      rttMs: rttUs / 1000,
      packetIndex: message.packetIndex,
    });
  }
}

/** A ring of `size` (sequence, send time) pairs with every sequence −1 (empty). */
function emptySentRing(size: number): Float64Array {
  const sent = new Float64Array(2 * size);
  for (let slot = 0; slot < size; slot++) sent[2 * slot] = -1;
  return sent;
}
