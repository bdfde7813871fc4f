import type { AnalyzeResult } from "../analyze-result.js";
import { escapeTerminalText } from "../terminal-text.js";
import { FLEET_JOB_STATES, readFleetStatus, type FleetJobState, type FleetJobStatus, type FleetStatus } from "./fleet-status.js";
import type { RedisEndpoint } from "./redis-url.js";

/** Exit code of `fleet report` when some job is not merged (failed, still waiting or running, or its partial is missing). */
export const FLEET_INCOMPLETE_EXIT_CODE = 4;

/** The merge of partial report files: the result, the order merged, and partials left out (their captures already counted). */
export interface FleetMerge {
  /** The merged report. */
  result: AnalyzeResult;
  /** Partial paths in the order merged. */
  order: readonly string[];
  /** Partials left out, and why. */
  skipped: readonly { name: string; reason: string }[];
}

/** Merges partial report files into one result (the CLI's `tickscope merge`). */
export type PartialMerger = (partialPaths: readonly string[]) => Promise<FleetMerge>;

/** What `fleet report` found and merged. */
export interface FleetReportOutcome {
  /** Every job, by state. */
  status: FleetStatus;
  /** The merge of every completed job's partial (undefined when none is completed). */
  merged?: FleetMerge;
  /** Jobs merged. */
  mergedJobs: number;
  /** Captures merged. */
  mergedCaptures: number;
  /** True when some job is not merged. */
  incomplete: boolean;
}

/**
 * `tickscope fleet report`: reads every job of the queue, merges the partial
 * reports of the completed ones (one per content hash: each capture counted
 * once) with `merge`, and tells what is not merged. Incomplete when some job
 * is not merged, or the queue has no job at all.
 */
export async function buildFleetReport(redis: RedisEndpoint, queueName: string, outDirectory: string, merge: PartialMerger): Promise<FleetReportOutcome> {
  const status = await readFleetStatus(redis, queueName, outDirectory);
  const done = status.jobs.filter((job) => job.state === "completed" && job.partialMissing !== true && job.partialPath !== undefined);
  const merged = done.length === 0 ? undefined : await merge(done.map((job) => job.partialPath!));
  return {
    status,
    ...(merged === undefined ? {} : { merged }),
    mergedJobs: done.length,
    mergedCaptures: done.reduce((sum, job) => sum + job.captures.length, 0),
    // an empty queue is not a complete fleet (a wrong --queue or --redis looks like this)
    incomplete: status.jobs.length === 0 || done.length !== status.jobs.length,
  };
}

/** Most jobs listed by name per state in the summary (the counts are always complete). */
const LISTED_JOBS = 50;

function jobLine(job: FleetJobStatus): string {
  const captures = job.captures.length === 1 ? job.captures[0]! : `${job.captures[0] ?? "?"} (+${job.captures.length - 1} more)`;
  const attempts = job.attemptsMade > 0 ? ` after ${job.attemptsMade} attempt${job.attemptsMade === 1 ? "" : "s"}` : "";
  const reason = job.failedReason === undefined ? "" : ` — ${job.state === "failed" ? "" : "last attempt: "}${job.failedReason}`;
  const missing = job.partialMissing === true ? " — completed, but its partial report is not in --out (removed, or the workers wrote elsewhere)" : "";
  return `    ${job.id.slice(0, 12)}  ${escapeTerminalText(captures)}${attempts}${escapeTerminalText(reason)}${missing}`;
}

/**
 * The readable summary of a fleet report: how many jobs and captures were
 * merged, then every job that was not (failed with its reason and code,
 * waiting, running, delayed for a retry, or completed without its partial).
 */
export function formatFleetSummary(outcome: FleetReportOutcome): string {
  const { status } = outcome;
  const captures = status.jobs.reduce((sum, job) => sum + job.captures.length, 0);
  const lines = [
    `fleet report: queue '${escapeTerminalText(status.queueName)}' on ${escapeTerminalText(status.redis)}: ${status.jobs.length} job(s), ${captures} capture(s)`,
    `  merged: ${outcome.mergedJobs} job(s), ${outcome.mergedCaptures} capture(s)${outcome.mergedJobs === 0 ? " (nothing completed yet: no report written)" : ""}`,
  ];
  for (const skipped of outcome.merged?.skipped ?? []) lines.push(`    left out ${escapeTerminalText(skipped.name)}: ${escapeTerminalText(skipped.reason)}`);
  const byState = new Map<FleetJobState | "partial missing", FleetJobStatus[]>();
  for (const job of status.jobs) {
    const key = job.state === "completed" && job.partialMissing === true ? "partial missing" : job.state;
    if (key === "completed") continue;
    byState.set(key, [...(byState.get(key) ?? []), job]);
  }
  const order: (FleetJobState | "partial missing")[] = ["failed", "partial missing", ...FLEET_JOB_STATES.filter((state) => state !== "completed" && state !== "failed")];
  for (const state of order) {
    const jobs = byState.get(state);
    if (jobs === undefined) continue;
    const label = state === "failed" ? "failed (not merged)" : state === "partial missing" ? "completed, partial missing (not merged)" : `${state} (missing from the report)`;
    lines.push(`  ${label}: ${jobs.length} job(s)`);
    for (const job of jobs.slice(0, LISTED_JOBS)) lines.push(jobLine(job));
    if (jobs.length > LISTED_JOBS) lines.push(`    … and ${jobs.length - LISTED_JOBS} more`);
    if (state === "active") lines.push("    (a job of a worker that died stays active until a running worker's stalled-job check puts it back)");
  }
  if (status.jobs.length === 0) lines.push("  no job on this queue: check --queue and --redis, or submit captures with tickscope fleet submit");
  else if (!outcome.incomplete) lines.push("  every job is merged");
  return `${lines.join("\n")}\n`;
}
