import { stringify } from "csv-stringify/sync";
import { formatEndpoint, formatTimeUs } from "@tickscope/core";
import { knownPlayer, wholeMicroseconds } from "./human-values.js";
import type { AnalyzeResult } from "../analyze-result.js";
import type { ReportTable } from "../analysis-section.js";
import { csvFileName, FINDINGS_TABLE_NAME, RECOMMENDATIONS_TABLE_NAME, sortFindings } from "./markdown-format.js";
import type { ReportFormat } from "./report-format.js";

/**
 * A table's rows for CSV: every capture-time column (`timeColumns`) as integer
 * µs, followed by its ISO 8601 form under the name without `Us` (`startUs`,
 * `start`) — machines read the µs, spreadsheets and people the ISO.
 */
export function csvTableRows(table: ReportTable): ReportTable["rows"] {
  const timeColumns = new Set(table.timeColumns ?? []);
  if (timeColumns.size === 0) return table.rows;
  return table.rows.map((row) => {
    const csvRow: ReportTable["rows"][number] = {};
    for (const [column, value] of Object.entries(row)) {
      if (timeColumns.has(column) && typeof value === "number") {
        csvRow[column] = wholeMicroseconds(value);
        csvRow[column.replace(/Us$/, "")] = formatTimeUs(wholeMicroseconds(value));
      } else {
        csvRow[column] = value;
      }
    }
    return csvRow;
  });
}

/** Renders one table as RFC 4180 CSV with a header row (capture times as integer µs and ISO, see {@link csvTableRows}). */
export function renderCsvTable(table: ReportTable): string {
  const rows = csvTableRows(table);
  if (rows.length === 0) return "";
  const columns = Object.keys(rows[0]!);
  return stringify(rows, { header: true, columns, cast: { boolean: (value) => (value ? "true" : "false") } });
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
      start: formatTimeUs(wholeMicroseconds(finding.startUs)),
      startUs: wholeMicroseconds(finding.startUs),
      endUs: wholeMicroseconds(finding.endUs),
      durationMs: (finding.endUs - finding.startUs) / 1000,
      session: finding.session ?? null,
      player: knownPlayer(finding.player, finding.session) ?? null,
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
      timeColumns: ["firstUs", "lastUs"],
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
