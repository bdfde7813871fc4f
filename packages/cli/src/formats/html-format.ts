import { formatTimeUs } from "@tickscope/core";
import type { AnalyzeResult } from "../analyze-result.js";
import type { ReportSeries, ReportTable } from "../analysis-section.js";
import { formatNumber } from "./markdown-format.js";
import type { ReportFormat } from "./report-format.js";

const WIDTH = 760;
const HEIGHT = 220;
const MARGIN = 40;
const MAX_POINTS = 2000;

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function thin(points: [number, number][]): [number, number][] {
  if (points.length <= MAX_POINTS) return points;
  const step = points.length / MAX_POINTS;
  const result: [number, number][] = [];
  for (let index = 0; index < MAX_POINTS; index++) result.push(points[Math.floor(index * step)]!);
  return result;
}

/** Renders a time series as an inline SVG line chart with marked intervals. */
export function renderLineChart(series: ReportSeries): string {
  const points = thin(series.points);
  const title = `${series.name} (${series.unit})`;
  if (points.length === 0) return `<figure class="chart line-chart" data-series="${escapeHtml(series.name)}"><figcaption>${escapeHtml(title)}: no data</figcaption></figure>`;
  const minT = points[0]![0];
  const maxT = Math.max(points[points.length - 1]![0], minT + 1);
  const maxV = Math.max(...points.map((point) => point[1]), 1e-9);
  const x = (t: number) => MARGIN + ((t - minT) / (maxT - minT)) * (WIDTH - 2 * MARGIN);
  const y = (v: number) => HEIGHT - MARGIN - (v / maxV) * (HEIGHT - 2 * MARGIN);
  const marks = series.marks
    .map(
      (mark) =>
        `<rect class="mark" x="${x(mark.startUs).toFixed(1)}" y="${MARGIN}" width="${Math.max(2, x(mark.endUs) - x(mark.startUs)).toFixed(1)}" height="${HEIGHT - 2 * MARGIN}" fill="#f4a" fill-opacity="0.25"><title>${escapeHtml(mark.label)}</title></rect>`,
    )
    .join("");
  const path = points.map((point) => `${x(point[0]).toFixed(1)},${y(point[1]).toFixed(1)}`).join(" ");
  return (
    `<figure class="chart line-chart" data-series="${escapeHtml(series.name)}"><figcaption>${escapeHtml(title)}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(title)}">` +
    `<line x1="${MARGIN}" y1="${HEIGHT - MARGIN}" x2="${WIDTH - MARGIN}" y2="${HEIGHT - MARGIN}" stroke="#999"/>` +
    `<line x1="${MARGIN}" y1="${MARGIN}" x2="${MARGIN}" y2="${HEIGHT - MARGIN}" stroke="#999"/>` +
    `<text x="4" y="${MARGIN}" font-size="10">${formatNumber(maxV)}</text>` +
    `<text x="${MARGIN}" y="${HEIGHT - 8}" font-size="10">${escapeHtml(formatTimeUs(minT).slice(11, 23))}</text>` +
    `<text x="${WIDTH - MARGIN - 70}" y="${HEIGHT - 8}" font-size="10">${escapeHtml(formatTimeUs(maxT).slice(11, 23))}</text>` +
    `${marks}<polyline fill="none" stroke="#2563eb" stroke-width="1.2" points="${path}"/></svg></figure>`
  );
}

/** Renders a table as an inline SVG horizontal bar chart. */
export function renderBarChart(table: ReportTable): string {
  const bar = table.bar!;
  const rows = table.rows.slice(0, 30);
  const maxValue = Math.max(...rows.map((row) => Number(row[bar.valueColumn]) || 0), 1e-9);
  const rowHeight = 18;
  const height = rows.length * rowHeight + 20;
  const bars = rows
    .map((row, index) => {
      const value = Number(row[bar.valueColumn]) || 0;
      const width = (value / maxValue) * (WIDTH - 260);
      const top = 10 + index * rowHeight;
      return (
        `<text x="0" y="${top + 12}" font-size="11">${escapeHtml(String(row[bar.labelColumn]))}</text>` +
        `<rect class="bar" x="200" y="${top}" width="${width.toFixed(1)}" height="${rowHeight - 4}" fill="#16a34a"/>` +
        `<text x="${(205 + width).toFixed(1)}" y="${top + 12}" font-size="11">${formatNumber(value)} ${escapeHtml(bar.unit)}</text>`
      );
    })
    .join("");
  return (
    `<figure class="chart bar-chart" data-table="${escapeHtml(table.name)}"><figcaption>${escapeHtml(table.name)}: ${escapeHtml(bar.valueColumn)}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img">${bars}</svg></figure>`
  );
}

function markdownTableToHtml(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "<p><em>none</em></p>";
  const columns = Object.keys(rows[0]!);
  const head = columns.map((column) => `<th>${escapeHtml(column)}</th>`).join("");
  const body = rows
    .slice(0, 50)
    .map((row) => `<tr>${columns.map((column) => `<td>${escapeHtml(row[column] === null || row[column] === undefined ? "" : typeof row[column] === "number" ? formatNumber(row[column] as number) : String(row[column]))}</td>`).join("")}</tr>`)
    .join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}


/** Renders the whole report as one self-contained HTML page (inline CSS and SVG, no scripts, no external assets). */
export function renderHtml(result: AnalyzeResult): string {
  const sections = result.sections
    .map((section) => {
      const charts = [...section.series.map(renderLineChart), ...section.tables.filter((table) => table.bar).map(renderBarChart)].join("");
      const findings = markdownTableToHtml(
        section.findings.map((finding) => ({ severity: finding.severity, kind: finding.kind, start: formatTimeUs(finding.startUs), who: finding.player ?? finding.session ?? "", summary: finding.summary })),
      );
      const recommendations = markdownTableToHtml(
        section.recommendations.map((recommendation) => ({ change: recommendation.title, metric: recommendation.metric, before: recommendation.before, after: recommendation.after, measured: recommendation.verified ? "yes" : "no" })),
      );
      return (
        `<section id="${section.analysis}"><h2>${escapeHtml(section.analysis)}: ${escapeHtml(section.question)}</h2>` +
        `<ul>${section.answer.map((sentence) => `<li>${escapeHtml(sentence)}</li>`).join("")}</ul>${charts}` +
        `<h3>Findings</h3>${findings}<h3>Recommendations</h3>${recommendations}</section>`
      );
    })
    .join("\n");
  const packets = result.captures.reduce((sum, capture) => sum + capture.packets, 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tickscope report</title>
<style>body{font-family:system-ui,sans-serif;max-width:880px;margin:2em auto;color:#111}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}figure{margin:1em 0}figcaption{font-weight:600;font-size:13px}</style>
</head><body><h1>tickscope report</h1>
<p>${result.captures.length} capture(s), ${packets} packets, ${result.sessions.length} session(s). tickscope ${escapeHtml(result.toolVersion)}.</p>
${sections}
</body></html>
`;
}

/** `--format html`: one self-contained file with charts. */
export const htmlFormat: ReportFormat = {
  name: "html",
  description: "one self-contained HTML file with charts",
  render: (result) => [{ fileName: "report.html", text: renderHtml(result) }],
};
