import type { AnomalySummary, Direction, RecentDatagramsColumns } from "@tickscope/core";
import type { LogHistogramState } from "./histogram.js";
import type { InputCoverageState } from "./input-coverage.js";
import type { LossReport } from "./report-schema.js";
import type { Rfc3550State } from "./rfc3550-sequence.js";
import { SchemaType as Type, type JsonSchema } from "./schema-builder.js";
import type { SequenceSpaceState } from "./sequence-space.js";
import type { StateSyncState } from "./state-sync.js";
import type { StreamHeadLogState } from "./stream-head-log.js";

/** Version of {@link LossAnalyzerState}'s shape. */
export const LOSS_STATE_VERSION = 2;

/** Most sessions a saved state may hold (the analyzer's `maxStreams` bounds real ones far below). */
export const MAX_STATE_ENTRIES = 1_000_000;

/** What a stream counts, without its identity: the live state, or a checkpoint of it. */
export interface LossStreamCoreState {
  space: SequenceSpaceState;
  rfc3550: Rfc3550State | null;
  input: InputCoverageState | null;
  /** State-sync tracker (null in a checkpoint: it is merged, not replayed). */
  state: StateSyncState | null;
  /** `[message type, messages]` (empty in a checkpoint). */
  messageTypes: [string, number][];
  reliable: boolean;
  resetsSeen: number;
  firstUs: number;
  lastUs: number;
  captureDuplicates: number;
  /** Head-of-line stalls by blocker types. */
  stallsByBlocker: [string, LogHistogramState][];
}

/** One sequence space of a session direction. */
export interface LossStreamState {
  /** Lookup key: the channel role (string or number), null when absent, or the composite key string. */
  key: string | number | null;
  channel: string | null;
  /** The channel role as decoded (string or number), null when absent. */
  channelKey: string | number | null;
  protocolSessionId: string | null;
  core: LossStreamCoreState;
  /**
   * The pass's first events of this stream (replayed by a merge after an
   * earlier pass); null when the analyzer kept no head log (`keepSeamLog`
   * off): a merge after an earlier pass of the stream then grafts the whole
   * pass as an estimate and counts the seam as `E_LOSS_SEAM_INEXACT`.
   */
  head: StreamHeadLogState | null;
  /** The stream at the end of its head (null: the whole pass is in the head, or no head was logged). */
  checkpoint: LossStreamCoreState | null;
}

/** A datagram among the first of a pass in one direction (capture duplicates of the pass before are found at the merge). */
export interface LossHeadPacketState {
  packetIndex: number;
  fingerprint: number;
  length: number;
  tUs: number;
  ipIdentification: number;
  interfaceId: number;
  /** Unsequenced messages of the packet by type. */
  unsequenced: [string, number][];
}

/** A peer ack of the first packets of a pass that found no stream in the pass (it acknowledged the pass before). */
export interface LossHeadAckState {
  packetIndex: number;
  ack: string | number;
  ackBits: number;
  ackBitsWidth: number;
  channel: string | number | null;
  protocolSessionId: string | null;
}

/** Remembered datagrams of a direction for capture-duplicate detection (core's ring, column by column). */
export type LossRecentState = RecentDatagramsColumns;

/** One direction of a session. */
export interface LossDirectionState {
  unsequenced: [string, number][];
  input: InputCoverageState | null;
  recent: LossRecentState | null;
  headPackets: LossHeadPacketState[];
  headAcks: LossHeadAckState[];
  streams: LossStreamState[];
}

/** One session. */
export interface LossSessionState {
  id: string;
  clientToServer: LossDirectionState;
  serverToClient: LossDirectionState;
}

/**
 * Saved state of a {@link LossAnalyzer} (`saveState()` / `mergeState()`),
 * JSON-safe. Everything the analyzer holds, open windows included (saving
 * finalizes nothing), plus per stream the head of the pass (its first events,
 * until the windows moved past everything the pass began with) and the stream
 * at that checkpoint. Size: per stream, the window (`windowSize` slots) and a
 * head of at most 8 × max(`windowSize`, 4096) events — bounded like the analyzer.
 *
 * Merging:
 * - Disjoint sessions (threads, files without common sessions): the sessions
 *   are taken as they are; the report is byte-identical to one pass, in any
 *   merge order (anomaly examples are the smallest packet indices, as one
 *   pass keeps them).
 * - A stream in the analyzer and in the merged state (a rotation cut): the
 *   later pass's head is replayed onto the earlier pass's open state (a
 *   sequence whose predecessor was before the cut advances normally, a late
 *   arrival fills its hole, a copy of an earlier-pass datagram is a duplicate,
 *   an ack of an earlier-pass sequence covers it, the first datagrams are
 *   checked against the earlier pass's remembered datagrams for capture
 *   duplicates), then the rest of the later pass is grafted: its open window
 *   and its counts since the checkpoint, the run in progress lengthened.
 *   Exact, as one pass: expected, received, lost, duplicates, capture
 *   duplicates, reordered, strays, resets, loss/receive runs, loss patterns
 *   (Gilbert–Elliott fit inputs and netem line), RFC 3550 counts, sender view
 *   from acks, input coverage, message counts, head-of-line stall and
 *   retransmission histograms (count and buckets). When the windows did not
 *   agree at the checkpoint (a pass beginning far behind the other), the
 *   counts are added the same way and the seam is counted as anomaly
 *   `E_LOSS_SEAM_INEXACT`.
 *   A later pass saved without head logs (`keepSeamLog` off, the default of
 *   a plain analysis) cannot be replayed: its streams that continue one of
 *   the analyzer's are grafted from their start (counts added, its open
 *   window kept) and each such seam is counted as `E_LOSS_SEAM_INEXACT`;
 *   disjoint sessions and new streams still merge exactly.
 *   State sync continues too: the update interval across the cut (stale
 *   after loss when the replay found the first later update after lost
 *   datagrams), each entity's first correction jump after the cut, and the
 *   later pass's interpolation-buffer coverage recounted against the earlier
 *   pass's nominal update interval (from the intervals it kept near the
 *   coverage thresholds). On a simulated 4-player 40 s match cut at every
 *   tenth, inside a loss burst, at a 16-bit wrap and across a capture
 *   duplicate, and chained over three files, the merged report is
 *   byte-identical to one pass.
 *   Not exact by construction (not seen in those tests): `late` by transit
 *   time uses each pass's own minimum transit until the later pass's head
 *   ends; buffer coverage when the two nominal intervals differ by more than
 *   1/85 or more than 4096 intervals fell near a threshold; inputs without a
 *   sequence role (direction level) continue as a new segment; the maximum
 *   of a stall/retransmission histogram can miss a later-pass value below
 *   the later pass's own head maximum; `E_LOSS_STRAY_SEQUENCE` anomalies of
 *   the later pass's head are those it counted itself.
 */
export interface LossAnalyzerState {
  analysis: "loss";
  version: number;
  /** Resolved options (must equal the merging analyzer's). */
  options: LossReport["options"];
  anomalies: AnomalySummary;
  sessions: LossSessionState[];
}

const Integer = (): JsonSchema => Type.Integer();
const NonNegative = (): JsonSchema => Type.Integer({ minimum: 0 });
const Float = (): JsonSchema => Type.Union([Type.Number(), Type.Union([Type.Literal("NaN"), Type.Literal("Infinity"), Type.Literal("-Infinity")])]);
const Serial = (): JsonSchema => Type.Union([Type.Number(), Type.String({ pattern: "^-?[0-9]+$", maxLength: 40 })]);
const Bounded = (items: JsonSchema, maxItems = MAX_STATE_ENTRIES): JsonSchema => Type.Array(items, { maxItems });
const Pair = (first: JsonSchema, second: JsonSchema): JsonSchema => Type.Array(Type.Union([first, second]), { minItems: 2, maxItems: 2 });
const Sparse = (): JsonSchema => Bounded(Pair(NonNegative(), Type.Number()), 65_536);
const Series = (): JsonSchema => Type.Union([Type.Object({ deltas: Bounded(Type.Number()) }), Type.Object({ values: Bounded(Float()) })]);
const Run = (): JsonSchema => Type.Object({ lost: Type.Boolean(), length: NonNegative() });
const Nullable = Type.Nullable;

const LogHistogramStateSchema = Type.Object({ count: NonNegative(), sum: Type.Number(), max: Type.Number(), buckets: Sparse() });
const RunLengthStateSchema = Type.Object({
  exactLimit: Type.Integer({ minimum: 1, maximum: 65_536 }),
  count: NonNegative(),
  totalLength: NonNegative(),
  maxLength: NonNegative(),
  overflowCount: NonNegative(),
  overflowLength: NonNegative(),
  counts: Sparse(),
});
const PatternStateSchema = Type.Object({
  patternLength: Type.Integer({ minimum: 2, maximum: 12 }),
  patterns: Sparse(),
  transitions: Type.Array(Type.Number(), { minItems: 4, maxItems: 4 }),
  register: NonNegative(),
  filled: NonNegative(),
  previous: Type.Integer({ minimum: -1, maximum: 1 }),
});
const ResetReasonSchema = Type.Union([Type.Literal("jump"), Type.Literal("restart"), Type.Literal("pause")]);

/** Schema of a saved sequence space. */
export const sequenceSpaceStateSchema = Type.Object({
  bits: Nullable(Type.Integer({ minimum: 1, maximum: 64 })),
  started: Type.Boolean(),
  highest: Integer(),
  highestRaw: Serial(),
  segmentBase: Integer(),
  finalizeFrom: Integer(),
  lastArrivalUs: Type.Number(),
  minTransitUs: Float(),
  pending: Nullable(Type.Object({ raw: Serial(), tUs: Type.Number(), packetIndex: Integer(), reason: ResetReasonSchema })),
  run: Run(),
  ackRun: Run(),
  expectedClosed: NonNegative(),
  received: NonNegative(),
  lost: NonNegative(),
  duplicates: NonNegative(),
  reordered: NonNegative(),
  late: NonNegative(),
  strays: NonNegative(),
  resetCount: NonNegative(),
  resetCandidates: Bounded(
    Type.Object({
      reason: ResetReasonSchema,
      tUs: Type.Number(),
      packetIndex: Integer(),
      fromSequence: Serial(),
      toSequence: Serial(),
      pauseMs: Type.Number(),
      skippedSequences: Type.Number(),
    }),
    1000,
  ),
  lastWaitUs: Type.Number(),
  lastSkipped: Type.Number(),
  gapPacketIndices: Bounded(Integer(), 5),
  arrivalGaps: Bounded(Type.Object({ tUs: Type.Number(), skipped: Type.Number() }), 32),
  resendCounts: Type.Array(NonNegative(), { minItems: 8, maxItems: 8 }),
  lossRuns: RunLengthStateSchema,
  receiveRuns: RunLengthStateSchema,
  patterns: PatternStateSchema,
  stallUs: LogHistogramStateSchema,
  retransmissionDelayUs: LogHistogramStateSchema,
  ackCovered: NonNegative(),
  ackAcknowledged: NonNegative(),
  ackLost: NonNegative(),
  ackMentions: NonNegative(),
  acksBeyondHighest: NonNegative(),
  ack: Nullable(Type.Object({ lossRuns: RunLengthStateSchema, receiveRuns: RunLengthStateSchema, patterns: PatternStateSchema })),
  window: Type.Object({ flags: Type.String({ maxLength: 65_536, pattern: "^[0-7]*$" }), timesUs: Series(), ackCounts: Nullable(Bounded(NonNegative(), 65_536)) }),
  marked: Nullable(Type.Object({ run: Nullable(Run()), ackRun: Nullable(Run()) })),
});

const InputCoverageStateSchema = Type.Object({
  windowSize: Type.Integer({ minimum: 2, maximum: 65_536 }),
  started: Type.Boolean(),
  highest: Integer(),
  highestRaw: Serial(),
  base: Integer(),
  finalizeFrom: Integer(),
  redundancyCounts: Sparse(),
  expectedClosed: NonNegative(),
  lost: NonNegative(),
  resets: NonNegative(),
  messages: NonNegative(),
  bytes: Type.Number({ minimum: 0 }),
  window: Type.String({ maxLength: 65_536, pattern: "^[01]*$" }),
});

const Rfc3550StateSchema = Type.Object({
  bits: Type.Integer({ minimum: 1, maximum: 32 }),
  started: Type.Boolean(),
  baseSequence: Integer(),
  maxSequence: Integer(),
  badSequence: Integer(),
  cycles: Integer(),
  received: NonNegative(),
});

const StateSyncStateSchema = Type.Object({
  intervalsUs: LogHistogramStateSchema,
  staleAfterLossUs: LogHistogramStateSchema,
  jumpAfterLoss: LogHistogramStateSchema,
  jumpBaseline: LogHistogramStateSchema,
  exceeds: NonNegative(),
  updates: NonNegative(),
  entitiesDropped: NonNegative(),
  bufferCovered: Type.Array(Type.Number(), { minItems: 9, maxItems: 9 }),
  sample: Bounded(Type.Number(), 32),
  nominalUs: Type.Number(),
  lastUpdateUs: Float(),
  entities: Bounded(Type.Array(Float(), { minItems: 9, maxItems: 9 }), 65_536),
  firstUpdate: Nullable(Type.Object({ tUs: Type.Number(), packetIndex: Integer() })),
  firstEntities: Bounded(Type.Array(Float(), { minItems: 6, maxItems: 6 }), 65_536),
  nearThresholdUs: Bounded(Type.Number(), 4096),
  nearThresholdOverflow: Type.Boolean(),
});

const StreamCoreStateSchema = Type.Object({
  space: sequenceSpaceStateSchema,
  rfc3550: Nullable(Rfc3550StateSchema),
  input: Nullable(InputCoverageStateSchema),
  state: Nullable(StateSyncStateSchema),
  messageTypes: Bounded(Pair(Type.String(), NonNegative()), 65_536),
  reliable: Type.Boolean(),
  resetsSeen: NonNegative(),
  firstUs: Type.Number(),
  lastUs: Type.Number(),
  captureDuplicates: NonNegative(),
  stallsByBlocker: Bounded(Pair(Type.String(), LogHistogramStateSchema), 65_536),
});

const SerialColumn = (): JsonSchema => Type.Union([Type.Object({ deltas: Bounded(Type.Number(), 1 << 20) }), Type.Object({ values: Bounded(Serial(), 1 << 20) })]);
const HeadLogStateSchema = Type.Object({
  kinds: Type.String({ maxLength: 1 << 20, pattern: "^[oaci]*$" }),
  sequences: Type.Object({ o: SerialColumn(), a: SerialColumn(), c: SerialColumn(), i: SerialColumn() }),
  packetIndices: Series(),
  timesUs: Series(),
  sendTimes: Type.Union([
    Type.Object({ observationRuns: Bounded(Pair(Type.Integer(), Type.Integer({ minimum: 1 })), 1 << 20), transitUs: Series() }),
    Type.Object({ observationRuns: Bounded(Pair(Type.Integer(), Type.Integer({ minimum: 1 })), 1 << 20), valuesUs: Bounded(Float(), 1 << 20) }),
  ]),
  resendCounts: Bounded(Pair(NonNegative(), Type.Number()), 1 << 20),
  ackBits: Bounded(Type.Number(), 1 << 20),
  ackWidths: Bounded(Pair(Type.Number(), Type.Integer({ minimum: 1 })), 1 << 20),
  inputs: Bounded(Type.Array(Type.Union([Type.Number(), Type.Null()]), { minItems: 4, maxItems: 4 }), 1 << 20),
  typeSets: Bounded(Bounded(Pair(Type.String(), NonNegative()), 4096), 1 << 20),
  typeRuns: Bounded(Pair(NonNegative(), Type.Integer({ minimum: 1 })), 1 << 20),
});

const StreamStateSchema = Type.Object({
  key: Type.Union([Type.String(), Type.Number(), Type.Null()]),
  channel: Nullable(Type.String()),
  channelKey: Type.Union([Type.String(), Type.Number(), Type.Null()]),
  protocolSessionId: Nullable(Type.String()),
  core: StreamCoreStateSchema,
  head: Nullable(HeadLogStateSchema),
  checkpoint: Nullable(StreamCoreStateSchema),
});

const DirectionStateSchema = Type.Object({
  unsequenced: Bounded(Pair(Type.String(), NonNegative()), 65_536),
  input: Nullable(InputCoverageStateSchema),
  recent: Nullable(
    Type.Object({
      fingerprints: Bounded(Type.Number(), 32),
      lengths: Bounded(Type.Integer(), 32),
      timesUs: Bounded(Type.Number(), 32),
      ipIdentifications: Bounded(Type.Number(), 32),
      interfaceIds: Bounded(Type.Integer(), 32),
      next: Type.Integer({ minimum: 0, maximum: 31 }),
    }),
  ),
  headPackets: Bounded(
    Type.Object({
      packetIndex: Integer(),
      fingerprint: Type.Number(),
      length: NonNegative(),
      tUs: Type.Number(),
      ipIdentification: Type.Number(),
      interfaceId: Type.Integer(),
      unsequenced: Bounded(Pair(Type.String(), NonNegative()), 4096),
    }),
    32,
  ),
  headAcks: Bounded(
    Type.Object({
      packetIndex: Integer(),
      ack: Serial(),
      ackBits: Type.Number(),
      ackBitsWidth: Type.Number(),
      channel: Type.Union([Type.String(), Type.Number(), Type.Null()]),
      protocolSessionId: Nullable(Type.String()),
    }),
    64,
  ),
  streams: Bounded(StreamStateSchema, 100_000),
});

/**
 * JSON Schema (TypeBox-compatible, see `SchemaType`) of {@link LossAnalyzerState};
 * `mergeState` checks every state against it before touching anything.
 */
export const lossAnalyzerStateSchema = Type.Object({
  analysis: Type.Literal("loss"),
  version: Type.Integer({ minimum: 1 }),
  options: Type.Record(Type.Unknown()),
  anomalies: Type.Record(Type.Object({ count: NonNegative(), examples: Bounded(Type.Number(), 1000) })),
  sessions: Bounded(
    Type.Object({
      id: Type.String(),
      clientToServer: DirectionStateSchema,
      serverToClient: DirectionStateSchema,
    }),
  ),
});

/** Directions in a fixed order. */
export const DIRECTIONS: readonly Direction[] = ["clientToServer", "serverToClient"];
