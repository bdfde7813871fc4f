import { ErrorCode, TickscopeError } from "@tickscope/core";
import type { RecordParser } from "./chunk-framer.js";
import type { FrameSink } from "./frame-sink.js";

/** PCAPNG block types tickscope knows. */
export const PcapngBlockType = {
  /** Section header block. */
  sectionHeader: 0x0a0d0d0a,
  /** Interface description block. */
  interfaceDescription: 0x00000001,
  /** Obsolete packet block. */
  packet: 0x00000002,
  /** Simple packet block. */
  simplePacket: 0x00000003,
  /** Name resolution block. */
  nameResolution: 0x00000004,
  /** Interface statistics block. */
  interfaceStatistics: 0x00000005,
  /** Enhanced packet block. */
  enhancedPacket: 0x00000006,
  /** Decryption secrets block. */
  decryptionSecrets: 0x0000000a,
  /** Custom block (may be copied). */
  custom: 0x00000bad,
  /** Custom block (must not be copied). */
  customNoCopy: 0x40000bad,
} as const;

const blockNames = new Map<number, string>([
  [PcapngBlockType.nameResolution, "nameResolution"],
  [PcapngBlockType.interfaceStatistics, "interfaceStatistics"],
  [PcapngBlockType.decryptionSecrets, "decryptionSecrets"],
  [PcapngBlockType.custom, "custom"],
  [PcapngBlockType.customNoCopy, "custom"],
  [0x00000007, "irigTimestamp"],
  [0x00000008, "arinc429"],
  [0x00000009, "systemdJournal"],
]);

const knownTypes = new Set<number>([...Object.values(PcapngBlockType), 7, 8, 9]);

/** Largest block accepted in normal parsing (16 MiB). */
export const MAXIMUM_BLOCK_LENGTH = 16 * 1024 * 1024;
/** Largest block accepted while resynchronizing after damage (bounds the look-ahead). */
export const MAXIMUM_RESYNC_BLOCK_LENGTH = 1024 * 1024;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

interface InterfaceInfo {
  linkType: number;
  snapshotLength: number;
  ticksPerMicrosecond: number;
  highWordMicroseconds: number;
  offsetUs: number;
}

/**
 * tickscope's PCAPNG reader: both byte orders, several sections (each resets
 * the interfaces), several interfaces with their own link types,
 * `if_tsresol` (decimal and binary) and `if_tsoffset`, EPB, SPB and the
 * obsolete PB; NRB/ISB/DSB/custom and unknown blocks are skipped and counted.
 * A bad block length or trailer is counted (`E_BAD_BLOCK_LENGTH`) and the
 * reader resynchronizes on the next plausible block, 4 bytes at a time.
 */
export class PcapngBlockParser implements RecordParser {
  /** Bytes needed to make progress (see {@link RecordParser.needed}). */
  needed = 12;
  /** Sections seen. */
  sections = 0;
  /** Interfaces declared over all sections. */
  interfaceCount = 0;
  private littleEndian = true;
  private interfaces: InterfaceInfo[] = [];
  private resyncing = false;

  constructor(private readonly sink: FrameSink) {}

  /** Parses records from `bytes[start, end)` (see {@link RecordParser.parse}). */
  parse(bytes: Uint8Array, view: DataView, start: number, end: number, final: boolean): number {
    let position = start;
    const sink = this.sink;
    for (;;) {
      if (end - position < 12) {
        if (!final) {
          this.needed = 12;
          return position;
        }
        if (end > position) this.damage(ErrorCode.truncated);
        return end;
      }
      let type = view.getUint32(position, this.littleEndian);
      if (type === PcapngBlockType.sectionHeader) {
        const magic = view.getUint32(position + 8, true);
        if (magic === BYTE_ORDER_MAGIC) this.littleEndian = true;
        else if (magic === 0x4d3c2b1a) this.littleEndian = false;
        else if (this.sections === 0 && !this.resyncing) {
          throw new TickscopeError(ErrorCode.badMagic, "pcapng section header has no valid byte-order magic", { offset: position + 8 });
        } else {
          position = this.skipDamage(position);
          continue;
        }
      } else if (this.resyncing && !knownTypes.has(type)) {
        // try the other byte order only through a section header; otherwise keep scanning
        position += 4;
        continue;
      }
      type = view.getUint32(position, this.littleEndian);
      const length = view.getUint32(position + 4, this.littleEndian);
      const limit = this.resyncing ? MAXIMUM_RESYNC_BLOCK_LENGTH : MAXIMUM_BLOCK_LENGTH;
      if (length < 12 || (length & 3) !== 0 || length > limit) {
        position = this.skipDamage(position);
        continue;
      }
      if (end - position < length) {
        if (!final) {
          this.needed = length;
          return position;
        }
        position = this.skipDamage(position, ErrorCode.truncated);
        continue;
      }
      if (view.getUint32(position + length - 4, this.littleEndian) !== length) {
        position = this.skipDamage(position);
        continue;
      }
      this.resyncing = false;
      switch (type) {
        case PcapngBlockType.enhancedPacket: {
          if (length < 32) {
            sink.anomaly(ErrorCode.badBlockLength);
            break;
          }
          const interfaceId = view.getUint32(position + 8, this.littleEndian);
          const capturedLength = view.getUint32(position + 20, this.littleEndian);
          if (capturedLength > length - 32) {
            sink.anomaly(ErrorCode.badBlockLength);
            break;
          }
          const info = this.interfaces[interfaceId];
          if (info === undefined) {
            sink.anomaly("E_UNKNOWN_INTERFACE");
            break;
          }
          const high = view.getUint32(position + 12, this.littleEndian);
          const low = view.getUint32(position + 16, this.littleEndian);
          const tUs = high * info.highWordMicroseconds + low / info.ticksPerMicrosecond + info.offsetUs;
          const wireLength = view.getUint32(position + 24, this.littleEndian);
          sink.frame(bytes, view, position + 28, capturedLength, wireLength, info.linkType, interfaceId, tUs, true);
          break;
        }
        case PcapngBlockType.simplePacket: {
          const info = this.interfaces[0];
          if (info === undefined || length < 16) {
            sink.anomaly(info === undefined ? "E_UNKNOWN_INTERFACE" : ErrorCode.badBlockLength);
            break;
          }
          const wireLength = view.getUint32(position + 8, this.littleEndian);
          let capturedLength = Math.min(wireLength, length - 16);
          if (info.snapshotLength > 0 && capturedLength > info.snapshotLength) capturedLength = info.snapshotLength;
          sink.frame(bytes, view, position + 12, capturedLength, wireLength, info.linkType, 0, sink.currentUs, false);
          break;
        }
        case PcapngBlockType.packet: {
          if (length < 32) {
            sink.anomaly(ErrorCode.badBlockLength);
            break;
          }
          const interfaceId = view.getUint16(position + 8, this.littleEndian);
          const capturedLength = view.getUint32(position + 20, this.littleEndian);
          const info = this.interfaces[interfaceId];
          if (capturedLength > length - 32 || info === undefined) {
            sink.anomaly(info === undefined ? "E_UNKNOWN_INTERFACE" : ErrorCode.badBlockLength);
            break;
          }
          const high = view.getUint32(position + 12, this.littleEndian);
          const low = view.getUint32(position + 16, this.littleEndian);
          const tUs = high * info.highWordMicroseconds + low / info.ticksPerMicrosecond + info.offsetUs;
          const wireLength = view.getUint32(position + 24, this.littleEndian);
          sink.frame(bytes, view, position + 28, capturedLength, wireLength, info.linkType, interfaceId, tUs, true);
          break;
        }
        case PcapngBlockType.interfaceDescription:
          this.readInterface(view, position, length);
          break;
        case PcapngBlockType.sectionHeader: {
          const major = view.getUint16(position + 12, this.littleEndian);
          if (major !== 1) {
            if (this.sections === 0) {
              throw new TickscopeError(ErrorCode.unsupportedVersion, `unsupported pcapng version ${major}`, { offset: position + 12 });
            }
            sink.anomaly(ErrorCode.unsupportedVersion);
          }
          this.sections += 1;
          this.interfaces = [];
          break;
        }
        default:
          sink.skipped(blockNames.get(type) ?? `type-0x${type.toString(16)}`);
      }
      position += length;
    }
  }

  /** Counts damage once per damaged stretch and advances 4 bytes into resynchronization. */
  private skipDamage(position: number, code: string = ErrorCode.badBlockLength): number {
    this.damage(code);
    return position + 4;
  }

  private damage(code: string): void {
    if (!this.resyncing) this.sink.anomaly(code);
    this.resyncing = true;
  }

  private readInterface(view: DataView, position: number, length: number): void {
    if (length < 20) {
      this.sink.anomaly(ErrorCode.badBlockLength);
      return;
    }
    const littleEndian = this.littleEndian;
    const linkType = view.getUint16(position + 8, littleEndian);
    const info: InterfaceInfo = {
      linkType,
      snapshotLength: view.getUint32(position + 12, littleEndian),
      ticksPerMicrosecond: 1,
      highWordMicroseconds: 4294967296,
      offsetUs: 0,
    };
    const optionsEnd = position + length - 4;
    let cursor = position + 16;
    while (cursor + 4 <= optionsEnd) {
      const code = view.getUint16(cursor, littleEndian);
      const optionLength = view.getUint16(cursor + 2, littleEndian);
      const value = cursor + 4;
      if (code === 0 || value + optionLength > optionsEnd) break;
      if (code === 9 && optionLength >= 1) {
        const resolution = view.getUint8(value);
        const exponent = resolution & 0x7f;
        const ticksPerSecond = resolution & 0x80 ? 2 ** exponent : 10 ** exponent;
        info.ticksPerMicrosecond = ticksPerSecond / 1e6;
        info.highWordMicroseconds = 4294967296 / info.ticksPerMicrosecond;
      } else if (code === 14 && optionLength >= 8) {
        info.offsetUs = Number(view.getBigInt64(value, littleEndian)) * 1e6;
      }
      cursor = value + ((optionLength + 3) & ~3);
    }
    this.interfaces.push(info);
    this.interfaceCount += 1;
    this.sink.linkTypes.add(linkType);
  }
}
