import { describe, expect, it } from "vitest";
import { Ajv } from "ajv";
import { parse as parseCsv } from "csv-parse/sync";
import { createRequire } from "node:module";
import { REPORT_FORMATS, microsecondsToHrTime, renderMarkdownTable, formatNumber } from "./index.js";
import { AnalyzeReportSchema } from "../report-document.js";
import { sampleAnalyzeResult } from "../test-support/sample-result.js";

const require = createRequire(import.meta.url);
const parsePrometheusTextFormat = require("parse-prometheus-text-format") as (text: string) => { name: string; type: string; metrics: { value: string; labels?: Record<string, string> }[] }[];

async function renderOne(format: string, fileName: string): Promise<string> {
  const files = await REPORT_FORMATS[format]!.render(sampleAnalyzeResult());
  const file = files.find((candidate) => candidate.fileName === fileName);
  expect(file, `${format} wrote ${fileName}`).toBeDefined();
  return file!.text;
}

describe("json format", () => {
  it("validates against the published JSON Schema with an independent validator (ajv)", async () => {
    const document = JSON.parse(await renderOne("json", "report.json"));
    const validate = new Ajv({ strict: false }).compile(JSON.parse(JSON.stringify(AnalyzeReportSchema)));
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(document.report.findings).toHaveLength(1);
    expect(document.report.recommendations[0].after).toBe(400);
    expect(document.report.analyses.latency).toEqual({ spikes: 1 });
    document.report.findings[0].severity = "apocalyptic";
    expect(validate(document)).toBe(false);
  });

  it("is byte-identical across runs", async () => {
    expect(await renderOne("json", "report.json")).toBe(await renderOne("json", "report.json"));
  });
});

describe("ndjson format", () => {
  it("writes one parseable event per line", async () => {
    const lines = (await renderOne("ndjson", "events.ndjson")).trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(lines.map((line) => line.event)).toEqual(["finding", "metric", "metric", "recommendation", "metric"]);
    expect(lines[1]).toMatchObject({ analysis: "latency", name: "tickscope_rtt_p95_ms", value: 61.5 });
  });
});

describe("csv format", () => {
  it("writes per-session and analysis tables that a CSV parser reads back", async () => {
    const sessions = parseCsv(await renderOne("csv", "sessions.csv"), { columns: true }) as Record<string, string>[];
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.player).toBe('alice, "the" sniper');
    expect(sessions[0]!.serverToClientBytes).toBe("7000");
    const latency = parseCsv(await renderOne("csv", "latency-sessions.csv"), { columns: true }) as Record<string, string>[];
    expect(latency[0]).toEqual({ session: "s1", rttP50Ms: "40", rttP95Ms: "61.5", hasSpike: "true" });
  });

  it("writes findings.csv and recommendations.csv, the files the markdown's 'more rows' line names", async () => {
    const result = sampleAnalyzeResult();
    const latency = result.sections.find((section) => section.analysis === "latency")!;
    const template = latency.findings[0]!;
    latency.findings = Array.from({ length: 20 }, (_, index) => ({ ...template, id: `latency.spike.${index}`, startUs: template.startUs + index * 1000.4 }));
    const files = await REPORT_FORMATS.csv!.render(result);
    const findings = parseCsv(files.find((file) => file.fileName === "findings.csv")!.text, { columns: true }) as Record<string, string>[];
    expect(findings).toHaveLength(20);
    expect(findings[0]).toMatchObject({ id: "latency.spike.0", analysis: "latency", severity: template.severity, summary: template.summary });
    expect(findings[1]!.startUs).toMatch(/^\d+$/);
    const recommendations = parseCsv(files.find((file) => file.fileName === "recommendations.csv")!.text, { columns: true }) as Record<string, string>[];
    expect(recommendations[0]).toMatchObject({ title: "Delta-encode snapshots", before: "1000", after: "400", verified: "true" });
    const markdown = (await REPORT_FORMATS.md!.render(result))[0]!.text;
    expect(markdown).toContain("… 5 more rows in `findings.csv` (`--format csv`) and `report.json` (`--format json`)");
    expect(markdown).not.toContain("CSV/JSON output");
  });
});

describe("md format", () => {
  it("puts the answers first, then details, and escapes table cells", async () => {
    const text = await renderOne("md", "report.md");
    expect(text.indexOf("## Answers")).toBeLessThan(text.indexOf("## Details"));
    expect(text).toContain("When did latency spike, and why?");
    expect(text).toContain("E_DECRYPT_FAILED × 2");
    expect(text).toContain("| Delta-encode snapshots | bytesPerSecond | 1000 | 400 | yes |");
    expect(renderMarkdownTable([{ a: "x|y" }])).toContain("x\\|y");
    expect(renderMarkdownTable([])).toBe("_none_\n");
    expect(formatNumber(1.23456)).toBe("1.235");
    expect(formatNumber(Number.NaN)).toBe("NaN");
  });
});

describe("prom format", () => {
  it("is valid Prometheus text exposition (parsed back by an independent parser)", async () => {
    const families = parsePrometheusTextFormat(await renderOne("prom", "metrics.prom"));
    const rtt = families.find((family) => family.name === "tickscope_rtt_p95_ms")!;
    expect(rtt.type).toBe("GAUGE");
    expect(rtt.metrics).toHaveLength(2);
    expect(rtt.metrics.map((metric) => Number(metric.value)).sort()).toEqual([44, 61.5]);
    expect(families.find((family) => family.name === "tickscope_bytes_per_second")!.metrics[0]!.labels).toEqual({ type: "snapshot" });
  });
});

describe("otlp format", () => {
  it("writes OTLP/JSON ExportMetricsServiceRequest and ExportLogsServiceRequest per the spec", async () => {
    const metrics = JSON.parse(await renderOne("otlp", "otlp-metrics.json"));
    const resourceMetrics = metrics.resourceMetrics[0];
    expect(resourceMetrics.resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "tickscope" } });
    const gauge = resourceMetrics.scopeMetrics[0].metrics.find((metric: { name: string }) => metric.name === "tickscope_rtt_p95_ms");
    expect(gauge.unit).toBe("ms");
    expect(gauge.gauge.dataPoints).toHaveLength(2);
    const point = gauge.gauge.dataPoints[0];
    expect(typeof point.timeUnixNano === "string" || typeof point.timeUnixNano === "number").toBe(true);
    expect(BigInt(point.timeUnixNano)).toBe(1_700_000_010_000_000_000n);
    expect(point.asDouble).toBe(61.5);
    const logs = JSON.parse(await renderOne("otlp", "otlp-logs.json"));
    const record = logs.resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(record.severityText).toBe("HIGH");
    expect(record.body).toEqual({ stringValue: "RTT rose from 40 ms to 180 ms" });
    expect(BigInt(record.timeUnixNano)).toBe(1_700_000_003_000_000_000n);
  });

  it("converts µs to HrTime exactly", () => {
    expect(microsecondsToHrTime(1_500_000.5)).toEqual([1, 500_000_500]);
    expect(microsecondsToHrTime(1_999_999.9999999)).toEqual([2, 0]);
  });
});
