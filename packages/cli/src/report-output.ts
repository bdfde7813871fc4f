import { join } from "node:path";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import type { AnalyzeResult } from "./analyze-result.js";
import { loadReportFormat } from "./formats/load-report-format.js";
import type { RenderedFile } from "./formats/report-format.js";
import type { CliStreams } from "./run-cli.js";
import { escapeTerminalDocument } from "./terminal-text.js";
import { ensureOutputDirectory, writeFilesAtomically } from "./write-files-atomically.js";

/** Formats whose stdout output is text laid out for a terminal (control characters from input are escaped). */
const TERMINAL_TEXT_FORMATS: ReadonlySet<string> = new Set(["md"]);

/**
 * Renders `result` in every requested format and writes the files into
 * `outDirectory` (all or none: see {@link writeFilesAtomically}); without one,
 * a single-file format goes to stdout. Returns the paths written (or `-` for
 * stdout).
 */
export async function writeReports(
  result: AnalyzeResult,
  formats: readonly string[],
  outDirectory: string | undefined,
  streams: CliStreams,
): Promise<string[]> {
  const files: RenderedFile[] = [];
  for (const format of formats) files.push(...(await (await loadReportFormat(format)).render(result)));
  if (outDirectory === undefined) {
    if (files.length !== 1) {
      throw new TickscopeError(ErrorCode.invalidOption, `--format ${formats.join(",")} writes ${files.length} files`, {
        hint: "add --out <directory> to write them, or choose one single-file format (json, ndjson, md, prom, html)",
      });
    }
    streams.stdout.write(formats.length === 1 && TERMINAL_TEXT_FORMATS.has(formats[0]!) ? escapeTerminalDocument(files[0]!.text) : files[0]!.text);
    return ["-"];
  }
  await ensureOutputDirectory(outDirectory);
  const pending = files.map((file) => ({ path: join(outDirectory, file.fileName), text: file.text }));
  await writeFilesAtomically(pending);
  return pending.map((file) => file.path);
}
