import { LatencyAnalyzer, PacketTimingAnalyzer, type LatencyReport, type PacketTimingReport, type PacketTimingSessionReport } from "@tickscope/latency";
import type { AnalysisSection, MetricSample } from "../analysis-section.js";
import { formatNumber } from "../formats/markdown-format.js";
import type { AnalysisAdapter } from "./analysis-adapter.js";
import { notDecodedReason, undecodedReason, undecryptedReason, type DecodeOutcomeContext } from "./undecoded-traffic.js";
import { measureOneWayDelay } from "../one-way-delay.js";
import { ErrorCode, isMergeableAnalyzer, TickscopeError, type MergeableAnalyzer, type MessageAnalyzer } from "@tickscope/core";

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The latency report, with packet timing from datagram arrivals when no definition was given. */
export type LatencyReportWithTiming = LatencyReport & { packetTiming?: PacketTimingReport };

/** The saved state of {@link withPacketTiming}: both analyzers' states. */
export interface LatencyWithTimingState {
  /** The latency analyzer's state. */
  latency: unknown;
  /** The packet-timing analyzer's state. */
  packetTiming: unknown;
}

/**
 * Feeds datagrams to both analyzers; `finish()` returns the latency report with
 * `packetTiming` added. Mergeable (`saveState` / `mergeState` of both, state
 * version `1000 × latency's + packet timing's`) when both analyzers are.
 */
export function withPacketTiming(latency: LatencyAnalyzer, timing: PacketTimingAnalyzer): MessageAnalyzer<LatencyReportWithTiming> {
  const combined: MessageAnalyzer<LatencyReportWithTiming> = {
    name: latency.name,
    onSession: (session) => {
      latency.onSession(session);
      timing.onSession(session);
    },
    onPacket: (packet) => {
      latency.onPacket(packet);
      timing.onPacket(packet);
    },
    onMessage: (message) => latency.onMessage(message),
    onAnomaly: () => latency.onAnomaly(),
    onLogEvent: (event) => latency.onLogEvent(event),
    finish: () => ({ ...latency.finish(), packetTiming: timing.finish() }),
  };
  const latencyAnalyzer = latency as MessageAnalyzer<unknown>;
  const timingAnalyzer = timing as MessageAnalyzer<unknown>;
  if (!isMergeableAnalyzer(latencyAnalyzer) || !isMergeableAnalyzer(timingAnalyzer)) return combined;
  const mergeable: MergeableAnalyzer<LatencyReportWithTiming, LatencyWithTimingState> = {
    ...combined,
    stateVersion: 1000 * latencyAnalyzer.stateVersion + timingAnalyzer.stateVersion,
    saveState: () => ({ latency: latencyAnalyzer.saveState(), packetTiming: timingAnalyzer.saveState() }),
    mergeState: (state, placement) => {
      if (state === null || typeof state !== "object" || !("latency" in state) || !("packetTiming" in state)) {
        throw new TickscopeError(ErrorCode.badPartial, "latency state without packet timing: expected { latency, packetTiming }", { hint: "the state was saved with a protocol definition, or by another analysis" });
      }
      // both are checked before either changes: a packet-timing state is validated by a throwaway analyzer first
      const probe = new PacketTimingAnalyzer() as unknown as MergeableAnalyzer<unknown, unknown>;
      probe.mergeState(state.packetTiming, placement);
      latencyAnalyzer.mergeState(state.latency, placement);
      timingAnalyzer.mergeState(state.packetTiming, placement);
    },
  };
  return mergeable;
}

/** Sessions by datagrams (most first), then id: the table and the answer lead with the busiest. */
function busiestFirst(report: PacketTimingReport): PacketTimingSessionReport[] {
  const packets = (session: PacketTimingSessionReport): number => session.directions.reduce((sum, direction) => sum + direction.packets, 0);
  return [...report.sessions].sort((left, right) => packets(right) - packets(left) || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0));
}

const DIRECTION_ARROWS = { clientToServer: "client→server", serverToClient: "server→client" } as const;

/** Answer sentences of packet timing: the busiest session's rates, ticks and RTT estimate, and how many sessions had a tick. */
export function packetTimingAnswer(report: PacketTimingReport): string[] {
  const sessions = busiestFirst(report);
  if (sessions.length === 0) return ["Packet timing: no UDP datagram in a session."];
  const busiest = sessions[0]!;
  const directions = busiest.directions.map((direction) => {
    const tick = direction.tick === null ? "no tick (too few send events)" : `tick ${formatNumber(direction.tick.rateHz)} Hz (${direction.tick.regularity} regularity, ${formatNumber(100 * direction.tick.regularShare)}% of intervals within ±10%)`;
    const jitter = direction.jitterMs === null ? "" : `, jitter ${formatNumber(direction.jitterMs.mean)} ms`;
    const gaps = direction.gaps.count === 0 ? "" : `, ${direction.gaps.count} gap(s) (longest ${formatNumber(direction.gaps.longest[0]!.durationMs)} ms)`;
    // a rate over the active time says so (silences over 120 s left out, as bandwidth's)
    const active = (direction.idleGaps ?? 0) > 0 ? ` over ${formatNumber(direction.activeDurationMs / 1000)} s of traffic (${direction.idleGaps} silence(s) over 120 s left out)` : "";
    return `${DIRECTION_ARROWS[direction.direction]} ${formatNumber(direction.packetsPerSecond)} packets/s${active}, ${tick}${jitter}${gaps}`;
  });
  const lines = [`Packet timing from arrival times (${sessions.length} session(s); busiest ${busiest.id}): ${directions.join("; ")}.`];
  const estimate = busiest.responseTiming[0];
  if (estimate === undefined) lines.push("No RTT estimate: only one direction carried datagrams.");
  else if (estimate.lagMs === null) lines.push(`No RTT estimate: ${estimate.reason}.`);
  else {
    lines.push(
      `RTT estimate (not measured: server answer lag after client sends) ${formatNumber(estimate.lagMs)} ms, ${estimate.confidence} confidence: ${estimate.reason}. ` +
        "It includes the server's answer delay, and from a server-side capture it is that delay only.",
    );
  }
  const reverse = busiest.responseTiming[1];
  if (reverse !== undefined && reverse.lagMs !== null && (reverse.confidence === "medium" || reverse.confidence === "high")) {
    lines.push(`The client answers the server's sends after ${formatNumber(reverse.lagMs)} ms (${reverse.confidence} confidence: ${reverse.reason}); from a client-side capture that is the client's answer delay, from a server-side one the RTT.`);
  }
  const ticked = sessions.filter((session) => session.directions.some((direction) => direction.tick !== null)).length;
  if (sessions.length > 1) lines.push(`${ticked} of ${sessions.length} session(s) have enough send events for a tick (8 or more intervals).`);
  return lines;
}

/** Telemetry of packet timing: rate, tick and jitter per session direction, and the answer lag (an estimate, labelled with its confidence). */
export function packetTimingMetrics(report: PacketTimingReport): MetricSample[] {
  const metrics: MetricSample[] = [];
  for (const session of busiestFirst(report)) {
    for (const direction of session.directions) {
      const labels = { session: session.id, direction: direction.direction };
      metrics.push({ name: "tickscope_packets_per_second", help: "datagrams per second", unit: "1/s", value: direction.packetsPerSecond, labels });
      if (direction.tick !== null) metrics.push({ name: "tickscope_tick_rate_hz", help: "dominant send rate (tick) from arrival times", unit: "Hz", value: direction.tick.rateHz, labels: { ...labels, regularity: direction.tick.regularity } });
      if (direction.jitterMs !== null) metrics.push({ name: "tickscope_tick_jitter_ms", help: "RFC 3550-style jitter of arrivals against the tick", unit: "ms", value: direction.jitterMs.mean, labels });
    }
    for (const estimate of session.responseTiming) {
      if (estimate.lagMs === null) continue;
      metrics.push({
        name: "tickscope_answer_lag_ms",
        help: "estimated request-to-response lag from timing alone (not a measured RTT)",
        unit: "ms",
        value: estimate.lagMs,
        labels: { session: session.id, requestDirection: estimate.requestDirection, confidence: estimate.confidence },
      });
    }
  }
  return metrics;
}

/** One row per session direction, busiest session first; `answeredAfterMs` is the lag after which the other side answers this direction's sends (an estimate, with `answeredConfidence`). */
export function packetTimingTable(report: PacketTimingReport): AnalysisSection["tables"][number] {
  return {
    name: "packet-timing",
    rows: busiestFirst(report).flatMap((session) =>
      session.directions.map((direction) => {
        const estimate = session.responseTiming.find((entry) => entry.requestDirection === direction.direction);
        return {
          session: session.id,
          direction: direction.direction,
          packets: direction.packets,
          packetsPerSecond: direction.packetsPerSecond,
          tickHz: direction.tick?.rateHz ?? null,
          tickRegularity: direction.tick?.regularity ?? "none",
          interArrivalP50Ms: direction.interArrivalMs.p50,
          interArrivalP95Ms: direction.interArrivalMs.p95,
          interArrivalP99Ms: direction.interArrivalMs.p99,
          jitterMs: direction.jitterMs?.mean ?? null,
          gaps: direction.gaps.count,
          longestGapMs: direction.gaps.longest[0]?.durationMs ?? null,
          bursts: direction.bursts.count,
          payloadP50Bytes: direction.payloadSizeBytes.p50,
          answeredAfterMs: estimate?.lagMs ?? null,
          answeredConfidence: estimate?.confidence ?? "none",
        };
      }),
    ),
  };
}

/**
 * Builds the latency section: RTT percentiles per session, spikes and their
 * ranked causes; without RTT, the RFC 3550 jitter of the streams that carry a
 * sender clock (RTP).
 * What could not be measured comes first, with the reason; "no spike" is only
 * said when an RTT series was there to look for one.
 */
export function latencySection(report: LatencyReportWithTiming, context?: DecodeOutcomeContext): AnalysisSection {
  const sessions = report.sessions.filter((session) => session.rttMs.samples > 0);
  const spikes = report.sessions.flatMap((session) => session.spikes.map((spike) => ({ session: session.id, ...spike })));
  const answer: string[] = [];
  const streams = report.streams.filter((stream) => stream.packets >= 2);
  const undecrypted = undecryptedReason(context);
  // nothing decoded at all, or nothing measured because the datagrams could not be decrypted: the same "Not measured" answer
  const undecoded = notDecodedReason(context) ?? (sessions.length > 0 || streams.length > 0 ? undefined : undecrypted?.text);
  if (undecoded === undefined && undecrypted?.mostly === true) {
    answer.push(`Mostly not measured: ${undecrypted.text}; the figures below cover only the messages that were decoded.`);
  }
  if (undecoded !== undefined) {
    answer.push(
      `Not measured: ${undecoded}. RTT needs ack, echo or reported-RTT roles and jitter a sendTime role, so no latency spike could be looked for` +
        `${report.packetTiming === undefined ? "." : "; what datagram arrival times alone show follows (packet-timing table)."}`,
    );
    if (report.packetTiming !== undefined) answer.push(...packetTimingAnswer(report.packetTiming));
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
  const metrics: MetricSample[] = report.packetTiming === undefined ? [] : packetTimingMetrics(report.packetTiming);
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
      ...(report.packetTiming === undefined ? [] : [packetTimingTable(report.packetTiming)]),
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
        timeColumns: ["startUs"],
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
  // Reads entity roles only during onMessage (copies what it keeps): see AnalysisAdapter.copiesEntityRoles.
  copiesEntityRoles: true,
  // Keeps no message or roles object past onMessage (only copied values): see AnalysisAdapter.copiesMessages.
  copiesMessages: true,
  commandOptions: [{ flags: "--server-capture <file>", description: "server-side capture of the same traffic: adds one-way delay per direction (clock offset and drift fitted)" }],
  async augmentReport(report, options, captures) {
    if (options.serverCapture === undefined) return report;
    if (captures.length !== 1) {
      throw new TickscopeError(ErrorCode.invalidOption, "--server-capture needs exactly one (client-side) capture", { hint: "tickscope latency client.pcapng --server-capture server.pcapng" });
    }
    const oneWayDelay = await measureOneWayDelay(captures[0]!, options.serverCapture as string, options.serverPort as number[] | undefined);
    return { ...(report as LatencyReport), oneWayDelay };
  },
  create: (context) => {
    const latency = new LatencyAnalyzer(context.settings.latency as ConstructorParameters<typeof LatencyAnalyzer>[0]);
    // Without a definition nothing is decoded: timing from datagram arrivals is what there is to measure.
    return undecodedReason(context) === undefined ? latency : withPacketTiming(latency, new PacketTimingAnalyzer());
  },
  toSection: (report, context) => latencySection(report as LatencyReportWithTiming, context),
};
