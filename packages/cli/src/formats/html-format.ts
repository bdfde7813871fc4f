import { formatTimeUs, type Finding, type Recommendation } from "@tickscope/core";
import type { AnalyzeResult } from "../analyze-result.js";
import type { AnalysisSection } from "../analysis-section.js";
import { loadHtmlChartLibrary } from "./html-chart-library.js";
import { HTML_CLIENT_SCRIPT } from "./html-client-script.js";
import { HTML_STYLE } from "./html-style.js";
import { buildHtmlViewModel, sortFindingsForHtml, type HtmlViewModel } from "./html-view-model.js";
import { formatNumber } from "./markdown-format.js";
import type { ReportFormat } from "./report-format.js";

/** Most findings listed in the page (the rest are in findings.csv / report.json). */
export const HTML_MAX_FINDINGS = 200;
/** Above this many findings, the low and info ones fold under a `<details>`. */
const FOLD_FINDINGS_ABOVE = 12;
/** Most loss streams drawn as bars. */
const MAX_LOSS_STREAMS = 40;
/** Most message types drawn as bars. */
const MAX_MESSAGE_TYPES = 20;

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/**
 * Serializes data for a `<script type="application/json">` element: `<` and
 * the JavaScript line separators are escaped, so no string from the capture
 * can end the element (`</script>`) or open a comment.
 */
export function serializeScriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

type Loose = Record<string, unknown>;

function asObject(value: unknown): Loose | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Loose) : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function numberOf(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** Time as the report's human formats show it: offset from the capture start, then the ISO clock. */
function timeText(timeUs: number, originUs: number): string {
  const offsetSeconds = (timeUs - originUs) / 1e6;
  return `t+${offsetSeconds.toFixed(3)} s (${formatTimeUs(timeUs).slice(11, 23)} UTC)`;
}

function percent(value: number): string {
  return `${formatNumber(100 * value)} %`;
}

/** One horizontal bar: label, bar scaled to `maximum`, value text. */
function barRow(label: string, value: number, maximum: number, valueText: string, className = "", extra = ""): string {
  const width = maximum > 0 ? Math.max(0, Math.min(100, (100 * value) / maximum)) : 0;
  return (
    `<div class="bar-row ${className}"><span class="bar-label">${escapeHtml(label)}</span>` +
    `<span class="bar-track"><span class="bar-fill" style="width:${width.toFixed(2)}%"></span>${extra}</span>` +
    `<span class="bar-value">${escapeHtml(valueText)}</span></div>`
  );
}

function answerList(section: AnalysisSection): string {
  return `<ul class="answer">${section.answer.map((sentence) => `<li>${escapeHtml(sentence)}</li>`).join("")}</ul>`;
}

function renderFindings(result: AnalyzeResult, model: HtmlViewModel): string {
  const findings = sortFindingsForHtml(result, model);
  if (findings.length === 0) return `<section id="findings"><h2>Findings</h2><p>No findings.</p></section>`;
  const counts = new Map<string, number>();
  for (const { finding } of findings) counts.set(finding.severity, (counts.get(finding.severity) ?? 0) + 1);
  const rendered = findings
    .slice(0, HTML_MAX_FINDINGS)
    .map(({ finding, evidenceAnchor }) => {
      const who = finding.player ?? finding.session;
      return (
        `<li class="finding"><span class="severity severity-${escapeHtml(finding.severity)}">${escapeHtml(finding.severity)}</span> ` +
        `<span class="finding-kind">${escapeHtml(finding.analysis)} · ${escapeHtml(finding.kind)}</span> ` +
        `<span class="finding-time">${escapeHtml(timeText(finding.startUs, model.originUs))}</span>` +
        `${who === undefined ? "" : ` <span class="finding-who">${escapeHtml(who)}</span>`}` +
        `<span class="finding-summary">${escapeHtml(finding.summary)}</span>` +
        `<a class="evidence-link" href="${escapeHtml(evidenceAnchor)}"${evidenceAnchor.startsWith("#session-") ? ` data-start-s="${((finding.startUs - model.originUs) / 1e6).toFixed(3)}" data-end-s="${((finding.endUs - model.originUs) / 1e6).toFixed(3)}"` : ""}>${evidenceAnchor.startsWith("#session-") ? "timeline" : "evidence"}${finding.evidence.packetIndices.length > 0 ? ` (Wireshark frame ${finding.evidence.packetIndices.slice(0, 3).map((index) => index + 1).join(", ")})` : ""}</a></li>`
      );
    });
  const more = findings.length > HTML_MAX_FINDINGS ? `<p>${findings.length - HTML_MAX_FINDINGS} more findings in findings.csv and report.json.</p>` : "";
  const summary = ["critical", "high", "medium", "low", "info"].filter((severity) => counts.has(severity)).map((severity) => `${counts.get(severity)} ${severity}`).join(", ");
  // In a long list the low and info findings fold under the serious ones (one click away, still in order).
  const serious = findings.slice(0, HTML_MAX_FINDINGS).filter(({ finding }) => finding.severity !== "low" && finding.severity !== "info").length;
  const fold = findings.length > FOLD_FINDINGS_ABOVE && serious > 0 && serious < rendered.length;
  const items = fold
    ? `<ol class="findings">${rendered.slice(0, serious).join("")}</ol><details class="minor-findings"><summary>${rendered.length - serious} low and info finding(s)</summary><ol class="findings" start="${serious + 1}">${rendered.slice(serious).join("")}</ol></details>`
    : `<ol class="findings">${rendered.join("")}</ol>`;
  return `<section id="findings"><h2>Findings, most severe first</h2><p>${escapeHtml(`${findings.length} finding(s): ${summary}.`)}</p>${items}${more}</section>`;
}

function renderRecommendations(recommendations: Recommendation[]): string {
  const numeric = recommendations.filter((recommendation) => Number.isFinite(recommendation.before) && Number.isFinite(recommendation.after));
  if (numeric.length === 0) return "";
  const rows = numeric
    .map((recommendation) => {
      const maximum = Math.max(Math.abs(recommendation.before), Math.abs(recommendation.after));
      return (
        `<div class="recommendation"><p class="recommendation-title">${escapeHtml(recommendation.title)}</p>` +
        `<p class="recommendation-meta">${escapeHtml(`${recommendation.metric}${recommendation.session === undefined ? "" : ` · ${recommendation.session}`} · ${recommendation.verified ? "measured" : "estimated"}`)}</p>` +
        barRow("before", Math.abs(recommendation.before), maximum, formatNumber(recommendation.before), "before") +
        barRow("after", Math.abs(recommendation.after), maximum, `${formatNumber(recommendation.after)}${recommendation.before !== 0 ? ` (${recommendation.after <= recommendation.before ? "−" : "+"}${formatNumber((100 * Math.abs(recommendation.after - recommendation.before)) / Math.abs(recommendation.before))} %)` : ""}`, "after") +
        `</div>`
      );
    })
    .join("");
  return `<h3>Recommendations: before → after</h3><div class="recommendations">${rows}</div>`;
}

function renderLatency(section: AnalysisSection, model: HtmlViewModel): string {
  const rows = model.sessions
    .map((session, index) => {
      const cells = [
        session.label,
        session.id,
        session.rttP50Ms === null ? "–" : `${formatNumber(session.rttP50Ms)} ms`,
        session.rttP95Ms === null ? "–" : `${formatNumber(session.rttP95Ms)} ms`,
        String(session.spikes.length),
        String(session.lossMarks.length),
      ];
      return `<tr id="session-${index}">${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}<td><a href="#session-${index}">timeline</a></td></tr>`;
    })
    .join("");
  const heatmap =
    model.heatmap === null
      ? `<p class="note">No RTT timeline: no session had RTT samples, so there is no heatmap or session timeline.</p>`
      : `<figure class="chart" id="heatmap"><figcaption>RTT heatmap: sessions × time (worst RTT per ${escapeHtml(formatNumber(model.heatmap.bucketMs))} ms cell). A shared-path spike is a vertical stripe, a bad player a horizontal one.${model.omittedTimelines > 0 ? ` ${model.heatmap.sessionIndices.length} of ${model.heatmap.sessionIndices.length + model.omittedTimelines} sessions with RTT: the most spikes, then the highest p95 (all in report.json).` : ""}</figcaption>` +
        `<div class="chart-key" id="heatmap-legend"></div><div class="chart-body" id="heatmap-chart"></div></figure>` +
        `<figure class="chart" id="timeline"><figcaption>Session RTT timeline: <span id="timeline-title"></span></figcaption>` +
        `<label class="picker">session <select id="timeline-session"></select></label><p class="chart-summary" id="timeline-summary"></p>` +
        `<div class="chart-key" id="timeline-key"></div><div class="chart-body" id="timeline-chart"></div></figure>`;
  return (
    `<section id="latency"><h2>Latency: ${escapeHtml(section.question)}</h2>${answerList(section)}${heatmap}` +
    `<h3>Sessions</h3><div class="table-wrap"><table class="sessions"><thead><tr><th>row</th><th>session</th><th>RTT p50</th><th>RTT p95</th><th>spikes</th><th>loss gaps</th><th></th></tr></thead><tbody>${rows}</tbody></table></div></section>`
  );
}

function renderLoss(section: AnalysisSection, model: HtmlViewModel): string {
  const streams = model.lossStreams.slice(0, MAX_LOSS_STREAMS);
  const maximum = Math.max(...streams.map((stream) => stream.lossRateUpper), 1e-9);
  const bars = streams
    .map((stream) => {
      const label = `${stream.sessionIndex >= 0 ? model.sessions[stream.sessionIndex]!.label : stream.session} ${stream.direction === "clientToServer" ? "↑" : "↓"} ${stream.kind}`;
      const whisker = `<span class="whisker" style="left:${((100 * stream.lossRateLower) / maximum).toFixed(2)}%;width:${((100 * (stream.lossRateUpper - stream.lossRateLower)) / maximum).toFixed(2)}%"></span>`;
      return barRow(label, stream.lossRate, maximum, `${percent(stream.lossRate)} (${stream.lost}/${stream.expected}, burst ≤ ${stream.maxBurstLength})`, "loss", whisker);
    })
    .join("");
  const chart =
    streams.length === 0
      ? `<p class="note">No sequenced stream: loss needs a sequence role.</p>`
      : `<figure class="chart bars" id="loss-streams"><figcaption>Loss per stream and kind of data (bar: lost/expected; line: 95 % interval)${model.lossStreams.length > streams.length ? `, worst ${streams.length} of ${model.lossStreams.length}` : ""}</figcaption>${bars}</figure>`;
  return `<section id="loss"><h2>Loss: ${escapeHtml(section.question)}</h2>${answerList(section)}${chart}${renderRecommendations(section.recommendations)}</section>`;
}

function renderBandwidth(section: AnalysisSection, model: HtmlViewModel): string {
  const report = asObject(section.report);
  const types = asArray(report?.byMessageType).map(asObject).filter((entry): entry is Loose => entry !== undefined).slice(0, MAX_MESSAGE_TYPES);
  const maximum = Math.max(...types.map((entry) => numberOf(entry.bytesPerSecond)), 1e-9);
  const bars = types
    .map((entry) => barRow(`${String(entry.type)} ${entry.direction === "clientToServer" ? "↑" : "↓"}`, numberOf(entry.bytesPerSecond), maximum, `${formatNumber(numberOf(entry.bytesPerSecond))} B/s (${percent(numberOf(entry.share))})`))
    .join("");
  const overTime =
    model.bandwidth === null
      ? `<p class="note">This report has no per-type time series.</p>`
      : `<figure class="chart" id="bandwidth-over-time"><figcaption>Bytes per second per message type over time (stacked, ${escapeHtml(formatNumber(model.bandwidth.bucketMs))} ms buckets; ↑ client→server, ↓ server→client)</figcaption><div class="chart-body" id="bandwidth-chart"></div></figure>`;
  const byType = types.length === 0 ? "" : `<figure class="chart bars" id="bandwidth-types"><figcaption>Average bytes per second per message type</figcaption>${bars}</figure>`;
  return `<section id="bandwidth"><h2>Bandwidth: ${escapeHtml(section.question)}</h2>${answerList(section)}${overTime}${byType}${renderRecommendations(section.recommendations)}</section>`;
}

function renderAnticheat(section: AnalysisSection, model: HtmlViewModel): string {
  const players = model.flaggedPlayers
    .map((player, index) => {
      const findings = player.findings
        .map(
          (finding) =>
            `<li><span class="severity severity-${escapeHtml(finding.severity)}">${escapeHtml(finding.severity)}</span> <span class="finding-kind">${escapeHtml(finding.kind)}</span> <span class="finding-time">${escapeHtml(`${timeText(finding.startUs, model.originUs)} for ${formatNumber((finding.endUs - finding.startUs) / 1e6)} s`)}</span><span class="finding-summary">${escapeHtml(finding.summary)}</span>` +
            `${finding.evidence.length === 0 ? "" : `<span class="evidence-values">${finding.evidence.map(([name, value]) => `<span class="evidence-value">${escapeHtml(name)} = ${escapeHtml(value)}</span>`).join(" ")}</span>`}</li>`,
        )
        .join("");
      return (
        `<article class="player" id="player-${index}"><h3>${escapeHtml(player.sessionIndex >= 0 && model.sessions[player.sessionIndex]!.id !== player.player ? `player ${player.player} · ${model.sessions[player.sessionIndex]!.label}` : `player ${player.player}`)}</h3>` +
        `<p class="verdict">${escapeHtml(`${player.verdict}, score ${formatNumber(player.score)}`)}${player.sessionIndex >= 0 ? ` · <a href="#session-${player.sessionIndex}">session timeline</a>` : ""}</p>` +
        `<div class="chart-body player-chart" id="player-chart-${index}"></div><ul class="findings">${findings}</ul></article>`
      );
    })
    .join("");
  const report = asObject(section.report);
  const audit = asArray(report?.audit)
    .map(asObject)
    .filter((entry): entry is Loose => entry !== undefined)
    .map((entry) => `<li><span class="severity severity-${escapeHtml(String(entry.severity))}">${escapeHtml(String(entry.severity))}</span> <span class="finding-summary">${escapeHtml(`${String(entry.title)}: ${String(entry.fix ?? "")}`)}</span></li>`)
    .join("");
  return (
    `<section id="anticheat"><h2>Anticheat: ${escapeHtml(section.question)}</h2>${answerList(section)}` +
    `${players === "" ? `<p class="note">No player flagged.</p>` : `<h3>Evidence timelines of flagged players: the player's RTT, each finding's time range shaded by severity, its start marked</h3>${players}`}` +
    `${audit === "" ? "" : `<h3>Protocol audit</h3><ul class="findings">${audit}</ul>`}</section>`
  );
}

function renderRegions(section: AnalysisSection): string {
  const report = asObject(section.report);
  const regions = asArray(report?.regions).map(asObject).filter((entry): entry is Loose => entry !== undefined);
  const maximum = Math.max(...regions.map((region) => numberOf(asObject(region.rttMs)?.p95)), 1e-9);
  const bars = regions
    .map((region) => {
      const rtt = asObject(region.rttMs);
      return (
        barRow(`${String(region.name)} p50`, numberOf(rtt?.p50), maximum, `${formatNumber(numberOf(rtt?.p50))} ms`, "p50") +
        barRow(`${String(region.name)} p95`, numberOf(rtt?.p95), maximum, `${formatNumber(numberOf(rtt?.p95))} ms (${numberOf(region.sessions)} sessions)`, "p95")
      );
    })
    .join("");
  const chart = regions.length === 0 ? "" : `<figure class="chart bars" id="region-rtt"><figcaption>Session RTT per region (p50 and p95)</figcaption>${bars}</figure>`;
  return `<section id="regions"><h2>Regions: ${escapeHtml(section.question)}</h2>${answerList(section)}${chart}${renderRecommendations(section.recommendations)}</section>`;
}

function renderSection(section: AnalysisSection, model: HtmlViewModel): string {
  switch (section.analysis) {
    case "latency":
      return renderLatency(section, model);
    case "loss":
      return renderLoss(section, model);
    case "bandwidth":
      return renderBandwidth(section, model);
    case "anticheat":
      return renderAnticheat(section, model);
    case "regions":
      return renderRegions(section);
  }
}

function renderHeader(result: AnalyzeResult, findings: Finding[]): string {
  const packets = result.captures.reduce((sum, capture) => sum + capture.packets, 0);
  const firstUs = Math.min(...result.captures.map((capture) => capture.firstUs));
  const lastUs = Math.max(...result.captures.map((capture) => capture.lastUs));
  const span = Number.isFinite(firstUs) && Number.isFinite(lastUs) ? `, ${formatNumber((lastUs - firstUs) / 1e6)} s from ${formatTimeUs(firstUs)}` : "";
  const files = result.captures.map((capture) => capture.file).join(", ");
  const navigation = [["findings", `Findings (${findings.length})`], ...result.sections.map((section) => [section.analysis, section.analysis])]
    .map(([anchor, label]) => `<a href="#${escapeHtml(anchor!)}">${escapeHtml(label!)}</a>`)
    .join("");
  return (
    `<header><h1>tickscope report</h1><p class="meta">${escapeHtml(`${result.captures.length} capture(s) (${files}), ${packets} packets, ${result.sessions.length} session(s)${span}. tickscope ${result.toolVersion}, generated ${result.generatedAt}.`)}</p>` +
    `<nav>${navigation}</nav></header>`
  );
}

/**
 * Renders the whole report as one self-contained HTML page: the text (answers,
 * findings by severity, tables and bars) is static HTML; the time charts are
 * drawn by the inlined uPlot from a JSON view model. No network, no external
 * asset; byte-identical for the same result.
 */
export function renderHtml(result: AnalyzeResult): string {
  const library = loadHtmlChartLibrary();
  const model = buildHtmlViewModel(result);
  const findings = result.sections.flatMap((section) => section.findings);
  const sections = result.sections.map((section) => renderSection(section, model)).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>tickscope report</title>
<style>${library.css}</style>
<style>${HTML_STYLE}</style>
</head><body>
${renderHeader(result, findings)}
<main>
${renderFindings(result, model)}
${sections}
</main>
<footer><p>Charts: uPlot ${escapeHtml(library.version)} (MIT licence, inlined). Every table in full: --format csv or json.</p></footer>
<script type="application/json" id="tickscope-data">${serializeScriptJson(model)}</script>
<script>/*! uPlot ${library.version} — ${library.license.replace(/\*\//g, "* /").trim()} */
${library.script}</script>
<script>${HTML_CLIENT_SCRIPT}</script>
</body></html>
`;
}

/** `--format html`: one self-contained file with interactive charts. */
export const htmlFormat: ReportFormat = {
  name: "html",
  description: "one self-contained HTML file with interactive charts (uPlot inlined)",
  render: (result) => [{ fileName: "report.html", text: renderHtml(result) }],
};
