import { Type, type Static } from "@sinclair/typebox";

/**
 * Version of {@link BandwidthAnalyzerState}'s shape and meaning (bumped whenever either changes;
 * 2: payload fingerprints and sample keys are core's MurmurHash3 `payloadFingerprint`, no longer FNV-1a).
 */
export const BANDWIDTH_STATE_VERSION = 2;

/** Most entries of the per-second and per-size lists of a saved state (a year of seconds with traffic; every payload size). */
export const MAX_STATE_SECONDS = 366 * 86_400;

const count = Type.Integer({ minimum: 0 });
const finite = Type.Number();
const direction = Type.Union([Type.Literal("clientToServer"), Type.Literal("serverToClient")]);
const maybeTime = Type.Union([Type.Number(), Type.Null()]);
/** [second of the Unix epoch, bytes] */
const secondBytes = Type.Tuple([Type.Integer(), count]);

/** Saved byte accounting (see `BandwidthAccounting.saveState`). */
export const accountingStateSchema = Type.Object(
  {
    packets: count,
    messages: count,
    messageBytes: count,
    wireBytes: count,
    payloadBytes: count,
    maxMtuShare: Type.Number({ minimum: 0 }),
    overMtuPackets: count,
    fragmentedPackets: count,
    extraFrames: count,
    sawPacketObservations: Type.Boolean(),
    firstUs: maybeTime,
    lastUs: maybeTime,
    firstMessageUs: maybeTime,
    lastMessageUs: maybeTime,
    /** Active periods [startUs, endUs] (core's 120-s idle rule). */
    activePeriods: Type.Array(Type.Tuple([finite, finite]), { maxItems: 4096 }),
    /** [epoch second, wire bytes, packets] of every second with traffic. */
    seconds: Type.Array(Type.Tuple([Type.Integer(), count, count]), { maxItems: MAX_STATE_SECONDS }),
    streams: Type.Array(
      Type.Object(
        {
          session: Type.String(),
          direction,
          packets: count,
          wireBytes: count,
          payloadBytes: count,
          firstUs: finite,
          lastUs: finite,
          seconds: Type.Array(secondBytes, { maxItems: MAX_STATE_SECONDS }),
        },
        { additionalProperties: false },
      ),
    ),
    types: Type.Array(
      Type.Object(
        { type: Type.String(), direction, messages: count, bytes: count, seconds: Type.Array(secondBytes, { maxItems: MAX_STATE_SECONDS }) },
        { additionalProperties: false },
      ),
    ),
    channels: Type.Array(
      Type.Object({ channel: Type.String(), direction, messages: count, bytes: count, resent: count }, { additionalProperties: false }),
    ),
    /** [payload bytes (0–65536), datagrams] */
    payloadSizes: Type.Array(Type.Tuple([Type.Integer({ minimum: 0, maximum: 65536 }), count]), { maxItems: 65537 }),
  },
  { additionalProperties: false },
);

/** One remembered datagram of a stream's duplicate window: [fingerprint, payload bytes, tUs, IP identification, interface]. */
const recentDatagram = Type.Tuple([Type.Integer(), Type.Integer({ minimum: 0 }), finite, Type.Number(), Type.Integer()]);

/**
 * One of the first datagrams of a stream in its pass: [packetIndex, tUs, wire
 * bytes, payload bytes, fingerprint (−1: no payload), IP identification,
 * interface, payload bytes captured].
 */
const headDatagram = Type.Tuple([count, finite, count, count, Type.Integer({ minimum: -1 }), Type.Number(), Type.Integer(), count]);

/** Saved datagram observations (duplicates, aggregation, payload sample). */
export const observerStateSchema = Type.Object(
  {
    packets: count,
    packetsWithPayload: count,
    wireBytes: count,
    duplicatePackets: count,
    duplicateWireBytes: count,
    duplicateExamples: Type.Array(count, { maxItems: 20 }),
    captureDuplicatePackets: count,
    captureDuplicateWireBytes: count,
    captureDuplicateExamples: Type.Array(count, { maxItems: 20 }),
    aggregatedPackets: count,
    aggregatedWireBytes: count,
    streams: Type.Array(
      Type.Object(
        {
          session: Type.String(),
          direction,
          /** Start of the open aggregation group (null: none yet). */
          groupStartUs: maybeTime,
          groupPayload: count,
          /** The duplicate window at the end of the pass, oldest first. */
          recent: Type.Array(recentDatagram, { maxItems: 1024 }),
          /** The stream's first datagrams in this pass (replayed after the previous pass's window when a rotation cut the stream). */
          head: Type.Array(headDatagram, { maxItems: 1024 }),
        },
        { additionalProperties: false },
      ),
    ),
    sample: Type.Object(
      {
        offered: count,
        offeredBytes: count,
        level: Type.Integer({ minimum: 0, maximum: 33 }),
        samples: Type.Array(
          Type.Object(
            {
              session: Type.String(),
              direction,
              packetIndex: count,
              tUs: finite,
              hash: Type.Integer({ minimum: 0, maximum: 0xffff_ffff }),
              payload: Type.String(),
              firstMessageType: Type.Optional(Type.String()),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/**
 * One retained message: [session (index into `sessions`), direction (0 client→server,
 * 1 server→client), tUs, packetIndex, type (index into `types`), byteLength, fields, roles].
 * Fields and roles are JSON with tagged strings for byte arrays, bigints and
 * non-finite numbers.
 */
export const retainedMessageSchema = Type.Tuple([count, Type.Union([Type.Literal(0), Type.Literal(1)]), finite, count, count, count, Type.Unknown(), Type.Unknown()]);

/** Saved re-encoding trace (the sampled one-second blocks). */
export const traceStateSchema = Type.Object(
  {
    offered: count,
    firstUs: maybeTime,
    lastUs: maybeTime,
    /** Blocks hashing at or above this were not taken (4294967296: every block). */
    threshold: Type.Integer({ minimum: 0, maximum: 2 ** 32 }),
    /** The retained block (hash = threshold) is only its first messages: on its own it is over the bounds. */
    capped: Type.Boolean(),
    offeredSessions: Type.Array(Type.String()),
    sessions: Type.Array(Type.String()),
    types: Type.Array(Type.String()),
    /**
     * The retained messages (an array of {@link retainedMessageSchema} tuples).
     * Compact form (the default, what partial files hold): as JSON, raw-deflated
     * (RFC 1951), base64 — decoded field trees repeat their keys and shapes, so
     * this is some 20 times smaller than the JSON. Transfer form
     * (`saveState({ form: "transfer" })`, for a structured clone to another
     * thread, not JSON-safe): the tuples themselves with the decoded fields and
     * roles as they are (byte arrays, bigints, non-finite numbers included),
     * checked by the same rules when merged.
     */
    messages: Type.Union([Type.String(), Type.Array(Type.Unknown())]),
  },
  { additionalProperties: false },
);

/**
 * The bandwidth analyzer's saved state (`saveState()`), version
 * {@link BANDWIDTH_STATE_VERSION}: plain JSON, bounded by the analyzer's
 * options (retained messages and leaf values, payload sample) and by the
 * sessions, message types and seconds with traffic.
 *
 * What merging gives (passes merged in capture order):
 * - disjoint sessions (threads, files without common sessions): the report
 *   of one pass, byte for byte — counts and bytes, epoch-second bins and
 *   peaks, the sampled one-second blocks of the re-encoding trials (chosen by
 *   the hash of the block's epoch second, the bound resolved on the union), the
 *   compression sample (chosen by a hash of each datagram's time and payload,
 *   its level resolved on the union) and every recommendation computed from them;
 * - a session cut by a rotation (in both passes): counts, bytes, bins (a
 *   second cut by the rotation is summed), peaks, duplicates and capture
 *   duplicates as one pass (each stream's first 48 datagrams of the later pass
 *   are replayed after the earlier pass's 32-datagram duplicate window; exact
 *   unless more than 16 of those 48 change class). Aggregation: the replay
 *   continues the group open at the cut and is exact when the groups
 *   re-synchronize within those 48 datagrams (irregular spacing: they do; a
 *   simulated match merged byte-identical); a strictly periodic stream spaced
 *   under the window can stay one group shifted — measured: 101 instead of 100
 *   datagrams after aggregation on a 5-ms periodic stream cut inside a group.
 *   Re-encoding trials and the compression sample as one pass given the same
 *   decoded messages (the blocks are epoch seconds, the datagram hash uses time
 *   and payload, not the packet index); a decoder that keeps per-session state
 *   may decode the first messages after the cut differently.
 */
export const bandwidthAnalyzerStateSchema = Type.Object(
  {
    analysis: Type.Literal("bandwidth"),
    stateVersion: Type.Integer(),
    /** Options that change the state's meaning: a state merges only into an analyzer with the same ones. */
    settings: Type.Object(
      {
        mtuBytes: finite,
        ipUdpHeaderBytes: finite,
        maxRetainedMessages: finite,
        maxRetainedLeafValues: finite,
        maxCompressionSampleBytes: finite,
        maxCompressionSamplePackets: finite,
        aggregationWindowMs: finite,
        keepEntityPositions: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
    accounting: accountingStateSchema,
    observer: observerStateSchema,
    trace: traceStateSchema,
    /** Decode anomalies fed, by code. */
    anomalies: Type.Array(Type.Tuple([Type.String(), count]), { maxItems: 10_000 }),
  },
  { additionalProperties: false },
);

/**
 * Options of `BandwidthAnalyzer.saveState`. `form`: `"compact"` (default) is
 * plain JSON, what a partial file holds; `"transfer"` keeps the retained
 * messages' decoded fields as they are (see {@link traceStateSchema}): no JSON,
 * deflate or base64 on either side, for a state that only travels by structured
 * clone (`postMessage`) to be merged in the same run.
 */
export interface BandwidthSaveStateOptions {
  form?: "compact" | "transfer";
}

/** Saved byte accounting. */
export type AccountingState = Static<typeof accountingStateSchema>;
/** Saved datagram observations. */
export type ObserverState = Static<typeof observerStateSchema>;
/** Saved re-encoding trace. */
export type TraceState = Static<typeof traceStateSchema>;
/**
 * The bandwidth analyzer's saved state (`BandwidthAnalyzer.saveState()`; shape
 * and merge guarantees on {@link bandwidthAnalyzerStateSchema}). In short:
 * passes over disjoint sessions merge into the one-pass report byte for byte,
 * in any merge order; a rotation cut merges counts, bytes, epoch-second bins,
 * peaks, duplicates and capture duplicates exactly, aggregation exactly unless
 * a strictly periodic stream is cut inside a group (then one group shifted:
 * 101 instead of 100 datagrams measured), and the sampled trials and
 * compression exactly given the same decoded messages (a simulated 8-player
 * match split into two capture files, decoder restarted: the whole report
 * equal). Measured JSON size: 16 players × 60 s 4.6 MB, 100 players × 120 s
 * 5.8 MB (the retained messages raw-deflated).
 */
export type BandwidthAnalyzerState = Static<typeof bandwidthAnalyzerStateSchema>;
