import { stringifyReport } from "@tickscope/core";
import { buildReportDocument } from "../report-document.js";
import { reportForMachines } from "./machine-values.js";
import type { ReportFormat } from "./report-format.js";

/** `--format json`: the full report, valid against `tickscope schema report` (whole µs, frame numbers: see `reportForMachines`). */
export const jsonFormat: ReportFormat = {
  name: "json",
  description: "the full report (JSON Schema: tickscope schema report)",
  render: (result) => [{ fileName: "report.json", text: `${stringifyReport(reportForMachines(buildReportDocument(result)))}\n` }],
};
