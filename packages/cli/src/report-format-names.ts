/**
 * The `--format` names (the renderers live in `formats/`, loaded only when a
 * report is written). Kept apart so that option and config validation do not
 * load the exporters.
 */
export const REPORT_FORMAT_NAMES = ["json", "ndjson", "csv", "md", "otlp", "prom", "html"] as const;

/** One `--format` name. */
export type ReportFormatName = (typeof REPORT_FORMAT_NAMES)[number];
