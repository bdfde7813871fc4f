import { stringify } from "csv-stringify/sync";
import { formatEndpoint } from "@tickscope/core";
import type { ReportTable } from "../analysis-section.js";
import type { ReportFormat } from "./report-format.js";

/** Renders one table as RFC 4180 CSV with a header row. */
export function renderCsvTable(table: ReportTable): string {
  if (table.rows.length === 0) return "";
  const columns = Object.keys(table.rows[0]!);
  return stringify(table.rows, { header: true, columns, cast: { boolean: (value) => (value ? "true" : "false") } });
}

/**
 * `--format csv`: `sessions.csv` (one row per session with traffic counters)
 * plus every table the analyses provide (per-session and per-region tables).
 */
export const csvFormat: ReportFormat = {
  name: "csv",
  description: "per-session and per-region tables",
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
    const tables = [sessions, ...result.sections.flatMap((section) => section.tables)];
    return tables.filter((table) => table.rows.length > 0).map((table) => ({ fileName: `${table.name}.csv`, text: renderCsvTable(table) }));
  },
};
