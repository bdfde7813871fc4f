import { stringify } from "csv-stringify/sync";
import { formatEndpoint, formatTimeUs } from "@tickscope/core";
import type { AnalyzeResult } from "../analyze-result.js";
import type { ReportTable } from "../analysis-section.js";
import { csvFileName, FINDINGS_TABLE_NAME, RECOMMENDATIONS_TABLE_NAME, sortFindings } from "./markdown-format.js";
import type { ReportFormat } from "./report-format.js";

/** Renders one table as RFC 4180 CSV with a header row. */
export function renderCsvTable(table: ReportTable): string {
  if (table.rows.length === 0) return "";
  const columns = Object.keys(table.rows[0]!);
  return stringify(table.rows, { header: true, columns, cast: { boolean: (value) => (value ? "true" : "false") } });
}

/** Every analysis's findings, most severe first, one row each (times as integer µs and ISO; the evidence is in `report.json`). */
export function findingsTable(result: AnalyzeResult): ReportTable {
  return {
    name: FINDINGS_TABLE_NAME,
    rows: sortFindings(result.sections.flatMap((section) => section.findings)).map((finding) => ({
      id: finding.id,
      analysis: finding.analysis,
      severity: finding.severity,
      kind: finding.kind,
      start: formatTimeUs(finding.startUs),
      startUs: Math.round(finding.startUs),
      endUs: Math.round(finding.endUs),
      durationMs: (finding.endUs - finding.startUs) / 1000,
      session: finding.session ?? null,
      player: finding.player ?? null,
      confidence: finding.confidence ?? null,
      summary: finding.summary,
    })),
  };
}

/** Every analysis's recommendations with their measured (or estimated) before/after and cost. */
export function recommendationsTable(result: AnalyzeResult): ReportTable {
  return {
    name: RECOMMENDATIONS_TABLE_NAME,
    rows: result.sections.flatMap((section) =>
      section.recommendations.map((recommendation) => ({
        id: recommendation.id,
        analysis: recommendation.analysis,
        kind: recommendation.kind,
        title: recommendation.title,
        session: recommendation.session ?? null,
        metric: recommendation.metric,
        before: recommendation.before,
        after: recommendation.after,
        verified: recommendation.verified,
        method: recommendation.method,
        costBytesPerSecond: recommendation.cost.bytesPerSecond ?? null,
        costAddedDelayMs: recommendation.cost.addedDelayMs ?? null,
        costMaxError: recommendation.cost.maxError ?? null,
        costNote: recommendation.cost.note ?? null,
      })),
    ),
  };
}

/**
 * `--format csv`: `sessions.csv` (one row per session with traffic counters),
 * `findings.csv` and `recommendations.csv` (every analysis's, the files the
 * markdown report's "N more rows in ..." lines name) plus every table the
 * analyses provide (per-session and per-region tables).
 */
export const csvFormat: ReportFormat = {
  name: "csv",
  description: "per-session and per-analysis tables, findings.csv, recommendations.csv",
  render(result) {
    const sessions: ReportTable = {
      name: "sessions",
      rows: result.sessions.map((session) => ({
        session: session.id,
        transport: session.transport,
        client: formatEndpoint(session.client),
        server: formatEndpoint(session.server),
        region: session.region ?? null,
        player: session.player ?? null,
        firstUs: session.firstUs,
        lastUs: session.lastUs,
        clientToServerPackets: session.clientToServer.packets,
        clientToServerBytes: session.clientToServer.bytes,
        serverToClientPackets: session.serverToClient.packets,
        serverToClientBytes: session.serverToClient.bytes,
      })),
    };
    const tables = [sessions, findingsTable(result), recommendationsTable(result), ...result.sections.flatMap((section) => section.tables)];
    return tables.filter((table) => table.rows.length > 0).map((table) => ({ fileName: csvFileName(table.name), text: renderCsvTable(table) }));
  },
};
