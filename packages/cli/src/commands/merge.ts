import type { Command } from "commander";
import { setExitCode, streamsOf } from "../command-context.js";
import { mergePartialFiles } from "../merge-partials.js";
import { parseFormatList, parseSeverity } from "../options.js";
import { assertFormatsHaveDestination, REPORT_FORMAT_NAMES } from "../report-format-names.js";
import { escapeTerminalText } from "../terminal-text.js";
import { ExitCode } from "../exit-code.js";
import type { Severity } from "@tickscope/core";
import { exitCodeForFindings } from "./analyze.js";

interface MergeCommandOptions {
  format?: string[];
  out?: string;
  failOn?: Severity;
}

/** Registers `tickscope merge <partial...>`: the report of one pass over every partial's captures. */
export function registerMergeCommand(program: Command): void {
  program
    .command("merge")
    .description("merge partial reports (analyze --partial) into the report one analyze over all their captures gives")
    .argument("<partial...>", "partial report files (.tspart)")
    .option("--format <formats>", `report formats: ${REPORT_FORMAT_NAMES.join(",")} (repeatable; default md)`, (text: string, previous: string[] | undefined) =>
      parseFormatList(text, REPORT_FORMAT_NAMES, previous),
    )
    .option("--out <directory>", "write the reports into this directory")
    .option("--fail-on <severity>", "exit 1 when a finding is at or above this severity (info, low, medium, high, critical)", parseSeverity)
    .action(async (paths: string[], options: MergeCommandOptions, command: Command) => {
      const streams = streamsOf(command);
      const formats = options.format ?? ["md"];
      assertFormatsHaveDestination(formats, options.out);
      const merged = await mergePartialFiles(paths, { formats, ...(options.out === undefined ? {} : { out: options.out }), ...(options.failOn === undefined ? {} : { failOn: options.failOn }), streams });
      for (const skipped of merged.skipped) streams.stderr.write(`merge: ${escapeTerminalText(skipped.name)} skipped: ${escapeTerminalText(skipped.reason)}\n`);
      if (!merged.written.includes("-")) streams.stderr.write(`wrote ${merged.written.map(escapeTerminalText).join(", ")}\n`);
      setExitCode(command, options.failOn === undefined ? ExitCode.ok : exitCodeForFindings(merged.result, options.failOn));
    });
}
