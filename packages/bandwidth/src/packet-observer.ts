import { isCaptureDuplicate, payloadFingerprint, RecentDatagrams, type Direction, type GameMessage, type PacketObservation } from "@tickscope/core";
import type { ObserverState } from "./bandwidth-state.js";
import { datagramHash, PayloadSampler } from "./payload-sampler.js";
import { decodeBytes, encodeBytes } from "./state-values.js";

/**
 * Datagrams of each stream remembered from the start of a pass (their times,
 * sizes and fingerprints): when a rotation cut a stream, merging replays them
 * after the previous pass's duplicate window and aggregation group.
 */
export const STREAM_HEAD_DATAGRAMS = 48;

/** A copied payload kept for compression trials. */
export interface PayloadSample {
  streamKey: string;
  packetIndex: number;
  tUs: number;
  payload: Uint8Array;
  /** Type of the first decoded message of the datagram, when decoded. */
  firstMessageType?: string;
  /** Sampling hash of the datagram (see {@link datagramHash}); `packetHash(packetIndex)` when absent. */
  hash?: number;
}

/** One of a stream's first datagrams: [packetIndex, tUs, wire bytes, payload bytes, fingerprint (−1: no payload), IP identification, interface, payload bytes captured]. */
type HeadDatagram = [number, number, number, number, number, number, number, number];

/** Options of {@link PacketObserver}. */
export interface PacketObserverOptions {
  /** Payload bytes copied for compression trials (at once; the sample thins itself to stay within). */
  maxSampleBytes: number;
  /** Datagrams copied for compression trials (a seeded sample spread over the capture, see {@link PayloadSampler}). */
  maxSamplePackets: number;
  /** Recent payload fingerprints remembered per stream for duplicate detection. */
  duplicateWindow: number;
  /**
   * A byte-identical repeat within this many µs of the first copy that carries the
   * same non-zero IP identification, or came in on another capture interface, is
   * the same datagram captured twice (a span port, two interfaces), not a resend.
   */
  captureDuplicateWindowUs: number;
  /** Datagrams of one stream sent within this many µs of a group's first may be aggregated. */
  aggregationWindowUs: number;
  /** Largest UDP payload an aggregated datagram may have. */
  maxAggregatePayloadBytes: number;
  /** Length prefix bytes each datagram merged into another one needs. */
  aggregationFramingBytes: number;
}

interface StreamState {
  /** The stream's duplicate window: its last distinct datagrams (core's ring, with its fingerprint filter). */
  recent: RecentDatagrams;
  groupStartUs: number;
  groupPayload: number;
  session: string;
  direction: Direction;
  /** `session\u0000direction` (the key of the stream's payload samples), built once. */
  key: string;
  /** The stream's first datagrams in this pass (at most {@link STREAM_HEAD_DATAGRAMS}). */
  head: HeadDatagram[];
}

/** What {@link PacketObserver} found a datagram to be. */
const Repeat = { none: 0, duplicate: 1, captured: 2 } as const;
type Repeat = (typeof Repeat)[keyof typeof Repeat];

/**
 * Per-datagram observations that need payload bytes or packet timing:
 * byte-identical duplicates (core's payload fingerprint + length over a recent
 * window), aggregation of datagrams sent close together, and a bounded,
 * seeded sample of payload copies spread over the capture for compression trials.
 */
export class PacketObserver {
  /** The payload sample of the compression trials. */
  readonly sampler: PayloadSampler;
  /** Duplicate datagrams found. */
  duplicatePackets = 0;
  /** Wire bytes of duplicate datagrams. */
  duplicateWireBytes = 0;
  /** Example packet indices of duplicates (first 20). */
  readonly duplicateExamples: number[] = [];
  /** Datagrams captured twice (see {@link PacketObserverOptions.captureDuplicateWindowUs}): not sent twice, not in {@link duplicatePackets}. */
  captureDuplicatePackets = 0;
  /** Wire bytes of capture duplicates. */
  captureDuplicateWireBytes = 0;
  /** Example packet indices of capture duplicates (first 20). */
  readonly captureDuplicateExamples: number[] = [];
  /** Datagrams seen / with a payload. */
  packets = 0;
  packetsWithPayload = 0;
  /** Wire bytes seen. */
  wireBytes = 0;
  /** Wire bytes after aggregation (measured by packing in send order). */
  aggregatedWireBytes = 0;
  /** Datagrams after aggregation. */
  aggregatedPackets = 0;
  private readonly streams = new Map<string, [StreamState | undefined, StreamState | undefined]>();
  private lastSample: PayloadSample | undefined;

  /** @param options limits and windows (see {@link PacketObserverOptions}) */
  constructor(readonly options: PacketObserverOptions) {
    this.sampler = new PayloadSampler(options.maxSamplePackets, options.maxSampleBytes);
  }

  /** Payload copies for compression trials, in capture order. */
  get samples(): readonly PayloadSample[] {
    return this.sampler.samples;
  }

  /** Observes one datagram. */
  onPacket(packet: PacketObservation): void {
    this.packets += 1;
    this.wireBytes += packet.wireLength;
    let pair = this.streams.get(packet.sessionId);
    if (pair === undefined) {
      pair = [undefined, undefined];
      this.streams.set(packet.sessionId, pair);
    }
    const slot = packet.direction === "clientToServer" ? 0 : 1;
    let stream = pair[slot];
    if (stream === undefined) {
      stream = this.newStream(packet.sessionId, packet.direction);
      pair[slot] = stream;
    }
    this.aggregate(stream, packet.tUs, packet.payloadLength, packet.wireLength);
    const payload = packet.payload;
    const ipIdentification = packet.ipIdentification ?? -1;
    const interfaceId = packet.interfaceId ?? 0;
    if (payload === undefined) {
      if (stream.head.length < STREAM_HEAD_DATAGRAMS) stream.head.push([packet.packetIndex, packet.tUs, packet.wireLength, packet.payloadLength, -1, ipIdentification, interfaceId, 0]);
      return;
    }
    this.packetsWithPayload += 1;
    const fingerprint = payloadFingerprint(payload);
    if (stream.head.length < STREAM_HEAD_DATAGRAMS) stream.head.push([packet.packetIndex, packet.tUs, packet.wireLength, packet.payloadLength, fingerprint, ipIdentification, interfaceId, payload.length]);
    const repeat = this.classify(stream, fingerprint, payload.length, packet.tUs, ipIdentification, interfaceId);
    if (repeat === Repeat.captured) {
      this.captureDuplicatePackets += 1;
      this.captureDuplicateWireBytes += packet.wireLength;
      if (this.captureDuplicateExamples.length < 20) this.captureDuplicateExamples.push(packet.packetIndex);
    } else if (repeat === Repeat.duplicate) {
      this.duplicatePackets += 1;
      this.duplicateWireBytes += packet.wireLength;
      if (this.duplicateExamples.length < 20) this.duplicateExamples.push(packet.packetIndex);
    }
    this.lastSample = this.sampler.offer(packet.sessionId, packet.direction, packet.packetIndex, packet.tUs, payload, datagramHash(packet.tUs, fingerprint), stream.key);
  }

  private newStream(session: string, direction: Direction): StreamState {
    return {
      recent: new RecentDatagrams(this.options.duplicateWindow),
      groupStartUs: Number.NEGATIVE_INFINITY,
      groupPayload: 0,
      session,
      direction,
      key: `${session}\u0000${direction}`,
      head: [],
    };
  }

  /**
   * Whether a datagram repeats one of the stream's recent ones (byte-identical:
   * core's payload fingerprint + length), and if so whether it is the same frame captured twice
   * (core's one rule: same IP identification or another interface, close
   * together); a new datagram joins the window.
   */
  private classify(stream: StreamState, fingerprint: number, length: number, tUs: number, ipIdentification: number, interfaceId: number): Repeat {
    const recent = stream.recent;
    const index = recent.find(fingerprint, length);
    if (index >= 0) {
      const captured = isCaptureDuplicate(
        { tUs: recent.timeUs(index), ipIdentification: recent.ipIdentification(index), interfaceId: recent.interfaceId(index) },
        { tUs, ipIdentification, interfaceId },
        this.options.captureDuplicateWindowUs,
      );
      return captured ? Repeat.captured : Repeat.duplicate;
    }
    recent.add(fingerprint, length, tUs, ipIdentification, interfaceId);
    return Repeat.none;
  }

  /** Labels the last sampled datagram with the type of its first message. */
  onMessage(message: GameMessage): void {
    const sample = this.lastSample;
    if (sample !== undefined && sample.packetIndex === message.packetIndex && sample.firstMessageType === undefined) {
      sample.firstMessageType = message.type;
    }
  }

  /** Packs a datagram into the stream's open aggregation group or starts one, and counts it. */
  private aggregate(stream: StreamState, tUs: number, payloadLength: number, wireLength: number): void {
    const added = this.aggregateInto(stream, tUs, payloadLength, wireLength);
    if (added < 0) {
      this.aggregatedPackets += 1;
      this.aggregatedWireBytes -= added;
    } else {
      this.aggregatedWireBytes += added;
    }
  }

  /**
   * The aggregation rule on one stream: a datagram sent within the window of the
   * open group's first datagram rides in it while the group stays within the
   * payload limit. Returns the framed payload when it rides, −(wire bytes) when
   * it starts a new group.
   */
  private aggregateInto(stream: Pick<StreamState, "groupStartUs" | "groupPayload">, tUs: number, payloadLength: number, wireLength: number): number {
    const options = this.options;
    const framed = payloadLength + options.aggregationFramingBytes;
    if (tUs - stream.groupStartUs <= options.aggregationWindowUs && stream.groupPayload + framed <= options.maxAggregatePayloadBytes) {
      // Rides in the open group's datagram: its payload (plus framing) only.
      stream.groupPayload += framed;
      return framed;
    }
    stream.groupStartUs = tUs;
    stream.groupPayload = payloadLength;
    return -wireLength;
  }

  /** The duplicate window of a stream, oldest first: [fingerprint, payload bytes, tUs, IP identification, interface]. */
  private recentOf(stream: StreamState): [number, number, number, number, number][] {
    const ring = stream.recent;
    const recent: [number, number, number, number, number][] = [];
    for (let step = 0; step < ring.capacity; step++) {
      const index = (ring.next + step) % ring.capacity;
      if (ring.length(index) < 0) continue;
      recent.push([ring.fingerprint(index), ring.length(index), ring.timeUs(index), ring.ipIdentification(index), ring.interfaceId(index)]);
    }
    return recent;
  }

  /** A stream whose duplicate window and aggregation group are the saved ones. */
  private restoredStream(saved: ObserverState["streams"][number], head: HeadDatagram[]): StreamState {
    const stream = this.newStream(saved.session, saved.direction);
    for (const [fingerprint, length, tUs, ipIdentification, interfaceId] of saved.recent) stream.recent.add(fingerprint, length, tUs, ipIdentification, interfaceId);
    stream.groupStartUs = saved.groupStartUs ?? Number.NEGATIVE_INFINITY;
    stream.groupPayload = saved.groupPayload;
    stream.head = head;
    return stream;
  }

  /** Ends feeding and returns the observations as plain data. */
  saveState(): ObserverState {
    const streams: ObserverState["streams"] = [];
    for (const pair of this.streams.values()) {
      for (const stream of pair) {
        if (stream === undefined) continue;
        streams.push({
          session: stream.session,
          direction: stream.direction,
          groupStartUs: Number.isFinite(stream.groupStartUs) ? stream.groupStartUs : null,
          groupPayload: stream.groupPayload,
          recent: this.recentOf(stream),
          head: stream.head.map((datagram) => [...datagram]),
        });
      }
    }
    const sampler = this.sampler;
    return {
      packets: this.packets,
      packetsWithPayload: this.packetsWithPayload,
      wireBytes: this.wireBytes,
      duplicatePackets: this.duplicatePackets,
      duplicateWireBytes: this.duplicateWireBytes,
      duplicateExamples: [...this.duplicateExamples],
      captureDuplicatePackets: this.captureDuplicatePackets,
      captureDuplicateWireBytes: this.captureDuplicateWireBytes,
      captureDuplicateExamples: [...this.captureDuplicateExamples],
      aggregatedPackets: this.aggregatedPackets,
      aggregatedWireBytes: this.aggregatedWireBytes,
      streams,
      sample: {
        offered: sampler.offered,
        offeredBytes: sampler.offeredBytes,
        level: sampler.level,
        samples: sampler.samples.map((sample) => {
          const [session, direction] = sample.streamKey.split("\u0000") as [string, Direction];
          const saved: ObserverState["sample"]["samples"][number] = { session, direction, packetIndex: sample.packetIndex, tUs: sample.tUs, hash: sample.hash!, payload: encodeBytes(sample.payload) };
          if (sample.firstMessageType !== undefined) saved.firstMessageType = sample.firstMessageType;
          return saved;
        }),
      },
    };
  }

  /**
   * Checks what the schema cannot (bounds of these options, base64 payloads)
   * and decodes the payload sample; throws before anything is merged.
   */
  static decodeSamples(state: ObserverState, options: PacketObserverOptions, path: string, fail: (path: string, problem: string) => Error): PayloadSample[] {
    for (const [index, stream] of state.streams.entries()) {
      if (stream.recent.length > options.duplicateWindow) throw fail(`${path}.streams[${index}].recent`, `${stream.recent.length} datagrams, over the window of ${options.duplicateWindow}`);
      if (stream.head.length > STREAM_HEAD_DATAGRAMS) throw fail(`${path}.streams[${index}].head`, `${stream.head.length} datagrams, over ${STREAM_HEAD_DATAGRAMS}`);
    }
    const samples = state.sample.samples;
    if (samples.length > options.maxSamplePackets) throw fail(`${path}.sample.samples`, `${samples.length} datagrams, over the bound of ${options.maxSamplePackets}`);
    let bytes = 0;
    return samples.map((saved, index) => {
      const payload = decodeBytes(saved.payload, `${path}.sample.samples[${index}].payload`);
      bytes += payload.length;
      if (bytes > options.maxSampleBytes) throw fail(`${path}.sample.samples`, `over the bound of ${options.maxSampleBytes} payload bytes`);
      const sample: PayloadSample = { streamKey: `${saved.session}\u0000${saved.direction}`, packetIndex: saved.packetIndex, tUs: saved.tUs, payload, hash: saved.hash };
      if (saved.firstMessageType !== undefined) sample.firstMessageType = saved.firstMessageType;
      return sample;
    });
  }

  /**
   * Folds a saved pass in (validated; `samples` from {@link decodeSamples}).
   * Streams new to this observer are taken as saved. A stream seen before (a
   * rotation cut it) continues: the saved pass's first datagrams are replayed
   * after this observer's duplicate window and aggregation group, and the
   * counts are corrected by the difference.
   */
  mergeState(state: ObserverState, samples: PayloadSample[], packetIndexOffset: number): void {
    this.packets += state.packets;
    this.packetsWithPayload += state.packetsWithPayload;
    this.wireBytes += state.wireBytes;
    this.duplicatePackets += state.duplicatePackets;
    this.duplicateWireBytes += state.duplicateWireBytes;
    this.captureDuplicatePackets += state.captureDuplicatePackets;
    this.captureDuplicateWireBytes += state.captureDuplicateWireBytes;
    this.aggregatedPackets += state.aggregatedPackets;
    this.aggregatedWireBytes += state.aggregatedWireBytes;
    const duplicateExamples = new Set([...this.duplicateExamples, ...state.duplicateExamples.map((index) => index + packetIndexOffset)]);
    const captureExamples = new Set([...this.captureDuplicateExamples, ...state.captureDuplicateExamples.map((index) => index + packetIndexOffset)]);
    for (const saved of state.streams) {
      const head = saved.head.map((datagram): HeadDatagram => [datagram[0] + packetIndexOffset, datagram[1], datagram[2], datagram[3], datagram[4], datagram[5], datagram[6], datagram[7]]);
      let pair = this.streams.get(saved.session);
      if (pair === undefined) {
        pair = [undefined, undefined];
        this.streams.set(saved.session, pair);
      }
      const slot = saved.direction === "clientToServer" ? 0 : 1;
      const earlier = pair[slot];
      if (earlier === undefined) {
        pair[slot] = this.restoredStream(saved, head);
        continue;
      }
      // A rotation cut this stream: replay the later pass's head alone (as it ran) and after the earlier pass.
      const alone = this.newStream(saved.session, saved.direction);
      for (const datagram of head) {
        const [packetIndex, tUs, wireLength, payloadLength, fingerprint, ipIdentification, interfaceId, capturedLength] = datagram;
        const aloneAdded = this.aggregateInto(alone, tUs, payloadLength, wireLength);
        const joinedAdded = this.aggregateInto(earlier, tUs, payloadLength, wireLength);
        this.aggregatedPackets += (joinedAdded < 0 ? 1 : 0) - (aloneAdded < 0 ? 1 : 0);
        this.aggregatedWireBytes += Math.abs(joinedAdded) - Math.abs(aloneAdded);
        if (fingerprint < 0) continue;
        const aloneRepeat = this.classify(alone, fingerprint, capturedLength, tUs, ipIdentification, interfaceId);
        const joinedRepeat = this.classify(earlier, fingerprint, capturedLength, tUs, ipIdentification, interfaceId);
        if (aloneRepeat === joinedRepeat) continue;
        const sign = (repeat: Repeat, kind: Repeat): number => (repeat === kind ? 1 : 0);
        this.duplicatePackets += sign(joinedRepeat, Repeat.duplicate) - sign(aloneRepeat, Repeat.duplicate);
        this.duplicateWireBytes += (sign(joinedRepeat, Repeat.duplicate) - sign(aloneRepeat, Repeat.duplicate)) * wireLength;
        this.captureDuplicatePackets += sign(joinedRepeat, Repeat.captured) - sign(aloneRepeat, Repeat.captured);
        this.captureDuplicateWireBytes += (sign(joinedRepeat, Repeat.captured) - sign(aloneRepeat, Repeat.captured)) * wireLength;
        for (const [examples, kind] of [[duplicateExamples, Repeat.duplicate], [captureExamples, Repeat.captured]] as const) {
          if (joinedRepeat === kind) examples.add(packetIndex);
          else examples.delete(packetIndex);
        }
      }
      if (head.length < STREAM_HEAD_DATAGRAMS) continue; // the head was the whole stream: the replayed window and group are final
      // Past the head the later pass ran from its own window and group; equal to the replayed ones (the usual case), they are exact.
      pair[slot] = this.restoredStream(saved, earlier.head);
    }
    const firstTwenty = (examples: Set<number>): number[] => [...examples].sort((a, b) => a - b).slice(0, 20);
    this.duplicateExamples.splice(0, this.duplicateExamples.length, ...firstTwenty(duplicateExamples));
    this.captureDuplicateExamples.splice(0, this.captureDuplicateExamples.length, ...firstTwenty(captureExamples));
    this.sampler.mergeSamples(
      samples.map((sample) => ({ ...sample, packetIndex: sample.packetIndex + packetIndexOffset })),
      state.sample.offered,
      state.sample.offeredBytes,
      state.sample.level,
    );
  }
}

