import { EARLIEST_PRINTABLE_TIME_US, END_OF_PRINTABLE_TIME_US, ErrorCode, type AnomalyCounter, type ErrorCodeValue } from "@tickscope/core";
import type { PacketDecoder } from "./packet-decoder.js";

/**
 * Largest frame a link carries, in bytes (wiretap's WTAP_MAX_PACKET_SIZE_STANDARD):
 * a declared wire length above it (and above the captured length) is corrupt.
 */
export const MAXIMUM_WIRE_FRAME_BYTES = 262_144;

/**
 * Receives the frames a file-format reader (pcap, pcapng) extracts, keeps the
 * capture-level counters and hands frames to the {@link PacketDecoder}.
 */
export class FrameSink {
  /** Frames (records/packet blocks) seen. */
  frames = 0;
  /** Sum of frame wire lengths (the captured length for a frame whose wire length is impossible, `E_BAD_WIRE_LENGTH`). */
  bytes = 0;
  /** Earliest in-range frame time, µs (NaN until one); `E_TIMESTAMP_OUT_OF_RANGE` frames are left out. */
  firstUs = Number.NaN;
  /** Latest in-range frame time, µs (NaN until one); `E_TIMESTAMP_OUT_OF_RANGE` frames are left out. */
  lastUs = Number.NaN;
  /** Frames cut by the snapshot length (captured < wire length): counted, not errors. */
  snaplenTruncatedFrames = 0;
  /** Link types declared by the capture. */
  readonly linkTypes = new Set<number>();
  /** Non-packet blocks skipped, by block name. */
  readonly skippedBlocks = new Map<string, number>();
  private previousUs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly anomalies: AnomalyCounter,
    private readonly decoder: PacketDecoder,
  ) {}

  /** Time of the latest frame seen, for blocks without a timestamp (pcapng SPB); 0 before any. */
  get currentUs(): number {
    return this.previousUs === Number.NEGATIVE_INFINITY ? 0 : this.previousUs;
  }

  /** Records an anomaly at the current frame index (the index the next frame will get). */
  anomaly(code: ErrorCodeValue | string): void {
    this.anomalies.add(code, this.frames);
  }

  /** Notes a skipped block. */
  skipped(name: string): void {
    this.skippedBlocks.set(name, (this.skippedBlocks.get(name) ?? 0) + 1);
  }

  /** One frame. `hasTime` is false for pcapng simple packet blocks. */
  frame(
    bytes: Uint8Array,
    view: DataView,
    offset: number,
    capturedLength: number,
    wireLength: number,
    linkType: number,
    interfaceId: number,
    tUs: number,
    hasTime: boolean,
  ): void {
    const index = this.frames++;
    if (wireLength < capturedLength || (wireLength > MAXIMUM_WIRE_FRAME_BYTES && wireLength > capturedLength)) {
      // a corrupt record's declared length (e.g. 524501 bytes in a 239-byte file) is not
      // summed: the frame counts with the bytes it really holds
      this.anomalies.add(ErrorCode.badWireLength, index);
      wireLength = capturedLength;
    }
    this.bytes += wireLength;
    if (capturedLength < wireLength) this.snaplenTruncatedFrames += 1;
    if (hasTime) {
      if (tUs < this.previousUs) this.anomalies.add(ErrorCode.timestampBackwards, index);
      this.previousUs = tUs;
      if (tUs >= EARLIEST_PRINTABLE_TIME_US && tUs < END_OF_PRINTABLE_TIME_US) {
        if (!(tUs >= this.firstUs)) this.firstUs = tUs;
        if (!(tUs <= this.lastUs)) this.lastUs = tUs;
      } else {
        // a corrupt timestamp (e.g. near 2^64 µs) is counted and handed on raw, but is
        // no capture's first/last time: one would stretch the span to 584,000 years
        this.anomalies.add(ErrorCode.timestampOutOfRange, index);
      }
    }
    this.decoder.decodeFrame(bytes, view, offset, capturedLength, wireLength, linkType, interfaceId, tUs, index);
  }
}
