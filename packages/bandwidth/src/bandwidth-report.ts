import type { Direction } from "@tickscope/core";

/** Whole-capture totals. Bytes are frame bytes on the wire unless named `payload`. */
export interface BandwidthTotals {
  packets: number;
  messages: number;
  wireBytes: number;
  payloadBytes: number;
  /** Link + IP + UDP header bytes (wire − payload). */
  headerBytes: number;
  durationMs: number;
  /**
   * Time the rates are over (ms): the capture's span without its silences over
   * 120 s (core's `ActiveSpan`: a stitched file's gap of years, a clock jump,
   * the pause between two sessions), each active period at least 1 s. Equals
   * `durationMs` (at least 1 s) when no silence is that long.
   */
  activeDurationMs: number;
  /** Silences over 120 s left out of `activeDurationMs`. */
  idleGaps: number;
  /** Wire bytes per second of active time. */
  bytesPerSecond: number;
  payloadBytesPerSecond: number;
  packetsPerSecond: number;
  /** headerBytes / wireBytes. */
  headerShare: number;
  /**
   * Highest wire bytes in one full second of capture time (seconds counted from
   * the first packet; the last, partial second only through the average), and
   * never below `bytesPerSecond` (see `peakPerSecond`).
   */
  peakBytesPerSecond: number;
}

/** Traffic of one session in one direction. */
export interface SessionDirectionBandwidth {
  session: string;
  direction: Direction;
  packets: number;
  wireBytes: number;
  payloadBytes: number;
  bytesPerSecond: number;
  packetsPerSecond: number;
  peakBytesPerSecond: number;
  headerShare: number;
}

/** Message bytes of one message type in one direction. */
export interface MessageTypeBandwidth {
  type: string;
  direction: Direction;
  messages: number;
  bytes: number;
  bytesPerSecond: number;
  /** Share of all decoded message bytes. */
  share: number;
}

/** Message bytes of one channel (role `channel`) in one direction. */
export interface ChannelBandwidth {
  channel: string;
  direction: Direction;
  messages: number;
  bytes: number;
  bytesPerSecond: number;
  share: number;
  /** Messages with resendCount > 0. */
  resentMessages: number;
}

/** Bits spent on one field (leaf path) of one message type. */
export interface FieldBandwidth {
  type: string;
  field: string;
  /** Encoded width of one value (for byte strings: the length prefix). */
  bitsPerValue: number;
  values: number;
  bits: number;
  bitsPerSecond: number;
  /** Share of the type's message bits. */
  share: number;
  /** Share of values that differ from the same field (same entity) in the previous message of the stream. */
  changeRate: number;
}

/** One bucket of the packet payload size distribution. */
export interface PacketSizeBucket {
  minBytes: number;
  maxBytes: number;
  packets: number;
}

/** Packet size distribution, MTU use and fragmentation. */
export interface PacketSizeReport {
  /** Payload bytes percentiles (exact). */
  p50PayloadBytes: number;
  p95PayloadBytes: number;
  p99PayloadBytes: number;
  maxPayloadBytes: number;
  meanPayloadBytes: number;
  histogram: PacketSizeBucket[];
  mtuBytes: number;
  /** Mean of (payload + IP/UDP header) / MTU. */
  meanMtuShare: number;
  maxMtuShare: number;
  /** Datagrams whose IP size exceeds the MTU. */
  overMtuPackets: number;
  /** Datagrams that took more than one link-layer frame. */
  fragmentedPackets: number;
  fragmentedShare: number;
  /** Frames beyond the first, summed. */
  extraFrames: number;
}

/** Traffic of one minute (from the first packet). */
export interface MinuteBandwidth {
  minute: number;
  startUs: number;
  packets: number;
  wireBytes: number;
  bytesPerSecond: number;
  peakBytesPerSecond: number;
}

/**
 * Bytes per second of each message type over time, for charts: buckets of
 * `bucketMs` from the first message (1 s, doubled until at most 600 buckets).
 * A bucket's rate is its message bytes over the time it covers (a partial
 * last bucket over its span; one under half a bucket joins the one before).
 */
export interface MessageTypeTimeline {
  bucketMs: number;
  /** Bucket starts, µs since the epoch. */
  startUs: number[];
  /** One series per message type and direction, values aligned with `startUs`. */
  types: { type: string; direction: Direction; bytesPerSecond: number[] }[];
}

/** Cost of a recommendation. */
export interface BandwidthCost {
  /** Largest absolute error introduced in a value (game units), measured. */
  maxError: number;
  /** Latency the change adds, ms. */
  addedDelayMs: number;
  note?: string;
}

/**
 * One ranked protocol change. `verified` is true only when `bytesAfter` was
 * measured (re-encoding the captured messages, or exact byte arithmetic on the
 * captured datagrams named in `method`); estimates say `estimate` in `method`.
 */
export interface BandwidthRecommendation {
  id: string;
  analysis: "bandwidth";
  kind: string;
  title: string;
  /** What before/after count (e.g. `messageBytes` of the measured window). */
  metric: string;
  bytesBefore: number;
  bytesAfter: number;
  savingsRatio: number;
  /** (bytesBefore − bytesAfter) per second of the measured scope. */
  bytesPerSecondSaved: number;
  verified: boolean;
  method: string;
  /** What the figures cover (window, sample). */
  scope: string;
  cost: BandwidthCost;
  /** Kind-specific numbers (sorted keys). */
  details: Record<string, number | string | boolean>;
}

/** One step of the combined plan. */
export interface PlanStep {
  kind: string;
  title: string;
  bytesAfter: number;
  /** Cumulative savings after this step. */
  savingsRatio: number;
  maxError: number;
  addedDelayMs: number;
  verified: boolean;
}

/** The variant of the plan chosen to meet a bandwidth budget. */
export interface BudgetPlan {
  budgetBitsPerSecond: number;
  met: boolean;
  /** Highest per-session downstream rate (payload + headers) after the variant, bits/s. */
  worstSessionBitsPerSecond: number;
  toleranceScale: number;
  updateEvery: number;
  maxError: number;
  addedDelayMs: number;
  bytesAfter: number;
  savingsRatio: number;
}

/** Changes applied in order with cumulative, re-encoded savings. */
export interface BandwidthPlan {
  steps: PlanStep[];
  bytesBefore: number;
  bytesAfter: number;
  savingsRatio: number;
  /** Mbit/s of message payload before and after over the measured window. */
  megabitsPerSecondBefore: number;
  megabitsPerSecondAfter: number;
  /** 95% interval of `savingsRatio` over the window's sessions (the exact value when the window holds every message). */
  savingsRatioLow?: number;
  savingsRatioHigh?: number;
  budget?: BudgetPlan;
}

/** One compression trial on the payload sample. */
export interface CompressionTrial {
  algorithm: string;
  mode: "perPacket" | "perStream" | "perPacketDictionary";
  bytesBefore: number;
  bytesAfter: number;
  savingsRatio: number;
  /** 95% confidence interval of `savingsRatio` for the traffic the sample was drawn from (per-packet modes). */
  savingsRatioLow?: number;
  savingsRatioHigh?: number;
  /** Datagrams this trial compressed (per-packet modes: a nested subsample of the sample, sized until the interval is within ±`targetHalfWidth`; per stream: the whole sample). */
  sampledPackets: number;
  /** Datagrams the trial's datagrams were drawn from (the dictionary trial: the second half's share). */
  populationPackets: number;
}

/** Compression effectiveness for packets whose first message has a given type. */
export interface CompressionByType {
  type: string;
  packets: number;
  bytesBefore: number;
  deflateBytesAfter: number;
  savingsRatio: number;
}

/** Compression trials on the bounded, seeded payload sample. */
export interface CompressionReport {
  sampledPackets: number;
  sampledBytes: number;
  /** Datagrams with a payload the sample was drawn from (each kept with the same probability). */
  populationPackets: number;
  /** Half-width of the 95% interval each per-packet trial was sized to (savings ratio, e.g. 0.02 = ±2 percentage points); a trial that measured the whole sample may be wider. */
  targetHalfWidth: number;
  trials: CompressionTrial[];
  byMessageType: CompressionByType[];
}

/** What part of the traffic the re-encoding trials covered. */
export interface MeasuredWindow {
  messages: number;
  /** Share of all decoded messages retained for trials. */
  messageShare: number;
  startUs: number;
  endUs: number;
  /** How delta baselines were chosen. */
  baselineMode: "lastAcknowledged" | "lastSent" | "mixed" | "none";
  /** Messages whose re-encoding in the original layout did not give their captured size. */
  reencodeSizeMismatches: number;
  /** One-second blocks the retained messages come from (a seeded sample of them when the trace could not hold every message). */
  sampledBlocks: number;
  /** One-second blocks the decoded messages span (the population the blocks were drawn from); equal to `sampledBlocks` when every block was kept. */
  populationBlocks: number;
}

/** The bandwidth report returned by `finish()`. */
export interface BandwidthReport {
  analysis: "bandwidth";
  totals: BandwidthTotals;
  bySession: SessionDirectionBandwidth[];
  byChannel: ChannelBandwidth[];
  byMessageType: MessageTypeBandwidth[];
  byField: FieldBandwidth[];
  packetSizes: PacketSizeReport;
  perMinute: MinuteBandwidth[];
  byMessageTypeTimeline: MessageTypeTimeline;
  recommendations: BandwidthRecommendation[];
  plan: BandwidthPlan;
  compression: CompressionReport;
  measuredWindow: MeasuredWindow;
  /**
   * Datagrams captured twice (a byte-identical copy within `CAPTURE_DUPLICATE_WINDOW_US`
   * with the same non-zero IP identification, or on another capture interface): not
   * sent twice, so never a `redundancy` recommendation. The totals still include them.
   */
  captureDuplicates: { packets: number; wireBytes: number; firstPacketIndex: number };
  notes: string[];
  anomalies: Record<string, number>;
}
