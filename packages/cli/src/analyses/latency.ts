import { LatencyAnalyzer, type LatencyReport } from "@tickscope/latency";
import type { AnalysisSection, MetricSample } from "../analysis-section.js";
import { formatNumber } from "../formats/markdown-format.js";
import type { AnalysisAdapter, AnalysisContext } from "./analysis-adapter.js";
import { undecodedReason } from "./undecoded-traffic.js";
import { measureOneWayDelay } from "../one-way-delay.js";
import { ErrorCode, TickscopeError } from "@tickscope/core";

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Builds the latency section: RTT percentiles per session, spikes and their
 * ranked causes; without RTT, the RFC 3550 jitter of the streams that carry a
 * sender clock (RTP).
 * What could not be measured comes first, with the reason; "no spike" is only
 * said when an RTT series was there to look for one.
 */
export function latencySection(report: LatencyReport, context?: Pick<AnalysisContext, "definition">): AnalysisSection {
  const sessions = report.sessions.filter((session) => session.rttMs.samples > 0);
  const spikes = report.sessions.flatMap((session) => session.spikes.map((spike) => ({ session: session.id, ...spike })));
  const answer: string[] = [];
  const undecoded = undecodedReason(context);
  const streams = report.streams.filter((stream) => stream.packets >= 2);
  if (undecoded !== undefined) {
    answer.push(`Not measured: ${undecoded}. RTT needs ack, echo or reported-RTT roles and jitter a sendTime role, so no latency spike could be looked for.`);
  } else if (sessions.length === 0) {
    answer.push(
      "No RTT measured: the definition has no ack, echo or reported-RTT role, or no reply was captured, so no latency spike could be looked for" +
        `${streams.length > 0 ? " (jitter below is one-way, from the sender's clock)" : ""}.`,
    );
  } else {
    answer.push(
      `${sessions.length} session(s) measured: median RTT p50 ${formatNumber(median(sessions.map((session) => session.rttMs.p50)))} ms, ` +
        `p95 ${formatNumber(median(sessions.map((session) => session.rttMs.p95)))} ms (worst p95 ${formatNumber(Math.max(...sessions.map((session) => session.rttMs.p95)))} ms).`,
    );
  }
  // Without RTT, one-way jitter from the sender's clock (RTP's timestamp) is the latency figure there is.
  if (sessions.length === 0 && streams.length > 0) {
    const worst = [...streams].sort((left, right) => right.jitterMs.max - left.jitterMs.max)[0]!;
    const restarts = streams.reduce((sum, stream) => sum + stream.restarts, 0);
    answer.push(
      `RFC 3550 jitter on ${streams.length} stream(s): worst ${worst.session} ${worst.direction} ${worst.ssrcOrChannel === "" ? "" : `${worst.ssrcOrChannel} `}` +
        `mean ${formatNumber(worst.jitterMs.mean)} ms, max ${formatNumber(worst.jitterMs.max)} ms` +
        `${restarts > 0 ? `; ${restarts} sender timestamp discontinuit${restarts === 1 ? "y" : "ies"} restarted it (timestampReset findings)` : ""}.`,
    );
  }
  if (sessions.length === 0) {
    // Nothing to look for spikes in: said above.
  } else if (spikes.length === 0) answer.push("No latency spike above the robust baseline.");
  else {
    const causeCounts = new Map<string, number>();
    for (const spike of spikes) {
      const cause = spike.causes[0]?.kind ?? "unexplained";
      causeCounts.set(cause, (causeCounts.get(cause) ?? 0) + 1);
    }
    const worst = [...spikes].sort((left, right) => right.peakMs - left.peakMs)[0]!;
    answer.push(
      `${spikes.length} spike(s); top causes: ${[...causeCounts].sort((left, right) => right[1] - left[1]).map(([cause, count]) => `${cause} × ${count}`).join(", ")}. ` +
        `Worst: ${formatNumber(worst.baselineMs)} → ${formatNumber(worst.peakMs)} ms for ${formatNumber(worst.durationMs)} ms in ${worst.session}; fix: ${worst.suggestedFix}.`,
    );
  }
  // Every RTT method is shown (the methods table); methods that disagree are said, with the likely reason.
  const disagreements = report.sessions.flatMap((session) => (session.methodsDisagree ?? []).map((entry) => ({ session: session.id, headline: session.method, ...entry })));
  if (disagreements.length > 0) {
    const first = disagreements[0]!;
    answer.push(
      `RTT methods disagree in ${new Set(disagreements.map((entry) => entry.session)).size} session(s) (p50 or p95 more than 2× apart; the headline stays the most direct method, and no spike is taken from the other): ` +
        `${first.session} ${first.method} vs ${first.headline} (p50 ×${formatNumber(first.p50Ratio)}, p95 ×${formatNumber(first.p95Ratio)}): ${first.reason}.`,
    );
  }
  const metrics: MetricSample[] = [];
  for (const session of sessions) {
    const labels = { session: session.id, direction: session.direction, method: session.method };
    metrics.push(
      { name: "tickscope_rtt_p50_ms", help: "round-trip time, median", unit: "ms", value: session.rttMs.p50, labels },
      { name: "tickscope_rtt_p95_ms", help: "round-trip time, 95th percentile", unit: "ms", value: session.rttMs.p95, labels },
      { name: "tickscope_rtt_p99_ms", help: "round-trip time, 99th percentile", unit: "ms", value: session.rttMs.p99, labels },
      { name: "tickscope_jitter_ms", help: "RFC 3550 interarrival jitter", unit: "ms", value: session.jitterMs.rfc3550, labels },
      { name: "tickscope_latency_spikes", help: "latency spikes detected", unit: "1", value: session.spikes.length, labels },
    );
  }
  return {
    analysis: "latency",
    question: "When did latency spike, and what caused it?",
    answer,
    findings: report.findings,
    recommendations: [],
    metrics,
    tables: [
      {
        name: "latency-sessions",
        rows: report.sessions.map((session) => ({
          session: session.id,
          method: session.method,
          direction: session.direction,
          samples: session.rttMs.samples,
          rttP50Ms: session.rttMs.p50,
          rttP95Ms: session.rttMs.p95,
          rttP99Ms: session.rttMs.p99,
          rttMaxMs: session.rttMs.max,
          jitterMs: session.jitterMs.rfc3550,
          spikes: session.spikes.length,
          timeAbove100Ms: session.experience.timeAbove100Ms,
        })),
        bar: { labelColumn: "session", valueColumn: "rttP95Ms", unit: "ms" },
      },
      {
        name: "latency-methods",
        rows: report.sessions.flatMap((session) =>
          session.series.map((series) => ({
            session: session.id,
            method: series.method,
            direction: series.direction,
            role: series.method === session.method && series.direction === session.direction ? "headline" : series.method === session.timeSeries?.method && series.direction === session.timeSeries?.direction ? "followed" : "",
            samples: series.samples,
            rttP50Ms: series.p50,
            rttP95Ms: series.p95,
            rttP99Ms: series.p99,
            rttMaxMs: series.max,
          })),
        ),
      },
      {
        name: "latency-spikes",
        rows: spikes.map((spike) => ({
          session: spike.session,
          startUs: spike.startUs,
          durationMs: spike.durationMs,
          baselineMs: spike.baselineMs,
          peakMs: spike.peakMs,
          cause: spike.causes[0]?.kind ?? "unexplained",
          causeScore: spike.causes[0]?.score ?? 0,
          suggestedFix: spike.suggestedFix,
        })),
      },
    ],
    series: [...sessions].sort((left, right) => right.spikes.length - left.spikes.length || left.id.localeCompare(right.id)).slice(0, 8).map((session) => ({
      name: `RTT (max per ${session.timeline.length > 1 ? formatNumber((session.timeline[1]!.startUs - session.timeline[0]!.startUs) / 1000) : 1000} ms), ${session.id}`,
      unit: "ms",
      points: session.timeline.map((point) => [point.startUs, point.maxMs] as [number, number]),
      marks: session.spikes.map((spike) => ({ startUs: spike.startUs, endUs: spike.endUs, label: `spike ${formatNumber(spike.peakMs)} ms` })),
    })),
    report,
  };
}

/** `tickscope analyze` adapter of `@tickscope/latency`. */
export const latencyAdapter: AnalysisAdapter = {
  name: "latency",
  question: "When did latency spike, and what caused it?",
  commandOptions: [{ flags: "--server-capture <file>", description: "server-side capture of the same traffic: adds one-way delay per direction (clock offset and drift fitted)" }],
  async augmentReport(report, options, captures) {
    if (options.serverCapture === undefined) return report;
    if (captures.length !== 1) {
      throw new TickscopeError(ErrorCode.invalidOption, "--server-capture needs exactly one (client-side) capture", { hint: "tickscope latency client.pcapng --server-capture server.pcapng" });
    }
    const oneWayDelay = await measureOneWayDelay(captures[0]!, options.serverCapture as string, options.serverPort as number[] | undefined);
    return { ...(report as LatencyReport), oneWayDelay };
  },
  create: (context) => new LatencyAnalyzer(context.settings.latency as ConstructorParameters<typeof LatencyAnalyzer>[0]),
  toSection: (report, context) => latencySection(report as LatencyReport, context),
};
