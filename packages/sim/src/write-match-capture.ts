import { FileSink, MemorySink } from "./byte-sink.js";
import { commitPendingFiles, discardPendingFiles, temporaryPathOf } from "./pending-files.js";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import { normalizeMatchOptions, type MatchOptions } from "./match-options.js";
import { simulateMatch, type MatchResult, type MatchSinks } from "./match-simulator.js";
import { createRoleMappedEncoder } from "./role-mapped-encoder.js";
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
  /**
   * Every file is written under a temporary name made from this token
   * ({@link temporaryPathOf}) and renamed into place when the whole match is
   * written (default: the process id). Use a token of your own to find the
   * temporary files from outside (e.g. to remove them on a signal).
   */
  temporaryToken?: string;
  /** Leave the complete files under their temporary names; the caller renames them with {@link commitMatchOutputs}. Default false. */
  deferCommit?: boolean;
  /**
   * Protocol definition (plain JSON) the datagrams are written in (default:
   * arena, through its fast path). Any definition whose roles suffice works
   * (see {@link createRoleMappedEncoder}); one that cannot carry a match throws
   * `E_PROTOCOL_UNSUPPORTED` before any file is created.
   */
  protocol?: unknown;
}

/** The final paths of every file {@link writeMatchCapture} writes for `paths`, in a stable order. */
export function matchOutputFiles(paths: MatchOutputPaths): string[] {
  const files = [paths.out];
  if (paths.truth !== undefined) files.push(paths.truth);
  if (paths.serverLog !== undefined) files.push(paths.serverLog);
  if (paths.clientCapture !== undefined) files.push(typeof paths.clientCapture === "string" ? paths.clientCapture : paths.clientCapture.path);
  if (paths.serverCapture !== undefined) files.push(typeof paths.serverCapture === "string" ? paths.serverCapture : paths.serverCapture.path);
  return files;
}

/** Renames the temporary files of a run written with `deferCommit` into place (throws `E_IO`, removing what is left, if one cannot be). */
export function commitMatchOutputs(paths: MatchOutputPaths, temporaryToken: string): void {
  commitPendingFiles(matchOutputFiles(paths), temporaryToken);
}

/** Removes the temporary files of an unfinished or failed run (missing ones are fine). */
export function discardMatchOutputs(paths: MatchOutputPaths, temporaryToken: string): void {
  discardPendingFiles(matchOutputFiles(paths), temporaryToken);
}

/**
 * Simulates a match and writes its files (streaming, constant memory).
 * Returns the summary, header and server events (not the per-packet truth).
 */
export function writeMatchCapture(options: MatchOptions, paths: MatchOutputPaths): MatchResult {
  normalizeMatchOptions(options); // validate before creating any file
  const encoder = paths.protocol === undefined ? undefined : createRoleMappedEncoder(paths.protocol);
  const token = paths.temporaryToken ?? String(process.pid);
  const files = matchOutputFiles(paths);
  if (new Set(files).size !== files.length) {
    throw new TickscopeError(ErrorCode.invalidOption, `the same file is given for two outputs: ${files.join(", ")}`, { hint: "give every output its own path" });
  }
  const open = (path: string): FileSink => {
    try {
      return new FileSink(temporaryPathOf(path, token));
    } catch (error) {
      const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
      throw new TickscopeError(ErrorCode.io, `cannot create ${path}: ${cause?.code ?? (error as Error).message}`, { hint: "check the path and permissions", cause: error });
    }
  };
  const sinks: MatchSinks = encoder === undefined ? {} : { encoder };
  let result: MatchResult;
  try {
    sinks.capture = open(paths.out);
    if (paths.truth !== undefined) {
      sinks.truth = open(paths.truth);
      sinks.truthFormat = paths.truthFormat ?? (paths.truth.endsWith(".ndjson") ? "ndjson" : "json");
    }
    if (paths.serverLog !== undefined) sinks.serverLog = open(paths.serverLog);
    if (paths.clientCapture !== undefined) {
      const spec = typeof paths.clientCapture === "string" ? { path: paths.clientCapture } : paths.clientCapture;
      sinks.clientCapture = { ...spec, sink: open(spec.path) };
    }
    if (paths.serverCapture !== undefined) {
      const spec = typeof paths.serverCapture === "string" ? { path: paths.serverCapture } : paths.serverCapture;
      sinks.serverCapture = { ...spec, sink: open(spec.path) };
    }
    if (paths.onProgress !== undefined) sinks.onProgress = paths.onProgress;
    result = simulateMatch(options, sinks);
  } catch (error) {
    closeSinks(sinks);
    discardPendingFiles(files, token);
    throw error;
  }
  closeSinks(sinks);
  if (paths.deferCommit !== true) commitPendingFiles(files, token);
  return result;
}

function closeSinks(sinks: MatchSinks): void {
  for (const sink of [sinks.capture, sinks.truth, sinks.serverLog, sinks.clientCapture?.sink, sinks.serverCapture?.sink]) {
    try {
      sink?.close();
    } catch {
      // closing after a failure: the file is removed anyway
    }
  }
}

/** Extra outputs of {@link simulateMatchToMemory}. */
export interface InMemoryMatchOptions {
  /** Also produce a client-side capture of these players (default none). */
  clientCapture?: { playerIds?: number[] | "all"; clockOffsetMs?: number; clockDriftPpm?: number };
  /** Also produce a server-clock capture. */
  serverCapture?: { clockOffsetMs?: number; clockDriftPpm?: number };
  /** Protocol definition to write the datagrams in (default arena); see {@link MatchOutputPaths.protocol}. */
  protocol?: unknown;
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
  if (extras.protocol !== undefined) sinks.encoder = createRoleMappedEncoder(extras.protocol);
  if (client !== undefined) sinks.clientCapture = { ...extras.clientCapture, sink: client };
  if (serverClock !== undefined) sinks.serverCapture = { ...extras.serverCapture, sink: serverClock };
  const result = simulateMatch(options, sinks);
  const truth: MatchTruth = { ...result.header, packets: result.packets, serverEvents: result.serverEvents, summary: result.summary };
  const output: InMemoryMatch = { pcapng: capture.toUint8Array(), truth, serverLog: log.toText() };
  if (client !== undefined) output.clientPcapng = client.toUint8Array();
  if (serverClock !== undefined) output.serverClockPcapng = serverClock.toUint8Array();
  return output;
}
