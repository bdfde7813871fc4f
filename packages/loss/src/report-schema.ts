import {
  AnomalySummarySchema,
  DirectionSchema,
  FindingSchema,
  RecommendationSchema,
  type AnomalySummary,
  type Direction,
  type Finding,
  type Recommendation,
} from "@tickscope/core";
import { SchemaType as Type, type JsonSchema } from "./schema-builder.js";

const Nullable = Type.Nullable;
const Core = (schema: unknown): JsonSchema => schema as JsonSchema;

/** Distribution summary (durations in ms, or game units for correction jumps). */
export const DistributionSchema = Type.Object({
  count: Type.Integer({ minimum: 0 }),
  mean: Type.Number(),
  p50: Type.Number(),
  p95: Type.Number(),
  p99: Type.Number(),
  max: Type.Number(),
});

/** Wilson confidence interval on a rate. */
export const RateIntervalSchema = Type.Object({
  lower: Type.Number({ minimum: 0, maximum: 1 }),
  upper: Type.Number({ minimum: 0, maximum: 1 }),
  confidence: Type.Number(),
});

/** Run-length distribution. */
export const RunLengthSchema = Type.Object({
  count: Type.Integer({ minimum: 0 }),
  meanLength: Type.Number(),
  maxLength: Type.Integer({ minimum: 0 }),
  lengths: Type.Array(Type.Object({ length: Type.Integer({ minimum: 1 }), count: Type.Integer({ minimum: 1 }) })),
  overflow: Type.Object({ count: Type.Integer({ minimum: 0 }), totalLength: Type.Integer({ minimum: 0 }) }),
});

/** Loss bursts of a stream. */
export const BurstsSchema = Type.Object({
  meanLength: Type.Number({ description: "mean loss-run length, sequences" }),
  maxLength: Type.Integer({ minimum: 0 }),
  lossRuns: RunLengthSchema,
  receiveRuns: RunLengthSchema,
});

/** Gilbert–Elliott fit (netem convention: h, k = delivery probability in Bad, Good). */
export const GilbertElliottSchema = Type.Object({
  p: Type.Number(),
  r: Type.Number(),
  h: Type.Number(),
  k: Type.Number(),
  stationaryLossRate: Type.Number(),
  logLikelihoodPerPattern: Type.Number(),
  goodnessOfFit: Type.Object({
    patternLength: Type.Integer(),
    chiSquare: Type.Number(),
    degreesOfFreedom: Type.Integer(),
    pValue: Type.Number(),
    totalVariation: Type.Number(),
  }),
});

/** A pause/reset candidate: a sequence discontinuity not counted as loss. */
export const ResetCandidateSchema = Type.Object({
  reason: Type.Union([Type.Literal("jump"), Type.Literal("restart"), Type.Literal("pause")]),
  tUs: Type.Number(),
  packetIndex: Type.Integer({ minimum: 0 }),
  fromSequence: Type.Union([Type.Number(), Type.String({ pattern: "^[0-9]+$" })], { description: "exact wire value; a decimal string beyond 2^53 − 1 (u64 sequences)" }),
  toSequence: Type.Union([Type.Number(), Type.String({ pattern: "^[0-9]+$" })], { description: "exact wire value; a decimal string beyond 2^53 − 1 (u64 sequences)" }),
  pauseMs: Type.Number(),
  skippedSequences: Type.Integer({ minimum: 0 }),
});

/** Loss seen from the sender side through the peer's acks. */
export const SenderViewSchema = Type.Object({
  covered: Type.Integer({ minimum: 0, description: "sent sequences inside some ack window of the peer" }),
  acknowledged: Type.Integer({ minimum: 0 }),
  lost: Type.Integer({ minimum: 0, description: "covered but never acknowledged" }),
  lossRate: Type.Number(),
  lossRateInterval: RateIntervalSchema,
  meanAckRedundancy: Type.Number({ description: "acks mentioning each acknowledged sequence, mean" }),
  acksBeyondHighest: Type.Integer({ minimum: 0 }),
});

/** One stream row: a sequence space of a session and direction. */
export const LossStreamSchema = Type.Object({
  id: Type.String({ description: "session id" }),
  direction: Core(DirectionSchema),
  channel: Nullable(Type.String()),
  protocolSessionId: Nullable(Type.String({ description: "sessionId role (e.g. RTP SSRC) when the protocol has one" })),
  messageType: Type.String({ description: "message types of the sequence space, sorted, joined by +" }),
  method: Type.Union([Type.Literal("gaps"), Type.Literal("acks")], {
    description: "gaps: receiver-side sequence gaps; acks: sender-side, from the peer's acks",
  }),
  sequenceBits: Nullable(Type.Integer()),
  firstUs: Type.Number({ description: "first message of the stream, µs since the Unix epoch" }),
  lastUs: Type.Number(),
  durationMs: Type.Number(),
  expected: Type.Integer({ minimum: 0 }),
  received: Type.Integer({ minimum: 0 }),
  lost: Type.Integer({ minimum: 0 }),
  duplicates: Type.Integer({ minimum: 0, description: "sequence numbers received again (a resend or a network duplicate), capture duplicates not included" }),
  captureDuplicates: Type.Integer({
    minimum: 0,
    description: "sequence numbers seen again only because the capture saw their datagram twice (byte-identical within 10 ms with the same IP identification, or on another interface)",
  }),
  reordered: Type.Integer({ minimum: 0 }),
  late: Type.Integer({ minimum: 0 }),
  strays: Type.Integer({ minimum: 0 }),
  lossRate: Type.Number(),
  lossRateInterval: RateIntervalSchema,
  lateRate: Type.Number(),
  lateRateInterval: RateIntervalSchema,
  bursts: BurstsSchema,
  conditionalLossProbability: Type.Object({ afterLoss: Nullable(Type.Number()), afterReceive: Nullable(Type.Number()) }),
  gilbertElliott: Nullable(GilbertElliottSchema),
  netem: Nullable(Type.String()),
  resets: Type.Object({ count: Type.Integer({ minimum: 0 }), candidates: Type.Array(ResetCandidateSchema) }),
  rfc3550: Nullable(Type.Object({ expected: Type.Integer(), received: Type.Integer(), lost: Type.Integer() })),
  senderView: Nullable(SenderViewSchema),
  messageTypes: Type.Array(Type.Object({ type: Type.String(), messages: Type.Integer({ minimum: 0 }) })),
  gapPacketIndices: Type.Array(Type.Integer({ minimum: 0 })),
  arrivalGaps: Type.Array(Type.Object({ tUs: Type.Number(), skipped: Type.Integer({ minimum: 1 }) }), {
    description: "the largest gaps noticed at arrival (at most 32), in time order: sequence numbers one arrival skipped; a reordered packet may fill part of one later",
  }),
});

/** Effect of loss on unreliable state (snapshots). */
export const StateSyncImpactSchema = Type.Object({
  kind: Type.Literal("state"),
  id: Type.String(),
  direction: Core(DirectionSchema),
  channel: Nullable(Type.String()),
  updates: Type.Integer({ minimum: 0 }),
  updateIntervalMs: DistributionSchema,
  staleAfterLossMs: DistributionSchema,
  nominalUpdateIntervalMs: Type.Number(),
  interpolationDelayMs: Type.Number(),
  exceedsInterpolationDelay: Type.Integer({ minimum: 0 }),
  exceedsInterpolationDelayRate: Type.Number(),
  bufferCoverage: Type.Array(Type.Object({ snapshots: Type.Integer({ minimum: 1 }), coveredRate: Type.Number() })),
  correctionJump: Nullable(Type.Object({ afterLoss: DistributionSchema, baseline: DistributionSchema })),
});

/** Effect of loss on inputs after the redundancy the protocol carries. */
export const InputSyncImpactSchema = Type.Object({
  kind: Type.Literal("input"),
  id: Type.String(),
  direction: Core(DirectionSchema),
  channel: Nullable(Type.String()),
  inputsExpected: Type.Integer({ minimum: 0 }),
  inputsLost: Type.Integer({ minimum: 0 }),
  residualInputLossRate: Type.Number(),
  residualInputLossRateInterval: RateIntervalSchema,
  currentRedundancy: Type.Integer({ minimum: 1 }),
  datagramLossRate: Type.Number(),
  redundancyReplay: Type.Array(
    Type.Object({ redundancy: Type.Integer({ minimum: 1 }), residualInputLossRate: Type.Number() }),
    { description: "observed datagram loss trace replayed with N inputs per datagram" },
  ),
});

/** Reliable channel behaviour. */
export const ReliableSyncImpactSchema = Type.Object({
  kind: Type.Literal("reliable"),
  id: Type.String(),
  direction: Core(DirectionSchema),
  channel: Nullable(Type.String()),
  resends: Type.Integer({ minimum: 0 }),
  resendCounts: Type.Array(Type.Object({ resendCount: Type.Integer({ minimum: 1 }), messages: Type.Integer({ minimum: 0 }) })),
  duplicateDeliveries: Type.Integer({ minimum: 0 }),
  retransmissionDelayMs: DistributionSchema,
  headOfLineStallMs: DistributionSchema,
  meanAckRedundancy: Nullable(Type.Number()),
});

/** One sync-impact entry. */
export const SyncImpactSchema = Type.Union([StateSyncImpactSchema, InputSyncImpactSchema, ReliableSyncImpactSchema]);

/** The report of the loss analysis (`tickscope loss --json`). */
export const LossReportSchema = Type.Object({
  sessions: Type.Array(LossStreamSchema),
  syncImpact: Type.Array(SyncImpactSchema),
  recommendations: Type.Array(Core(RecommendationSchema)),
  findings: Type.Array(Core(FindingSchema)),
  unsequencedMessages: Type.Array(
    Type.Object({ id: Type.String(), direction: Core(DirectionSchema), messageType: Type.String(), messages: Type.Integer({ minimum: 0 }) }),
  ),
  anomalies: Core(AnomalySummarySchema),
  options: Type.Record(Type.Unknown()),
});

/** Distribution summary (durations in ms, or game units for correction jumps). */
export interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Wilson confidence interval on a rate. */
export interface RateInterval {
  lower: number;
  upper: number;
  confidence: number;
}

/** Run-length distribution. */
export interface RunLengths {
  count: number;
  meanLength: number;
  maxLength: number;
  lengths: { length: number; count: number }[];
  overflow: { count: number; totalLength: number };
}

/** Gilbert–Elliott fit as reported. */
export interface GilbertElliottReport {
  p: number;
  r: number;
  h: number;
  k: number;
  stationaryLossRate: number;
  logLikelihoodPerPattern: number;
  goodnessOfFit: { patternLength: number; chiSquare: number; degreesOfFreedom: number; pValue: number; totalVariation: number };
}

/** A pause/reset candidate as reported. */
export interface ResetCandidateReport {
  reason: "jump" | "restart" | "pause";
  tUs: number;
  packetIndex: number;
  /** Exact wire value: a decimal string beyond 2^53 − 1. */
  fromSequence: number | string;
  /** Exact wire value: a decimal string beyond 2^53 − 1. */
  toSequence: number | string;
  pauseMs: number;
  skippedSequences: number;
}

/** Loss seen from the sender side through the peer's acks. */
export interface SenderView {
  covered: number;
  acknowledged: number;
  lost: number;
  lossRate: number;
  lossRateInterval: RateInterval;
  meanAckRedundancy: number;
  acksBeyondHighest: number;
}

/** One stream row of the loss report: a sequence space of a session and direction. */
export interface LossStream {
  id: string;
  direction: Direction;
  channel: string | null;
  protocolSessionId: string | null;
  messageType: string;
  method: "gaps" | "acks";
  sequenceBits: number | null;
  firstUs: number;
  lastUs: number;
  durationMs: number;
  expected: number;
  received: number;
  lost: number;
  /** Sequence numbers received again (a resend or a network duplicate); capture duplicates not included. */
  duplicates: number;
  /** Sequence numbers seen again only because the capture saw their datagram twice (core's `isCaptureDuplicate`): not sent twice, not received twice. */
  captureDuplicates: number;
  reordered: number;
  late: number;
  strays: number;
  lossRate: number;
  lossRateInterval: RateInterval;
  lateRate: number;
  lateRateInterval: RateInterval;
  bursts: { meanLength: number; maxLength: number; lossRuns: RunLengths; receiveRuns: RunLengths };
  conditionalLossProbability: { afterLoss: number | null; afterReceive: number | null };
  gilbertElliott: GilbertElliottReport | null;
  netem: string | null;
  resets: { count: number; candidates: ResetCandidateReport[] };
  rfc3550: { expected: number; received: number; lost: number } | null;
  senderView: SenderView | null;
  messageTypes: { type: string; messages: number }[];
  gapPacketIndices: number[];
  /** The largest gaps noticed at arrival (at most 32), in time order; a reordered packet may fill part of one later. */
  arrivalGaps: { tUs: number; skipped: number }[];
}

/** Effect of loss on unreliable state (snapshots). */
export interface StateSyncImpact {
  kind: "state";
  id: string;
  direction: Direction;
  channel: string | null;
  updates: number;
  updateIntervalMs: Distribution;
  staleAfterLossMs: Distribution;
  nominalUpdateIntervalMs: number;
  interpolationDelayMs: number;
  exceedsInterpolationDelay: number;
  exceedsInterpolationDelayRate: number;
  bufferCoverage: { snapshots: number; coveredRate: number }[];
  correctionJump: { afterLoss: Distribution; baseline: Distribution } | null;
}

/** Effect of loss on inputs after the redundancy the protocol carries. */
export interface InputSyncImpact {
  kind: "input";
  id: string;
  direction: Direction;
  channel: string | null;
  inputsExpected: number;
  inputsLost: number;
  residualInputLossRate: number;
  residualInputLossRateInterval: RateInterval;
  currentRedundancy: number;
  datagramLossRate: number;
  redundancyReplay: { redundancy: number; residualInputLossRate: number }[];
}

/** Reliable channel behaviour. */
export interface ReliableSyncImpact {
  kind: "reliable";
  id: string;
  direction: Direction;
  channel: string | null;
  resends: number;
  resendCounts: { resendCount: number; messages: number }[];
  duplicateDeliveries: number;
  retransmissionDelayMs: Distribution;
  headOfLineStallMs: Distribution;
  meanAckRedundancy: number | null;
}

/** One sync-impact entry. */
export type SyncImpact = StateSyncImpact | InputSyncImpact | ReliableSyncImpact;

/** The loss report (`tickscope loss --json`), described by {@link LossReportSchema}. */
export interface LossReport {
  sessions: LossStream[];
  syncImpact: SyncImpact[];
  recommendations: Recommendation[];
  findings: Finding[];
  unsequencedMessages: { id: string; direction: Direction; messageType: string; messages: number }[];
  anomalies: AnomalySummary;
  options: Record<string, unknown>;
}
