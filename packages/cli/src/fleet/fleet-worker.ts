import { randomBytes } from "node:crypto";
import { rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Queue, UnrecoverableError, Worker, type Job } from "bullmq";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import { ensureOutputDirectory } from "../write-files-atomically.js";
import { fileSha256 } from "../partial-file.js";
import { isFleetJobData, jobIdOf, partialPathOf, type FleetAnalysisOptions, type FleetCapture, type FleetJobData } from "./fleet-job.js";
import { connectionOptionsFor, probeRedis } from "./redis-connection.js";
import type { RedisEndpoint } from "./redis-url.js";

/**
 * Default lock of a job, ms: a worker renews it every half of this while it
 * runs the job; a killed worker's lock expires after at most this long.
 */
export const DEFAULT_LOCK_DURATION_MS = 6_000;

/** Default interval of the stalled-job check (a job whose lock expired goes back to the queue), ms. */
export const DEFAULT_STALLED_INTERVAL_MS = 3_000;

/** How often `exitWhenIdle` looks at the queue's counts, ms. */
const IDLE_CHECK_INTERVAL_MS = 500;

/** How often a job may stall (its worker died) before it fails instead of going back to the queue. */
export const DEFAULT_MAX_STALLED_COUNT = 2;

/** What a partial writer read: the SHA-256 of each capture of the pass, in input order. */
export interface PartialWritten {
  /** Content hashes of the captures as the pass read them. */
  captureSha256: readonly string[];
}

/**
 * Writes the partial report of one pass to `partialPath` (the temporary name
 * the worker renames into place once the captures are known to be the
 * submitted bytes).
 */
export type PartialWriter = (request: FleetPassRequest, partialPath: string) => Promise<PartialWritten>;

/** The pass of one job: what `tickscope analyze <captures> --partial` is given. */
export interface FleetPassRequest extends Omit<FleetAnalysisOptions, "protocolSha256"> {
  /** Captures, in time order. */
  inputs: { path: string }[];
}

/** What a worker reports as it runs (one line each on stderr from the command). */
export type FleetWorkerEvent =
  | { kind: "ready"; queueName: string; redis: string; concurrency: number }
  | { kind: "started"; jobId: string; captures: string[]; attempt: number }
  | { kind: "completed"; jobId: string; partialPath: string; seconds: number }
  | { kind: "failed"; jobId: string; reason: string; willRetry: boolean }
  | { kind: "stalled"; jobId: string }
  | { kind: "connection"; message: string }
  | { kind: "stopping"; signal: string; activeJobs: number }
  | { kind: "idle" };

/** Options of {@link runFleetWorker}. */
export interface FleetWorkerOptions {
  /** Redis of the fleet. */
  redis: RedisEndpoint;
  /** Queue name. */
  queueName: string;
  /** Directory of the partial reports (shared by the workers and the report). */
  outDirectory: string;
  /** Jobs run at once in this process (default 1). */
  concurrency?: number;
  /** See {@link DEFAULT_LOCK_DURATION_MS}. */
  lockDurationMs?: number;
  /** See {@link DEFAULT_STALLED_INTERVAL_MS}. */
  stalledIntervalMs?: number;
  /** See {@link DEFAULT_MAX_STALLED_COUNT}. */
  maxStalledCount?: number;
  /** Stop once the queue has nothing waiting, delayed or active (a batch run); default: run until a signal. */
  exitWhenIdle?: boolean;
  /** Writes one partial report (default: the CLI's `analyze --partial` pass). */
  writePartial: PartialWriter;
  /** Stops the worker: it finishes the running jobs and takes no new one. */
  stop?: FleetWorkerStop;
  /** Progress events. */
  onEvent?: (event: FleetWorkerEvent) => void;
}

/** A handle to stop a running worker from outside (signals). */
export interface FleetWorkerStop {
  /** Set by {@link runFleetWorker}: stops taking jobs, finishes the running ones, then resolves the run (later calls do nothing). */
  request?: (reason: string) => void;
}

/** What a worker did before it stopped. */
export interface FleetWorkerSummary {
  /** Jobs completed. */
  completed: number;
  /** Job attempts that failed (retried or not). */
  failed: number;
}

/** What a completed job returns (BullMQ keeps it with the job). */
export interface FleetJobResult {
  /** File name of the partial report in the out directory. */
  partial: string;
  /** Captures analyzed. */
  captures: number;
  /** Wall time of the pass, s. */
  seconds: number;
}

/** Error codes that a retry cannot change: the capture or definition is bad, not the machine. */
const INPUT_ERROR_CODES = new Set<string>([
  ErrorCode.badMagic,
  ErrorCode.truncated,
  ErrorCode.badBlockLength,
  ErrorCode.badWireLength,
  ErrorCode.unknownLinkType,
  ErrorCode.unsupportedVersion,
  ErrorCode.gzipCorrupt,
  ErrorCode.definitionInvalid,
  ErrorCode.invalidOption,
  ErrorCode.protocolUnsupported,
  ErrorCode.badPartial,
  ErrorCode.partialMismatch,
  ErrorCode.keyMissing,
  ErrorCode.decryptFailed,
]);

/** The failure reason a job records: `E_CODE: message` for tickscope errors, so `fleet report` can show the code. */
export function failureReason(error: unknown): string {
  if (TickscopeError.isInstance(error)) return `${error.code}: ${error.message}`;
  const errno = (error as NodeJS.ErrnoException)?.code;
  const message = (error as Error)?.message ?? String(error);
  return errno !== undefined && /^E[A-Z]+$/.test(errno) ? `${ErrorCode.io}: ${message}` : message;
}

/** The error a job fails with: unrecoverable (no retry) when the input itself is bad. */
function jobError(error: unknown): Error {
  const reason = failureReason(error);
  if (TickscopeError.isInstance(error) && INPUT_ERROR_CODES.has(error.code)) return new UnrecoverableError(reason);
  return new Error(reason);
}

/** Throws `E_IO` when the pass read other bytes than were submitted (a capture changed since). */
function checkUnchanged(captures: readonly FleetCapture[], readSha256: readonly string[]): void {
  for (const [index, capture] of captures.entries()) {
    const read = readSha256[index];
    if (read === capture.sha256) continue;
    throw new TickscopeError(ErrorCode.io, `capture '${capture.path}' changed since it was submitted (SHA-256 now ${read?.slice(0, 12) ?? "unknown"}…, submitted ${capture.sha256.slice(0, 12)}…)`, {
      hint: "submit the new file (its content is a new job)",
    });
  }
}

/** The pass request of a job's data (plain data for the partial writer). */
export function passRequestOf(data: FleetJobData): FleetPassRequest {
  const { protocolSha256: _protocolSha256, ...analysis } = data.analysis;
  return { ...analysis, inputs: data.captures.map((capture) => ({ path: capture.path })) };
}

/**
 * Runs one job: checks that the definition is the one submitted, runs the
 * pass into a temporary file next to the partial, checks that the pass read
 * the submitted bytes (content hashes) and renames the file into place, so a worker killed mid-job never leaves
 * a partial that counts. Bad input fails the job at once (`UnrecoverableError`
 * with `E_CODE: message`); anything else is retried with backoff.
 */
export async function processFleetJob(job: Pick<Job<FleetJobData>, "id" | "data">, outDirectory: string, writePartial: PartialWriter): Promise<FleetJobResult> {
  const started = performance.now();
  try {
    if (!isFleetJobData(job.data)) throw new TickscopeError(ErrorCode.invalidOption, "the job's data is not a capture job this version of tickscope reads", { hint: "submit it again with this version" });
    const data = job.data;
    if (job.id !== jobIdOf(data.captures)) throw new TickscopeError(ErrorCode.invalidOption, `job id ${job.id ?? "(none)"} is not its captures' content hash`, { hint: "submit captures with tickscope fleet submit" });
    if (data.analysis.protocolPath !== undefined && data.analysis.protocolSha256 !== undefined) {
      if ((await fileSha256(data.analysis.protocolPath)) !== data.analysis.protocolSha256) {
        throw new TickscopeError(ErrorCode.definitionInvalid, `protocol definition '${data.analysis.protocolPath}' changed since the jobs were submitted`, {
          hint: "use a new queue (--queue) for the new definition; partials of two definitions cannot be merged",
        });
      }
    }
    const target = partialPathOf(outDirectory, job.id);
    const temporary = join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
    try {
      const written = await writePartial(passRequestOf(data), temporary);
      checkUnchanged(data.captures, written.captureSha256);
      await rename(temporary, target);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    return { partial: basename(target), captures: data.captures.length, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    throw jobError(error);
  }
}

/**
 * `tickscope fleet worker`: takes jobs from the queue and writes one partial
 * report per job into `outDirectory`, with BullMQ's retries (the job's
 * attempts and backoff) and stalled-job recovery (a job whose worker died is
 * back in the queue within about `lockDurationMs + stalledIntervalMs`).
 * Resolves when stopped (`stop.request`, or idle with `exitWhenIdle`).
 */
export async function runFleetWorker(options: FleetWorkerOptions): Promise<FleetWorkerSummary> {
  await ensureOutputDirectory(options.outDirectory);
  await probeRedis(options.redis);
  const emit = options.onEvent ?? (() => undefined);
  const summary: FleetWorkerSummary = { completed: 0, failed: 0 };
  const concurrency = options.concurrency ?? 1;
  let activeJobs = 0;
  const worker = new Worker<FleetJobData, FleetJobResult>(
    options.queueName,
    async (job) => {
      activeJobs += 1;
      try {
        emit({ kind: "started", jobId: job.id!, captures: (job.data?.captures ?? []).map((capture) => capture.path), attempt: job.attemptsMade + 1 });
        return await processFleetJob(job, options.outDirectory, options.writePartial);
      } finally {
        activeJobs -= 1;
      }
    },
    {
      connection: connectionOptionsFor(options.redis, "worker"),
      concurrency,
      autorun: false,
      lockDuration: options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
      stalledInterval: options.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
      maxStalledCount: options.maxStalledCount ?? DEFAULT_MAX_STALLED_COUNT,
    },
  );
  let lastConnectionMessage = "";
  worker.on("error", (error) => {
    const message = (error as Error)?.message ?? String(error);
    if (message === lastConnectionMessage) return;
    lastConnectionMessage = message;
    emit({ kind: "connection", message });
  });
  worker.on("ready", () => (lastConnectionMessage = ""));
  worker.on("completed", (job, result) => {
    summary.completed += 1;
    emit({ kind: "completed", jobId: job.id!, partialPath: partialPathOf(options.outDirectory, job.id!), seconds: result.seconds });
  });
  worker.on("failed", (job, error) => {
    summary.failed += 1;
    if (job === undefined) return;
    const willRetry = !(error instanceof UnrecoverableError) && error.name !== "UnrecoverableError" && job.attemptsMade < (job.opts.attempts ?? 1);
    emit({ kind: "failed", jobId: job.id!, reason: error.message, willRetry });
  });
  worker.on("stalled", (jobId) => emit({ kind: "stalled", jobId }));
  let closing: Promise<void> | undefined;
  const stop = (reason: string): void => {
    if (closing !== undefined) return;
    emit({ kind: "stopping", signal: reason, activeJobs });
    closing = worker.close();
  };
  if (options.stop !== undefined) options.stop.request = stop;
  // exitWhenIdle: stop once nothing is waiting, delayed or active on the queue (other workers' active
  // jobs included: one of them may die and its job come back)
  const idleQueue = options.exitWhenIdle === true ? new Queue(options.queueName, { connection: connectionOptionsFor(options.redis, "worker") }) : undefined;
  idleQueue?.on("error", () => undefined);
  const idleTimer =
    idleQueue === undefined
      ? undefined
      : setInterval(() => {
          void idleQueue
            .getJobCounts("wait", "delayed", "active", "prioritized", "paused", "waiting-children")
            .then((counts) => {
              if (closing !== undefined || activeJobs > 0) return;
              if (Object.values(counts).every((count) => count === 0)) {
                emit({ kind: "idle" });
                stop("idle");
              }
            })
            .catch(() => undefined);
        }, IDLE_CHECK_INTERVAL_MS);
  const running = worker.run();
  await worker.waitUntilReady();
  emit({ kind: "ready", queueName: options.queueName, redis: options.redis.display, concurrency });
  try {
    await running;
    await closing;
  } finally {
    clearInterval(idleTimer);
    await idleQueue?.close();
  }
  return summary;
}
