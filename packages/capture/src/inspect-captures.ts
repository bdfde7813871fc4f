import type { DatagramDecoder, Flow, OtherTraffic } from "@tickscope/core";
import type { TrafficMatch } from "@tickscope/core/protocol";
import { runCapturePipeline, type CaptureInput, type MessageCount } from "./capture-pipeline.js";
import type { CaptureFormat, PcapEngine } from "./read-capture.js";

/** One capture in the `tickscope inspect --json` output. */
export interface InspectedCapture {
  /** Path, `-` for stdin, `<memory>` for bytes. */
  file: string;
  /** Container format. */
  format: CaptureFormat;
  /** Frames, as capinfos counts them. */
  packets: number;
  /** Sum of frame wire lengths. */
  bytes: number;
  /** Earliest frame time, µs since the epoch (null without frames). */
  firstUs: number | null;
  /** Latest frame time, µs since the epoch (null without frames). */
  lastUs: number | null;
  /** Link types (LINKTYPE_* numbers), sorted. */
  linkTypes: number[];
  /** Anomaly counts by code, codes sorted. */
  anomalies: Record<string, number>;
  /** True when gzip-compressed. */
  compressed: boolean;
  /** UDP datagrams (reassembled ones once). */
  udpPackets: number;
  /** TCP segments. */
  tcpPackets: number;
  /** Frames cut by the snapshot length. */
  snaplenTruncatedFrames: number;
  /** Skipped pcapng blocks by kind. */
  skippedBlocks: Record<string, number>;
}

/** The `tickscope inspect --json` document (issues 2 and 3). */
export interface InspectResult {
  /** One entry per capture, in input order. */
  captures: InspectedCapture[];
  /** UDP and TCP flows, in order of first packet (`a` sent first; bytes are frame bytes as tshark counts them). */
  flows: Flow[];
  /** With a decoder: messages per (session, direction, type), sorted. */
  messages?: MessageCount[];
  /** With a decoder: decode anomalies by code, codes sorted. */
  decodeAnomalies?: Record<string, number>;
  /**
   * With a decoder or server ports: traffic that is not the game's (other
   * ports, datagrams failing the definition's `match`, TCP), never decoded.
   */
  otherTraffic?: OtherTraffic;
}

/** Options of {@link inspectCaptures}. */
export interface InspectOptions {
  /** Ports identifying servers. */
  serverPorts?: readonly number[];
  /** Protocol decoder (adds `messages`, `decodeAnomalies` and `otherTraffic`). */
  decoder?: DatagramDecoder;
  /** Which traffic is the game's (default: from the decoder's definition). */
  trafficMatch?: TrafficMatch;
  /** Classic-pcap reader. */
  pcapEngine?: PcapEngine;
}

/**
 * Reads captures and returns exactly the JSON document of
 * `tickscope inspect --json`: deterministic (no wall clock; flows in order of
 * first packet, messages sorted, keys in fixed order).
 */
export async function inspectCaptures(sources: readonly CaptureInput[], options: InspectOptions = {}): Promise<InspectResult> {
  const result = await runCapturePipeline({
    sources,
    decoder: options.decoder,
    trafficMatch: options.trafficMatch,
    serverPorts: options.serverPorts,
    pcapEngine: options.pcapEngine,
    analyzers: [],
  });
  const inspected: InspectResult = {
    captures: result.captures.map((capture) => ({
      file: capture.file,
      format: capture.format,
      packets: capture.packets,
      bytes: capture.bytes,
      firstUs: capture.firstUs,
      lastUs: capture.lastUs,
      linkTypes: capture.linkTypes,
      anomalies: capture.anomalies,
      compressed: capture.compressed,
      udpPackets: capture.udpPackets,
      tcpPackets: capture.tcpPackets,
      snaplenTruncatedFrames: capture.snaplenTruncatedFrames,
      skippedBlocks: capture.skippedBlocks,
    })),
    flows: result.flows,
  };
  if (options.decoder !== undefined) {
    inspected.messages = result.messages;
    inspected.decodeAnomalies = result.decodeAnomalies;
  }
  if (options.decoder !== undefined || (options.serverPorts?.length ?? 0) > 0 || options.trafficMatch !== undefined) inspected.otherTraffic = result.otherTraffic;
  return inspected;
}
