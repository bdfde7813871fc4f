import { FileSink, MemorySink } from "./byte-sink.js";
import { normalizeMatchOptions, type MatchOptions } from "./match-options.js";
import { simulateMatch, type MatchResult, type MatchSinks } from "./match-simulator.js";
import type { MatchTruth, TruthFormat } from "./truth.js";

/** A capture file written with an offset/drifting host clock. */
export interface ClockedCapturePath {
  /** File path. */
  path: string;
  /** Host clock offset from true time, ms. */
  clockOffsetMs?: number;
  /** Host clock drift, ppm. */
  clockDriftPpm?: number;
}

/** Output files of {@link writeMatchCapture} (the `tickscope simulate` flags). */
export interface MatchOutputPaths {
  /** Main server-side pcapng, true time (`--out`). */
  out: string;
  /** Ground truth file (`--truth`). */
  truth?: string;
  /** Truth format (default: `ndjson` when the path ends in `.ndjson`, else `json`). */
  truthFormat?: TruthFormat;
  /** Server log NDJSON (`--server-log`). */
  serverLog?: string;
  /** Client-side pcapng (`--client-capture`); players default to `[0]`. */
  clientCapture?: string | (ClockedCapturePath & { playerIds?: number[] | "all" });
  /** Server-side pcapng stamped with the server host's clock (`--server-capture`). */
  serverCapture?: string | ClockedCapturePath;
  /** Progress callback (simulated ms, total ms). */
  onProgress?: (simulatedMs: number, totalMs: number) => void;
}

/**
 * Simulates a match and writes its files (streaming, constant memory).
 * Returns the summary, header and server events (not the per-packet truth).
 */
export function writeMatchCapture(options: MatchOptions, paths: MatchOutputPaths): MatchResult {
  normalizeMatchOptions(options); // validate before creating any file
  const sinks: MatchSinks = { capture: new FileSink(paths.out) };
  try {
    if (paths.truth !== undefined) {
      sinks.truth = new FileSink(paths.truth);
      sinks.truthFormat = paths.truthFormat ?? (paths.truth.endsWith(".ndjson") ? "ndjson" : "json");
    }
    if (paths.serverLog !== undefined) sinks.serverLog = new FileSink(paths.serverLog);
    if (paths.clientCapture !== undefined) {
      const spec = typeof paths.clientCapture === "string" ? { path: paths.clientCapture } : paths.clientCapture;
      sinks.clientCapture = { ...spec, sink: new FileSink(spec.path) };
    }
    if (paths.serverCapture !== undefined) {
      const spec = typeof paths.serverCapture === "string" ? { path: paths.serverCapture } : paths.serverCapture;
      sinks.serverCapture = { ...spec, sink: new FileSink(spec.path) };
    }
    if (paths.onProgress !== undefined) sinks.onProgress = paths.onProgress;
    return simulateMatch(options, sinks);
  } finally {
    sinks.capture?.close();
    sinks.truth?.close();
    sinks.serverLog?.close();
    sinks.clientCapture?.sink.close();
    sinks.serverCapture?.sink.close();
  }
}

/** Extra outputs of {@link simulateMatchToMemory}. */
export interface InMemoryMatchOptions {
  /** Also produce a client-side capture of these players (default none). */
  clientCapture?: { playerIds?: number[] | "all"; clockOffsetMs?: number; clockDriftPpm?: number };
  /** Also produce a server-clock capture. */
  serverCapture?: { clockOffsetMs?: number; clockDriftPpm?: number };
}

/** Everything a small in-memory run produces. */
export interface InMemoryMatch {
  /** Main server-side capture (pcapng bytes, true time). */
  pcapng: Uint8Array;
  /** Complete ground truth (with every packet). */
  truth: MatchTruth;
  /** Server log NDJSON text. */
  serverLog: string;
  /** Client-side capture, when requested. */
  clientPcapng?: Uint8Array;
  /** Server-clock capture, when requested. */
  serverClockPcapng?: Uint8Array;
}

/**
 * Runs a small match entirely in memory: pcapng bytes + complete truth + log.
 * Meant for tests (sim → pcapng bytes → capture → arena decoder → messages);
 * use {@link writeMatchCapture} or {@link simulateMatch} for large runs.
 */
export function simulateMatchToMemory(options: MatchOptions, extras: InMemoryMatchOptions = {}): InMemoryMatch {
  const capture = new MemorySink();
  const log = new MemorySink();
  const client = extras.clientCapture === undefined ? undefined : new MemorySink();
  const serverClock = extras.serverCapture === undefined ? undefined : new MemorySink();
  const sinks: MatchSinks = { capture, serverLog: log, collectTruth: true };
  if (client !== undefined) sinks.clientCapture = { ...extras.clientCapture, sink: client };
  if (serverClock !== undefined) sinks.serverCapture = { ...extras.serverCapture, sink: serverClock };
  const result = simulateMatch(options, sinks);
  const truth: MatchTruth = { ...result.header, packets: result.packets, serverEvents: result.serverEvents, summary: result.summary };
  const output: InMemoryMatch = { pcapng: capture.toUint8Array(), truth, serverLog: log.toText() };
  if (client !== undefined) output.clientPcapng = client.toUint8Array();
  if (serverClock !== undefined) output.serverClockPcapng = serverClock.toUint8Array();
  return output;
}
