import { stat } from "node:fs/promises";
import { Queue } from "bullmq";
import { TickscopeError } from "@tickscope/core";
import { expandCaptureArguments, groupCaptures } from "./capture-groups.js";
import { canonicalJson, fileSha256 } from "../partial-file.js";
import { FLEET_JOB_NAME, FLEET_JOB_VERSION, jobIdOf, type FleetAnalysisOptions, type FleetCapture, type FleetJobData } from "./fleet-job.js";
import { connectionOptionsFor, probeRedis, queueUnavailable } from "./redis-connection.js";
import type { RedisEndpoint } from "./redis-url.js";

/** Default attempts of a job (the first run and two retries). */
export const DEFAULT_JOB_ATTEMPTS = 3;

/** Default first retry delay (doubling after), ms. */
export const DEFAULT_BACKOFF_MS = 2_000;

/** Captures hashed at the same time while submitting. */
const HASH_CONCURRENCY = 4;

/** Options of {@link submitFleetJobs}. */
export interface FleetSubmitOptions {
  /** Redis of the fleet. */
  redis: RedisEndpoint;
  /** Queue name. */
  queueName: string;
  /** Capture files or globs, as given. */
  captures: readonly string[];
  /** `--group-by`: captures whose names give the same key are one job. */
  groupPattern?: RegExp;
  /** The analysis every job runs. */
  analysis: FleetAnalysisOptions;
  /** Attempts per job (default {@link DEFAULT_JOB_ATTEMPTS}). */
  attempts?: number;
  /** First retry delay, ms (default {@link DEFAULT_BACKOFF_MS}). */
  backoffMs?: number;
  /** Retry jobs that already failed (a fixed capture or a new tool version); default: leave them failed. */
  retryFailed?: boolean;
  /** Resolves relative capture paths and globs (default the process's). */
  workingDirectory?: string;
  /** Called once per job: its id, captures, and what submitting did. */
  onJob?: (job: SubmittedJob) => void;
}

/** What submitting did to one job. */
export interface SubmittedJob {
  /** Job id (content hash). */
  id: string;
  /** Its captures' paths. */
  paths: string[];
  /** `added`: new job; `existing`: the same bytes are already queued or done (state given); `retried`: a failed job queued again. */
  outcome: "added" | "existing" | "retried";
  /** The existing job's state, for `existing` and `retried`. */
  previousState?: string;
  /** The existing job was submitted with other analysis options (its own are kept). */
  differentOptions?: boolean;
}

/** Counts of a submission. */
export interface FleetSubmitResult {
  /** Captures submitted (after expanding globs, without duplicate paths). */
  captures: number;
  /** Jobs the captures make (fewer with `--group-by`, or when two files have the same bytes). */
  jobs: number;
  /** New jobs. */
  added: number;
  /** Jobs that were already there (same content hash). */
  existing: number;
  /** Failed jobs queued again (`retryFailed`). */
  retried: number;
  /** Existing jobs that were submitted with other analysis options. */
  differentOptions: number;
}

async function hashCaptures(paths: readonly string[]): Promise<Map<string, FleetCapture>> {
  const captures = new Map<string, FleetCapture>();
  let next = 0;
  const hashNext = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next++]!;
      const sha256 = await fileSha256(path);
      captures.set(path, { path, sha256, bytes: (await stat(path)).size });
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, paths.length) }, hashNext));
  return captures;
}

/**
 * `tickscope fleet submit`: hashes every capture, groups them into jobs and
 * adds one BullMQ job per group with the content hash as job id (BullMQ keeps
 * one job per id, so submitting the same bytes again adds nothing). Jobs keep
 * their results and failures (the report reads them). Redis is probed first:
 * unreachable is `E_QUEUE_UNAVAILABLE` within seconds.
 */
export async function submitFleetJobs(options: FleetSubmitOptions): Promise<FleetSubmitResult> {
  const paths = await expandCaptureArguments(options.captures, options.workingDirectory);
  const hashed = await hashCaptures(paths);
  await probeRedis(options.redis);
  const queue = new Queue<FleetJobData>(options.queueName, { connection: connectionOptionsFor(options.redis, "command") });
  queue.on("error", () => undefined);
  const result: FleetSubmitResult = { captures: paths.length, jobs: 0, added: 0, existing: 0, retried: 0, differentOptions: 0 };
  const seenIds = new Set<string>();
  const analysisJson = canonicalJson(options.analysis);
  try {
    for (const group of groupCaptures(paths, options.groupPattern)) {
      const captures = group.paths.map((path) => hashed.get(path)!);
      const id = jobIdOf(captures);
      if (seenIds.has(id)) continue; // two paths with the same bytes: one job
      seenIds.add(id);
      result.jobs += 1;
      const existing = await queue.getJob(id);
      if (existing !== undefined && existing !== null) {
        const state = await existing.getState();
        const differentOptions = canonicalJson(existing.data?.analysis) !== analysisJson;
        if (differentOptions) result.differentOptions += 1;
        if (state === "failed" && options.retryFailed === true) {
          await existing.retry("failed");
          result.retried += 1;
          options.onJob?.({ id, paths: group.paths, outcome: "retried", previousState: state, differentOptions });
        } else {
          result.existing += 1;
          options.onJob?.({ id, paths: group.paths, outcome: "existing", previousState: state, differentOptions });
        }
        continue;
      }
      const data: FleetJobData = { version: FLEET_JOB_VERSION, captures, ...(group.key === undefined ? {} : { group: group.key }), analysis: options.analysis };
      await queue.add(FLEET_JOB_NAME, data, {
        jobId: id,
        attempts: options.attempts ?? DEFAULT_JOB_ATTEMPTS,
        backoff: { type: "exponential", delay: options.backoffMs ?? DEFAULT_BACKOFF_MS },
        removeOnComplete: false,
        removeOnFail: false,
      });
      result.added += 1;
      options.onJob?.({ id, paths: group.paths, outcome: "added" });
    }
  } catch (error) {
    if (TickscopeError.isInstance(error)) throw error;
    // Redis went away after the probe: the command gives up after its bounded reconnection attempts
    throw queueUnavailable(options.redis, `submitting to queue '${options.queueName}' failed after ${result.added} new job(s): ${(error as Error)?.message ?? String(error)}`, error);
  } finally {
    await queue.close();
  }
  return result;
}
