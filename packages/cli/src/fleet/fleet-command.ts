import { resolve } from "node:path";
import type { Command } from "commander";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import { addAnalysisSettingOptions, assertAnalysisOptionsApply, settingsWithOptions } from "../analysis-setting-options.js";
import { availableAnalyses } from "../analyses/registry.js";
import type { AnalysisName } from "../analysis-section.js";
import { setExitCode, streamsOf } from "../command-context.js";
import { loadConfig } from "../config-file.js";
import { ExitCode } from "../exit-code.js";
import { parseAnalysisList, parseFormatList, parseIntegerOption, parsePortOption, parseServerRegion } from "../options.js";
import { assertFormatsHaveDestination, REPORT_FORMAT_NAMES } from "../report-format-names.js";
import { escapeTerminalText } from "../terminal-text.js";
import { DEFAULT_QUEUE_NAME, parseQueueName, type FleetAnalysisOptions } from "./fleet-job.js";
import { parseRedisUrl, type RedisEndpoint } from "./redis-url.js";

/** Environment variable read when `--redis` is not given. */
export const REDIS_URL_VARIABLE = "TICKSCOPE_REDIS_URL";

/** Most jobs one worker process runs at once. */
const MAX_CONCURRENCY = 64;

interface QueueOptions {
  redis?: string;
  queue: string;
}

function redisOf(options: QueueOptions): RedisEndpoint {
  const url = options.redis ?? process.env[REDIS_URL_VARIABLE];
  if (url === undefined || url === "") {
    throw new TickscopeError(ErrorCode.invalidOption, "give the fleet's Redis with --redis redis://host:port", { hint: `or set ${REDIS_URL_VARIABLE}` });
  }
  return parseRedisUrl(url);
}

function addQueueOptions(command: Command): Command {
  return command
    .option("--redis <url>", `Redis of the fleet, redis://[user:password@]host[:port][/db] (default: $${REDIS_URL_VARIABLE})`)
    .option("--queue <name>", "queue name (one queue per fleet analysis)", parseQueueName, DEFAULT_QUEUE_NAME);
}

interface SubmitCommandOptions extends QueueOptions {
  groupBy?: string;
  protocol?: string;
  keys?: string;
  serverPort?: number[];
  only?: AnalysisName[];
  serverRegion?: { name: string; value: string }[];
  config?: string;
  attempts: number;
  retryFailed?: boolean;
  [option: string]: unknown;
}

interface WorkerCommandOptions extends QueueOptions {
  out: string;
  concurrency: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  exitWhenIdle?: boolean;
}

interface ReportCommandOptions extends QueueOptions {
  out: string;
  format?: string[];
  reportDir?: string;
}

function registerSubmit(fleet: Command): void {
  const submit = addQueueOptions(
    fleet
      .command("submit")
      .description("queue one job per capture (or per rotation group); the job id is the content's SHA-256, so the same bytes are one job")
      .argument("<capture...>", "capture files or quoted globs ('captures/**/*.pcapng'); paths must be the same on the workers (shared filesystem)"),
  )
    .option("--group-by <regex>", "captures whose file names give the same match (first group) are one job, in name order (a rotation)")
    .option("--protocol <definition>", "protocol definition JSON (on the shared filesystem)")
    .option("--keys <file>", "key file for encrypted protocols (on the shared filesystem)")
    .option("--server-port <port>", "a server port (repeatable)", parsePortOption)
    .option("--only <analyses>", `comma-separated subset of ${availableAnalyses().join(",")}`, parseAnalysisList)
    .option("--server-region <name=address>", "sessions with this server address belong to region name (repeatable)", (text: string, previous: { name: string; value: string }[] = []) => [
      ...previous,
      parseServerRegion(text),
    ])
    .option("--config <file>", "config file (default: ./tickscope.config.json when present)")
    .option("--attempts <n>", "attempts per job before it fails (retries back off exponentially from 2 s)", (text: string) => parseIntegerOption("attempts", text, 1, 100, 3), 3)
    .option("--retry-failed", "queue jobs that already failed again (after fixing a capture, or with a new tickscope)");
  addAnalysisSettingOptions(submit, availableAnalyses());
  submit.action(async (captures: string[], options: SubmitCommandOptions, command: Command) => {
    const streams = streamsOf(command);
    const redis = redisOf(options);
    const config = await loadConfig(options.config);
    const analyses = options.only ?? config.only ?? availableAnalyses();
    assertAnalysisOptionsApply(analyses, options as unknown as Record<string, unknown>);
    const { parseGroupPattern } = await import("./capture-groups.js");
    const groupPattern = options.groupBy === undefined ? undefined : parseGroupPattern(options.groupBy);
    const protocolGiven = options.protocol ?? config.protocol;
    if (protocolGiven === "auto") {
      // each job would infer its own definition from its own capture, and partials of different definitions do not merge
      throw new TickscopeError(ErrorCode.invalidOption, "fleet submit cannot use --protocol auto: every job would infer its own definition, and their partial reports could not be merged", {
        hint: "infer it once (tickscope protocol infer <capture> --out definition.json) and submit with --protocol definition.json",
      });
    }
    const keysGiven = options.keys ?? config.keys;
    const protocolPath = protocolGiven === undefined ? undefined : resolve(protocolGiven);
    const keysPath = keysGiven === undefined ? undefined : resolve(keysGiven);
    const { fileSha256 } = await import("../partial-file.js");
    const protocolSha256 = protocolPath === undefined ? undefined : await fileSha256(protocolPath);
    const serverPorts = options.serverPort ?? config.serverPorts;
    const analysis: FleetAnalysisOptions = {
      ...(protocolPath === undefined ? {} : { protocolPath }),
      ...(protocolSha256 === undefined ? {} : { protocolSha256 }),
      ...(keysPath === undefined ? {} : { keysPath }),
      ...(serverPorts === undefined ? {} : { serverPorts }),
      analyses,
      settings: settingsWithOptions(config.analyses, analyses, options),
      ...(options.serverRegion === undefined ? {} : { serverRegions: Object.fromEntries(options.serverRegion.map(({ name, value }) => [value, name])) }),
      recordedOptions: { only: analyses, serverPorts: serverPorts ?? [], failOn: null, serverLog: null, serverLogEvents: 0, keyFile: keysPath ?? null },
    };
    const { submitFleetJobs } = await import("./fleet-submit.js");
    const result = await submitFleetJobs({
      redis,
      queueName: options.queue,
      captures,
      ...(groupPattern === undefined ? {} : { groupPattern }),
      analysis,
      attempts: options.attempts,
      retryFailed: options.retryFailed === true,
      onJob: (job) => {
        if (job.outcome === "added") return;
        const what = job.outcome === "retried" ? "failed before, queued again" : `already submitted (${job.previousState})`;
        const options = job.differentOptions === true ? "; it keeps the analysis options it was submitted with (use another --queue for other options)" : "";
        streams.stderr.write(`fleet submit: ${job.id.slice(0, 12)} ${escapeTerminalText(job.paths[0] ?? "")}${job.paths.length > 1 ? ` (+${job.paths.length - 1})` : ""}: ${what}${options}\n`);
      },
    });
    streams.stdout.write(
      `fleet submit: ${result.captures} capture(s) in ${result.jobs} job(s) on queue '${options.queue}' at ${redis.display}: ${result.added} added, ${result.existing} already there, ${result.retried} failed job(s) queued again\n`,
    );
  });
}

function registerWorker(fleet: Command): void {
  addQueueOptions(
    fleet
      .command("worker")
      .description("take capture jobs from the queue and write one partial report per job (<out>/<content-hash>.tspart) until stopped (SIGTERM/SIGINT finish the running job)"),
  )
    .requiredOption("--out <directory>", "shared directory of the partial reports (created when missing)")
    .option("--concurrency <n>", "jobs this process runs at once", (text: string) => parseIntegerOption("concurrency", text, 1, MAX_CONCURRENCY, 1), 1)
    .option("--lock-duration-ms <ms>", "job lock, renewed every half of it while a job runs; a dead worker's job is retried after it (default 6000)", (text: string) =>
      parseIntegerOption("lock-duration-ms", text, 1_000, 600_000, 6_000),
    )
    .option("--stalled-interval-ms <ms>", "how often to look for jobs whose worker died (default 3000)", (text: string) => parseIntegerOption("stalled-interval-ms", text, 500, 600_000, 3_000))
    .option("--exit-when-idle", "stop once nothing is waiting, delayed or running on the queue (a batch job)")
    .action(async (options: WorkerCommandOptions, command: Command) => {
      const streams = streamsOf(command);
      const redis = redisOf(options);
      const { runFleetWorker } = await import("./fleet-worker.js");
      const { writeFleetPartial } = await import("./partial-bridge.js");
      const out = resolve(options.out);
      const stop: { request?: (reason: string) => void } = {};
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals): void => {
        signals += 1;
        if (signals === 1) {
          stop.request?.(signal);
          return;
        }
        // a second signal: stop now; the running job's lock expires and another worker takes it
        streams.stderr.write(`fleet worker: ${signal} again: stopping now; the running job goes back to the queue when its lock expires\n`);
        process.exit(128 + (signal === "SIGINT" ? 2 : 15));
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
      try {
        const summary = await runFleetWorker({
          redis,
          queueName: options.queue,
          outDirectory: out,
          concurrency: options.concurrency,
          ...(options.lockDurationMs === undefined ? {} : { lockDurationMs: options.lockDurationMs }),
          ...(options.stalledIntervalMs === undefined ? {} : { stalledIntervalMs: options.stalledIntervalMs }),
          exitWhenIdle: options.exitWhenIdle === true,
          writePartial: writeFleetPartial,
          stop,
          onEvent: (event) => {
            const line = (() => {
              switch (event.kind) {
                case "ready":
                  return `ready: queue '${event.queueName}' at ${event.redis}, ${event.concurrency} job(s) at once, partials in ${out}`;
                case "started":
                  return `job ${event.jobId.slice(0, 12)} started (attempt ${event.attempt}): ${event.captures.join(", ")}`;
                case "completed":
                  return `job ${event.jobId.slice(0, 12)} completed in ${event.seconds.toFixed(2)} s: ${event.partialPath}`;
                case "failed":
                  return `job ${event.jobId.slice(0, 12)} failed${event.willRetry ? " (will retry)" : ""}: ${event.reason}`;
                case "stalled":
                  return `job ${event.jobId.slice(0, 12)} stalled (its worker stopped holding it): back in the queue`;
                case "connection":
                  return `Redis connection: ${event.message} (retrying)`;
                case "stopping":
                  return `${event.signal}: finishing ${event.activeJobs} running job(s), taking no new ones${event.signal === "idle" ? "" : " (signal again to stop now)"}`;
                case "idle":
                  return "queue idle: stopping";
              }
            })();
            streams.stderr.write(`fleet worker: ${escapeTerminalText(line)}\n`);
          },
        });
        streams.stderr.write(`fleet worker: stopped after ${summary.completed} completed job(s), ${summary.failed} failed attempt(s)\n`);
      } finally {
        process.removeListener("SIGTERM", onSignal);
        process.removeListener("SIGINT", onSignal);
      }
    });
}

function registerReport(fleet: Command): void {
  addQueueOptions(fleet.command("report").description("merge the partial reports of every completed job; say which jobs are missing (waiting, running) or failed, and why"))
    .requiredOption("--out <directory>", "the workers' partial report directory")
    .option("--format <formats>", `merged report formats: ${REPORT_FORMAT_NAMES.join(",")} (repeatable; default md)`, (text: string, previous: string[] | undefined) =>
      parseFormatList(text, REPORT_FORMAT_NAMES, previous),
    )
    .option("--report-dir <directory>", "write the merged reports into this directory (default: stdout, one format)")
    .action(async (options: ReportCommandOptions, command: Command) => {
      const streams = streamsOf(command);
      const redis = redisOf(options);
      const formats = options.format ?? ["md"];
      assertFormatsHaveDestination(formats, options.reportDir);
      const { buildFleetReport, formatFleetSummary, FLEET_INCOMPLETE_EXIT_CODE } = await import("./fleet-report.js");
      const { mergeFleetPartials } = await import("./partial-bridge.js");
      const outcome = await buildFleetReport(redis, options.queue, resolve(options.out), mergeFleetPartials);
      const summary = formatFleetSummary(outcome);
      if (outcome.merged !== undefined) {
        const { writeReports } = await import("../report-output.js");
        const written = await writeReports(outcome.merged.result, formats, options.reportDir, streams);
        // the reports on stdout: the summary goes to stderr
        if (written.includes("-")) streams.stderr.write(summary);
        else streams.stdout.write(`${summary}  wrote ${written.map(escapeTerminalText).join(", ")}\n`);
      } else {
        streams.stdout.write(summary);
      }
      setExitCode(command, outcome.incomplete ? FLEET_INCOMPLETE_EXIT_CODE : ExitCode.ok);
    });
}

/** Registers `tickscope fleet submit|worker|report` (analysis spread over machines with BullMQ on Redis). */
export function registerFleetCommand(program: Command): void {
  const fleet = program.command("fleet").description("analyze captures on many machines: a BullMQ job queue on Redis, workers writing partial reports, one merged report");
  registerSubmit(fleet);
  registerWorker(fleet);
  registerReport(fleet);
}
