import { ErrorCode, TickscopeError } from "@tickscope/core";
import { canonicalJson, encodePartialReport, fileSha256, sha256Hex } from "./partial-file.js";
import { PARTIAL_FORMAT, PARTIAL_FORMAT_VERSION, type PartialReport } from "./partial-report-schema.js";
import { runAnalyzeStates, type AnalyzeStatesResult, type RunAnalyzeOptions } from "./run-analyze.js";
import { writeFilesAtomically } from "./write-files-atomically.js";

/** What {@link writePartialFile} wrote. */
export interface PartialFileSummary {
  /** The partial's path. */
  path: string;
  /** Its size in bytes (gzip'd). */
  bytes: number;
  /** SHA-256 of the file's bytes. */
  sha256: string;
  /** Its captures, in pass order: file, content hash and packets. */
  captures: { file: string; sha256: string; packets: number }[];
  /** Analyses whose state it holds, in report order. */
  analyses: string[];
  /** Sessions listed. */
  sessions: number;
  /** The partial report itself (what `mergePartialReports` takes). */
  report: PartialReport;
}

/** What a caller of {@link writePartialFile} may add once the pass has run. */
export interface PartialWriteHooks {
  /** The options to record, once the pass has run (e.g. with the server-log events it delivered). */
  recordedOptionsAfterRun?: (recorded: Record<string, unknown>) => Record<string, unknown>;
}

/** Builds the partial report of a pass's saved states; `captureSha256` gives each capture's content hash, in input order. */
export function buildPartialReport(pass: AnalyzeStatesResult, options: RunAnalyzeOptions, captureSha256: readonly string[]): PartialReport {
  const protocol = pass.definition === undefined ? null : { sha256: sha256Hex(canonicalJson(pass.definition)), definition: pass.definition };
  return {
    format: PARTIAL_FORMAT,
    formatVersion: PARTIAL_FORMAT_VERSION,
    toolVersion: pass.toolVersion,
    inputs: pass.inputs,
    captures: pass.captures,
    captureSha256: [...captureSha256],
    otherTrafficByCapture: pass.otherTrafficByCapture.map((traffic) => traffic ?? null),
    sessions: pass.sessions,
    regionOfSession: pass.regionOfSession,
    decodeAnomalies: pass.decodeAnomalies,
    decodedMessages: pass.decodedMessages,
    protocol,
    ...(pass.keyFile === undefined ? {} : { keyFile: pass.keyFile }),
    run: {
      analyses: [...options.analyses],
      protocolSha256: protocol?.sha256 ?? null,
      settings: options.settings ?? {},
      serverPorts: [...(options.serverPorts ?? [])],
      serverRegions: { ...(options.serverRegions ?? {}) },
      clientLocations: { ...(options.clientLocations ?? {}) },
      serverSites: { ...(options.serverSites ?? {}) },
    },
    recordedOptions: options.recordedOptions ?? {},
    analyses: pass.states,
  };
}

/**
 * Runs the analyze pass of `options` (threads as `runAnalyze` uses them) and
 * writes its partial report to `path` atomically (a temporary sibling renamed
 * into place: a killed run never leaves a half file): gzip'd JSON holding the
 * captures with their content hashes, sessions, decode outcome, definition,
 * settings and every analysis's saved state (`tickscope analyze --partial`).
 * Captures must be files (stdin cannot be hashed and read); an analysis that
 * cannot save its state is `E_INVALID_OPTION` naming it.
 */
export async function writePartialFile(options: RunAnalyzeOptions, path: string, hooks: PartialWriteHooks = {}): Promise<PartialFileSummary> {
  if (options.inputs.some((input) => input.path === "-")) {
    throw new TickscopeError(ErrorCode.invalidOption, "--partial needs capture files, not stdin (-): a partial records each capture's content hash", { hint: "save the stream to a file first" });
  }
  const [pass, captureSha256] = await Promise.all([runAnalyzeStates(options), Promise.all(options.inputs.map((input) => fileSha256(input.path)))]);
  const recordedOptions = hooks.recordedOptionsAfterRun?.(options.recordedOptions ?? {}) ?? options.recordedOptions;
  const report = buildPartialReport(pass, { ...options, ...(recordedOptions === undefined ? {} : { recordedOptions }) }, captureSha256);
  const bytes = encodePartialReport(report);
  await writeFilesAtomically([{ path, text: bytes }]);
  return {
    path,
    bytes: bytes.length,
    sha256: sha256Hex(bytes),
    captures: report.captures.map((capture, index) => ({ file: capture.file, sha256: captureSha256[index]!, packets: capture.packets })),
    analyses: [...report.run.analyses],
    sessions: report.sessions.length,
    report,
  };
}
