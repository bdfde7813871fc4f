import { FindingSchema, type Direction, type Finding } from "@tickscope/core";
import type { SpikeCauseKind } from "./cause-timeline.js";
import type { LatencyMethod } from "./rtt-sample.js";
import type { RttTimelinePoint } from "./rtt-timeline.js";

/** Percentiles of a latency distribution, ms (from a 0.5 %-relative-error sketch; max exact). */
export interface LatencyPercentiles {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One measured latency series of a session (one method, one direction). */
export interface LatencySeriesReport extends LatencyPercentiles {
  method: LatencyMethod;
  direction: Direction;
  min: number;
  mean: number;
  /** TCP/ENet smoothed RTT (α 1/8) at the end, ms. */
  smoothedMs: number;
  /** TCP/ENet RTT variation (β 1/4) at the end, ms. */
  variationMs: number;
}

/** Latency percentiles of one minute of a session's primary series. */
export interface LatencyMinuteReport extends LatencyPercentiles {
  /** Start of the minute, µs since the epoch. */
  minuteStartUs: number;
}

/** A candidate cause of a spike, with its score and evidence. */
export interface SpikeCauseReport {
  kind: SpikeCauseKind;
  score: number;
  lagMs: number;
  evidence: Record<string, number | string>;
}

/** One latency spike. */
export interface LatencySpikeReport {
  startUs: number;
  endUs: number;
  durationMs: number;
  peakMs: number;
  baselineMs: number;
  /** True when latency never returned: a baseline level shift (e.g. route change). */
  levelShift: boolean;
  /** Candidate causes, best first (score ≥ the report's minimum). */
  causes: SpikeCauseReport[];
  /** Suggested fix for the top cause. */
  suggestedFix: string;
}

/** What the player lived through. */
export interface PlayerExperience {
  timeAbove50Ms: number;
  timeAbove100Ms: number;
  timeAbove150Ms: number;
  spikesPerHour: number;
  /** Minute with the highest p95 (µs since the epoch), or null. */
  worstMinuteStartUs: number | null;
  worstMinuteP95Ms: number | null;
}

/** An RTT method that disagrees with the session's headline (core's `RttDisagreement`). */
export interface LatencyMethodDisagreement {
  method: LatencyMethod;
  direction: Direction;
  /** Its p50 / the headline's p50. */
  p50Ratio: number;
  /** Its p95 / the headline's p95. */
  p95Ratio: number;
  /** For acks: the channel they acknowledge ("" when the protocol has none). */
  channel: string;
  /** The likely reason. */
  reason: string;
}

/** Latency of one session. */
export interface LatencySessionReport {
  id: string;
  /** Client endpoint `ip:port` ("" when unknown). */
  client: string;
  /** Server endpoint `ip:port` ("" when unknown). */
  server: string;
  /**
   * Method of the headline series (the one `rttMs` describes): the most direct
   * method with enough samples — echo (ping, time sync), then reported, then ack
   * (core's `SessionRtt.choose`, the same rule regions uses).
   */
  method: LatencyMethod;
  /** Direction of the headline series. */
  direction: Direction;
  rttMs: LatencyPercentiles & { smoothedMs: number; variationMs: number };
  /**
   * The series `spikes`, `perMinute`, `timeline` and `experience` follow: the
   * headline, or a denser method that agrees with it within 2× (p50 and p95).
   */
  timeSeries: { method: LatencyMethod; direction: Direction };
  /** Methods whose p50 or p95 differ from the headline's by more than 2×, with the likely reason (also findings). */
  methodsDisagree: LatencyMethodDisagreement[];
  /** RFC 3550 jitter (final value) and p95 per-packet jitter of the primary series' stream, ms. */
  jitterMs: { rfc3550: number; p95: number };
  /** Every measured series (all methods and directions), sorted. */
  series: LatencySeriesReport[];
  perMinute: LatencyMinuteReport[];
  /** RTT max/min per time bucket of the primary series, for charts (bounded; see `RttTimeline`). */
  timeline: RttTimelinePoint[];
  spikes: LatencySpikeReport[];
  experience: PlayerExperience;
}

/** RFC 3550 jitter of one stream (sendTime role), comparable with tshark's RTP stream analysis. */
export interface LatencyStreamReport {
  session: string;
  direction: Direction;
  ssrcOrChannel: string;
  packets: number;
  /** Mean and max of the running RFC 3550 jitter, and its final value, ms. */
  jitterMs: { mean: number; max: number; last: number };
  /** p95 of per-packet jitter |receive gap − send gap|, ms. */
  perPacketJitterP95Ms: number;
  /** RFC 5481 packet delay variation quantiles, ms. */
  pdvMs: { p50: number; p95: number; p99: number; max: number };
  /** Restarts of the jitter difference chain: sender timestamp discontinuities and clock (payload type) changes. */
  restarts: number;
  /** The first restarts (up to 100): where the sender's timestamp jumped or its clock changed; never jitter samples, never loss. */
  timestampResets: LatencyTimestampReset[];
}

/** One sender timestamp discontinuity (RTP timestamp reset, e.g. a fax switch-over) or clock change of a stream. */
export interface LatencyTimestampReset {
  /** Arrival of the first packet after it, µs. */
  tUs: number;
  /** `timestampJump` or `clockChange`. */
  reason: "timestampJump" | "clockChange";
  /** Its sequence number (null without one). */
  sequence: number | null;
  /** What the sender timestamp jumped by, ms. */
  sendJumpMs: number;
  /** Arrival gap to the previous packet, ms. */
  arrivalGapMs: number;
  /** Datagram index (Wireshark frame = index + 1). */
  packetIndex: number;
}

/** `finish()` output of the latency analyzer: what `tickscope latency --json` prints. */
export interface LatencyReport {
  sessions: LatencySessionReport[];
  streams: LatencyStreamReport[];
  findings: Finding[];
  /** Counters of things skipped (anomaly codes → counts), keys sorted. */
  anomalies: Record<string, number>;
  /** Normal protocol behaviour the RTT methods left out (no sample, not an anomaly of the input). */
  methodDetails: LatencyMethodDetails;
}

/** What the RTT methods left out by their rules, expected on any capture (core's `RttSampler` counters). */
export interface LatencyMethodDetails {
  /** Sequences sent more than once (a resend, `resendCount` > 0): no ack sample (Karn's rule). */
  ackRetransmissionsSkipped: number;
  /** Acks before the first send on their channel (capture or session start: the peer acknowledged before anything was sent to it). */
  acksBeforeFirstSend: number;
  /** Reported RTT values of 0 before the sender's first measurement (engines report 0 until their first pong). */
  reportedRttNotYetMeasured: number;
}

const numberSchema = { type: "number" } as const;
const nullableNumber = { type: ["number", "null"] } as const;
const directionSchema = { type: "string", enum: ["clientToServer", "serverToClient"] } as const;
const methodSchema = { type: "string", enum: ["ack", "echo", "oneWay", "reported"] } as const;
const percentileProperties = {
  samples: { type: "integer", minimum: 0 },
  p50: numberSchema,
  p95: numberSchema,
  p99: numberSchema,
  max: numberSchema,
} as const;
const evidenceValues = { type: "object", additionalProperties: { type: ["number", "string"] } } as const;

function objectSchema<Properties extends Record<string, unknown>>(properties: Properties) {
  return { type: "object", properties, required: Object.keys(properties) as (keyof Properties)[], additionalProperties: false } as const;
}

/**
 * JSON Schema (draft 2020-12 compatible) of {@link LatencyReport}. Written as
 * plain JSON Schema because `@sinclair/typebox` is not a dependency of this
 * package; `findings` items reuse core's TypeBox `FindingSchema`.
 */
export const LatencyReportSchema = objectSchema({
  sessions: {
    type: "array",
    items: objectSchema({
      id: { type: "string" },
      client: { type: "string" },
      server: { type: "string" },
      method: methodSchema,
      direction: directionSchema,
      rttMs: objectSchema({ ...percentileProperties, smoothedMs: numberSchema, variationMs: numberSchema }),
      timeSeries: objectSchema({ method: methodSchema, direction: directionSchema }),
      methodsDisagree: {
        type: "array",
        items: objectSchema({
          method: methodSchema,
          direction: directionSchema,
          p50Ratio: numberSchema,
          p95Ratio: numberSchema,
          channel: { type: "string" },
          reason: { type: "string" },
        }),
      },
      jitterMs: objectSchema({ rfc3550: numberSchema, p95: numberSchema }),
      series: {
        type: "array",
        items: objectSchema({
          ...percentileProperties,
          method: methodSchema,
          direction: directionSchema,
          min: numberSchema,
          mean: numberSchema,
          smoothedMs: numberSchema,
          variationMs: numberSchema,
        }),
      },
      perMinute: { type: "array", items: objectSchema({ ...percentileProperties, minuteStartUs: numberSchema }) },
      timeline: {
        type: "array",
        items: objectSchema({ startUs: numberSchema, maxMs: numberSchema, minMs: numberSchema, samples: { type: "integer", minimum: 1 } }),
      },
      spikes: {
        type: "array",
        items: objectSchema({
          startUs: numberSchema,
          endUs: numberSchema,
          durationMs: numberSchema,
          peakMs: numberSchema,
          baselineMs: numberSchema,
          levelShift: { type: "boolean" },
          causes: {
            type: "array",
            items: objectSchema({ kind: { type: "string" }, score: numberSchema, lagMs: numberSchema, evidence: evidenceValues }),
          },
          suggestedFix: { type: "string" },
        }),
      },
      experience: objectSchema({
        timeAbove50Ms: numberSchema,
        timeAbove100Ms: numberSchema,
        timeAbove150Ms: numberSchema,
        spikesPerHour: numberSchema,
        worstMinuteStartUs: nullableNumber,
        worstMinuteP95Ms: nullableNumber,
      }),
    }),
  },
  streams: {
    type: "array",
    items: objectSchema({
      session: { type: "string" },
      direction: directionSchema,
      ssrcOrChannel: { type: "string" },
      packets: { type: "integer", minimum: 0 },
      jitterMs: objectSchema({ mean: numberSchema, max: numberSchema, last: numberSchema }),
      perPacketJitterP95Ms: numberSchema,
      pdvMs: objectSchema({ p50: numberSchema, p95: numberSchema, p99: numberSchema, max: numberSchema }),
      restarts: { type: "integer", minimum: 0 },
      timestampResets: {
        type: "array",
        items: objectSchema({
          tUs: numberSchema,
          reason: { type: "string", enum: ["timestampJump", "clockChange"] },
          sequence: nullableNumber,
          sendJumpMs: numberSchema,
          arrivalGapMs: numberSchema,
          packetIndex: { type: "integer", minimum: 0 },
        }),
      },
    }),
  },
  findings: { type: "array", items: FindingSchema },
  anomalies: { type: "object", additionalProperties: { type: "integer", minimum: 0 } },
  methodDetails: objectSchema({
    ackRetransmissionsSkipped: { type: "integer", minimum: 0 },
    acksBeforeFirstSend: { type: "integer", minimum: 0 },
    reportedRttNotYetMeasured: { type: "integer", minimum: 0 },
  }),
});
