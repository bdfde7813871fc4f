import type { Command } from "commander";
import { stringifyReport } from "@tickscope/core";
import { adapterFor, availableAnalyses } from "../analyses/registry.js";
import type { AnalysisName } from "../analysis-section.js";
import { setExitCode, streamsOf } from "../command-context.js";
import { reportForMachines } from "../formats/machine-values.js";
import { renderMarkdown } from "../formats/markdown-format.js";
import { parseFormatList, parseNamedValue, parsePortOption, parseServerRegion, parseSeverity } from "../options.js";
import { assertFormatsHaveDestination, REPORT_FORMAT_NAMES } from "../report-format-names.js";
import { writeReports } from "../report-output.js";
import { runAnalyze, type AnalyzeInput } from "../run-analyze.js";
import { loadConfig } from "../config-file.js";
import { escapeTerminalDocument, escapeTerminalText } from "../terminal-text.js";
import { addAnalysisSettingOptions, settingsWithOptions } from "../analysis-setting-options.js";
import { exitCodeForFindings } from "./analyze.js";
import type { Severity } from "@tickscope/core";

interface AnalysisCommandOptions {
  protocol?: string;
  keys?: string;
  serverPort?: number[];
  region?: { name: string; value: string }[];
  serverRegion?: { name: string; value: string }[];
  json?: boolean;
  format?: string[];
  out?: string;
  failOn?: Severity;
  config?: string;
  [option: string]: unknown;
}

/**
 * Registers one subcommand per analysis (`tickscope latency`, `loss`,
 * `bandwidth`, `anticheat`, `regions`): the same one pass as `analyze --only
 * <name>`, printing the analysis's own report (`--json`, exactly the package's
 * report shape) or its human section.
 */
export function registerAnalysisCommands(program: Command): void {
  for (const name of availableAnalyses()) registerAnalysisCommand(program, name);
}

/** Registers the subcommand of one analysis (`tickscope latency`...). */
export function registerAnalysisCommand(program: Command, name: AnalysisName): void {
  const adapter = adapterFor(name);
  const command = program
    .command(name)
    .description(`${adapter.question} (the ${name} analysis alone)`)
    .argument("[capture...]", "pcap/pcapng files (.gz ok), or - for stdin")
    .option("--protocol <definition>", "protocol definition JSON")
    .option("--keys <file>", "key file for encrypted protocols")
    .option("--server-port <port>", "a server port (repeatable)", parsePortOption)
    .option("--region <name=capture>", "a capture labelled with its region (repeatable)", (text: string, previous: { name: string; value: string }[] = []) => [
      ...previous,
      parseNamedValue("region", text),
    ])
    .option("--server-region <name=address>", "sessions with this server address belong to region name (repeatable)", (text: string, previous: { name: string; value: string }[] = []) => [
      ...previous,
      parseServerRegion(text),
    ])
    .option("--fail-on <severity>", "exit 1 when a finding is at or above this severity", parseSeverity)
    .option("--config <file>", "config file (default: ./tickscope.config.json when present)")
    .option("--json", `print the ${name} report as JSON`)
    .option("--format <formats>", `report formats: ${REPORT_FORMAT_NAMES.join(",")} (repeatable; as analyze writes them)`, (text: string, previous: string[] | undefined) =>
      parseFormatList(text, REPORT_FORMAT_NAMES, previous),
    )
    .option("--out <directory>", "write the reports into this directory");
  addAnalysisSettingOptions(command, [name]);
  // options that need another pass (augmentReport) belong to this subcommand only
  if (adapter.settingsFromOptions === undefined) for (const option of adapter.commandOptions ?? []) command.option(option.flags, option.description, option.parse as never);
  command.action(async (captures: string[], options: AnalysisCommandOptions, self: Command) => {
    const streams = streamsOf(self);
    const config = await loadConfig(options.config);
    const inputs: AnalyzeInput[] = captures.map((path) => ({ path }));
    for (const { name: region, value } of options.region ?? []) inputs.push({ path: value, region });
    if (inputs.length === 0) self.error("error: give at least one capture (or --region name=capture)", { exitCode: 2, code: "tickscope.noInput" });
    if (options.json && (options.format !== undefined || options.out !== undefined)) {
      self.error("error: --json prints the analysis's own report; use --format json --out <directory> for the full report file", { exitCode: 2, code: "tickscope.conflictingOptions" });
    }
    // several files and no --out fail before the analysis runs, not after
    if (options.format !== undefined) assertFormatsHaveDestination(options.format, options.out);
    const settings = settingsWithOptions(config.analyses, [name], options);
    const result = await runAnalyze({
      inputs,
      protocolPath: options.protocol ?? config.protocol,
      keysPath: options.keys ?? config.keys,
      serverPorts: options.serverPort ?? config.serverPorts,
      analyses: [name],
      settings,
      serverRegions: Object.fromEntries((options.serverRegion ?? []).map(({ name: region, value }) => [value, region])),
      recordedOptions: { only: [name], keyFile: options.keys ?? config.keys ?? null },
    });
    const section = result.sections[0]!;
    if (adapter.augmentReport !== undefined) section.report = await adapter.augmentReport(section.report, options, captures);
    if (options.format !== undefined || options.out !== undefined) {
      const written = await writeReports(result, options.format ?? ["md"], options.out, streams);
      if (!written.includes("-")) streams.stderr.write(`wrote ${written.map(escapeTerminalText).join(", ")}\n`);
    } else {
      streams.stdout.write(options.json ? `${stringifyReport(reportForMachines(section.report))}\n` : escapeTerminalDocument(renderMarkdown(result)));
    }
    setExitCode(self, exitCodeForFindings(result, options.failOn ?? config.failOn));
  });
}
