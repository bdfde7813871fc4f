import { InvalidArgumentError, type Command } from "commander";
import { compareSeverity, type Severity } from "@tickscope/core";
import { TimeOrderedLog } from "@tickscope/capture";
import { availableAnalyses } from "../analyses/registry.js";
import type { AnalysisName } from "../analysis-section.js";
import type { AnalysisSplit } from "../analysis-split.js";
import type { AnalyzeResult } from "../analyze-result.js";
import { setExitCode, streamsOf } from "../command-context.js";
import { loadConfig } from "../config-file.js";
import { parseAnalysisList, parseFormatList, parseIntegerOption, parseNamedValue, parsePortOption, parseServerRegion, parseSeverity, parseThreadSplit } from "../options.js";
import { assertFormatsHaveDestination, REPORT_FORMAT_NAMES } from "../report-format-names.js";
import { escapeTerminalText } from "../terminal-text.js";
import { writeReports } from "../report-output.js";
import { loadServerLog } from "../server-log-input.js";
import { ExitCode } from "../exit-code.js";
import { mergePartialReports } from "../merge-partials.js";
import { runAnalyze, type AnalyzeInput, type RunAnalyzeOptions } from "../run-analyze.js";
import { writePartialFile } from "../write-partial-file.js";
import { addAnalysisSettingOptions, assertAnalysisOptionsApply, settingsWithOptions } from "../analysis-setting-options.js";

interface AnalyzeCommandOptions {
  protocol?: string;
  keys?: string;
  serverPort?: number[];
  only?: AnalysisName[];
  format?: string[];
  out?: string;
  failOn?: Severity;
  region?: { name: string; value: string }[];
  serverRegion?: { name: string; value: string }[];
  serverLog?: string;
  logMap?: string;
  config?: string;
  quiet?: boolean;
  verbose?: boolean;
  threads?: number;
  threadCut?: "analyses" | "sessions";
  threadSplit?: AnalysisSplit | false;
  partial?: string;
  [option: string]: unknown;
}

/** Most threads `--threads` accepts. */
const MAX_THREADS = 256;

/** Exit code for `--fail-on`: 1 when any finding is at or above the severity. */
export function exitCodeForFindings(result: AnalyzeResult, failOn: Severity | undefined): number {
  if (failOn === undefined) return ExitCode.ok;
  const failing = result.sections.some((section) => section.findings.some((finding) => compareSeverity(finding.severity, failOn) >= 0));
  return failing ? ExitCode.findings : ExitCode.ok;
}

/** Registers `tickscope analyze <capture...>`. */
export function registerAnalyzeCommand(program: Command): void {
  const analyzeCommand = program
    .command("analyze")
    .description("read once, decode once, run every analysis; write reports")
    .argument("[capture...]", "pcap/pcapng files (.gz ok), or - for stdin")
    .option("--protocol <definition>", "protocol definition JSON")
    .option("--keys <file>", "key file for encrypted protocols")
    .option("--server-port <port>", "a server port (repeatable)", parsePortOption)
    .option("--only <analyses>", `comma-separated subset of ${availableAnalyses().join(",")}`, parseAnalysisList)
    .option("--format <formats>", `report formats: ${REPORT_FORMAT_NAMES.join(",")} (repeatable; default md)`, (text: string, previous: string[] | undefined) =>
      parseFormatList(text, REPORT_FORMAT_NAMES, previous),
    )
    .option("--out <directory>", "write the reports into this directory")
    .option("--fail-on <severity>", "exit 1 when a finding is at or above this severity (info, low, medium, high, critical)", parseSeverity)
    .option("--region <name=capture>", "a capture labelled with its region (repeatable)", (text: string, previous: { name: string; value: string }[] = []) => [
      ...previous,
      parseNamedValue("region", text),
    ])
    .option("--server-region <name=address>", "sessions with this server address belong to region name (repeatable)", (text: string, previous: { name: string; value: string }[] = []) => [
      ...previous,
      parseServerRegion(text),
    ])
    .option("--server-log <file>", "game-server log (NDJSON/CSV, .gz ok) merged in time order: tick stalls, reported RTT, events")
    .option("--log-map <file.json>", "field mapping of the server log (default: the format `tickscope simulate --server-log` writes)")
    .option("--config <file>", "config file (default: ./tickscope.config.json when present)")
    .option("--threads <n>", "threads to spread the analyses over, 1 = one thread (default: the cores available, fewer for a small capture)", (text: string) =>
      parseIntegerOption("threads", text, 1, MAX_THREADS, 2),
    )
    .option("--thread-cut <cut>", "how --threads splits the work: analyses (default: each thread reads and decodes everything and runs some analyses) or sessions (each thread decodes and analyzes its share of the sessions; their states merge)", (text: string) => {
      if (text !== "analyses" && text !== "sessions") throw new InvalidArgumentError("expected analyses or sessions");
      return text;
    })
    .option(
      "--thread-split <split>",
      "with two analysis-cut threads, split one analysis by sessions between them: auto (default: when the measured costs say it evens the threads out), none, or <analysis>=<main thread's share>, e.g. loss=0.3",
      parseThreadSplit,
    )
    .option("--partial <file.tspart>", "write the analyses' mergeable state to this partial report (gzip'd JSON) for `tickscope merge`; reports only with --format/--out")
    .option("--quiet", "no progress bar");
  // the analyses' own options (--tolerance, --budget), defined once with their subcommands'
  addAnalysisSettingOptions(analyzeCommand, availableAnalyses());
  analyzeCommand.action(async (captures: string[], options: AnalyzeCommandOptions, command: Command) => {
    const streams = streamsOf(command);
    const config = await loadConfig(options.config);
    const inputs: AnalyzeInput[] = captures.map((path) => ({ path }));
    for (const [region, path] of Object.entries(config.regions ?? {})) inputs.push({ path, region });
    for (const { name, value } of options.region ?? []) inputs.push({ path: value, region: name });
    if (inputs.length === 0) {
      command.error("error: give at least one capture (or --region name=capture)", { exitCode: ExitCode.usage, code: "tickscope.noInput" });
    }
    const analyses = options.only ?? config.only ?? availableAnalyses();
    // an analysis's own option (--tolerance, --budget) with that analysis left out would be silently ignored
    assertAnalysisOptionsApply(analyses, options as unknown as Record<string, unknown>);
    // with --partial the reports are written only when asked for
    const formats = options.format ?? config.formats ?? (options.partial !== undefined && options.out === undefined ? [] : ["md"]);
    // several files and no --out fail before the captures are read, not after
    assertFormatsHaveDestination(formats, options.out ?? config.out);
    const failOn = options.failOn ?? config.failOn;
    const showProgress = !options.quiet && process.stderr.isTTY === true && streams.stderr === process.stderr;
    const bar = showProgress ? new (await import("cli-progress")).default.SingleBar({ stream: process.stderr, format: "{bar} {percentage}% | {value}/{total} MB | ETA {eta}s", hideCursor: true }) : undefined;
    let barStarted = false;
    // the server log is streamed and merged in time order with bounded memory
    const serverLog = options.serverLog === undefined ? undefined : await loadServerLog(options.serverLog, options.logMap);
    const mergedLog = serverLog === undefined ? undefined : new TimeOrderedLog(serverLog);
    const runOptions: RunAnalyzeOptions = {
      inputs,
      logStream: mergedLog,
      // every worker thread opens its own stream of the log
      ...(options.serverLog === undefined ? {} : { serverLog: { path: options.serverLog, ...(options.logMap === undefined ? {} : { mapPath: options.logMap }) } }),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      onThreads: (command.optsWithGlobals() as { verbose?: boolean }).verbose === true ? (description) => streams.stderr.write(`analyze: ${description}\n`) : undefined,
      protocolPath: options.protocol ?? config.protocol,
      keysPath: options.keys ?? config.keys,
      serverPorts: options.serverPort ?? config.serverPorts,
      analyses,
      settings: settingsWithOptions(config.analyses, analyses, options),
      serverRegions: Object.fromEntries((options.serverRegion ?? []).map(({ name, value }) => [value, name])),
      recordedOptions: {
        only: analyses,
        serverPorts: options.serverPort ?? config.serverPorts ?? [],
        failOn: failOn ?? null,
        serverLog: options.serverLog ?? null,
        serverLogEvents: 0,
        keyFile: options.keys ?? config.keys ?? null,
      },
      onProgress:
        bar === undefined
          ? undefined
          : (bytesRead, totalBytes) => {
              const totalMb = Math.max(1, Math.round(totalBytes / 1e6));
              if (!barStarted) {
                bar.start(totalMb, 0);
                barStarted = true;
              }
              bar.update(Math.min(totalMb, Math.round(bytesRead / 1e6)));
            },
      ...(options.threadCut === undefined ? {} : { threadCut: options.threadCut }),
      ...(options.threadSplit === undefined ? {} : { analysisSplit: options.threadSplit }),
    };
    let result: AnalyzeResult;
    if (options.partial === undefined) {
      result = await runAnalyze(runOptions);
    } else {
      const partial = await writePartialFile(runOptions, options.partial, {
        recordedOptionsAfterRun: (recorded) => (mergedLog === undefined ? recorded : { ...recorded, serverLogEvents: mergedLog.delivered }),
      });
      streams.stderr.write(`wrote partial ${escapeTerminalText(partial.path)} (${partial.captures.length} capture(s), ${partial.sessions} session(s), ${partial.analyses.join(",")}; ${partial.bytes} bytes)\n`);
      // the reports of a partial are those `merge` builds from it alone
      result = mergePartialReports([{ name: partial.path, report: partial.report }], { ...(failOn === undefined ? {} : { failOn }) }).result;
    }
    if (barStarted) bar!.stop();
    if (serverLog !== undefined && mergedLog !== undefined) {
      result.options.serverLogEvents = mergedLog.delivered;
      const logAnomalies = Object.entries({ ...serverLog.summary().anomalies, ...mergedLog.anomalyCounts() }).sort(([left], [right]) => (left < right ? -1 : 1));
      if (logAnomalies.length > 0) {
        streams.stderr.write(`server log: ${logAnomalies.map(([code, count]) => `${code} × ${count}`).join(", ")} (bad lines skipped, out-of-order events merged late)\n`);
      }
    }
    if (formats.length > 0) {
      const written = await writeReports(result, formats, options.out ?? config.out, streams);
      if (!written.includes("-")) streams.stderr.write(`wrote ${written.map(escapeTerminalText).join(", ")}\n`);
    }
    setExitCode(command, exitCodeForFindings(result, failOn));
  });
}
