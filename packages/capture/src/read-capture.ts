import { AnomalyCounter, ErrorCode, TickscopeError, type AnomalySummary } from "@tickscope/core";
import { gzipAnomalyCode, openByteStream, sourceName, type ByteSource } from "./byte-source.js";
import { ChunkFramer } from "./chunk-framer.js";
import { FrameSink } from "./frame-sink.js";
import { PacketDecoder, type CapturedPacket, type PacketDecoderCounters } from "./packet-decoder.js";
import type { ReassemblyOptions } from "./fragment-reassembler.js";
import { PcapParserEngine } from "./pcap-parser-engine.js";
import { PcapMagic, PcapRecordParser } from "./pcap-records.js";
import { PcapngBlockParser } from "./pcapng-blocks.js";

/** Capture file formats. */
export type CaptureFormat = "pcap" | "pcapng";

/** Which classic-pcap reader to use: `pcap-parser` (default, the design's choice) or tickscope's `builtin` one. */
export type PcapEngine = "pcap-parser" | "builtin";

/** Options of {@link readCapture}. */
export interface ReadCaptureOptions {
  /**
   * Called for every IP packet carrying UDP or TCP, after fragment
   * reassembly, in capture order. The object and its payload view are reused:
   * copy what you keep (`clonePacket` from `@tickscope/core`).
   */
  onPacket(packet: CapturedPacket): void;
  /** Accepted for symmetry with the pipeline; `readCapture` itself does not assign roles. */
  serverPorts?: number[];
  /** Classic-pcap reader. Default `pcap-parser`. */
  pcapEngine?: PcapEngine;
  /** Fragment reassembly limits. */
  reassembly?: ReassemblyOptions;
  /** Name shown in the summary (default: the path, `-` for a stream, `<memory>` for bytes). */
  name?: string;
  /** Read size for files in bytes (default 1 MiB). */
  chunkBytes?: number;
  /**
   * Awaited after each chunk's packets were handed to `onPacket` (and once
   * after the last): lets a consumer do asynchronous work in step with the
   * capture, such as reading a server log ahead (see `runCapturePipeline`).
   */
  betweenChunks?: () => Promise<void>;
}

/** What {@link readCapture} found in one capture. */
export interface CaptureSummary {
  /** File path, `-` for a stream, `<memory>` for bytes (or the `name` option). */
  file: string;
  /** Container format. */
  format: CaptureFormat;
  /** True when the file was gzip-compressed. */
  compressed: boolean;
  /** Frames (records / packet blocks), as capinfos counts them. */
  packets: number;
  /** Sum of the frames' wire lengths. */
  bytes: number;
  /** Earliest frame time (µs since the epoch), null without timestamped frames. */
  firstUs: number | null;
  /** Latest frame time (µs since the epoch), null without timestamped frames. */
  lastUs: number | null;
  /** Link types declared in the capture, sorted. */
  linkTypes: number[];
  /** Anomaly counts by code, codes sorted. */
  anomalies: Record<string, number>;
  /** Anomalies with the first frame indices (0-based) of each code. */
  anomalyDetails: AnomalySummary;
  /** Frames shorter than on the wire because of the snapshot length (counted, not errors). */
  snaplenTruncatedFrames: number;
  /** UDP datagrams delivered (reassembled datagrams once). */
  udpPackets: number;
  /** TCP segments delivered. */
  tcpPackets: number;
  /** Frames carrying an IP fragment. */
  fragmentFrames: number;
  /** Frames without IP (ARP, ...). */
  nonIpFrames: number;
  /** IP packets with another transport (ICMP, ...). */
  otherIpPackets: number;
  /** pcapng sections (1 for pcap). */
  sections: number;
  /** Interfaces (1 for pcap). */
  interfaces: number;
  /** Skipped pcapng blocks by kind (`nameResolution`, `interfaceStatistics`, `decryptionSecrets`, `custom`, ...), keys sorted. */
  skippedBlocks: Record<string, number>;
  /** True for nanosecond-magic pcap files. */
  nanosecondPcap: boolean;
}

function concat(first: Uint8Array, second: Uint8Array): Uint8Array {
  const joined = new Uint8Array(first.length + second.length);
  joined.set(first);
  joined.set(second, first.length);
  return joined;
}

/**
 * Reads one capture — classic pcap (µs or ns, either byte order) or PCAPNG,
 * optionally gzip-compressed — from a path, a readable stream or bytes, and
 * calls `onPacket` for every UDP/TCP packet after link, IP and fragment
 * decoding. Streaming with bounded memory. Damage is counted in
 * `anomalies`; only an unreadable source or an unknown format throws
 * (`E_IO`, `E_BAD_MAGIC`, `E_UNSUPPORTED_VERSION`, `E_TRUNCATED` for an empty input).
 */
export async function readCapture(source: ByteSource, options: ReadCaptureOptions): Promise<CaptureSummary> {
  const file = options.name ?? sourceName(source);
  const anomalies = new AnomalyCounter();
  const decoder = new PacketDecoder(anomalies, options.onPacket, options.reassembly);
  const sink = new FrameSink(anomalies, decoder);
  const stream = await openByteStream(source, options.chunkBytes);
  let format: CaptureFormat;
  let sections = 1;
  let interfaces = () => 1;
  let nanosecondPcap = () => false;
  try {
    const iterator = stream.chunks[Symbol.asyncIterator]();
    let head: Uint8Array = new Uint8Array(0);
    while (head.length < 4) {
      const next = await iterator.next();
      if (next.done === true) break;
      head = head.length === 0 ? next.value : concat(head, next.value);
    }
    if (head.length < 4) {
      throw new TickscopeError(ErrorCode.truncated, `${file}: empty or too short to be a capture (${head.length} bytes)`, { offset: 0 });
    }
    const magic = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0, false);
    let push: (chunk: Uint8Array) => void;
    let end: () => void;
    if (magic === 0x0a0d0d0a) {
      format = "pcapng";
      const parser = new PcapngBlockParser(sink);
      const framer = new ChunkFramer(parser);
      push = (chunk) => framer.push(chunk);
      end = () => {
        framer.end();
        sections = parser.sections;
      };
      interfaces = () => parser.interfaceCount;
    } else if (
      magic === PcapMagic.microsecondsBigEndian ||
      magic === PcapMagic.microsecondsLittleEndian ||
      magic === PcapMagic.nanosecondsBigEndian ||
      magic === PcapMagic.nanosecondsLittleEndian
    ) {
      format = "pcap";
      if ((options.pcapEngine ?? "pcap-parser") === "pcap-parser") {
        const engine = new PcapParserEngine(sink);
        push = (chunk) => engine.push(chunk);
        end = () => {
          const error = engine.end();
          if (error !== undefined) throw new TickscopeError(ErrorCode.badMagic, `${file}: ${error.message}`, { cause: error });
        };
        nanosecondPcap = () => engine.header?.nanoseconds ?? false;
      } else {
        const parser = new PcapRecordParser(sink);
        const framer = new ChunkFramer(parser);
        push = (chunk) => framer.push(chunk);
        end = () => void framer.end();
        nanosecondPcap = () => parser.header?.nanoseconds ?? false;
      }
    } else {
      throw new TickscopeError(ErrorCode.badMagic, `${file}: not a pcap or pcapng capture (magic 0x${magic.toString(16).padStart(8, "0")})`, {
        offset: 0,
        hint: "tickscope reads pcap, pcapng and their .gz forms",
      });
    }
    const betweenChunks = options.betweenChunks;
    push(head);
    if (betweenChunks !== undefined) await betweenChunks();
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      push(next.value);
      if (betweenChunks !== undefined) await betweenChunks();
    }
    const gzipError = stream.gzipError();
    if (gzipError !== undefined) sink.anomaly(gzipAnomalyCode(gzipError));
    end();
    decoder.finish();
  } finally {
    await stream.close();
  }
  const counters: PacketDecoderCounters = decoder.counters;
  const skippedBlocks: Record<string, number> = {};
  for (const key of [...sink.skippedBlocks.keys()].sort()) skippedBlocks[key] = sink.skippedBlocks.get(key)!;
  return {
    file,
    format,
    compressed: stream.gzip,
    packets: sink.frames,
    bytes: sink.bytes,
    firstUs: Number.isNaN(sink.firstUs) ? null : sink.firstUs,
    lastUs: Number.isNaN(sink.lastUs) ? null : sink.lastUs,
    linkTypes: [...sink.linkTypes].sort((left, right) => left - right),
    anomalies: anomalies.toCounts(),
    anomalyDetails: anomalies.toSummary(),
    snaplenTruncatedFrames: sink.snaplenTruncatedFrames,
    udpPackets: counters.udpPackets,
    tcpPackets: counters.tcpPackets,
    fragmentFrames: counters.fragmentFrames,
    nonIpFrames: counters.nonIpFrames,
    otherIpPackets: counters.otherIpPackets,
    sections,
    interfaces: interfaces(),
    skippedBlocks,
    nanosecondPcap: nanosecondPcap(),
  };
}
