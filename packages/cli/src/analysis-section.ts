import type { Finding, Recommendation } from "@tickscope/core";

/** The five analyses `tickscope analyze` can run, in report order. */
export const ANALYSIS_NAMES = ["latency", "loss", "bandwidth", "anticheat", "regions"] as const;

/** One analysis name. */
export type AnalysisName = (typeof ANALYSIS_NAMES)[number];

/** One numeric metric for telemetry exporters (Prometheus, OTLP, NDJSON, CSV). */
export interface MetricSample {
  /** Metric name in snake case with the unit as suffix, e.g. `tickscope_rtt_p95_ms`. */
  name: string;
  /** One line describing the metric. */
  help: string;
  /** Unit (UCUM-style: `ms`, `By/s`, `1`). */
  unit: string;
  /** The value. */
  value: number;
  /** Labels (session, direction, region, ...), sorted by key when exported. */
  labels: Record<string, string>;
}

/** A table of rows for CSV and the human formats. */
export interface ReportTable {
  /** Table name, used as the CSV file name (`<name>.csv`). */
  name: string;
  /** Rows; every row has the same keys in the same order. */
  rows: Record<string, string | number | boolean | null>[];
  /**
   * Columns holding capture times (µs since the epoch, named `…Us`): human
   * formats print them as ISO + offset from the capture start (`startUs` →
   * `start`), CSV as integer µs with an ISO column beside.
   */
  timeColumns?: string[];
  /** When set, the HTML report draws the table as a bar chart of `valueColumn` by `labelColumn`. */
  bar?: { labelColumn: string; valueColumn: string; unit: string };
}

/** A time series for charts (latency timeline, bytes per second...). */
export interface ReportSeries {
  /** Series title. */
  name: string;
  /** Unit of the values. */
  unit: string;
  /** Points as `[tUs, value]`, in time order. */
  points: [number, number][];
  /** Intervals to mark on the chart (spikes, loss bursts). */
  marks: { startUs: number; endUs: number; label: string }[];
}

/**
 * What one analysis contributes to `tickscope analyze`: its answer in human
 * sentences, its findings and recommendations, metrics and tables for the
 * exporters, and its full typed report (kept verbatim in the JSON output).
 * The CLI builds one per analysis in `analyses/<name>.ts`: that file is where
 * every number of a human report comes from.
 */
export interface AnalysisSection {
  /** Which analysis. */
  analysis: AnalysisName;
  /** The question it answers, e.g. "What caused the latency spikes?". */
  question: string;
  /** The answer, a few human sentences, most important first. */
  answer: string[];
  /** Findings, most severe first. */
  findings: Finding[];
  /** Recommendations, largest measured effect first. */
  recommendations: Recommendation[];
  /** Metrics for telemetry. */
  metrics: MetricSample[];
  /** Tables for CSV and the human formats. */
  tables: ReportTable[];
  /** Time series for charts. */
  series: ReportSeries[];
  /** The analysis package's own report, verbatim. */
  report: unknown;
}
