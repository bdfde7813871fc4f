import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode, TickscopeError } from "@tickscope/core";
import type { AnalyzeResult } from "./analyze-result.js";
import { REPORT_FORMATS, type RenderedFile } from "./formats/index.js";
import type { CliStreams } from "./run-cli.js";

/**
 * Renders `result` in every requested format and writes the files into
 * `outDirectory`; without one, a single-file format goes to stdout. Returns the
 * paths written (or `-` for stdout).
 */
export async function writeReports(
  result: AnalyzeResult,
  formats: readonly string[],
  outDirectory: string | undefined,
  streams: CliStreams,
): Promise<string[]> {
  const files: RenderedFile[] = [];
  for (const format of formats) files.push(...(await REPORT_FORMATS[format]!.render(result)));
  if (outDirectory === undefined) {
    if (files.length !== 1) {
      throw new TickscopeError(ErrorCode.invalidOption, `--format ${formats.join(",")} writes ${files.length} files`, {
        hint: "add --out <directory> to write them, or choose one single-file format (json, ndjson, md, prom, html)",
      });
    }
    streams.stdout.write(files[0]!.text);
    return ["-"];
  }
  await mkdir(outDirectory, { recursive: true });
  const written: string[] = [];
  for (const file of files) {
    const path = join(outDirectory, file.fileName);
    await writeFile(path, file.text);
    written.push(path);
  }
  return written;
}
