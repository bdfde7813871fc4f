import type { Readable } from "node:stream";
import type { AnticheatOptions } from "@tickscope/anticheat";
import { runCapturePipeline } from "@tickscope/capture";
import { loadProtocol, loadProtocolObject } from "../load-inputs.js";
import { FollowFileReadable } from "./follow-file.js";
import type { WatchAlert } from "./watch-alert.js";
import { WatchAnalyzer, type WatchSummary } from "./watch-analyzer.js";
import type { WatchDetectorOptions } from "./watch-options.js";

/** Flows the capture layer tracks at most while watching (bounded memory over hours). */
export const WATCH_MAX_FLOWS = 100_000;

/** Options of {@link runWatch}. */
export interface RunWatchOptions {
  /** A capture path (followed as it grows), `-` for stdin, or any readable stream of pcap/pcapng bytes. */
  source: string | Readable;
  /** Protocol definition path. */
  protocolPath?: string;
  /** Protocol definition given as an object (instead of `protocolPath`). */
  protocolDefinition?: unknown;
  /** Key file path. */
  keysPath?: string;
  /** Server ports. */
  serverPorts?: readonly number[];
  /** Detector tuning (`windowMs` is `--window`). */
  detector?: Partial<WatchDetectorOptions>;
  /** Options of batch anticheat's detectors (the same as `tickscope anticheat`'s; defaults otherwise). */
  anticheat?: Partial<AnticheatOptions>;
  /** File follow: end after this long without growth, ms (default 30 000). */
  idleExitMs?: number;
  /** File follow: poll interval, ms (default 200). */
  pollIntervalMs?: number;
  /** Aborting ends the watch cleanly (the summary is still returned). */
  signal?: AbortSignal;
  /** Called for every alert, as soon as it is detected. */
  onAlert: (alert: WatchAlert) => void;
  /** Called with the analyzer once created (tests read its state size). */
  onAnalyzer?: (analyzer: WatchAnalyzer) => void;
}

/**
 * `tickscope watch`: decodes a live capture (a growing file, stdin or a stream)
 * and reports latency spikes, loss bursts and cheat suspicions as they happen.
 * Resolves with the counters when the input ends.
 */
export async function runWatch(options: RunWatchOptions): Promise<WatchSummary> {
  // The live detectors read roles only: the decoder skips what no role needs.
  const loaded =
    options.protocolPath !== undefined
      ? await loadProtocol(options.protocolPath, options.keysPath, undefined, { fields: "roles" })
      : options.protocolDefinition !== undefined
        ? loadProtocolObject(options.protocolDefinition, { fields: "roles" })
        : undefined;
  const analyzer = new WatchAnalyzer(options.onAlert, options.detector, { ...options.anticheat, protocol: undefined });
  options.onAnalyzer?.(analyzer);
  let source: Readable;
  if (typeof options.source !== "string") source = options.source;
  else if (options.source === "-") source = process.stdin;
  else source = new FollowFileReadable(options.source, { idleExitMs: options.idleExitMs, pollIntervalMs: options.pollIntervalMs, signal: options.signal });
  const name = typeof options.source === "string" ? options.source : "-";
  const result = await runCapturePipeline({
    sources: [{ source, name }],
    decoder: loaded?.protocol,
    serverPorts: options.serverPorts,
    analyzers: [analyzer],
    maxFlows: WATCH_MAX_FLOWS,
  });
  return result.reports[0] as WatchSummary;
}
