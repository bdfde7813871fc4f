import { compareSeverity, type Finding, type Recommendation, type Severity } from "@tickscope/core";
import type { AnalyzeResult } from "../analyze-result.js";

/** Most heatmap columns (time buckets) the report carries; wider buckets keep each cell's worst RTT. */
export const HTML_HEATMAP_MAX_COLUMNS = 600;
/** Most points per session RTT timeline and per bandwidth series in the report. */
export const HTML_TIMELINE_MAX_POINTS = 600;
/** Most message types drawn in the stacked bandwidth chart; the rest are summed as "other". */
export const HTML_BANDWIDTH_MAX_TYPES = 8;
/** Most sessions whose RTT timeline the page carries (heatmap rows and timelines): the most spikes, then the highest p95. */
export const HTML_MAX_TIMELINE_SESSIONS = 200;
/** Most flagged players that get an evidence timeline. */
export const HTML_MAX_FLAGGED_PLAYERS = 40;

/** One latency spike of a session timeline. */
export interface HtmlSpikeView {
  /** Start, µs since the epoch. */
  startUs: number;
  /** End, µs since the epoch. */
  endUs: number;
  /** Baseline RTT before the spike, ms. */
  baselineMs: number;
  /** Peak RTT, ms. */
  peakMs: number;
  /** Top-ranked cause ("unexplained" when none). */
  cause: string;
  /** Score of the top cause (0–1). */
  causeScore: number;
  /** Suggested fix for the top cause. */
  suggestedFix: string;
}

/** A loss gap (sequence numbers skipped at one arrival: the loss report's `arrivalGaps`) to mark on a session timeline. */
export interface HtmlLossMarkView {
  /** Arrival after the gap, µs since the epoch. */
  tUs: number;
  /** Sequence numbers skipped. */
  lost: number;
  /** Direction of the stream. */
  direction: string;
}

/** One session: its labels, RTT figures and timeline. */
export interface HtmlSessionView {
  /** Session id as the analyses name it. */
  id: string;
  /** Short row label: `#n client` (or player). */
  label: string;
  /** RTT median, ms (null without RTT). */
  rttP50Ms: number | null;
  /** RTT 95th percentile, ms (null without RTT). */
  rttP95Ms: number | null;
  /** RTT method of the headline percentiles ("" without RTT). */
  method: string;
  /** RTT method and direction the timeline and spikes follow (the latency report's `timeSeries`; "" without RTT). */
  timelineMethod: string;
  /** Timeline bucket width, ms (0 without timeline). */
  bucketMs: number;
  /** Timeline bucket starts, µs since the epoch (a gap without samples has one null point, so no line bridges it). */
  tUs: number[];
  /** Worst RTT per bucket, ms (null: no sample). */
  maxMs: (number | null)[];
  /** Lowest RTT per bucket, ms (null: no sample). */
  minMs: (number | null)[];
  /** Spikes, in time order. */
  spikes: HtmlSpikeView[];
  /** True when the session has an RTT timeline that this page leaves out ({@link HTML_MAX_TIMELINE_SESSIONS}). */
  timelineOmitted: boolean;
  /** Loss gaps, in time order. */
  lossMarks: HtmlLossMarkView[];
}

/** RTT heatmap: sessions with an RTT timeline (rows, in session order) × time buckets (columns). */
export interface HtmlHeatmapView {
  /** Index in {@link HtmlViewModel.sessions} of each row. */
  sessionIndices: number[];
  /** Start of the first column, µs since the epoch. */
  startUs: number;
  /** Column width, ms. */
  bucketMs: number;
  /** Number of columns. */
  columns: number;
  /** Worst RTT per row and column, ms; null where the session had no sample. */
  cells: (number | null)[][];
}

/** Bytes per second of each message type over time (stacked in the chart). */
export interface HtmlBandwidthView {
  /** Bucket starts, µs since the epoch. */
  tUs: number[];
  /** Bucket width, ms. */
  bucketMs: number;
  /** One series per message type (largest first), values in bytes per second. */
  types: { name: string; bytesPerSecond: number[] }[];
}

/** A recommendation's measured before/after. */
export interface HtmlRecommendationView {
  /** Analysis that made it. */
  analysis: string;
  /** What to change. */
  title: string;
  /** Metric compared. */
  metric: string;
  /** Value before. */
  before: number;
  /** Value after. */
  after: number;
  /** Whether it was measured (re-encoded, replayed) rather than estimated. */
  verified: boolean;
  /** Session it applies to ("" for all). */
  session: string;
}

/** Loss of one stream (session, direction, kind of data). */
export interface HtmlLossStreamView {
  /** Session index in {@link HtmlViewModel.sessions} (-1 when unknown). */
  sessionIndex: number;
  /** Session id. */
  session: string;
  /** Direction. */
  direction: string;
  /** Kind of data: the message types the stream carries. */
  kind: string;
  /** Lost / expected. */
  lossRate: number;
  /** 95 % interval of the loss rate. */
  lossRateLower: number;
  /** 95 % interval of the loss rate. */
  lossRateUpper: number;
  /** Sequence numbers lost. */
  lost: number;
  /** Sequence numbers expected. */
  expected: number;
  /** Longest loss run. */
  maxBurstLength: number;
}

/** A flagged player and the findings behind the verdict. */
export interface HtmlFlaggedPlayerView {
  /** Player label. */
  player: string;
  /** Session index in {@link HtmlViewModel.sessions} (-1 when unknown). */
  sessionIndex: number;
  /** Verdict (suspicious, cheating...). */
  verdict: string;
  /** Combined score (0–1). */
  score: number;
  /** The player's findings, in time order. */
  findings: { id: string; kind: string; severity: Severity; startUs: number; endUs: number; summary: string; evidence: [string, string][] }[];
}

/** Most evidence values shown per anticheat finding. */
const MAX_EVIDENCE_VALUES = 10;

function evidenceValues(finding: Loose): [string, string][] {
  const values = asObject(asObject(finding.evidence)?.values);
  if (values === undefined) return [];
  return Object.entries(values)
    .slice(0, MAX_EVIDENCE_VALUES)
    .map(([name, value]) => [name, typeof value === "number" ? String(round3(value)) : asText(value)]);
}

/** Everything the HTML report's charts draw: bounded and JSON-serializable. */
export interface HtmlViewModel {
  /** Time origin of every axis (first captured packet), µs since the epoch. */
  originUs: number;
  /** Sessions, in report order (the heatmap's rows). */
  sessions: HtmlSessionView[];
  /** RTT heatmap (null without an RTT timeline). */
  heatmap: HtmlHeatmapView | null;
  /** Sessions whose RTT timeline is left out to keep the page bounded (0 up to {@link HTML_MAX_TIMELINE_SESSIONS} sessions). */
  omittedTimelines: number;
  /** Bandwidth per message type over time (null when the report has none). */
  bandwidth: HtmlBandwidthView | null;
  /** Recommendations with a numeric before/after. */
  recommendations: HtmlRecommendationView[];
  /** Loss per stream, worst first. */
  lossStreams: HtmlLossStreamView[];
  /** Flagged players, highest score first. */
  flaggedPlayers: HtmlFlaggedPlayerView[];
}

/** A finding with where its evidence is in the page. */
export interface HtmlFindingView {
  /** The finding. */
  finding: Finding;
  /** Fragment of the evidence in the page (`#session-3`, `#player-1`, `#bandwidth`...). */
  evidenceAnchor: string;
}

type Loose = Record<string, unknown>;

function asObject(value: unknown): Loose | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Loose) : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asNumber(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function asText(value: unknown): string {
  return typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
}

/** Rounds to 3 decimals (the report's figures; keeps the embedded data small). */
function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function sectionReport(result: AnalyzeResult, analysis: string): Loose | undefined {
  return asObject(result.sections.find((section) => section.analysis === analysis)?.report);
}

/** Max-merges `points` of width `bucketUs` into at most `maxPoints` buckets (the widest bucket doubles until they fit). */
export function downsampleMax(tUs: number[], values: number[][], bucketUs: number, maxPoints: number): { tUs: number[]; values: number[][]; bucketUs: number } {
  let width = bucketUs;
  const first = tUs[0];
  if (first === undefined || tUs.length <= maxPoints) return { tUs, values, bucketUs };
  const span = tUs[tUs.length - 1]! - first + bucketUs;
  while (span / width > maxPoints) width *= 2;
  const merged: number[] = [];
  const mergedValues = values.map(() => [] as number[]);
  for (let index = 0; index < tUs.length; index++) {
    const start = first + Math.floor((tUs[index]! - first) / width) * width;
    if (merged[merged.length - 1] !== start) {
      merged.push(start);
      for (const series of mergedValues) series.push(Number.NEGATIVE_INFINITY);
    }
    const at = merged.length - 1;
    values.forEach((series, which) => {
      mergedValues[which]![at] = Math.max(mergedValues[which]![at]!, series[index]!);
    });
  }
  return { tUs: merged, values: mergedValues, bucketUs: width };
}

const DIRECTION_WORDS: Readonly<Record<string, string>> = { clientToServer: "client→server", serverToClient: "server→client" };

/** "ack server→client": the series the session's timeline and spikes follow (its headline when the report names none). */
function timelineMethodOf(session: Loose): string {
  const series = asObject(session.timeSeries) ?? session;
  const direction = asText(series.direction);
  return `${asText(series.method)}${direction === "" ? "" : ` ${DIRECTION_WORDS[direction] ?? direction}`}`;
}

/** Inserts one null point after each bucket followed by a silence longer than 1.5 buckets (uPlot leaves a gap there). */
export function breakGaps(tUs: number[], maxMs: number[], minMs: number[], bucketUs: number): { tUs: number[]; maxMs: (number | null)[]; minMs: (number | null)[] } {
  const result = { tUs: [] as number[], maxMs: [] as (number | null)[], minMs: [] as (number | null)[] };
  tUs.forEach((time, index) => {
    result.tUs.push(time);
    result.maxMs.push(maxMs[index]!);
    result.minMs.push(minMs[index]!);
    const next = tUs[index + 1];
    if (next !== undefined && next - time > 1.5 * bucketUs) {
      result.tUs.push(time + bucketUs);
      result.maxMs.push(null);
      result.minMs.push(null);
    }
  });
  return result;
}

function sessionLabel(index: number, id: string, client: string, player: string | undefined): string {
  const name = player !== undefined && player !== "" && player !== id ? player : client !== "" ? client : id;
  return `#${index + 1} ${name}`;
}

function buildSessions(result: AnalyzeResult): HtmlSessionView[] {
  const latency = sectionReport(result, "latency");
  const latencySessions = new Map<string, Loose>();
  for (const entry of asArray(latency?.sessions)) {
    const session = asObject(entry);
    if (session !== undefined) latencySessions.set(asText(session.id), session);
  }
  const ids: string[] = result.sessions.map((session) => session.id);
  for (const id of latencySessions.keys()) if (!ids.includes(id)) ids.push(id);
  const players = new Map(result.sessions.map((session) => [session.id, session.player]));
  const clients = new Map(result.sessions.map((session) => [session.id, session.client === undefined ? "" : `${session.client.address}:${session.client.port}`]));
  return ids.map((id, index) => {
    const session = latencySessions.get(id);
    const rtt = asObject(session?.rttMs);
    const samples = asNumber(rtt?.samples) ?? 0;
    const points = asArray(session?.timeline).map(asObject).filter((point): point is Loose => point !== undefined && asNumber(point.startUs) !== null);
    const tUs = points.map((point) => asNumber(point.startUs)!);
    const bucketUs = tUs.length > 1 ? tUs[1]! - tUs[0]! : 1e6;
    const sampled = downsampleMax(
      tUs,
      [points.map((point) => asNumber(point.maxMs) ?? 0), points.map((point) => -(asNumber(point.minMs) ?? 0))],
      bucketUs,
      HTML_TIMELINE_MAX_POINTS,
    );
    const spikes = asArray(session?.spikes)
      .map(asObject)
      .filter((spike): spike is Loose => spike !== undefined)
      .map((spike) => {
        const cause = asObject(asArray(spike.causes)[0]);
        return {
          startUs: asNumber(spike.startUs) ?? 0,
          endUs: asNumber(spike.endUs) ?? 0,
          baselineMs: round3(asNumber(spike.baselineMs) ?? 0),
          peakMs: round3(asNumber(spike.peakMs) ?? 0),
          cause: cause === undefined ? "unexplained" : asText(cause.kind),
          causeScore: round3(asNumber(cause?.score) ?? 0),
          suggestedFix: asText(spike.suggestedFix),
        };
      });
    const gapped = breakGaps(sampled.tUs, sampled.values[0]!.map(round3), sampled.values[1]!.map((value) => round3(-value)), sampled.bucketUs);
    return {
      id,
      label: sessionLabel(index, id, asText(session?.client) || clients.get(id) || "", players.get(id)),
      rttP50Ms: samples > 0 ? asNumber(rtt?.p50) : null,
      rttP95Ms: samples > 0 ? asNumber(rtt?.p95) : null,
      method: samples > 0 ? asText(session?.method) : "",
      timelineMethod: samples > 0 ? timelineMethodOf(session!) : "",
      bucketMs: tUs.length === 0 ? 0 : round3(sampled.bucketUs / 1000),
      tUs: gapped.tUs,
      maxMs: gapped.maxMs,
      // min is max-merged as its negation: the lowest of the merged buckets.
      minMs: gapped.minMs,
      spikes,
      timelineOmitted: false,
      lossMarks: [],
    };
  });
}

function addLossMarks(result: AnalyzeResult, sessions: HtmlSessionView[]): void {
  const loss = sectionReport(result, "loss");
  const byId = new Map(sessions.map((session) => [session.id, session]));
  for (const entry of asArray(loss?.sessions)) {
    const stream = asObject(entry);
    const session = byId.get(asText(stream?.id));
    if (stream === undefined || session === undefined) continue;
    for (const gapEntry of asArray(stream.arrivalGaps)) {
      const gap = asObject(gapEntry);
      const tUs = asNumber(gap?.tUs);
      const lost = asNumber(gap?.skipped);
      if (tUs !== null && lost !== null) session.lossMarks.push({ tUs, lost, direction: asText(stream.direction) });
    }
  }
  for (const session of sessions) session.lossMarks.sort((left, right) => left.tUs - right.tUs || right.lost - left.lost);
}

/** Keeps the timelines of the {@link HTML_MAX_TIMELINE_SESSIONS} sessions with the most spikes, then the highest p95; returns how many were left out. */
function limitTimelines(sessions: HtmlSessionView[]): number {
  const withTimeline = sessions.filter((session) => session.tUs.length > 0);
  if (withTimeline.length <= HTML_MAX_TIMELINE_SESSIONS) return 0;
  const omitted = [...withTimeline]
    .sort((left, right) => right.spikes.length - left.spikes.length || (right.rttP95Ms ?? 0) - (left.rttP95Ms ?? 0) || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0))
    .slice(HTML_MAX_TIMELINE_SESSIONS);
  for (const session of omitted) {
    session.tUs = [];
    session.maxMs = [];
    session.minMs = [];
    session.timelineOmitted = true;
  }
  return omitted.length;
}

/** Heatmap rows on one column grid: the widest session bucket (at least 1 s), widened until ≤ {@link HTML_HEATMAP_MAX_COLUMNS}. */
function buildHeatmap(sessions: HtmlSessionView[]): HtmlHeatmapView | null {
  const withTimeline = sessions.filter((session) => session.tUs.length > 0);
  if (withTimeline.length === 0) return null;
  const startUs = Math.min(...withTimeline.map((session) => session.tUs[0]!));
  const endUs = Math.max(...withTimeline.map((session) => session.tUs[session.tUs.length - 1]! + session.bucketMs * 1000));
  let bucketUs = Math.max(1e6, ...withTimeline.map((session) => session.bucketMs * 1000));
  while ((endUs - startUs) / bucketUs > HTML_HEATMAP_MAX_COLUMNS) bucketUs *= 2;
  const columns = Math.max(1, Math.ceil((endUs - startUs) / bucketUs));
  const sessionIndices = sessions.flatMap((session, index) => (session.tUs.length > 0 ? [index] : []));
  const cells = withTimeline.map((session) => {
    const row: (number | null)[] = new Array<number | null>(columns).fill(null);
    session.tUs.forEach((tUs, index) => {
      const column = Math.min(columns - 1, Math.floor((tUs - startUs) / bucketUs));
      const value = session.maxMs[index];
      if (value === null || value === undefined) return;
      if (row[column] === null || value > row[column]!) row[column] = value;
    });
    return row;
  });
  return { sessionIndices, startUs, bucketMs: round3(bucketUs / 1000), columns, cells };
}

function buildBandwidth(result: AnalyzeResult): HtmlBandwidthView | null {
  const bandwidth = sectionReport(result, "bandwidth");
  const timeline = asObject(bandwidth?.byMessageTypeTimeline);
  if (timeline === undefined) return null;
  const tUs = asArray(timeline.startUs).map((value) => asNumber(value) ?? 0);
  const bucketMs = asNumber(timeline.bucketMs) ?? 1000;
  if (tUs.length === 0) return null;
  const series = asArray(timeline.types)
    .map(asObject)
    .filter((entry): entry is Loose => entry !== undefined)
    .map((entry) => ({
      name: `${asText(entry.type)}${entry.direction === "clientToServer" ? " ↑" : entry.direction === "serverToClient" ? " ↓" : ""}`,
      bytesPerSecond: tUs.map((_, index) => asNumber(asArray(entry.bytesPerSecond)[index]) ?? 0),
    }))
    .map((entry) => ({ ...entry, total: entry.bytesPerSecond.reduce((sum, value) => sum + value, 0) }))
    .sort((left, right) => right.total - left.total || (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  // "other" only when it sums two or more types.
  const keptCount = series.length === HTML_BANDWIDTH_MAX_TYPES + 1 ? series.length : HTML_BANDWIDTH_MAX_TYPES;
  const kept = series.slice(0, keptCount);
  const rest = series.slice(keptCount);
  const types = kept.map((entry) => ({ name: entry.name, bytesPerSecond: entry.bytesPerSecond.map(round3) }));
  if (rest.length > 0) {
    types.push({ name: `other (${rest.length} types)`, bytesPerSecond: tUs.map((_, index) => round3(rest.reduce((sum, entry) => sum + entry.bytesPerSecond[index]!, 0))) });
  }
  return { tUs, bucketMs, types };
}

function buildRecommendations(result: AnalyzeResult): HtmlRecommendationView[] {
  return result.sections
    .flatMap((section) => section.recommendations)
    .filter((recommendation: Recommendation) => Number.isFinite(recommendation.before) && Number.isFinite(recommendation.after))
    .map((recommendation) => ({
      analysis: recommendation.analysis,
      title: recommendation.title,
      metric: recommendation.metric,
      before: recommendation.before,
      after: recommendation.after,
      verified: recommendation.verified,
      session: recommendation.session ?? "",
    }));
}

function buildLossStreams(result: AnalyzeResult, sessionIndex: Map<string, number>): HtmlLossStreamView[] {
  const loss = sectionReport(result, "loss");
  return asArray(loss?.sessions)
    .map(asObject)
    .filter((stream): stream is Loose => stream !== undefined && (asNumber(stream.expected) ?? 0) > 0)
    .map((stream) => {
      const interval = asObject(stream.lossRateInterval);
      const id = asText(stream.id);
      return {
        sessionIndex: sessionIndex.get(id) ?? -1,
        session: id,
        direction: asText(stream.direction),
        kind: asText(stream.messageType) || asText(stream.channel) || "all messages",
        lossRate: asNumber(stream.lossRate) ?? 0,
        lossRateLower: asNumber(interval?.lower) ?? 0,
        lossRateUpper: asNumber(interval?.upper) ?? 0,
        lost: asNumber(stream.lost) ?? 0,
        expected: asNumber(stream.expected) ?? 0,
        maxBurstLength: asNumber(asObject(stream.bursts)?.maxLength) ?? 0,
      };
    })
    .sort((left, right) => right.lossRate - left.lossRate || right.lost - left.lost || (left.session < right.session ? -1 : left.session > right.session ? 1 : 0));
}

function buildFlaggedPlayers(result: AnalyzeResult, sessionIndex: Map<string, number>): HtmlFlaggedPlayerView[] {
  const anticheat = sectionReport(result, "anticheat");
  const findings = asArray(anticheat?.findings).map(asObject).filter((finding): finding is Loose => finding !== undefined);
  return asArray(anticheat?.players)
    .map(asObject)
    .filter((player): player is Loose => player !== undefined && player.verdict !== "clean" && player.verdict !== "notTested")
    .map((player) => {
      const session = asText(player.session);
      const name = asText(player.player);
      return {
        player: name,
        sessionIndex: sessionIndex.get(session) ?? -1,
        verdict: asText(player.verdict),
        score: asNumber(player.score) ?? 0,
        findings: findings
          .filter((finding) => (finding.player !== undefined ? finding.player === name : finding.session === session))
          .map((finding) => ({
            id: asText(finding.id),
            kind: asText(finding.kind),
            severity: asText(finding.severity) as Severity,
            startUs: asNumber(finding.startUs) ?? 0,
            endUs: asNumber(finding.endUs) ?? 0,
            summary: asText(finding.summary),
            evidence: evidenceValues(finding),
          }))
          .sort((left, right) => left.startUs - right.startUs || (left.id < right.id ? -1 : 1)),
      };
    })
    .sort((left, right) => right.score - left.score || (left.player < right.player ? -1 : left.player > right.player ? 1 : 0))
    .slice(0, HTML_MAX_FLAGGED_PLAYERS);
}

/** First captured packet (or the earliest session/timeline time): the origin of every time axis. */
function originOf(result: AnalyzeResult, sessions: HtmlSessionView[]): number {
  const starts = [
    ...result.captures.map((capture) => capture.firstUs),
    ...result.sessions.map((session) => session.firstUs),
    ...sessions.flatMap((session) => (session.tUs.length > 0 ? [session.tUs[0]!] : [])),
  ].filter((value) => Number.isFinite(value));
  return starts.length === 0 ? 0 : Math.min(...starts);
}

/** Builds the bounded data the HTML report's charts draw from an analyze result. */
export function buildHtmlViewModel(result: AnalyzeResult): HtmlViewModel {
  const sessions = buildSessions(result);
  const omittedTimelines = limitTimelines(sessions);
  addLossMarks(result, sessions);
  const sessionIndex = new Map(sessions.map((session, index) => [session.id, index]));
  return {
    originUs: originOf(result, sessions),
    sessions,
    heatmap: buildHeatmap(sessions),
    omittedTimelines,
    bandwidth: buildBandwidth(result),
    recommendations: buildRecommendations(result),
    lossStreams: buildLossStreams(result, sessionIndex),
    flaggedPlayers: buildFlaggedPlayers(result, sessionIndex),
  };
}

const SECTION_ANCHORS: Readonly<Record<string, string>> = { bandwidth: "#bandwidth", regions: "#regions", loss: "#loss", latency: "#latency", anticheat: "#anticheat" };

/** Every finding, most severe first (then earliest, then id), with the page anchor of its evidence. */
export function sortFindingsForHtml(result: AnalyzeResult, model: HtmlViewModel): HtmlFindingView[] {
  const sessionIndex = new Map(model.sessions.map((session, index) => [session.id, index]));
  const playerIndex = new Map(model.flaggedPlayers.map((player, index) => [player.player, index]));
  return result.sections
    .flatMap((section) => section.findings)
    .sort((left, right) => compareSeverity(right.severity, left.severity) || left.startUs - right.startUs || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0))
    .map((finding) => {
      const player = finding.analysis === "anticheat" ? playerIndex.get(finding.player ?? finding.session ?? "") : undefined;
      const session = finding.session === undefined ? undefined : sessionIndex.get(finding.session);
      const evidenceAnchor = player !== undefined ? `#player-${player}` : session !== undefined ? `#session-${session}` : (SECTION_ANCHORS[finding.analysis] ?? "#findings");
      return { finding, evidenceAnchor };
    });
}
