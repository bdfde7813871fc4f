import { csvFormat } from "./csv-format.js";
import { htmlFormat } from "./html-format.js";
import { jsonFormat } from "./json-format.js";
import { markdownFormat } from "./markdown-format.js";
import { ndjsonFormat } from "./ndjson-format.js";
import { otlpFormat } from "./otlp-format.js";
import { prometheusFormat } from "./prometheus-format.js";
import type { ReportFormat } from "./report-format.js";

export type { ReportFormat, RenderedFile } from "./report-format.js";
export { renderCsvTable } from "./csv-format.js";
export { renderMarkdown, renderMarkdownTable } from "./markdown-format.js";
export { formatNumber, formatCaptureTime, formatOffsetSeconds, wholeMicroseconds } from "./human-values.js";
export { renderHtml, escapeHtml, serializeScriptJson } from "./html-format.js";
export { buildHtmlViewModel, sortFindingsForHtml, type HtmlViewModel } from "./html-view-model.js";
export { renderPrometheus } from "./prometheus-format.js";
export { buildResourceMetrics, buildLogRecords, microsecondsToHrTime } from "./otlp-format.js";

/** Every report format by `--format` name. */
export const REPORT_FORMATS: Readonly<Record<string, ReportFormat>> = {
  json: jsonFormat,
  ndjson: ndjsonFormat,
  csv: csvFormat,
  md: markdownFormat,
  otlp: otlpFormat,
  prom: prometheusFormat,
  html: htmlFormat,
};
