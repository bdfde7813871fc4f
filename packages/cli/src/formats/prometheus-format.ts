import { Gauge, Registry } from "prom-client";
import type { MetricSample } from "../analysis-section.js";
import type { ReportFormat } from "./report-format.js";

/** Renders metric samples as Prometheus text exposition (through prom-client). */
export async function renderPrometheus(samples: readonly MetricSample[]): Promise<string> {
  const registry = new Registry();
  const gauges = new Map<string, Gauge<string>>();
  const sorted = [...samples].sort((left, right) => left.name.localeCompare(right.name));
  for (const sample of sorted) {
    let gauge = gauges.get(sample.name);
    if (gauge === undefined) {
      const labelNames = [...new Set(sorted.filter((other) => other.name === sample.name).flatMap((other) => Object.keys(other.labels)))].sort();
      gauge = new Gauge({ name: sample.name, help: `${sample.help} (${sample.unit})`, labelNames, registers: [registry] });
      gauges.set(sample.name, gauge);
    }
    gauge.set(sample.labels, sample.value);
  }
  return registry.metrics();
}

/** `--format prom`: Prometheus text exposition of every metric. */
export const prometheusFormat: ReportFormat = {
  name: "prom",
  description: "Prometheus text exposition",
  render: async (result) => [{ fileName: "metrics.prom", text: await renderPrometheus(result.sections.flatMap((section) => section.metrics)) }],
};
