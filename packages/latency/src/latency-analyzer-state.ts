import { Type, type Static } from "@sinclair/typebox";
import {
  ackSessionCarrySchema,
  countSchema,
  echoSessionCarrySchema,
  detectedSpikeStateSchema,
  DirectionSchema,
  encodedNumberSchema,
  quantileSketchStateSchema,
  rttMethodSchema,
  sessionRttSignalsStateSchema,
  sessionRttStateSchema,
  smoothedRttStateSchema,
  spikeDetectorStateSchema,
} from "@tickscope/core";

/** Version of {@link LatencyAnalyzerState}'s shape; bumped whenever it changes. */
export const LATENCY_STATE_VERSION = 1;

/** Most sessions a saved latency state may hold (the analyzer's default `maxSessions`). */
export const MAX_LATENCY_STATE_SESSIONS = 100_000;
/** Most spikes, minute rows or timeline points a saved series may hold (the options cap them lower). */
export const MAX_LATENCY_STATE_SERIES_ROWS = 100_000;

const causeKindSchema = Type.Union(
  ["lossBurst", "queueBuildup", "snapshotBurst", "tickStall", "serverLogEvent", "retransmissionStorm", "sharedPath", "routeChange"].map((kind) => Type.Literal(kind)),
);

/** One candidate cause of a saved spike; evidence as `[name, "number", value]` or `[name, "text", value]`. */
const causeStateSchema = Type.Object(
  {
    kind: causeKindSchema,
    score: encodedNumberSchema,
    surprise: encodedNumberSchema,
    lagMs: encodedNumberSchema,
    evidence: Type.Array(
      Type.Union([Type.Tuple([Type.String({ maxLength: 64 }), Type.Literal("number"), encodedNumberSchema]), Type.Tuple([Type.String({ maxLength: 64 }), Type.Literal("text"), Type.String({ maxLength: 1024 })])]),
      { maxItems: 64 },
    ),
  },
  { additionalProperties: false },
);

/** A closed spike of a series, with the direct series contradicting it and its causes (scored when it closed). */
const spikeStateSchema = Type.Object(
  {
    spike: detectedSpikeStateSchema,
    contradictedBy: Type.Union([Type.Array(Type.String({ maxLength: 64 }), { maxItems: 6 }), Type.Null()]),
    causes: Type.Array(causeStateSchema, { maxItems: 64 }),
  },
  { additionalProperties: false },
);

const minuteRowSchema = Type.Object(
  { minuteStartUs: Type.Number(), samples: countSchema, p50: Type.Number(), p95: Type.Number(), p99: Type.Number(), max: Type.Number() },
  { additionalProperties: false },
);

const minuteSketchSchema = Type.Object({ minute: Type.Integer(), sketch: quantileSketchStateSchema }, { additionalProperties: false });

const timelinePointSchema = Type.Object({ startUs: Type.Number(), maxMs: Type.Number(), minMs: Type.Number(), samples: countSchema }, { additionalProperties: false });

/** One RTT series of a session (one method, one direction) as the latency analysis keeps it. */
const seriesStateSchema = Type.Object(
  {
    method: rttMethodSchema,
    direction: DirectionSchema,
    smoothed: smoothedRttStateSchema,
    spikes: Type.Array(spikeStateSchema, { maxItems: MAX_LATENCY_STATE_SERIES_ROWS }),
    /** Spikes dropped beyond `maxSpikesPerSeries` (kept as anomalies). */
    minutes: Type.Array(minuteRowSchema, { maxItems: MAX_LATENCY_STATE_SERIES_ROWS }),
    timeline: Type.Object({ bucketUs: Type.Number({ exclusiveMinimum: 0 }), points: Type.Array(timelinePointSchema, { maxItems: MAX_LATENCY_STATE_SERIES_ROWS }) }, { additionalProperties: false }),
    /** Time above 50 / 100 / 150 ms, µs. */
    aboveUs: Type.Tuple([Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 })]),
    previousUs: encodedNumberSchema,
    /** The pass's first sample of the series (a later pass's continues the smoothed RTT and time-above figures). */
    firstSample: Type.Union([Type.Object({ tUs: Type.Number(), rttMs: Type.Number() }, { additionalProperties: false }), Type.Null()]),
    /** The pass's first samples (≤ 128) as flat `[tUs, rttMs, packetIndex, …]`: replayed onto the earlier pass's smoothed RTT and spike detector at a rotation cut. */
    head: Type.Array(Type.Number(), { maxItems: 384 }),
    /** The spike detector as the pass ended, before its open spike was closed (null without samples). */
    detectorAtEnd: Type.Union([spikeDetectorStateSchema, Type.Null()]),
    /** Whether the series' last spike was open when the pass ended. */
    openAtEnd: Type.Boolean(),
    /** The pass's first and last minute as sketches: a minute cut by a rotation is rebuilt from both halves. */
    firstMinute: Type.Union([minuteSketchSchema, Type.Null()]),
    lastMinute: Type.Union([minuteSketchSchema, Type.Null()]),
  },
  { additionalProperties: false },
);

const sessionStateSchema = Type.Object(
  {
    id: Type.String({ maxLength: 512 }),
    client: Type.String({ maxLength: 512 }),
    server: Type.String({ maxLength: 512 }),
    player: Type.Union([Type.String({ maxLength: 512 }), Type.Null()]),
    playerLearnedFromMessages: Type.Boolean(),
    rtt: sessionRttStateSchema,
    signals: sessionRttSignalsStateSchema,
    series: Type.Array(seriesStateSchema, { maxItems: 6 }),
    /** The exchanges open at the pass's ends (unacknowledged sends, unanswered pings; the first acks and pongs of sends the pass never saw), for a rotation cut. */
    carry: Type.Object({ ack: Type.Union([ackSessionCarrySchema, Type.Null()]), echo: Type.Union([echoSessionCarrySchema, Type.Null()]) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

/** TypeBox schema of {@link LatencyAnalyzerState}. */
export const latencyAnalyzerStateSchema = Type.Object(
  {
    analysis: Type.Literal("latency"),
    version: Type.Literal(LATENCY_STATE_VERSION),
    /** The options that shape the report, as canonical JSON: states merge only with equal settings (`E_PARTIAL_MISMATCH`). */
    settings: Type.String({ maxLength: 65_536 }),
    sessions: Type.Array(sessionStateSchema, { maxItems: MAX_LATENCY_STATE_SESSIONS }),
    counters: Type.Object(
      {
        ackRetransmissions: countSchema,
        acksBeforeFirstSend: countSchema,
        acksWithoutSendStream: countSchema,
        unmatchedEchoReplies: countSchema,
        invalidReported: countSchema,
        unmeasuredReported: countSchema,
        unattributedLogEvents: countSchema,
      },
      { additionalProperties: false },
    ),
    /** Anomaly counts by code (E_SPIKE_CONTRADICTED is decided at finish and never in a state). */
    anomalies: Type.Array(Type.Tuple([Type.String({ maxLength: 64 }), countSchema]), { maxItems: 256 }),
  },
  { additionalProperties: false },
);

/**
 * The latency analysis' state as JSON-safe plain data ({@link LatencyAnalyzer.saveState}).
 *
 * Per session: its core RTT series (sketches), core signals (spike detectors,
 * RTT and send-time jitter; recent samples left out: they are only read when a
 * spike closes, and every spike is closed when a state is saved), and per
 * series the closed spikes with their causes (scored against the session's
 * traffic history when they closed), minute rows, chart timeline, smoothed
 * RTT, time above 50/100/150 ms and the pass's first sample and first/last
 * minute sketches. What combines sessions (headline choice, contradicted
 * spikes, shared-path causes, findings) is computed at `finish()` from the
 * merged sessions, so disjoint sessions merge byte-identically to one pass.
 *
 * A session cut by a rotation (found in two consecutive passes) continues:
 * - Exchanges spanning the cut (an ack or pong in the later pass of a send or
 *   ping in the earlier one) are paired at merge from the carried open
 *   sends/pings and the later pass's first unpaired acks/pongs (core's
 *   `continueAckCarry` / `continueEchoCarry`, RFC 9002 rules), so RTT sample
 *   counts, every percentile, minute rows (the cut minute is rebuilt from both
 *   halves' sketches), the timeline and the method-detail counters equal one pass.
 * - The later pass's first 128 samples per series (and the paired ones before
 *   them) are replayed through the earlier pass's spike detector as it ended
 *   and onto its smoothed RTT: a spike open at the cut continues, one in the
 *   later pass's warm-up is found, and the smoothed RTT / RTT variation equal
 *   one pass (the remaining start difference decays as 0.875^n / 0.75^n).
 *   Time above 50/100/150 ms and RFC 3550 jitter (last, mean) are exact too.
 * - What still differs: spikes after the replayed samples come from the later
 *   pass's own detector, whose baseline window can differ slightly (measured:
 *   baselines within 0.2 ms); causes of the later pass's spikes are scored
 *   against its own traffic history (a loss may stand out more against a
 *   shorter background); PDV quantiles are rebased within 0.5 % of the value;
 *   the max RFC 3550 jitter may read low by the start difference.
 * Measured (bench/state.ts, 16 players × 60 s, cuts at 20.0, 31.0 and 45.3 s):
 * 0 of 57,777 samples lost, 17 of 17 spikes identical, smoothed RTT and
 * variation equal; differences only in PDV p50–p99 (≤ 0.06 ms) and, for the
 * cut at 20.0 s, the baselines (≤ 0.17 ms) and one extra loss cause of the
 * spikes at 30.5 s.
 * Size: about 50 KB of JSON per session of a 60 s match (sketches, detector
 * windows, timelines, 128-sample heads).
 */
export type LatencyAnalyzerState = Static<typeof latencyAnalyzerStateSchema>;

/** One saved session of {@link LatencyAnalyzerState}. */
export type LatencySessionState = Static<typeof sessionStateSchema>;

/** One saved series of {@link LatencySessionState}. */
export type LatencySeriesState = Static<typeof seriesStateSchema>;

/** One saved spike of {@link LatencySeriesState}. */
export type LatencySpikeState = Static<typeof spikeStateSchema>;
