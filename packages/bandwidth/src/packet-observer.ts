import { isCaptureDuplicate, payloadFingerprint, type GameMessage, type PacketObservation } from "@tickscope/core";
import { PayloadSampler } from "./payload-sampler.js";

/** A copied payload kept for compression trials. */
export interface PayloadSample {
  streamKey: string;
  packetIndex: number;
  tUs: number;
  payload: Uint8Array;
  /** Type of the first decoded message of the datagram, when decoded. */
  firstMessageType?: string;
}

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
  fingerprints: Float64Array;
  lengths: Int32Array;
  /** Capture time, IP identification and interface of each remembered datagram. */
  times: Float64Array;
  ipIdentifications: Float64Array;
  interfaceIds: Int32Array;
  next: number;
  groupStartUs: number;
  groupPayload: number;
}

/**
 * Per-datagram observations that need payload bytes or packet timing:
 * byte-identical duplicates (FNV-1a fingerprint + length over a recent
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
      stream = {
        fingerprints: new Float64Array(this.options.duplicateWindow).fill(-1),
        lengths: new Int32Array(this.options.duplicateWindow).fill(-1),
        times: new Float64Array(this.options.duplicateWindow),
        ipIdentifications: new Float64Array(this.options.duplicateWindow),
        interfaceIds: new Int32Array(this.options.duplicateWindow),
        next: 0,
        groupStartUs: Number.NEGATIVE_INFINITY,
        groupPayload: 0,
      };
      pair[slot] = stream;
    }
    this.aggregate(stream, packet);
    const payload = packet.payload;
    if (payload === undefined) return;
    this.packetsWithPayload += 1;
    const fingerprint = payloadFingerprint(payload);
    let duplicate = false;
    let captured = false;
    const ipIdentification = packet.ipIdentification ?? -1;
    const interfaceId = packet.interfaceId ?? 0;
    for (let index = 0; index < stream.fingerprints.length; index++) {
      if (stream.fingerprints[index] === fingerprint && stream.lengths[index] === payload.length) {
        duplicate = true;
        // Same frame twice (core's one rule): same IP identification or another interface, close together.
        captured = isCaptureDuplicate(
          { tUs: stream.times[index]!, ipIdentification: stream.ipIdentifications[index]!, interfaceId: stream.interfaceIds[index]! },
          packet,
          this.options.captureDuplicateWindowUs,
        );
        break;
      }
    }
    if (captured) {
      this.captureDuplicatePackets += 1;
      this.captureDuplicateWireBytes += packet.wireLength;
      if (this.captureDuplicateExamples.length < 20) this.captureDuplicateExamples.push(packet.packetIndex);
    } else if (duplicate) {
      this.duplicatePackets += 1;
      this.duplicateWireBytes += packet.wireLength;
      if (this.duplicateExamples.length < 20) this.duplicateExamples.push(packet.packetIndex);
    } else if (stream.fingerprints.length > 0) {
      stream.fingerprints[stream.next] = fingerprint;
      stream.lengths[stream.next] = payload.length;
      stream.times[stream.next] = packet.tUs;
      stream.ipIdentifications[stream.next] = ipIdentification;
      stream.interfaceIds[stream.next] = interfaceId;
      stream.next = (stream.next + 1) % stream.fingerprints.length;
    }
    this.lastSample = this.sampler.offer(packet.sessionId, packet.direction, packet.packetIndex, packet.tUs, payload);
  }

  /** Labels the last sampled datagram with the type of its first message. */
  onMessage(message: GameMessage): void {
    const sample = this.lastSample;
    if (sample !== undefined && sample.packetIndex === message.packetIndex && sample.firstMessageType === undefined) {
      sample.firstMessageType = message.type;
    }
  }

  private aggregate(stream: StreamState, packet: PacketObservation): void {
    const options = this.options;
    const framed = packet.payloadLength + options.aggregationFramingBytes;
    if (packet.tUs - stream.groupStartUs <= options.aggregationWindowUs && stream.groupPayload + framed <= options.maxAggregatePayloadBytes) {
      // Rides in the open group's datagram: its payload (plus framing) only.
      stream.groupPayload += framed;
      this.aggregatedWireBytes += framed;
      return;
    }
    stream.groupStartUs = packet.tUs;
    stream.groupPayload = packet.payloadLength;
    this.aggregatedPackets += 1;
    this.aggregatedWireBytes += packet.wireLength;
  }
}

/** 32-bit FNV-1a of a byte array (core's {@link payloadFingerprint}). */
export const fnv1a = payloadFingerprint;
