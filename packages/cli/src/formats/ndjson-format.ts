import { stringifyReport } from "@tickscope/core";
import type { ReportFormat } from "./report-format.js";

/**
 * `--format ndjson`: one event per line for log pipelines: `finding`,
 * `recommendation` and `metric` events, each with its analysis.
 */
export const ndjsonFormat: ReportFormat = {
  name: "ndjson",
  description: "one event per line (findings, recommendations, metrics)",
  render(result) {
    const lines: string[] = [];
    for (const section of result.sections) {
      for (const finding of section.findings) lines.push(stringifyReport({ event: "finding", ...finding }, 0));
      for (const recommendation of section.recommendations) {
        lines.push(stringifyReport({ event: "recommendation", ...recommendation }, 0));
      }
      for (const metric of section.metrics) {
        lines.push(stringifyReport({ event: "metric", analysis: section.analysis, ...metric }, 0));
      }
    }
    return [{ fileName: "events.ndjson", text: lines.length === 0 ? "" : `${lines.join("\n")}\n` }];
  },
};
