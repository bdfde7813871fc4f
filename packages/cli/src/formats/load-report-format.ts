import { ErrorCode, TickscopeError } from "@tickscope/core";
import { REPORT_FORMAT_NAMES, type ReportFormatName } from "../report-format-names.js";
import type { ReportFormat } from "./report-format.js";

/**
 * Loads each report format on demand: a run that writes Markdown and JSON
 * does not load the OpenTelemetry, Prometheus or HTML renderers.
 */
const REPORT_FORMAT_LOADERS: Readonly<Record<ReportFormatName, () => Promise<ReportFormat>>> = {
  json: async () => (await import("./json-format.js")).jsonFormat,
  ndjson: async () => (await import("./ndjson-format.js")).ndjsonFormat,
  csv: async () => (await import("./csv-format.js")).csvFormat,
  md: async () => (await import("./markdown-format.js")).markdownFormat,
  otlp: async () => (await import("./otlp-format.js")).otlpFormat,
  prom: async () => (await import("./prometheus-format.js")).prometheusFormat,
  html: async () => (await import("./html-format.js")).htmlFormat,
};

/** Loads the report format `name` (`E_INVALID_OPTION` for a name that is not one, `constructor` included). */
export async function loadReportFormat(name: string): Promise<ReportFormat> {
  if (!Object.hasOwn(REPORT_FORMAT_LOADERS, name)) {
    throw new TickscopeError(ErrorCode.invalidOption, `unknown format '${name}'`, { hint: `choose from ${REPORT_FORMAT_NAMES.join(", ")}` });
  }
  return REPORT_FORMAT_LOADERS[name as ReportFormatName]();
}
