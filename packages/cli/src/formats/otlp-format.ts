import { ValueType, type HrTime } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { JsonLogsSerializer, JsonMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableLogRecord } from "@opentelemetry/sdk-logs";
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { stringifyReport, type Severity } from "@tickscope/core";
import type { AnalyzeResult } from "../analyze-result.js";
import { reportForMachines } from "./machine-values.js";
import type { ReportFormat } from "./report-format.js";

const SCOPE = { name: "tickscope", version: undefined as string | undefined };

/** Converts µs since the epoch to an OpenTelemetry HrTime `[seconds, nanoseconds]`. */
export function microsecondsToHrTime(timeUs: number): HrTime {
  const seconds = Math.floor(timeUs / 1_000_000);
  const nanoseconds = Math.round((timeUs - seconds * 1_000_000) * 1000);
  return nanoseconds >= 1_000_000_000 ? [seconds + 1, nanoseconds - 1_000_000_000] : [seconds, nanoseconds];
}

const SEVERITY_NUMBERS: Record<Severity, SeverityNumber> = {
  info: SeverityNumber.INFO,
  low: SeverityNumber.INFO2,
  medium: SeverityNumber.WARN,
  high: SeverityNumber.ERROR,
  critical: SeverityNumber.FATAL,
};

function captureWindow(result: AnalyzeResult): { startUs: number; endUs: number } {
  if (result.captures.length === 0) return { startUs: 0, endUs: 0 };
  return {
    startUs: Math.min(...result.captures.map((capture) => capture.firstUs)),
    endUs: Math.max(...result.captures.map((capture) => capture.lastUs)),
  };
}

/** Builds OTLP ResourceMetrics: one gauge per metric name, one data point per label set. */
export function buildResourceMetrics(result: AnalyzeResult): ResourceMetrics {
  const { startUs, endUs } = captureWindow(result);
  const byName = new Map<string, MetricData>();
  for (const section of result.sections) {
    for (const sample of section.metrics) {
      let metric = byName.get(sample.name);
      if (metric === undefined) {
        metric = {
          descriptor: { name: sample.name, description: sample.help, unit: sample.unit, valueType: ValueType.DOUBLE },
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.GAUGE,
          dataPoints: [],
        };
        byName.set(sample.name, metric);
      }
      (metric.dataPoints as { startTime: HrTime; endTime: HrTime; attributes: Record<string, string>; value: number }[]).push({
        startTime: microsecondsToHrTime(startUs),
        endTime: microsecondsToHrTime(endUs),
        attributes: { analysis: section.analysis, ...sample.labels },
        value: sample.value,
      });
    }
  }
  return {
    resource: resourceFromAttributes({ "service.name": "tickscope", "service.version": result.toolVersion }),
    scopeMetrics: [{ scope: { ...SCOPE, version: result.toolVersion }, metrics: [...byName.values()] }],
  };
}

/** Builds OTLP log records: one per finding, severity mapped, evidence as attributes. */
export function buildLogRecords(result: AnalyzeResult): ReadableLogRecord[] {
  const resource = resourceFromAttributes({ "service.name": "tickscope", "service.version": result.toolVersion });
  return result.sections.flatMap((section) =>
    section.findings.map((finding) => ({
      hrTime: microsecondsToHrTime(finding.startUs),
      hrTimeObserved: microsecondsToHrTime(finding.endUs),
      severityText: finding.severity.toUpperCase(),
      severityNumber: SEVERITY_NUMBERS[finding.severity],
      body: finding.summary,
      eventName: `tickscope.${finding.analysis}.${finding.kind}`,
      resource,
      instrumentationScope: { name: "tickscope", version: result.toolVersion },
      attributes: {
        "tickscope.finding.id": finding.id,
        "tickscope.analysis": finding.analysis,
        "tickscope.kind": finding.kind,
        "tickscope.session": finding.session ?? "",
        "tickscope.player": finding.player ?? "",
        "tickscope.end_us": Math.round(finding.endUs),
        "tickscope.evidence": stringifyReport(reportForMachines(finding.evidence), 0),
      },
      droppedAttributesCount: 0,
    })),
  );
}

const decoder = new TextDecoder();

/**
 * `--format otlp`: OpenTelemetry OTLP/JSON, serialized by the official
 * `@opentelemetry/otlp-transformer`: `otlp-metrics.json` (an
 * ExportMetricsServiceRequest) and `otlp-logs.json` (an ExportLogsServiceRequest
 * with one record per finding), ready to POST to a collector's `/v1/metrics`
 * and `/v1/logs`.
 */
export const otlpFormat: ReportFormat = {
  name: "otlp",
  description: "OpenTelemetry OTLP/JSON metrics and logs",
  render(result) {
    const metrics = JsonMetricsSerializer.serializeRequest(buildResourceMetrics(result));
    const logs = JsonLogsSerializer.serializeRequest(buildLogRecords(result));
    return [
      { fileName: "otlp-metrics.json", text: `${decoder.decode(metrics)}\n` },
      { fileName: "otlp-logs.json", text: `${decoder.decode(logs)}\n` },
    ];
  },
};
