import type { Direction } from "@tickscope/core";

/** How regular a stream's sends are, or how much an estimate can be trusted. */
export type TimingConfidence = "none" | "low" | "medium" | "high";

/** Quantiles of a distribution (0.5 %-relative-error sketch; min, max and mean exact). */
export interface TimingDistribution {
  samples: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** The dominant send interval of a stream: its tick. */
export interface TickEstimate {
  /** Mean of the send-event intervals within ±10 % of the most common one, ms. */
  intervalMs: number;
  /** 1000 / `intervalMs`. */
  rateHz: number;
  /** Share of send-event intervals within ±10 % of `intervalMs`. */
  regularShare: number;
  /** Share within ±10 % of 1–4 × `intervalMs` (a skipped tick is still on the schedule). */
  onScheduleShare: number;
  /** `high` (≥ 80 % on schedule and ≥ 50 % regular), `medium` (≥ 50 % on schedule), else `low`. */
  regularity: TimingConfidence;
}

/** RFC 3550-style jitter of arrivals against the dominant send interval (no sender clock needed). */
export interface ScheduleJitter {
  /** Interval the arrivals were compared with (the tick when the jitter was computed), ms. */
  referenceIntervalMs: number;
  /** Intervals that yielded a difference D (gaps excluded). */
  samples: number;
  /** Final value of J (J += (|D| − J) / 16), ms. */
  last: number;
  /** Mean of J after each sample, ms. */
  mean: number;
  /** Largest J, ms. */
  max: number;
  /** p95 of |D|, ms. */
  perEventP95: number;
}

/** One silence of a stream: no datagram for longer than the gap threshold. */
export interface TimingGap {
  /** Arrival of the last datagram before the silence, µs. */
  startUs: number;
  durationMs: number;
  /** Ticks without a datagram (`durationMs / tick − 1`, rounded). */
  missedTicks: number;
}

/** One burst: a run of datagrams far denser than the stream's usual send events. */
export interface TimingBurst {
  /** Arrival of its first datagram, µs. */
  startUs: number;
  durationMs: number;
  datagrams: number;
}

/** Timing of one direction of one session, from datagram arrivals alone. */
export interface PacketTimingDirectionReport {
  direction: Direction;
  packets: number;
  payloadBytes: number;
  /** First to last arrival, ms. */
  durationMs: number;
  /**
   * (packets − 1) / duration; 0 with fewer than two packets. With silences over
   * 120 s (`idleGaps` > 0), or fewer than 8 intervals spanning under 1 s: packets / `activeDurationMs`
   * (core's `ActiveSpan`: each active period counts at least 1 s, as bandwidth's rates).
   */
  packetsPerSecond: number;
  /** Time the rate is over, ms: `durationMs`, or without its silences over 120 s (each active period at least 1 s). */
  activeDurationMs: number;
  /** Silences over 120 s left out of `activeDurationMs`. */
  idleGaps: number;
  /** Send events: datagrams arriving within the event merge window (default 1 ms) of the previous one count as one. */
  sendEvents: number;
  /** packets / sendEvents. */
  datagramsPerSendEvent: number;
  /** Intervals between consecutive datagrams, ms. */
  interArrivalMs: TimingDistribution;
  /** UDP payload sizes, bytes. */
  payloadSizeBytes: TimingDistribution;
  /** The tick (null with fewer than 8 send-event intervals under 2 s). */
  tick: TickEstimate | null;
  /** Jitter against the tick (null without a tick). */
  jitterMs: ScheduleJitter | null;
  gaps: {
    /** A gap is a silence longer than this (k × tick), ms; null without a tick. */
    thresholdMs: number | null;
    count: number;
    totalMs: number;
    /** The longest gaps (up to 5), longest first. */
    longest: TimingGap[];
  };
  bursts: {
    /** A burst is at least this many datagrams each less than a quarter tick after the previous; null without a tick. */
    minimumDatagrams: number | null;
    count: number;
    /** The largest bursts (up to 5), most datagrams first. */
    largest: TimingBurst[];
  };
}

/** A consistent lag between one side's send events and the other side's: an RTT estimate, never a measured RTT. */
export interface ResponseTimingEstimate {
  /** Direction of the requests (the responses go the other way). */
  requestDirection: Direction;
  /** Mean lag of the request → response pairs in the peak, ms; null when no consistent lag was found. */
  lagMs: number | null;
  /** Half width of the peak window, ms. */
  halfWidthMs: number;
  /** Share of requests that look answered at that lag (pairs above the background / requests). */
  responseShare: number;
  /** Pairs in the peak, and the background pairs expected there by chance. */
  pairs: number;
  backgroundPairs: number;
  confidence: TimingConfidence;
  /** Why this confidence, in one sentence. */
  reason: string;
}

/** Arrival timing of one session. */
export interface PacketTimingSessionReport {
  id: string;
  client: string;
  server: string;
  /** One entry per direction that carried a datagram (clientToServer first). */
  directions: PacketTimingDirectionReport[];
  /** One entry per request direction when both directions carried datagrams (clientToServer requests first). */
  responseTiming: ResponseTimingEstimate[];
  /**
   * The session's RTT estimate: the client → server response lag (null when
   * none stands out), always read with `rttEstimateConfidence`. From a
   * client-side capture it is RTT plus the server's answer delay; from a
   * server-side capture, the answer delay only. Never a measured RTT.
   */
  rttEstimateMs: number | null;
  rttEstimateConfidence: TimingConfidence;
}

/** `finish()` output of {@link PacketTimingAnalyzer}. */
export interface PacketTimingReport {
  /** How the figures were derived, and what they cannot say. */
  method: string;
  sessions: PacketTimingSessionReport[];
}

const numberSchema = { type: "number" } as const;
const nullableNumber = { type: ["number", "null"] } as const;
const integerSchema = { type: "integer", minimum: 0 } as const;
const directionSchema = { type: "string", enum: ["clientToServer", "serverToClient"] } as const;
const confidenceSchema = { type: "string", enum: ["none", "low", "medium", "high"] } as const;

function objectSchema<Properties extends Record<string, unknown>>(properties: Properties) {
  return { type: "object", properties, required: Object.keys(properties) as (keyof Properties)[], additionalProperties: false } as const;
}

function nullable<Schema extends Record<string, unknown>>(schema: Schema) {
  return { anyOf: [schema, { type: "null" }] } as const;
}

const distributionSchema = objectSchema({ samples: integerSchema, min: numberSchema, p50: numberSchema, p95: numberSchema, p99: numberSchema, max: numberSchema, mean: numberSchema });

/**
 * JSON Schema (draft 2020-12 compatible) of {@link PacketTimingReport},
 * written as plain JSON Schema like `LatencyReportSchema` (TypeBox is not a
 * dependency of this package).
 */
export const PacketTimingReportSchema = objectSchema({
  method: { type: "string" },
  sessions: {
    type: "array",
    items: objectSchema({
      id: { type: "string" },
      client: { type: "string" },
      server: { type: "string" },
      directions: {
        type: "array",
        items: objectSchema({
          direction: directionSchema,
          packets: integerSchema,
          payloadBytes: integerSchema,
          durationMs: numberSchema,
          packetsPerSecond: numberSchema,
          activeDurationMs: numberSchema,
          idleGaps: integerSchema,
          sendEvents: integerSchema,
          datagramsPerSendEvent: numberSchema,
          interArrivalMs: distributionSchema,
          payloadSizeBytes: distributionSchema,
          tick: nullable(objectSchema({ intervalMs: numberSchema, rateHz: numberSchema, regularShare: numberSchema, onScheduleShare: numberSchema, regularity: confidenceSchema })),
          jitterMs: nullable(
            objectSchema({ referenceIntervalMs: numberSchema, samples: integerSchema, last: numberSchema, mean: numberSchema, max: numberSchema, perEventP95: numberSchema }),
          ),
          gaps: objectSchema({
            thresholdMs: nullableNumber,
            count: integerSchema,
            totalMs: numberSchema,
            longest: { type: "array", items: objectSchema({ startUs: numberSchema, durationMs: numberSchema, missedTicks: integerSchema }) },
          }),
          bursts: objectSchema({
            minimumDatagrams: nullableNumber,
            count: integerSchema,
            largest: { type: "array", items: objectSchema({ startUs: numberSchema, durationMs: numberSchema, datagrams: integerSchema }) },
          }),
        }),
      },
      responseTiming: {
        type: "array",
        items: objectSchema({
          requestDirection: directionSchema,
          lagMs: nullableNumber,
          halfWidthMs: numberSchema,
          responseShare: numberSchema,
          pairs: integerSchema,
          backgroundPairs: numberSchema,
          confidence: confidenceSchema,
          reason: { type: "string" },
        }),
      },
      rttEstimateMs: nullableNumber,
      rttEstimateConfidence: confidenceSchema,
    }),
  },
});
