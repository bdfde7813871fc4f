import { stringifyReport } from "@tickscope/core";
import { reportForMachines } from "./machine-values.js";
import type { ReportFormat } from "./report-format.js";

/**
 * `--format ndjson`: one event per line for log pipelines: `finding`,
 * `recommendation` and `metric` events, each with its analysis (times in
 * whole µs, evidence with Wireshark `frameNumbers`: see `reportForMachines`).
 */
export const ndjsonFormat: ReportFormat = {
  name: "ndjson",
  description: "one event per line (findings, recommendations, metrics)",
  render(result) {
    const lines: string[] = [];
    for (const section of result.sections) {
      for (const finding of section.findings) lines.push(stringifyReport(reportForMachines({ event: "finding", ...finding }), 0));
      for (const recommendation of section.recommendations) {
        lines.push(stringifyReport(reportForMachines({ event: "recommendation", ...recommendation }), 0));
      }
      for (const metric of section.metrics) {
        lines.push(stringifyReport(reportForMachines({ event: "metric", analysis: section.analysis, ...metric }), 0));
      }
    }
    return [{ fileName: "events.ndjson", text: lines.length === 0 ? "" : `${lines.join("\n")}\n` }];
  },
};
