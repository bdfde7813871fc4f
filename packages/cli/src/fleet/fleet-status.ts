import { access } from "node:fs/promises";
import { Queue, type Job } from "bullmq";
import type { FleetJobData } from "./fleet-job.js";
import type { FleetJobResult } from "./fleet-worker.js";
import { partialPathOf } from "./fleet-job.js";
import { connectionOptionsFor, probeRedis, queueUnavailable } from "./redis-connection.js";
import type { RedisEndpoint } from "./redis-url.js";

/** The BullMQ states `fleet report` reads, the done ones first. */
export const FLEET_JOB_STATES = ["completed", "failed", "active", "waiting", "delayed", "prioritized", "paused", "waiting-children"] as const;

/** One of {@link FLEET_JOB_STATES}. */
export type FleetJobState = (typeof FLEET_JOB_STATES)[number];

/** Jobs read from Redis per request. */
const PAGE_SIZE = 1_000;

/** One job as the report sees it. */
export interface FleetJobStatus {
  /** Job id (content hash). */
  id: string;
  /** Its state. */
  state: FleetJobState;
  /** Its captures' paths. */
  captures: string[];
  /** Attempts made. */
  attemptsMade: number;
  /** Why it failed (`E_CODE: message` when tickscope knew), for failed jobs and failed attempts of waiting ones. */
  failedReason?: string;
  /** The stable code of the failure, when it has one. */
  errorCode?: string;
  /** The partial report's path, for completed jobs. */
  partialPath?: string;
  /** A completed job whose partial report is not in the out directory (removed, or another directory). */
  partialMissing?: boolean;
}

/** Every job of a queue, by state. */
export interface FleetStatus {
  /** Queue name. */
  queueName: string;
  /** The Redis (password hidden). */
  redis: string;
  /** Jobs in state order, then id. */
  jobs: FleetJobStatus[];
}

/** The `E_…` code at the start of a failure reason, if any. */
export function errorCodeOf(reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : /^(E_[A-Z0-9_]+):/.exec(reason)?.[1];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function statusOf(job: Job<FleetJobData, FleetJobResult>, state: FleetJobState): FleetJobStatus {
  const reason = job.failedReason === undefined || job.failedReason === null || job.failedReason === "" ? undefined : job.failedReason;
  const code = errorCodeOf(reason);
  return {
    id: job.id!,
    state,
    captures: Array.isArray(job.data?.captures) ? job.data.captures.map((capture) => String(capture?.path)) : [],
    attemptsMade: job.attemptsMade,
    ...(reason === undefined ? {} : { failedReason: reason }),
    ...(code === undefined ? {} : { errorCode: code }),
  };
}

/**
 * Reads every job of the queue (all states, paged) and, for completed ones,
 * whether their partial report is in `outDirectory`. Redis is probed first
 * (`E_QUEUE_UNAVAILABLE`). A job seen in two states while the queue moves is
 * listed once, in its more finished state.
 */
export async function readFleetStatus(redis: RedisEndpoint, queueName: string, outDirectory: string): Promise<FleetStatus> {
  await probeRedis(redis);
  const queue = new Queue<FleetJobData, FleetJobResult>(queueName, { connection: connectionOptionsFor(redis, "command") });
  queue.on("error", () => undefined);
  const jobs: FleetJobStatus[] = [];
  const seen = new Set<string>();
  try {
    for (const state of FLEET_JOB_STATES) {
      for (let start = 0; ; start += PAGE_SIZE) {
        const page = (await queue.getJobs([state], start, start + PAGE_SIZE - 1, true)).filter((job): job is Job<FleetJobData, FleetJobResult> => job !== undefined && job !== null);
        for (const job of page) {
          if (job.id === undefined || seen.has(job.id)) continue;
          seen.add(job.id);
          const status = statusOf(job, state);
          if (state === "completed") {
            status.partialPath = partialPathOf(outDirectory, job.id);
            if (!(await exists(status.partialPath))) status.partialMissing = true;
          }
          jobs.push(status);
        }
        if (page.length < PAGE_SIZE) break;
      }
    }
  } catch (error) {
    throw queueUnavailable(redis, `reading queue '${queueName}' failed: ${(error as Error)?.message ?? String(error)}`, error);
  } finally {
    await queue.close();
  }
  jobs.sort((left, right) => FLEET_JOB_STATES.indexOf(left.state) - FLEET_JOB_STATES.indexOf(right.state) || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
  return { queueName, redis: redis.display, jobs };
}
