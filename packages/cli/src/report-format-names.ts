import { ErrorCode, TickscopeError } from "@tickscope/core";

/**
 * The `--format` names (the renderers live in `formats/`, loaded only when a
 * report is written). Kept apart so that option and config validation do not
 * load the exporters.
 */
export const REPORT_FORMAT_NAMES = ["json", "ndjson", "csv", "md", "otlp", "prom", "html"] as const;

/** One `--format` name. */
export type ReportFormatName = (typeof REPORT_FORMAT_NAMES)[number];

/** Formats that write several files (`csv`: one per table; `otlp`: metrics and logs), so they need `--out`. */
export const MULTI_FILE_FORMAT_NAMES: ReadonlySet<string> = new Set<ReportFormatName>(["csv", "otlp"]);

/**
 * Throws `E_INVALID_OPTION` before any work when `formats` cannot go to
 * stdout and no output directory is given: several formats, or a format that
 * writes several files. (Checked again, by the files rendered, when writing.)
 */
export function assertFormatsHaveDestination(formats: readonly string[], outDirectory: string | undefined): void {
  if (outDirectory !== undefined) return;
  const multiFile = formats.filter((format) => MULTI_FILE_FORMAT_NAMES.has(format));
  if (formats.length <= 1 && multiFile.length === 0) return;
  throw new TickscopeError(
    ErrorCode.invalidOption,
    `--format ${formats.join(",")} writes ${multiFile.length > 0 ? `several files (${multiFile.join(", ")}: one per table/signal)` : `${formats.length} files`}`,
    { hint: "add --out <directory> to write them, or choose one single-file format (json, ndjson, md, prom, html)" },
  );
}
