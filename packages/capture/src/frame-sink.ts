import { EARLIEST_PRINTABLE_TIME_US, END_OF_PRINTABLE_TIME_US, ErrorCode, type AnomalyCounter, type ErrorCodeValue } from "@tickscope/core";
import type { PacketDecoder } from "./packet-decoder.js";

/**
 * Receives the frames a file-format reader (pcap, pcapng) extracts, keeps the
 * capture-level counters and hands frames to the {@link PacketDecoder}.
 */
export class FrameSink {
  /** Frames (records/packet blocks) seen. */
  frames = 0;
  /** Sum of frame wire lengths. */
  bytes = 0;
  /** Earliest frame time, µs (NaN until the first frame). */
  firstUs = Number.NaN;
  /** Latest frame time, µs (NaN until the first frame). */
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
    this.bytes += wireLength;
    if (capturedLength < wireLength) this.snaplenTruncatedFrames += 1;
    if (hasTime) {
      // a corrupt timestamp (e.g. near 2^64 µs) is kept as is, counted, and printed raw
      if (!(tUs >= EARLIEST_PRINTABLE_TIME_US && tUs < END_OF_PRINTABLE_TIME_US)) this.anomalies.add(ErrorCode.timestampOutOfRange, index);
      if (tUs < this.previousUs) this.anomalies.add(ErrorCode.timestampBackwards, index);
      this.previousUs = tUs;
      if (!(tUs >= this.firstUs)) this.firstUs = tUs;
      if (!(tUs <= this.lastUs)) this.lastUs = tUs;
    }
    this.decoder.decodeFrame(bytes, view, offset, capturedLength, wireLength, linkType, interfaceId, tUs, index);
  }
}
