import { compareSeverity, describeOtherTraffic, ErrorCode, type Finding, type Recommendation, type Session } from "@tickscope/core";
import type { AnalyzeResult } from "../analyze-result.js";
import type { ReportTable } from "../analysis-section.js";
import { missingKeyCause } from "../analyses/undecoded-traffic.js";
import { formatCaptureTime, formatNumber, knownPlayer } from "./human-values.js";
import type { ReportFormat } from "./report-format.js";

export { formatNumber } from "./human-values.js";

const MAX_TABLE_ROWS = 50;

function escapeCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "number" ? formatNumber(value) : String(value);
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/**
 * Renders rows as a GitHub-flavoured Markdown table: at most `maxRows` rows,
 * then how many more there are and `moreRowsIn`, where all of them are (a file
 * name such as "`findings.csv` (`--format csv`)").
 */
export function renderMarkdownTable(rows: Record<string, unknown>[], maxRows = MAX_TABLE_ROWS, moreRowsIn = "the --json output"): string {
  if (rows.length === 0) return "_none_\n";
  const columns = Object.keys(rows[0]!);
  const lines = [`| ${columns.join(" | ")} |`, `|${columns.map(() => " --- ").join("|")}|`];
  for (const row of rows.slice(0, maxRows)) lines.push(`| ${columns.map((column) => escapeCell(row[column])).join(" | ")} |`);
  if (rows.length > maxRows) lines.push(`\n… ${rows.length - maxRows} more rows in ${moreRowsIn}`);
  return `${lines.join("\n")}\n`;
}

const MAX_FINDING_ROWS = 15;

/** Name of the table of every analysis's findings (`findings.csv` in `--format csv`). */
export const FINDINGS_TABLE_NAME = "findings";

/** Name of the table of every analysis's recommendations (`recommendations.csv` in `--format csv`). */
export const RECOMMENDATIONS_TABLE_NAME = "recommendations";

/** Findings, most severe first, then earliest first. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((left, right) => compareSeverity(right.severity, left.severity) || left.startUs - right.startUs);
}

/** The first capture time of a result (µs), the origin of the `(+s)` offsets; undefined without packets. */
export function captureStartUs(result: AnalyzeResult): number | undefined {
  let start = Number.POSITIVE_INFINITY;
  for (const capture of result.captures) if (capture.packets > 0 && capture.firstUs < start) start = capture.firstUs;
  return Number.isFinite(start) ? start : undefined;
}

/**
 * A table's rows for a human format: every capture-time column (`timeColumns`,
 * µs since the epoch) becomes ISO + offset from the capture start under its
 * name without `Us` (`startUs` → `start`).
 */
export function humanTableRows(table: ReportTable, startUs: number | undefined): Record<string, unknown>[] {
  const timeColumns = new Set(table.timeColumns ?? []);
  if (timeColumns.size === 0) return table.rows;
  return table.rows.map((row) => {
    const human: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(row)) {
      if (timeColumns.has(column)) human[column.replace(/Us$/, "")] = typeof value === "number" ? formatCaptureTime(value, startUs) : value;
      else human[column] = value;
    }
    return human;
  });
}

function findingRows(findings: readonly Finding[], startUs: number | undefined): Record<string, unknown>[] {
  return sortFindings(findings).map((finding) => ({
    severity: finding.severity,
    kind: finding.kind,
    start: formatCaptureTime(finding.startUs, startUs),
    durationMs: (finding.endUs - finding.startUs) / 1000,
    player: knownPlayer(finding.player, finding.session) ?? "",
    session: finding.session ?? "",
    summary: finding.summary,
    frames: evidenceFrames(finding.evidence.packetIndices),
  }));
}

/** Evidence packets as Wireshark frame numbers (1-based) for a table cell: the first three, then how many in all. */
export function evidenceFrames(packetIndices: readonly number[], shown = 3): string {
  const frames = packetIndices.slice(0, shown).map((index) => String(index + 1));
  return packetIndices.length > shown ? `${frames.join(", ")} … (${packetIndices.length})` : frames.join(", ");
}

function recommendationRows(recommendations: readonly Recommendation[]): Record<string, unknown>[] {
  return recommendations.map((recommendation) => ({
    session: recommendation.session ?? "(all)",
    change: recommendation.title,
    metric: recommendation.metric,
    before: recommendation.before,
    after: recommendation.after,
    measured: recommendation.verified ? "yes" : "no (estimate)",
    how: recommendation.method,
  }));
}

/** File name of a table in the `--format csv` output (see `csv-format.ts`). */
export function csvFileName(tableName: string): string {
  return `${tableName}.csv`;
}

/** Where all rows of a CSV-written table are, for the "N more rows in ..." line. */
function csvMention(tableName: string, alsoInJson: boolean): string {
  return `\`${csvFileName(tableName)}\` (\`--format csv\`)${alsoInJson ? " and `report.json` (`--format json`)" : ""}`;
}

function renderTable(table: ReportTable, startUs: number | undefined): string {
  return `#### ${table.name}\n\n${renderMarkdownTable(humanTableRows(table, startUs), MAX_TABLE_ROWS, csvMention(table.name, false))}`;
}

/** `ephemeralPort × 12, fanIn × 3`: how many sessions each server rule decided. */
export function serverRuleCounts(sessions: readonly Session[]): string {
  const counts = new Map<string, number>();
  for (const session of sessions) if (session.serverRule !== undefined) counts.set(session.serverRule, (counts.get(session.serverRule) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([leftRule, left], [rightRule, right]) => right - left || (leftRule < rightRule ? -1 : 1))
    .map(([rule, count]) => `${rule} × ${count}`)
    .join(", ");
}

/**
 * What `E_KEY_MISSING` decode anomalies mean for this run: no key at all for an
 * encrypted (AEAD) transform — no key file was given, or the given one names none
 * of these sessions — which is not a wrong key (`E_DECRYPT_FAILED`). Undefined
 * without `E_KEY_MISSING`.
 */
export function missingKeyNote(result: Pick<AnalyzeResult, "decodeAnomalies" | "options">): string | undefined {
  const missing = result.decodeAnomalies[ErrorCode.keyMissing] ?? 0;
  if (missing === 0) return undefined;
  const keyFile = result.options.keyFile;
  const why = missingKeyCause(typeof keyFile === "string" || keyFile === null ? keyFile : undefined);
  return `${ErrorCode.keyMissing}: ${missing} datagram(s) could not be decrypted because ${why}; a wrong key would show as ${ErrorCode.decryptFailed}.`;
}

/** Renders the human summary: the answers first, details after. */
export function renderMarkdown(result: AnalyzeResult): string {
  const parts: string[] = ["# tickscope report\n"];
  const startUs = captureStartUs(result);
  const packets = result.captures.reduce((sum, capture) => sum + capture.packets, 0);
  parts.push(
    `${result.captures.length} capture(s), ${packets} packets, ${result.sessions.length} session(s). ` +
      `tickscope ${result.toolVersion}.` +
      (startUs === undefined ? "\n" : ` Times are UTC, (+s) from the first packet at ${formatCaptureTime(startUs)}.\n`),
  );
  const decodeAnomalyCount = Object.values(result.decodeAnomalies).reduce((sum, count) => sum + count, 0);
  if (decodeAnomalyCount > 0) {
    parts.push(`Decode anomalies: ${Object.entries(result.decodeAnomalies).map(([code, count]) => `${code} × ${count}`).join(", ")}.\n`);
    const keyNote = missingKeyNote(result);
    if (keyNote !== undefined) parts.push(`${keyNote}\n`);
  }
  // what the reader met in the files themselves (a capture cut inside a packet, clocks out of range): the numbers above rest on what was readable
  const captureAnomalies = result.captures.filter((capture) => Object.keys(capture.anomalies).length > 0);
  if (captureAnomalies.length > 0) {
    const listed = captureAnomalies.map((capture) => `${capture.file}: ${Object.entries(capture.anomalies).map(([code, count]) => `${code} × ${count}`).join(", ")}`);
    parts.push(`Capture anomalies (counted, the rest read): ${listed.join("; ")}.\n`);
  }
  if (result.otherTraffic !== undefined && result.otherTraffic.packets > 0) parts.push(`${describeOtherTraffic(result.otherTraffic)}\n`);
  const serverRules = serverRuleCounts(result.sessions);
  if (serverRules !== "") parts.push(`Server side decided by: ${serverRules}.\n`);
  parts.push("## Answers\n");
  if (result.sections.length === 0) parts.push("No analysis ran.\n");
  for (const section of result.sections) {
    parts.push(`### ${section.analysis}: ${section.question}\n`);
    parts.push(`${section.answer.map((sentence) => `- ${sentence}`).join("\n")}\n`);
  }
  parts.push("## Details\n");
  for (const section of result.sections) {
    parts.push(`### ${section.analysis}\n`);
    if (section.findings.length > 0) {
      parts.push(`#### findings\n\n${renderMarkdownTable(findingRows(section.findings, startUs), MAX_FINDING_ROWS, csvMention(FINDINGS_TABLE_NAME, true))}`);
    }
    if (section.recommendations.length > 0) {
      parts.push(`#### recommendations\n\n${renderMarkdownTable(recommendationRows(section.recommendations), MAX_TABLE_ROWS, csvMention(RECOMMENDATIONS_TABLE_NAME, true))}`);
    }
    for (const table of section.tables) parts.push(renderTable(table, startUs));
  }
  return parts.join("\n");
}

/** `--format md`: a human summary, the five answers first, details after. */
export const markdownFormat: ReportFormat = {
  name: "md",
  description: "human summary: the answers first, details after",
  render: (result) => [{ fileName: "report.md", text: renderMarkdown(result) }],
};
