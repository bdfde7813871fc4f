import { ErrorCode, TickscopeError } from "@tickscope/core";
import type { RecordParser } from "./chunk-framer.js";
import type { FrameSink } from "./frame-sink.js";

/** Magic numbers of classic pcap, as read big-endian from the first four bytes. */
export const PcapMagic = {
  /** Microsecond timestamps, big-endian file. */
  microsecondsBigEndian: 0xa1b2c3d4,
  /** Microsecond timestamps, little-endian file. */
  microsecondsLittleEndian: 0xd4c3b2a1,
  /** Nanosecond timestamps, big-endian file. */
  nanosecondsBigEndian: 0xa1b23c4d,
  /** Nanosecond timestamps, little-endian file. */
  nanosecondsLittleEndian: 0x4d3cb2a1,
} as const;

/** Largest record length accepted (wiretap's 256 KiB, or the file's snaplen when larger, up to 16 MiB). */
export function maximumPcapRecordLength(snapshotLength: number): number {
  return Math.max(262_144, Math.min(snapshotLength, 16 * 1024 * 1024));
}

/** Decoded classic pcap global header. */
export interface PcapHeader {
  /** True for little-endian files. */
  littleEndian: boolean;
  /** True for nanosecond-resolution files. */
  nanoseconds: boolean;
  /** Format version. */
  majorVersion: number;
  /** Format version. */
  minorVersion: number;
  /** Snapshot length. */
  snapshotLength: number;
  /** Link type (LINKTYPE_*). */
  linkType: number;
}

/** Parses the 24-byte pcap global header; throws `E_BAD_MAGIC` / `E_UNSUPPORTED_VERSION`. */
export function parsePcapHeader(view: DataView, offset: number): PcapHeader {
  const magic = view.getUint32(offset, false);
  let littleEndian: boolean;
  let nanoseconds: boolean;
  if (magic === PcapMagic.microsecondsBigEndian) [littleEndian, nanoseconds] = [false, false];
  else if (magic === PcapMagic.microsecondsLittleEndian) [littleEndian, nanoseconds] = [true, false];
  else if (magic === PcapMagic.nanosecondsBigEndian) [littleEndian, nanoseconds] = [false, true];
  else if (magic === PcapMagic.nanosecondsLittleEndian) [littleEndian, nanoseconds] = [true, true];
  else throw new TickscopeError(ErrorCode.badMagic, `not a pcap file (magic 0x${magic.toString(16).padStart(8, "0")})`, { offset });
  const majorVersion = view.getUint16(offset + 4, littleEndian);
  const minorVersion = view.getUint16(offset + 6, littleEndian);
  if (majorVersion !== 2) {
    throw new TickscopeError(ErrorCode.unsupportedVersion, `unsupported pcap version ${majorVersion}.${minorVersion}`, { offset: offset + 4 });
  }
  return {
    littleEndian,
    nanoseconds,
    majorVersion,
    minorVersion,
    snapshotLength: view.getUint32(offset + 16, littleEndian),
    linkType: view.getUint32(offset + 20, littleEndian) & 0x0fffffff,
  };
}

/**
 * True for pcap 2.0–2.3 files, whose writers may have swapped the captured and
 * original lengths (wiretap's rule: always before 2.3, and in 2.3 when the
 * captured length exceeds the original one).
 */
export function hasSwappedLengths(header: PcapHeader): boolean {
  return header.majorVersion === 2 && header.minorVersion <= 3;
}

/**
 * tickscope's own classic-pcap record parser (the `builtin` engine; the
 * default engine is `pcap-parser`). Records are handed to the sink as views.
 * A record whose length is impossible stops the file (pcap has no resync
 * marker): `E_BAD_BLOCK_LENGTH`; a record cut by the end of file: `E_TRUNCATED`.
 */
export class PcapRecordParser implements RecordParser {
  /** Bytes needed to make progress (see {@link RecordParser.needed}). */
  needed = 24;
  /** The global header once parsed. */
  header: PcapHeader | undefined;
  private stopped = false;
  private swappedLengths = false;
  private maximumRecord = 262_144;

  constructor(private readonly sink: FrameSink) {}

  /** Parses records from `bytes[start, end)` (see {@link RecordParser.parse}). */
  parse(bytes: Uint8Array, view: DataView, start: number, end: number, final: boolean): number {
    if (this.stopped) return end;
    let position = start;
    if (this.header === undefined) {
      if (end - position < 24) return this.wait(position, end, 24, final);
      this.header = parsePcapHeader(view, position);
      this.maximumRecord = maximumPcapRecordLength(this.header.snapshotLength);
      this.sink.linkTypes.add(this.header.linkType);
      this.swappedLengths = hasSwappedLengths(this.header);
      position += 24;
    }
    const { littleEndian, nanoseconds, linkType } = this.header;
    const sink = this.sink;
    const maximumRecord = this.maximumRecord;
    for (;;) {
      if (end - position < 16) return this.wait(position, end, 16, final);
      let capturedLength = view.getUint32(position + 8, littleEndian);
      let wireLength = view.getUint32(position + 12, littleEndian);
      if (this.swappedLengths && (this.header.minorVersion < 3 || capturedLength > wireLength)) {
        [capturedLength, wireLength] = [wireLength, capturedLength];
      }
      if (capturedLength > maximumRecord) {
        sink.anomaly(ErrorCode.badBlockLength);
        this.stopped = true;
        return end;
      }
      if (end - position < 16 + capturedLength) return this.wait(position, end, 16 + capturedLength, final);
      const seconds = view.getUint32(position, littleEndian);
      const fraction = view.getUint32(position + 4, littleEndian);
      const tUs = seconds * 1e6 + (nanoseconds ? fraction / 1000 : fraction);
      sink.frame(bytes, view, position + 16, capturedLength, wireLength, linkType, 0, tUs, true);
      position += 16 + capturedLength;
    }
  }

  private wait(position: number, end: number, needed: number, final: boolean): number {
    if (final) {
      if (end > position) this.sink.anomaly(ErrorCode.truncated);
      return end;
    }
    this.needed = needed;
    return position;
  }
}
