import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { ErrorCode } from "@tickscope/core";
import type { FrameSink } from "./frame-sink.js";
import { hasSwappedLengths, maximumPcapRecordLength, parsePcapHeader, type PcapHeader } from "./pcap-records.js";

interface PcapParserPacketHeader {
  timestampSeconds: number;
  timestampMicroseconds: number;
  capturedLength: number;
  originalLength: number;
}

interface PcapParserInstance extends EventEmitter {
  buffer: Buffer | null;
  errored?: boolean;
}

interface PcapParserModule {
  parse(input: EventEmitter): PcapParserInstance;
}

const require = createRequire(import.meta.url);
const pcapParser = require("pcap-parser") as PcapParserModule;

/** Input stream shape pcap-parser expects (`pause`/`resume` and data events), driven by us. */
class DrivenStream extends EventEmitter {
  pause(): void {}
  resume(): void {}
}

/**
 * Classic pcap through the `pcap-parser` library (the design's choice).
 *
 * pcap-parser only knows the microsecond magic: the nanosecond variants are
 * handled by rewriting the magic of a private copy of the 24-byte header and
 * reading the fraction as nanoseconds. We drive its stream ourselves: chunks
 * are appended to its internal buffer with `Buffer.concat` (avoiding its
 * deprecated `new Buffer`), a record length larger than
 * {@link maximumPcapRecordLength} stops it (`E_BAD_BLOCK_LENGTH`, bounded
 * memory), and bytes left at the end are a cut record (`E_TRUNCATED`).
 */
export class PcapParserEngine {
  /** The global header once seen. */
  header: PcapHeader | undefined;
  private readonly stream = new DrivenStream();
  private readonly parser: PcapParserInstance;
  private headerBytes: Uint8Array = new Uint8Array(0);
  private stopped = false;
  private inRecord = false;
  /** Captured length of the record whose body pcap-parser is waiting for (while `inRecord`). */
  private recordLength = 0;
  private error: Error | undefined;
  private arrayBuffer: ArrayBufferLike | undefined;
  private bytes: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(new ArrayBuffer(0));

  constructor(private readonly sink: FrameSink) {
    this.parser = pcapParser.parse(this.stream);
    this.parser.on("error", (error: Error) => {
      this.error = error;
    });
    this.parser.on("packetHeader", (header: PcapParserPacketHeader) => {
      // pcap-parser reads the body length from this very object: fix swapped lengths of old files here.
      const old = this.header !== undefined && hasSwappedLengths(this.header);
      if (old && (this.header!.minorVersion < 3 || header.capturedLength > header.originalLength)) {
        [header.capturedLength, header.originalLength] = [header.originalLength, header.capturedLength];
      }
      this.inRecord = true;
      this.recordLength = header.capturedLength;
      if (header.capturedLength > maximumPcapRecordLength(this.header?.snapshotLength ?? 0)) {
        this.sink.anomaly(ErrorCode.badBlockLength);
        this.stop();
      }
    });
    this.parser.on("packet", (packet: { header: PcapParserPacketHeader; data: Buffer }) => this.onPacket(packet));
  }

  private onPacket(packet: { header: PcapParserPacketHeader; data: Buffer }): void {
    this.inRecord = false;
    const header = this.header!;
    const data = packet.data;
    if (data.buffer !== this.arrayBuffer) {
      this.arrayBuffer = data.buffer;
      this.bytes = new Uint8Array(data.buffer);
      this.view = new DataView(data.buffer);
    }
    const record = packet.header;
    const tUs = record.timestampSeconds * 1e6 + (header.nanoseconds ? record.timestampMicroseconds / 1000 : record.timestampMicroseconds);
    this.sink.frame(this.bytes, this.view, data.byteOffset, record.capturedLength, record.originalLength, header.linkType, 0, tUs, true);
  }

  private stop(): void {
    this.stopped = true;
    this.parser.errored = true;
    this.parser.buffer = Buffer.alloc(0);
  }

  /** Feeds one chunk of the file. */
  push(chunk: Uint8Array): void {
    if (this.stopped) return;
    if (this.header === undefined) {
      const joined = new Uint8Array(this.headerBytes.length + chunk.length);
      joined.set(this.headerBytes);
      joined.set(chunk, this.headerBytes.length);
      if (joined.length < 24) {
        this.headerBytes = joined;
        return;
      }
      this.header = parsePcapHeader(new DataView(joined.buffer, joined.byteOffset, 24), 0);
      this.sink.linkTypes.add(this.header.linkType);
      const normalized = Buffer.from(joined.subarray(0, 24));
      if (this.header.nanoseconds) normalized.writeUInt32BE(this.header.littleEndian ? 0xd4c3b2a1 : 0xa1b2c3d4, 0);
      this.emit(normalized);
      if (joined.length > 24) this.emit(Buffer.from(joined.buffer, joined.byteOffset + 24, joined.length - 24));
      return;
    }
    this.emit(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  private emit(data: Buffer): void {
    let pending = this.parser.buffer;
    if (pending !== null && pending.length > 0) {
      // A record straddles two chunks: complete it with just the bytes it lacks (a
      // small copy) and hand the rest of the chunk over as is, instead of copying
      // the whole chunk behind the leftover.
      const lacking = (this.inRecord ? this.recordLength : 16) - pending.length;
      if (lacking > 0 && lacking < data.length) {
        this.parser.buffer = Buffer.concat([pending, data.subarray(0, lacking)]);
        this.stream.emit("data", null);
        if (this.error !== undefined) this.stop();
        if (this.stopped) return;
        data = data.subarray(lacking);
        pending = this.parser.buffer;
      }
    }
    if (pending !== null && pending.length > 0) {
      this.parser.buffer = Buffer.concat([pending, data]);
      this.stream.emit("data", null);
    } else {
      this.parser.buffer = null;
      this.stream.emit("data", data);
    }
    if (this.error !== undefined) this.stop();
  }

  /** Ends the input; returns the error pcap-parser raised, if any. */
  end(): Error | undefined {
    if (!this.stopped) {
      if (this.header === undefined) {
        if (this.headerBytes.length > 0) this.sink.anomaly(ErrorCode.truncated);
      } else if (this.inRecord || (this.parser.buffer !== null && this.parser.buffer.length > 0)) {
        this.sink.anomaly(ErrorCode.truncated);
      }
    }
    return this.error;
  }
}
