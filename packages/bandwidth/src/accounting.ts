import { type Direction, type FieldRecord, type FieldValue, type GameMessage, type PacketObservation } from "@tickscope/core";
import type {
  BandwidthTotals,
  ChannelBandwidth,
  FieldBandwidth,
  MessageTypeBandwidth,
  MinuteBandwidth,
  PacketSizeReport,
  SessionDirectionBandwidth,
} from "./bandwidth-report.js";
import { copyFields } from "./field-values.js";
import { ActivePeriods } from "./active-periods.js";
import type { LeafVisitor, Reencoder } from "./reencoder.js";
import type { AccountingState } from "./bandwidth-state.js";

/** Options of {@link BandwidthAccounting}. */
export interface AccountingOptions {
  /** Link MTU in bytes (IP packet size limit). */
  mtuBytes: number;
  /** IP + UDP header bytes added to a payload to get its IP size (28 for IPv4). */
  ipUdpHeaderBytes: number;
  /** Re-encoder giving field widths (per-field accounting needs it). */
  reencoder?: Reencoder;
  /** Streams (session × direction × type) whose previous message is kept for change rates. */
  maxChangeStreams: number;
  /**
   * Count fields in `onMessage` (default true). The analyzer turns this off and
   * calls {@link BandwidthAccounting.countFields} on its retained window instead.
   */
  countFieldsOnMessage?: boolean;
}

/** The parts of a message per-field accounting needs. */
export type FieldCountedMessage = Pick<GameMessage, "sessionId" | "direction" | "type" | "byteLength" | "fields"> & {
  /** `session\u0000direction\u0000type` when already known (retained messages carry it). */
  streamKey?: string;
};

interface StreamCounters {
  session: string;
  direction: Direction;
  packets: number;
  wireBytes: number;
  payloadBytes: number;
  firstUs: number;
  lastUs: number;
  seconds: Map<number, number>;
  /** Second being summed (packets arrive in time order: one map update per second, not per packet). */
  currentSecond: number;
  currentSecondBytes: number;
}

interface TypeCounters {
  type: string;
  direction: Direction;
  messages: number;
  bytes: number;
  /** Message bytes per second since the first message (key = second; sparse, so a corrupt far timestamp costs one entry). */
  seconds: Map<number, number>;
  /** Second being summed (messages of a type arrive in time order: one map update per second, not per message). */
  currentSecond: number;
  currentSecondBytes: number;
  /** Messages in the open second (a second of empty messages still gets its entry). */
  currentSecondMessages: number;
}

/** Most buckets of {@link BandwidthAccounting.byMessageTypeTimeline} (1-s buckets double until they fit). */
export const MESSAGE_TYPE_TIMELINE_MAX_BUCKETS = 600;

interface ChannelCounters {
  channel: string;
  direction: Direction;
  messages: number;
  bytes: number;
  resent: number;
}

interface FieldCounters {
  type: string;
  field: string;
  bitsPerValue: number;
  values: number;
  bits: number;
  changes: number;
  compared: number;
}

const MAX_PAYLOAD = 65536;
const SIZE_BUCKET_BYTES = 128;
const SIZE_BUCKETS = 12;

function round(value: number, digits = 6): number {
  if (!Number.isFinite(value)) return 0;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * Per-second rate of `amount` over `durationUs` (0 when the duration is 0). A
 * span shorter than one second counts as one second: a per-second rate over a
 * 2-ms burst (14 datagrams → "53 Mbit/s") says nothing about the link.
 */
export function perSecond(amount: number, durationUs: number): number {
  return durationUs > 0 ? round((amount * 1e6) / Math.max(durationUs, 1e6), 3) : 0;
}

/**
 * Peak one-second rate, bytes per second, defined with the average
 * ({@link perSecond}) so that it is never below it. Buckets are one second of
 * capture time from the capture's first packet; the peak is the most bytes in
 * one *full* bucket (`second < fullBuckets`, the buckets the capture covers
 * whole), and at least the average. The capture's last bucket is cut at its
 * last packet: counted as a whole second it under-reads, divided by its few
 * milliseconds it over-reads (14 datagrams in 2 ms are not 53 Mbit/s), so it
 * counts only through the average, which covers it. A capture under one
 * second has no full bucket: its peak is its average (its bytes over one
 * second, the average's own rule).
 */
export function peakPerSecond(bucketBytes: Iterable<[number, number]>, fullBuckets: number, totalBytes: number, durationUs: number): number {
  return peakInSeconds(bucketBytes, 0, fullBuckets, totalBytes, durationUs);
}

/**
 * {@link peakPerSecond} over buckets keyed by any second numbering (the
 * analyzer's are seconds of the Unix epoch): the full buckets are those with
 * `fromSecond <= second < toSecond`.
 */
export function peakInSeconds(bucketBytes: Iterable<[number, number]>, fromSecond: number, toSecond: number, totalBytes: number, durationUs: number): number {
  let peak = 0;
  for (const [second, bytes] of bucketBytes) if (second >= fromSecond && second < toSecond && bytes > peak) peak = bytes;
  return Math.max(peak, perSecond(totalBytes, durationUs));
}

function ratio(part: number, whole: number): number {
  return whole > 0 ? round(part / whole) : 0;
}

/**
 * Streaming byte accounting: per session and direction, message type, channel,
 * field (bits), packet sizes, MTU share, fragmentation, per minute and peak
 * second. State is bounded by the number of sessions, types, fields and
 * seconds with traffic.
 */
export class BandwidthAccounting {
  private readonly streams = new Map<string, StreamCounters>();
  private readonly types = new Map<string, TypeCounters>();
  private readonly typesByName = new Map<string, [TypeCounters | undefined, TypeCounters | undefined]>();
  private readonly streamsBySession = new Map<string, [StreamCounters | undefined, StreamCounters | undefined]>();
  private readonly channels = new Map<string, ChannelCounters>();
  private readonly channelsByName = new Map<string, [ChannelCounters | undefined, ChannelCounters | undefined]>();
  private readonly fields = new Map<string, FieldCounters>();
  private readonly previousFields = new Map<string, FieldRecord>();
  private readonly sizeCounts = new Uint32Array(MAX_PAYLOAD + 1);
  private readonly seconds = new Map<number, { bytes: number; packets: number }>();
  private firstUs = Number.NaN;
  private lastUs = Number.NaN;
  /** Core's active time rule: totals' rates leave out silences over 120 s (a stitched file's years, a clock jump); the periods are kept for merging. */
  private readonly active = new ActivePeriods();
  private firstMessageUs = Number.NaN;
  private lastMessageUs = Number.NaN;
  private packets = 0;
  private messages = 0;
  private messageBytes = 0;
  private wireBytes = 0;
  private payloadBytes = 0;
  private maxMtuShare = 0;
  private overMtu = 0;
  private fragmented = 0;
  private extraFrames = 0;
  private sawPacketObservations = false;
  private pendingPacketIndex = -1;
  private currentSecond = Number.NaN;
  private currentBin: { bytes: number; packets: number } | undefined;
  private pending: PacketObservation | undefined;
  private currentMessage: FieldCountedMessage | undefined;
  private fieldWindowUs: number | undefined;
  /** Field counters per type then path: the visitor looks up without building a key per leaf. */
  private readonly fieldsByType = new Map<string, Map<string, FieldCounters>>();
  private currentTypeFields: Map<string, FieldCounters> | undefined;
  /** The counters of `fieldsByType` per type by the visitor's leaf index (an array read per leaf instead of a path lookup). */
  private readonly fieldSlotsByType = new Map<string, (FieldCounters | undefined)[]>();
  private currentTypeSlots: (FieldCounters | undefined)[] = [];
  private readonly visit = (path: string, bits: number, changed: boolean, value: FieldValue | undefined, leafIndex?: number): void => {
    let counters = leafIndex === undefined ? undefined : this.currentTypeSlots[leafIndex];
    if (counters === undefined) {
      const typeFields = this.currentTypeFields!;
      counters = typeFields.get(path);
      if (counters === undefined) {
        const type = this.currentMessage!.type;
        counters = { type, field: path, bitsPerValue: bits, values: 0, bits: 0, changes: 0, compared: 0 };
        typeFields.set(path, counters);
        this.fields.set(`${type}\u0000${path}`, counters);
      }
      if (leafIndex !== undefined && leafIndex >= 0) this.currentTypeSlots[leafIndex] = counters;
    }
    counters.values += 1;
    counters.bits += bits;
    if (this.hasPrevious) {
      counters.compared += 1;
      if (changed) counters.changes += 1;
    }
    this.leafBits += bits;
    if (this.alsoVisit !== undefined) this.alsoVisit(path, bits, changed, value, leafIndex);
  };
  /** Another visitor of the current {@link BandwidthAccounting.countFields} walk. */
  private alsoVisit: LeafVisitor | undefined;
  private hasPrevious = false;
  private leafBits = 0;

  constructor(private readonly options: AccountingOptions) {}

  /** Counts one datagram. */
  onPacket(packet: PacketObservation): void {
    this.sawPacketObservations = true;
    this.pending = undefined;
    this.countPacket(packet);
  }

  /** Counts one decoded message (and its datagram when no packet observations are fed). */
  onMessage(message: GameMessage): void {
    if (!this.sawPacketObservations) this.synthesizePacket(message);
    this.messages += 1;
    this.messageBytes += message.byteLength;
    let pair = this.typesByName.get(message.type);
    if (pair === undefined) {
      pair = [undefined, undefined];
      this.typesByName.set(message.type, pair);
    }
    const slot = message.direction === "clientToServer" ? 0 : 1;
    let type = pair[slot];
    if (type === undefined) {
      type = newTypeCounters(message.type, message.direction);
      pair[slot] = type;
      this.types.set(`${message.type}\u0000${message.direction}`, type);
    }
    type.messages += 1;
    type.bytes += message.byteLength;
    if (!(message.tUs >= this.firstMessageUs)) this.firstMessageUs = message.tUs;
    if (!(message.tUs <= this.lastMessageUs)) this.lastMessageUs = message.tUs;
    // Seconds of the Unix epoch: every pass over the same traffic (a thread's sessions, a rotated file) uses the same bins.
    const second = Math.floor(message.tUs / 1e6);
    if (second !== type.currentSecond) {
      flushTypeSecond(type);
      type.currentSecond = second;
    }
    type.currentSecondBytes += message.byteLength;
    type.currentSecondMessages += 1;
    const channel = message.roles.channel;
    if (channel !== undefined) {
      // Looked up by channel then direction slot: no key string per message.
      const name = typeof channel === "string" ? channel : String(channel);
      let channelPair = this.channelsByName.get(name);
      if (channelPair === undefined) {
        channelPair = [undefined, undefined];
        this.channelsByName.set(name, channelPair);
      }
      let counters = channelPair[slot];
      if (counters === undefined) {
        counters = { channel: name, direction: message.direction, messages: 0, bytes: 0, resent: 0 };
        channelPair[slot] = counters;
        this.channels.set(`${name}\u0000${message.direction}`, counters);
      }
      counters.messages += 1;
      counters.bytes += message.byteLength;
      if ((message.roles.resendCount ?? 0) > 0) counters.resent += 1;
    }
    if (this.options.countFieldsOnMessage !== false) this.countFields(message, true);
  }

  /**
   * Counts the bits of each field of one message (needs a re-encoder) and
   * whether each changed since the previous message of its stream. With
   * `copy` false the message is kept by reference as the next "previous".
   * `alsoVisit` is called with every leaf too (one walk for both).
   */
  countFields(message: FieldCountedMessage, copy: boolean, alsoVisit?: LeafVisitor): void {
    const reencoder = this.options.reencoder;
    if (reencoder === undefined) return;
    const streamKey = message.streamKey ?? `${message.sessionId}\u0000${message.direction}\u0000${message.type}`;
    const previous = this.previousFields.get(streamKey);
    this.currentMessage = message;
    let typeFields = this.fieldsByType.get(message.type);
    if (typeFields === undefined) {
      typeFields = new Map();
      this.fieldsByType.set(message.type, typeFields);
    }
    this.currentTypeFields = typeFields;
    let slots = this.fieldSlotsByType.get(message.type);
    if (slots === undefined) {
      slots = [];
      this.fieldSlotsByType.set(message.type, slots);
    }
    this.currentTypeSlots = slots;
    this.hasPrevious = previous !== undefined;
    this.leafBits = 0;
    let known = false;
    this.alsoVisit = alsoVisit;
    try {
      known = reencoder.visitLeaves(message.type, message.fields, previous, this.visit);
    } catch {
      known = false;
    }
    this.alsoVisit = undefined;
    this.currentMessage = undefined;
    if (!known) return;
    let framing = typeFields.get("(framing)");
    if (framing === undefined) {
      framing = { type: message.type, field: "(framing)", bitsPerValue: 0, values: 0, bits: 0, changes: 0, compared: 0 };
      typeFields.set("(framing)", framing);
      this.fields.set(`${message.type}\u0000(framing)`, framing);
    }
    framing.values += 1;
    framing.bits += Math.max(0, message.byteLength * 8 - this.leafBits);
    if (previous !== undefined || this.previousFields.size < this.options.maxChangeStreams) {
      this.previousFields.set(streamKey, copy ? copyFields(message.fields) : message.fields);
    }
  }

  private synthesizePacket(message: GameMessage): void {
    if (message.packetIndex !== this.pendingPacketIndex) {
      this.flushPending();
      this.pendingPacketIndex = message.packetIndex;
      this.pending = {
        sessionId: message.sessionId,
        direction: message.direction,
        tUs: message.tUs,
        packetIndex: message.packetIndex,
        wireLength: message.packetWireLength,
        payloadLength: 0,
        frameCount: 1,
      };
    }
    this.pending!.payloadLength += message.byteLength;
  }

  private flushPending(): void {
    if (this.pending !== undefined) {
      const packet = this.pending;
      this.pending = undefined;
      this.countPacket(packet);
    }
  }

  private countPacket(packet: PacketObservation): void {
    if (!(packet.tUs >= this.firstUs)) this.firstUs = packet.tUs;
    if (!(packet.tUs <= this.lastUs)) this.lastUs = packet.tUs;
    this.active.add(packet.tUs);
    this.packets += 1;
    this.wireBytes += packet.wireLength;
    this.payloadBytes += packet.payloadLength;
    this.sizeCounts[Math.min(MAX_PAYLOAD, Math.max(0, packet.payloadLength))] += 1;
    const ipBytes = packet.payloadLength + this.options.ipUdpHeaderBytes;
    const share = ipBytes / this.options.mtuBytes;
    if (share > this.maxMtuShare) this.maxMtuShare = share;
    if (ipBytes > this.options.mtuBytes) this.overMtu += 1;
    if (packet.frameCount > 1) {
      this.fragmented += 1;
      this.extraFrames += packet.frameCount - 1;
    }
    // Seconds of the Unix epoch (not of the first packet): passes over parts of the traffic bin alike and merge by bin.
    const second = Math.floor(packet.tUs / 1e6);
    let bin = this.currentBin;
    if (second !== this.currentSecond || bin === undefined) {
      bin = this.seconds.get(second);
      if (bin === undefined) {
        bin = { bytes: 0, packets: 0 };
        this.seconds.set(second, bin);
      }
      this.currentSecond = second;
      this.currentBin = bin;
    }
    bin.bytes += packet.wireLength;
    bin.packets += 1;
    let pair = this.streamsBySession.get(packet.sessionId);
    if (pair === undefined) {
      pair = [undefined, undefined];
      this.streamsBySession.set(packet.sessionId, pair);
    }
    const slot = packet.direction === "clientToServer" ? 0 : 1;
    let stream = pair[slot];
    if (stream === undefined) {
      stream = {
        session: packet.sessionId,
        direction: packet.direction,
        packets: 0,
        wireBytes: 0,
        payloadBytes: 0,
        firstUs: packet.tUs,
        lastUs: packet.tUs,
        seconds: new Map(),
        currentSecond: second,
        currentSecondBytes: 0,
      };
      pair[slot] = stream;
      this.streams.set(`${packet.sessionId}\u0000${packet.direction}`, stream);
    }
    stream.packets += 1;
    stream.wireBytes += packet.wireLength;
    stream.payloadBytes += packet.payloadLength;
    if (packet.tUs > stream.lastUs) stream.lastUs = packet.tUs;
    if (packet.tUs < stream.firstUs) stream.firstUs = packet.tUs;
    if (second !== stream.currentSecond) {
      flushSecond(stream);
      stream.currentSecond = second;
    }
    stream.currentSecondBytes += packet.wireLength;
  }

  /** Adds every stream's open second to its per-second map (idempotent: the open sums restart at 0). */
  private flushStreamSeconds(): void {
    for (const stream of this.streams.values()) flushSecond(stream);
  }

  /** Adds every message type's open second to its per-second map (idempotent). */
  private flushTypeSeconds(): void {
    for (const type of this.types.values()) flushTypeSecond(type);
  }

  /** Duration from the first to the last packet, µs (0 before two packets). */
  get durationUs(): number {
    this.flushPending();
    return Number.isNaN(this.firstUs) ? 0 : this.lastUs - this.firstUs;
  }

  /**
   * The full one-second buckets (seconds of the Unix epoch) as [from, to): those
   * the capture covers whole, from its first to its last packet.
   */
  private fullSeconds(): [number, number] {
    this.flushPending();
    if (Number.isNaN(this.firstUs)) return [0, 0];
    return [Math.ceil(this.firstUs / 1e6), Math.floor(this.lastUs / 1e6)];
  }

  /** Mean header bytes (wire − payload) per packet of a session direction (undefined when unseen). */
  headerBytesPerPacket(session: string, direction: Direction): number | undefined {
    this.flushPending();
    const stream = this.streams.get(`${session}\u0000${direction}`);
    if (stream === undefined || stream.packets === 0) return undefined;
    return (stream.wireBytes - stream.payloadBytes) / stream.packets;
  }

  /**
   * Ends feeding and returns the accounting as plain data: every count, sum and
   * epoch-second bin (per-field counts excepted: the analyzer counts fields on
   * its retained trace at `finish()`).
   */
  saveState(): AccountingState {
    this.flushTypeSeconds();
    this.flushPending();
    this.flushStreamSeconds();
    const payloadSizes: [number, number][] = [];
    for (let size = 0; size <= MAX_PAYLOAD; size++) if (this.sizeCounts[size]! > 0) payloadSizes.push([size, this.sizeCounts[size]!]);
    return {
      packets: this.packets,
      messages: this.messages,
      messageBytes: this.messageBytes,
      wireBytes: this.wireBytes,
      payloadBytes: this.payloadBytes,
      maxMtuShare: this.maxMtuShare,
      overMtuPackets: this.overMtu,
      fragmentedPackets: this.fragmented,
      extraFrames: this.extraFrames,
      sawPacketObservations: this.sawPacketObservations,
      firstUs: orNull(this.firstUs),
      lastUs: orNull(this.lastUs),
      firstMessageUs: orNull(this.firstMessageUs),
      lastMessageUs: orNull(this.lastMessageUs),
      activePeriods: this.active.list(),
      seconds: [...this.seconds].sort((a, b) => a[0] - b[0]).map(([second, bin]): [number, number, number] => [second, bin.bytes, bin.packets]),
      streams: [...this.streams.values()].map((stream) => ({
        session: stream.session,
        direction: stream.direction,
        packets: stream.packets,
        wireBytes: stream.wireBytes,
        payloadBytes: stream.payloadBytes,
        firstUs: stream.firstUs,
        lastUs: stream.lastUs,
        seconds: [...stream.seconds].sort((a, b) => a[0] - b[0]),
      })),
      types: [...this.types.values()].map((type) => ({
        type: type.type,
        direction: type.direction,
        messages: type.messages,
        bytes: type.bytes,
        seconds: [...type.seconds].sort((a, b) => a[0] - b[0]),
      })),
      channels: [...this.channels.values()].map((channel) => ({ ...channel })),
      payloadSizes,
    };
  }

  /**
   * Adds a saved accounting (validated) into this one: sums, minimum/maximum
   * times, bins added by epoch second (a second cut by a rotation is summed),
   * active periods joined.
   */
  mergeState(state: AccountingState): void {
    this.flushPending();
    this.flushStreamSeconds();
    this.flushTypeSeconds();
    this.packets += state.packets;
    this.messages += state.messages;
    this.messageBytes += state.messageBytes;
    this.wireBytes += state.wireBytes;
    this.payloadBytes += state.payloadBytes;
    if (state.maxMtuShare > this.maxMtuShare) this.maxMtuShare = state.maxMtuShare;
    this.overMtu += state.overMtuPackets;
    this.fragmented += state.fragmentedPackets;
    this.extraFrames += state.extraFrames;
    this.sawPacketObservations ||= state.sawPacketObservations;
    this.firstUs = minimum(this.firstUs, state.firstUs);
    this.lastUs = maximum(this.lastUs, state.lastUs);
    this.firstMessageUs = minimum(this.firstMessageUs, state.firstMessageUs);
    this.lastMessageUs = maximum(this.lastMessageUs, state.lastMessageUs);
    this.active.merge(state.activePeriods);
    for (const [second, bytes, packets] of state.seconds) {
      const bin = this.seconds.get(second);
      if (bin === undefined) this.seconds.set(second, { bytes, packets });
      else {
        bin.bytes += bytes;
        bin.packets += packets;
      }
    }
    this.currentSecond = Number.NaN;
    this.currentBin = undefined;
    for (const saved of state.streams) {
      let pair = this.streamsBySession.get(saved.session);
      if (pair === undefined) {
        pair = [undefined, undefined];
        this.streamsBySession.set(saved.session, pair);
      }
      const slot = saved.direction === "clientToServer" ? 0 : 1;
      let stream = pair[slot];
      if (stream === undefined) {
        stream = { session: saved.session, direction: saved.direction, packets: 0, wireBytes: 0, payloadBytes: 0, firstUs: saved.firstUs, lastUs: saved.lastUs, seconds: new Map(), currentSecond: Number.NaN, currentSecondBytes: 0 };
        pair[slot] = stream;
        this.streams.set(`${saved.session}\u0000${saved.direction}`, stream);
      }
      stream.packets += saved.packets;
      stream.wireBytes += saved.wireBytes;
      stream.payloadBytes += saved.payloadBytes;
      if (saved.firstUs < stream.firstUs) stream.firstUs = saved.firstUs;
      if (saved.lastUs > stream.lastUs) stream.lastUs = saved.lastUs;
      stream.currentSecond = Number.NaN;
      addSeconds(stream.seconds, saved.seconds);
    }
    for (const saved of state.types) {
      let pair = this.typesByName.get(saved.type);
      if (pair === undefined) {
        pair = [undefined, undefined];
        this.typesByName.set(saved.type, pair);
      }
      const slot = saved.direction === "clientToServer" ? 0 : 1;
      let type = pair[slot];
      if (type === undefined) {
        type = newTypeCounters(saved.type, saved.direction);
        pair[slot] = type;
        this.types.set(`${saved.type}\u0000${saved.direction}`, type);
      }
      type.messages += saved.messages;
      type.bytes += saved.bytes;
      addSeconds(type.seconds, saved.seconds);
    }
    for (const saved of state.channels) {
      let pair = this.channelsByName.get(saved.channel);
      if (pair === undefined) {
        pair = [undefined, undefined];
        this.channelsByName.set(saved.channel, pair);
      }
      const slot = saved.direction === "clientToServer" ? 0 : 1;
      let channel = pair[slot];
      if (channel === undefined) {
        channel = { channel: saved.channel, direction: saved.direction, messages: 0, bytes: 0, resent: 0 };
        pair[slot] = channel;
        this.channels.set(`${saved.channel}\u0000${saved.direction}`, channel);
      }
      channel.messages += saved.messages;
      channel.bytes += saved.bytes;
      channel.resent += saved.resent;
    }
    for (const [size, packets] of state.payloadSizes) this.sizeCounts[size] += packets;
  }

  /** Whether packet observations (not only messages) were fed. */
  get hasPacketObservations(): boolean {
    return this.sawPacketObservations;
  }

  /** Totals. */
  totals(): BandwidthTotals {
    const durationUs = this.durationUs;
    // Averages are over the active time (core's ActiveSpan): the span without silences over 120 s.
    const rateUs = durationUs > 0 ? this.active.activeUs : 0;
    const [fromSecond, toSecond] = this.fullSeconds();
    const peak = peakInSeconds(
      [...this.seconds].map(([second, bin]): [number, number] => [second, bin.bytes]),
      fromSecond,
      toSecond,
      this.wireBytes,
      rateUs,
    );
    const headerBytes = this.wireBytes - this.payloadBytes;
    return {
      packets: this.packets,
      messages: this.messages,
      wireBytes: this.wireBytes,
      payloadBytes: this.payloadBytes,
      headerBytes,
      durationMs: round(durationUs / 1000, 3),
      activeDurationMs: round(rateUs / 1000, 3),
      idleGaps: this.active.idleGaps,
      bytesPerSecond: perSecond(this.wireBytes, rateUs),
      payloadBytesPerSecond: perSecond(this.payloadBytes, rateUs),
      packetsPerSecond: perSecond(this.packets, rateUs),
      headerShare: ratio(headerBytes, this.wireBytes),
      peakBytesPerSecond: peak,
    };
  }

  /** Per session and direction, sorted by session then direction. */
  bySession(): SessionDirectionBandwidth[] {
    this.flushPending();
    this.flushStreamSeconds();
    const result: SessionDirectionBandwidth[] = [];
    const [fromSecond, toSecond] = this.fullSeconds();
    for (const stream of this.streams.values()) {
      const durationUs = stream.lastUs - stream.firstUs;
      // A stream's buckets are the capture's seconds: its silences inside the capture are real.
      const peak = peakInSeconds(stream.seconds, fromSecond, toSecond, stream.wireBytes, durationUs);
      result.push({
        session: stream.session,
        direction: stream.direction,
        packets: stream.packets,
        wireBytes: stream.wireBytes,
        payloadBytes: stream.payloadBytes,
        bytesPerSecond: perSecond(stream.wireBytes, durationUs),
        packetsPerSecond: perSecond(stream.packets, durationUs),
        peakBytesPerSecond: peak,
        headerShare: ratio(stream.wireBytes - stream.payloadBytes, stream.wireBytes),
      });
    }
    return result.sort((a, b) => (a.session < b.session ? -1 : a.session > b.session ? 1 : a.direction < b.direction ? -1 : a.direction > b.direction ? 1 : 0));
  }

  /** Per message type and direction, most bytes first. */
  byMessageType(): MessageTypeBandwidth[] {
    const durationUs = this.durationUs;
    return [...this.types.values()]
      .map((type) => ({
        type: type.type,
        direction: type.direction,
        messages: type.messages,
        bytes: type.bytes,
        bytesPerSecond: perSecond(type.bytes, durationUs),
        share: ratio(type.bytes, this.messageBytes),
      }))
      .sort((a, b) => b.bytes - a.bytes || compareText(a.type, b.type) || compareText(a.direction, b.direction));
  }

  /** Per channel and direction, most bytes first. */
  byChannel(): ChannelBandwidth[] {
    const durationUs = this.durationUs;
    return [...this.channels.values()]
      .map((channel) => ({
        channel: channel.channel,
        direction: channel.direction,
        messages: channel.messages,
        bytes: channel.bytes,
        bytesPerSecond: perSecond(channel.bytes, durationUs),
        share: ratio(channel.bytes, this.messageBytes),
        resentMessages: channel.resent,
      }))
      .sort((a, b) => b.bytes - a.bytes || compareText(a.channel, b.channel) || compareText(a.direction, b.direction));
  }

  /** Sets the span the per-field counts cover (their bits/s use it instead of the capture duration). */
  setFieldWindow(durationUs: number): void {
    this.fieldWindowUs = durationUs;
  }

  /** Per field of each message type, most bits first. */
  byField(): FieldBandwidth[] {
    const durationUs = this.fieldWindowUs ?? this.durationUs;
    const typeBits = new Map<string, number>();
    for (const field of this.fields.values()) typeBits.set(field.type, (typeBits.get(field.type) ?? 0) + field.bits);
    return [...this.fields.values()]
      .map((field) => ({
        type: field.type,
        field: field.field,
        bitsPerValue: field.bitsPerValue,
        values: field.values,
        bits: field.bits,
        bitsPerSecond: perSecond(field.bits, durationUs),
        share: ratio(field.bits, typeBits.get(field.type) ?? 0),
        changeRate: field.field === "(framing)" ? 1 : ratio(field.changes, field.compared),
      }))
      .sort((a, b) => b.bits - a.bits || compareText(a.type, b.type) || compareText(a.field, b.field));
  }

  /** Packet sizes, MTU share and fragmentation. */
  packetSizes(): PacketSizeReport {
    this.flushPending();
    const histogram = [];
    for (let bucket = 0; bucket < SIZE_BUCKETS; bucket++) {
      histogram.push({ minBytes: bucket * SIZE_BUCKET_BYTES, maxBytes: bucket === SIZE_BUCKETS - 1 ? MAX_PAYLOAD : (bucket + 1) * SIZE_BUCKET_BYTES - 1, packets: 0 });
    }
    let max = 0;
    for (let size = 0; size <= MAX_PAYLOAD; size++) {
      const count = this.sizeCounts[size]!;
      if (count === 0) continue;
      max = size;
      histogram[Math.min(SIZE_BUCKETS - 1, Math.floor(size / SIZE_BUCKET_BYTES))]!.packets += count;
    }
    return {
      p50PayloadBytes: this.percentile(0.5),
      p95PayloadBytes: this.percentile(0.95),
      p99PayloadBytes: this.percentile(0.99),
      maxPayloadBytes: max,
      meanPayloadBytes: this.packets > 0 ? round(this.payloadBytes / this.packets, 3) : 0,
      histogram,
      mtuBytes: this.options.mtuBytes,
      meanMtuShare: this.packets > 0 ? round((this.payloadBytes + this.packets * this.options.ipUdpHeaderBytes) / this.options.mtuBytes / this.packets) : 0,
      maxMtuShare: round(this.maxMtuShare),
      overMtuPackets: this.overMtu,
      fragmentedPackets: this.fragmented,
      fragmentedShare: ratio(this.fragmented, this.packets),
      extraFrames: this.extraFrames,
    };
  }

  /** Nearest-rank percentile of payload sizes. */
  private percentile(quantile: number): number {
    if (this.packets === 0) return 0;
    const rank = Math.max(1, Math.ceil(quantile * this.packets));
    let seen = 0;
    for (let size = 0; size <= MAX_PAYLOAD; size++) {
      seen += this.sizeCounts[size]!;
      if (seen >= rank) return size;
    }
    /* c8 ignore next */
    return MAX_PAYLOAD;
  }

  /**
   * Bytes per second of each message type over time (largest total first):
   * 1-s buckets from the first message, doubled until at most
   * {@link MESSAGE_TYPE_TIMELINE_MAX_BUCKETS}. Each rate is the bucket's bytes
   * over the time it covers: a partial last bucket over its covered span, one
   * covering under half a bucket merged into the bucket before (so the chart
   * does not dive to zero at the end), a capture under one second over one
   * second (as {@link perSecond}).
   */
  byMessageTypeTimeline(): { bucketMs: number; startUs: number[]; types: { type: string; direction: Direction; bytesPerSecond: number[] }[] } {
    if (Number.isNaN(this.firstMessageUs)) return { bucketMs: 1000, startUs: [], types: [] };
    this.flushTypeSeconds();
    // Buckets start at the epoch second of the first message (bins are epoch seconds: passes merge by bin).
    const firstSecond = Math.floor(this.firstMessageUs / 1e6);
    const originUs = firstSecond * 1e6;
    const spanUs = this.lastMessageUs - this.firstMessageUs;
    const seconds = Math.floor(this.lastMessageUs / 1e6) - firstSecond + 1;
    let bucketSeconds = 1;
    while (Math.ceil(seconds / bucketSeconds) > MESSAGE_TYPE_TIMELINE_MAX_BUCKETS) bucketSeconds *= 2;
    const bucketUs = bucketSeconds * 1e6;
    let buckets = Math.ceil(seconds / bucketSeconds);
    // A last bucket covering under half a bucket joins the one before (its rate over a sliver would dive or jump).
    if (buckets > 1 && this.lastMessageUs - (originUs + (buckets - 1) * bucketUs) < bucketUs / 2) buckets -= 1;
    const coveredUs = Array.from({ length: buckets }, (_, bucket) => {
      if (buckets === 1) return Math.max(spanUs, 1e6);
      const startUs = originUs + bucket * bucketUs;
      if (bucket === buckets - 1) return Math.max(this.lastMessageUs - startUs, bucketUs / 2);
      // The first bucket counts from the first message (at least half a bucket, as the last).
      return bucket === 0 ? Math.max(startUs + bucketUs - this.firstMessageUs, bucketUs / 2) : bucketUs;
    });
    const types = [...this.types.values()]
      .sort((a, b) => b.bytes - a.bytes || compareText(a.type, b.type) || compareText(a.direction, b.direction))
      .map((type) => {
        const bytes = new Array<number>(buckets).fill(0);
        for (const [second, value] of type.seconds) bytes[Math.max(0, Math.min(buckets - 1, Math.floor((second - firstSecond) / bucketSeconds)))]! += value;
        return { type: type.type, direction: type.direction, bytesPerSecond: bytes.map((value, bucket) => round((value * 1e6) / coveredUs[bucket]!, 3)) };
      });
    return {
      bucketMs: bucketSeconds * 1000,
      startUs: Array.from({ length: buckets }, (_, bucket) => originUs + bucket * bucketUs),
      types,
    };
  }

  /** Per minute from the first packet, with the peak one-second bin of each minute. */
  perMinute(): MinuteBandwidth[] {
    this.flushPending();
    const minutes = new Map<number, MinuteBandwidth>();
    // Minutes start at the (epoch) second of the first packet; bins are epoch seconds.
    const firstSecond = Math.floor(this.firstUs / 1e6);
    const lastSecond = Math.floor(this.lastUs / 1e6) - firstSecond;
    const [fromSecond, toSecond] = this.fullSeconds();
    for (const [second, bin] of this.seconds) {
      const minute = Math.floor((second - firstSecond) / 60);
      let entry = minutes.get(minute);
      if (entry === undefined) {
        entry = { minute, startUs: (firstSecond + minute * 60) * 1e6, packets: 0, wireBytes: 0, bytesPerSecond: 0, peakBytesPerSecond: 0 };
        minutes.set(minute, entry);
      }
      entry.packets += bin.packets;
      entry.wireBytes += bin.bytes;
      if (second >= fromSecond && second < toSecond && bin.bytes > entry.peakBytesPerSecond) entry.peakBytesPerSecond = bin.bytes;
    }
    for (const entry of minutes.values()) {
      // The last minute may be partial: rate over the seconds it covers.
      const seconds = Math.min(60, Math.max(1, lastSecond - entry.minute * 60 + 1));
      entry.bytesPerSecond = round(entry.wireBytes / seconds, 3);
      // Peak over its full seconds (see peakPerSecond), never below its average.
      if (entry.peakBytesPerSecond < entry.bytesPerSecond) entry.peakBytesPerSecond = entry.bytesPerSecond;
    }
    return [...minutes.values()].sort((a, b) => a.minute - b.minute);
  }
}

function orNull(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

function minimum(a: number, b: number | null): number {
  return b === null ? a : Number.isNaN(a) || b < a ? b : a;
}

function maximum(a: number, b: number | null): number {
  return b === null ? a : Number.isNaN(a) || b > a ? b : a;
}

function addSeconds(into: Map<number, number>, seconds: readonly (readonly [number, number])[]): void {
  for (const [second, bytes] of seconds) into.set(second, (into.get(second) ?? 0) + bytes);
}

function newTypeCounters(type: string, direction: Direction): TypeCounters {
  return { type, direction, messages: 0, bytes: 0, seconds: new Map(), currentSecond: Number.NaN, currentSecondBytes: 0, currentSecondMessages: 0 };
}

/** Adds a type's open second to its per-second map and restarts the open sums. */
function flushTypeSecond(type: TypeCounters): void {
  if (type.currentSecondMessages === 0) return;
  type.seconds.set(type.currentSecond, (type.seconds.get(type.currentSecond) ?? 0) + type.currentSecondBytes);
  type.currentSecondBytes = 0;
  type.currentSecondMessages = 0;
}

function flushSecond(stream: StreamCounters): void {
  if (stream.currentSecondBytes === 0) return;
  stream.seconds.set(stream.currentSecond, (stream.seconds.get(stream.currentSecond) ?? 0) + stream.currentSecondBytes);
  stream.currentSecondBytes = 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
