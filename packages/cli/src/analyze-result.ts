import type { OtherTraffic, ReportInput, Session } from "@tickscope/core";
import type { AnalysisSection } from "./analysis-section.js";

/** A capture's summary as the report shows it. */
export interface CaptureSummaryRecord {
  file: string;
  format: string;
  packets: number;
  bytes: number;
  firstUs: number;
  lastUs: number;
  linkTypes: number[];
  anomalies: Record<string, number>;
}

/** Everything one `tickscope analyze` run produced; the input of every report format. */
export interface AnalyzeResult {
  /** tickscope version. */
  toolVersion: string;
  /** ISO-8601; fixed unless `--generated-at now` (deterministic by default). */
  generatedAt: string;
  /** Inputs (captures, definition, logs). */
  inputs: ReportInput[];
  /** Effective options. */
  options: Record<string, unknown>;
  /** One summary per capture. */
  captures: CaptureSummaryRecord[];
  /** Sessions seen. */
  sessions: Session[];
  /** Decode anomalies by code. */
  decodeAnomalies: Record<string, number>;
  /**
   * Traffic that is not the game's (other ports, datagrams failing the
   * definition's `match`, TCP): counted, never decoded or analyzed. Absent when
   * nothing was gated (no protocol and no `--server-port`).
   */
  otherTraffic?: OtherTraffic;
  /** One section per analysis that ran, in {@link ANALYSIS_NAMES} order. */
  sections: AnalysisSection[];
}
