import { Type, type Static } from "@sinclair/typebox";
import { countSchema, encodedNumberSchema, quantileSketchStateSchema } from "@tickscope/core";

/** Version of {@link PacketTimingAnalyzerState}'s shape. */
export const PACKET_TIMING_STATE_VERSION = 1;

const binsSchema = Type.Array(Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 1 }), Type.Number()]), { maxItems: 100_000 });

const gapSchema = Type.Object({ startUs: Type.Number(), durationMs: Type.Number(), missedTicks: Type.Number() }, { additionalProperties: false });
const burstSchema = Type.Object({ startUs: Type.Number(), durationMs: Type.Number(), datagrams: countSchema }, { additionalProperties: false });

/** One direction of a session: counters, sketches, interval histogram and timing against the reference tick. */
const directionStateSchema = Type.Object(
  {
    packets: countSchema,
    payloadBytes: countSchema,
    firstUs: encodedNumberSchema,
    lastUs: encodedNumberSchema,
    /** Core's ActiveSpan fields (active time without silences over 120 s). */
    active: Type.Record(Type.String({ maxLength: 32 }), encodedNumberSchema, { maxProperties: 16 }),
    interArrivalMs: quantileSketchStateSchema,
    payloadSizeBytes: quantileSketchStateSchema,
    events: countSchema,
    lastDatagramUs: encodedNumberSchema,
    lastEventUs: encodedNumberSchema,
    eventIntervals: Type.Object({ count: countSchema, aboveMaximum: countSchema, bins: binsSchema }, { additionalProperties: false }),
    eventsSinceEstimate: countSchema,
    referenceUs: encodedNumberSchema,
    minimumBurst: countSchema,
    timingPreviousUs: encodedNumberSchema,
    timingEventUs: encodedNumberSchema,
    jitterUs: Type.Number(),
    jitterMaxUs: Type.Number(),
    jitterSumUs: Type.Number(),
    jitterSamples: countSchema,
    perEventJitterMs: quantileSketchStateSchema,
    gapCount: countSchema,
    gapTotalUs: Type.Number(),
    longestGaps: Type.Array(gapSchema, { maxItems: 1000 }),
    burstCount: countSchema,
    largestBursts: Type.Array(burstSchema, { maxItems: 1000 }),
  },
  { additionalProperties: false },
);

const correlogramStateSchema = Type.Object(
  { requests: countSchema, responses: countSchema, recent: Type.Array(Type.Number(), { maxItems: 100_000 }), bins: binsSchema },
  { additionalProperties: false },
);

/** TypeBox schema of {@link PacketTimingAnalyzerState}. */
export const packetTimingAnalyzerStateSchema = Type.Object(
  {
    analysis: Type.Literal("packet-timing"),
    version: Type.Literal(PACKET_TIMING_STATE_VERSION),
    /** The options, as canonical JSON (`E_PARTIAL_MISMATCH` when they differ). */
    settings: Type.String({ maxLength: 4096 }),
    sessions: Type.Array(
      Type.Object(
        {
          id: Type.String({ maxLength: 512 }),
          client: Type.String({ maxLength: 512 }),
          server: Type.String({ maxLength: 512 }),
          directions: Type.Tuple([Type.Union([directionStateSchema, Type.Null()]), Type.Union([directionStateSchema, Type.Null()])]),
          clientRequests: correlogramStateSchema,
          serverRequests: correlogramStateSchema,
        },
        { additionalProperties: false },
      ),
      { maxItems: 1_000_000 },
    ),
  },
  { additionalProperties: false },
);

/**
 * The packet-timing analysis' state as JSON-safe plain data
 * ({@link PacketTimingAnalyzer.saveState}): per session and direction the
 * counters, sketches, event-interval histogram and timing against the
 * reference tick (warm-up buffers are resolved when a state is saved, as
 * `finish()` resolves them), and the two request → response correlograms.
 * Sessions are independent, so disjoint sessions merge byte-identically.
 *
 * A rotation cut continues a session: packets, bytes, inter-arrival and
 * payload-size distributions, send events and the tick (from the merged
 * event-interval histogram) are exact — the intervals across the cut are
 * added at merge; gaps and bursts are each pass's (a gap spanning the cut is
 * counted when it exceeds the earlier pass's gap threshold), jitter sums and
 * samples add with each pass's own reference tick and the later pass's last
 * value; request → response pairs spanning the cut are missing (at most one
 * `maximumResponseLagMs` worth), and the active time joins at the cut.
 */
export type PacketTimingAnalyzerState = Static<typeof packetTimingAnalyzerStateSchema>;
