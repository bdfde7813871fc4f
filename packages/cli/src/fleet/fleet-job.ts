import { join } from "node:path";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import type { AnalysisName } from "../analysis-section.js";
import { escapeTerminalText } from "../terminal-text.js";
import { sha256Hex } from "../partial-file.js";

/** Default BullMQ queue name of `tickscope fleet`. */
export const DEFAULT_QUEUE_NAME = "tickscope";

/** BullMQ job name of a capture analysis. */
export const FLEET_JOB_NAME = "analyze";

/** Version of {@link FleetJobData}'s shape; a worker refuses jobs of another version. */
export const FLEET_JOB_VERSION = 1;

/** File name extension of a partial report. */
export const PARTIAL_EXTENSION = ".tspart";

/** One capture of a job: where it is on the shared filesystem, and what its bytes are. */
export interface FleetCapture {
  /** Absolute path, the same on every worker (shared filesystem). */
  path: string;
  /** SHA-256 of the file's bytes when it was submitted (lowercase hex). */
  sha256: string;
  /** Size when submitted, bytes. */
  bytes: number;
}

/** The analysis every job of a submission runs (the options `tickscope analyze` would be given). */
export interface FleetAnalysisOptions {
  /** Protocol definition path (shared filesystem), when one is used. */
  protocolPath?: string;
  /** SHA-256 of the definition file when submitted: a worker refuses a definition that changed since. */
  protocolSha256?: string;
  /** Key file path (shared filesystem). */
  keysPath?: string;
  /** Server ports. */
  serverPorts?: number[];
  /** Analyses, in report order. */
  analyses: AnalysisName[];
  /** Per-analysis settings. */
  settings: Record<string, unknown>;
  /** Region of each server address. */
  serverRegions?: Record<string, string>;
  /** The options the reports record (as `analyze` records them). */
  recordedOptions: Record<string, unknown>;
}

/** The data of one BullMQ job: the captures it analyzes into one partial report. */
export interface FleetJobData {
  /** Always {@link FLEET_JOB_VERSION}. */
  version: typeof FLEET_JOB_VERSION;
  /** Captures in time order (one, or the files of one rotation group). */
  captures: FleetCapture[];
  /** Rotation group key, when `--group-by` grouped the captures. */
  group?: string;
  /** The analysis. */
  analysis: FleetAnalysisOptions;
}

/**
 * The job id of a capture or group: the SHA-256 of the capture's bytes, or for
 * a group the SHA-256 of its captures' hashes in order. The same bytes give the
 * same id on every submission, so BullMQ keeps one job for them.
 */
export function jobIdOf(captures: readonly Pick<FleetCapture, "sha256">[]): string {
  if (captures.length === 1) return captures[0]!.sha256;
  return sha256Hex(`tickscope-group\n${captures.map((capture) => capture.sha256).join("\n")}`);
}

/** Where the worker writes (and the report reads) the partial report of job `jobId`. */
export function partialPathOf(outDirectory: string, jobId: string): string {
  return join(outDirectory, `${jobId}${PARTIAL_EXTENSION}`);
}

/** Checks `--queue`: letters, digits, `.`, `_`, `-` (BullMQ keys use `:` as separator), at most 100. */
export function parseQueueName(text: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(text)) {
    throw new TickscopeError(ErrorCode.invalidOption, `--queue '${escapeTerminalText(text.slice(0, 80))}' is not a queue name`, {
      hint: "use letters, digits, '.', '_' and '-' (at most 100), e.g. --queue fleet-2026-12",
    });
  }
  return text;
}

/** True when `value` has the shape of a {@link FleetJobData} this version processes. */
export function isFleetJobData(value: unknown): value is FleetJobData {
  const data = value as Partial<FleetJobData> | undefined;
  return (
    typeof data === "object" &&
    data !== null &&
    data.version === FLEET_JOB_VERSION &&
    Array.isArray(data.captures) &&
    data.captures.length > 0 &&
    data.captures.every((capture) => typeof capture?.path === "string" && typeof capture.sha256 === "string" && /^[0-9a-f]{64}$/.test(capture.sha256)) &&
    typeof data.analysis === "object" &&
    data.analysis !== null &&
    Array.isArray(data.analysis.analyses)
  );
}
