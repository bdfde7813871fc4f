import {
  CAPTURE_DUPLICATE_WINDOW_US,
  ErrorCode,
  TickscopeError,
  type DecodeAnomaly,
  type GameMessage,
  type MergeableAnalyzer,
  type MergePlacement,
  type PacketObservation,
} from "@tickscope/core";
import { Value } from "@sinclair/typebox/value";
import { BANDWIDTH_STATE_VERSION, bandwidthAnalyzerStateSchema, type BandwidthAnalyzerState, type BandwidthSaveStateOptions } from "./bandwidth-state.js";
import { badPartial } from "./state-values.js";
import { BandwidthAccounting } from "./accounting.js";
import type {
  BandwidthPlan,
  BandwidthRecommendation,
  BandwidthReport,
  BudgetPlan,
  CompressionReport,
  MeasuredWindow,
  PlanStep,
} from "./bandwidth-report.js";
import { CompressionThread, measureCompressionJob, type CompressionJob } from "./compression-thread.js";
import { PacketObserver } from "./packet-observer.js";
import { deriveQuantization, observeRanges, RangeObserver, type ObservedRanges, type QuantizationPlan } from "./quantization.js";
import { detectQuaternions, type QuaternionPlan } from "./smallest-three.js";
import { CompanionTrial, runTrial, TrialBaselines, TrialSizes, type TrialConfig, type TrialResult } from "./reencoding-trials.js";
import type { EncodingVariant, Reencoder } from "./reencoder.js";
import { RetainedTrace, TRACE_BLOCK_US } from "./trace.js";
import { FieldLeafCounter } from "./field-leaf-counter.js";
import type { RetainedFieldDecoder } from "./pending-datagrams.js";
import type { ProtocolDefinitionLike } from "./definition-layouts.js";
import type { createSharedBlockCounts } from "./shared-block-counts.js";
import { measureInterpolationError, stateTypes, type InterpolationError } from "./update-rate.js";
import { savingRecommendations } from "./saving-recommendations.js";
import { blockSavingsInterval } from "./block-savings-interval.js";
import type { SavingsInterval } from "./savings-interval.js";

/** The capture-duplicate window (µs), core's: see `isCaptureDuplicate` in @tickscope/core. */
export { CAPTURE_DUPLICATE_WINDOW_US };

/** Options of {@link createBandwidthAnalyzer}. All are optional. */
export interface BandwidthOptions {
  /** Re-encoder of the protocol; without it field-level changes are out (accounting, compression, aggregation and redundancy remain). */
  reencoder?: Reencoder;
  /** Largest error allowed per leaf path or path segment (`position` → 0.01), game units. */
  tolerances?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Tolerance of float leaves no entry names. Default 0.001. */
  defaultTolerance?: number;
  /** Largest interpolation error accepted for update-rate reduction. Default 0.1. */
  maxInterpolationError?: number;
  /** Relevance radius for interest management (game units); off when absent. */
  relevanceRadius?: number;
  /** Downstream budget per session, bits/s (payload + headers); the plan gets a variant that meets it with the least error. */
  budgetBitsPerSecond?: number;
  /** Link MTU. Default 1500. */
  mtuBytes?: number;
  /** IP + UDP header bytes per datagram. Default 28 (IPv4). */
  ipUdpHeaderBytes?: number;
  /** Messages retained (copied) for re-encoding trials. Default 100 000. */
  maxRetainedMessages?: number;
  /** Leaf values retained for trials. Default 2 000 000. */
  maxRetainedLeafValues?: number;
  /** Payload bytes sampled for compression trials (seeded sample spread over the capture). Default 1 MiB. */
  maxCompressionSampleBytes?: number;
  /** Datagrams sampled for compression trials (seeded sample spread over the capture). Default 4 096. */
  maxCompressionSamplePackets?: number;
  /** Aggregation window, ms. Default 16. */
  aggregationWindowMs?: number;
  /** Bits a delta-encoded message spends naming its baseline. Default 16. */
  baselineReferenceBits?: number;
  /**
   * Per-block counts shared by the analyzers of one run whose states are merged
   * with each other over disjoint sessions (the threads of `analyze
   * --thread-cut sessions`; a table from {@link createSharedBlockCounts}, the
   * same one for every analyzer of the run). Each adds its own counts and
   * retains (copies) no trace block the merged sample cannot hold: the merged
   * report is the same, each thread copies about its share of the sample
   * instead of a whole sample of its own. Not a setting of the state.
   */
  sharedBlockCounts?: Int32Array;
  /**
   * Decodes the fields of the messages the re-encoding trace keeps only once
   * its sample is final, from copies of their datagrams' payloads (a pass
   * feeding `onPacket` before each datagram's messages): the definition the
   * pass decodes with, and a decoder giving what the pass's decoder gives
   * with every field decoded. Once the sample has been thinned,
   * {@link BandwidthAnalyzer.wantsFields} declines every datagram that reached
   * `onPacket` with its payload: the pass may decode them roles only (core's
   * `fields: "roles"`). Not a setting of the state (the same report either way).
   */
  decodeRetainedLater?: { definition: ProtocolDefinitionLike; decoder: RetainedFieldDecoder };
  /**
   * Measure the compression trials on a helper thread while `finish()` builds
   * the rest of the report (see {@link CompressionThread}; default false):
   * the report is the same either way (without the thread's module, e.g.
   * from TypeScript sources, the trials run on the calling thread). The
   * thread starts with the first datagram (an analyzer never fed starts
   * none) and stops at `finish()`, `saveState()` or `dispose()`. For a caller that
   * finishes the analyzer on the thread that fed it.
   */
  compressionThread?: boolean;
}

function toMap(value: BandwidthOptions["tolerances"]): Map<string, number> {
  if (value === undefined) return new Map();
  if (value instanceof Map) return new Map(value);
  return new Map(Object.entries(value as Record<string, number>));
}

function round(value: number, digits = 6): number {
  if (!Number.isFinite(value)) return 0;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function savings(before: number, after: number): number {
  return before > 0 ? round((before - after) / before) : 0;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) throw new TickscopeError(ErrorCode.invalidOption, `${name} must be a positive number, got ${value}`);
  return value;
}

/**
 * Creates the streaming bandwidth analyzer: byte accounting over all traffic,
 * and ranked recommendations measured by re-encoding a bounded window of the
 * captured messages (delta encoding, quantization, update rate, interest
 * management), by exact byte arithmetic on the datagrams (duplicates,
 * aggregation), or by compressing a payload sample. `finish()` returns the
 * {@link BandwidthReport}; `saveState()` / `mergeState()` save and merge
 * partial passes (see {@link BandwidthAnalyzer}).
 */
export function createBandwidthAnalyzer(options: BandwidthOptions = {}): BandwidthAnalyzer {
  return new BandwidthAnalyzer(options);
}

/** Decode anomalies by code (counts only: the report carries counts). */
class AnomalyCounts {
  readonly counts = new Map<string, number>();

  /** Counts one anomaly of `code`. */
  add(code: string, _location?: number): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
  }

  /** Counts keyed by code, codes sorted (deterministic JSON). */
  toCounts(): Record<string, number> {
    const result: Record<string, number> = {};
    for (const code of [...this.counts.keys()].sort()) result[code] = this.counts.get(code)!;
    return result;
  }
}

/**
 * The streaming bandwidth analyzer (see {@link createBandwidthAnalyzer}), with
 * mergeable state: `saveState()` returns a {@link BandwidthAnalyzerState}
 * (plain JSON); an analyzer created with the same options folds any number of
 * them in with `mergeState(state, { packetIndexOffset })` (passes in capture
 * order) and `finish()` gives the report one pass over all of them gives — byte
 * for byte for passes over disjoint sessions; for a session cut by a rotation
 * as documented on {@link bandwidthAnalyzerStateSchema}.
 */
export class BandwidthAnalyzer implements MergeableAnalyzer<BandwidthReport, BandwidthAnalyzerState> {
  /** Analysis name. */
  readonly name = "bandwidth";
  /** Version of the saved state's shape. */
  readonly stateVersion = BANDWIDTH_STATE_VERSION;
  private readonly settings: Settings;
  private readonly stateSettings: BandwidthAnalyzerState["settings"];
  private readonly accounting: BandwidthAccounting;
  private readonly trace: RetainedTrace;
  private readonly observer: PacketObserver;
  private readonly anomalies = new AnomalyCounts();
  private finished: BandwidthReport | undefined;
  /** True when the trace decodes its messages' fields itself (see {@link BandwidthOptions.decodeRetainedLater}). */
  private readonly decodesLater: boolean;
  /** The datagram `onPacket` saw last (the pipeline's reused observation), while its messages are offered. */
  private packet: PacketObservation | undefined;
  /** True when {@link wantsFields} declined the datagram `onPacket` saw last: the trace copies its payload instead of reading fields. */
  private declined = false;
  /** True once feeding ended (`finish()`, `saveState()`): every field is wanted (the trace decodes its kept datagrams with the pass's decoder). */
  private fed = false;
  /** The helper thread of the compression trials (see {@link BandwidthOptions.compressionThread}), until finish or save. */
  private compressionThread: CompressionThread | undefined;
  /**
   * What feeding must do about the helper thread: 0 nothing, 1 start it (the
   * first datagram: an analyzer never fed starts none), 2 take its job back (the
   * sample was handed over by {@link beginFinish} and feeding went on).
   */
  private compressionStep: 0 | 1 | 2;

  /** @param options see {@link BandwidthOptions} (invalid values throw `E_INVALID_OPTION`) */
  constructor(options: BandwidthOptions = {}) {
    const settings: Settings = {
      reencoder: options.reencoder,
      tolerances: toMap(options.tolerances),
      defaultTolerance: positive("defaultTolerance", options.defaultTolerance, 0.001),
      maxInterpolationError: positive("maxInterpolationError", options.maxInterpolationError, 0.1),
      relevanceRadius: options.relevanceRadius === undefined ? undefined : positive("relevanceRadius", options.relevanceRadius, 1),
      budgetBitsPerSecond: options.budgetBitsPerSecond === undefined ? undefined : positive("budgetBitsPerSecond", options.budgetBitsPerSecond, 1),
      mtuBytes: positive("mtuBytes", options.mtuBytes, 1500),
      ipUdpHeaderBytes: options.ipUdpHeaderBytes ?? 28,
      baselineReferenceBits: options.baselineReferenceBits ?? 16,
    };
    this.settings = settings;
    for (const [name, value] of settings.tolerances) positive(`tolerance ${name}`, value, 1);
    this.accounting = new BandwidthAccounting({
      mtuBytes: settings.mtuBytes,
      ipUdpHeaderBytes: settings.ipUdpHeaderBytes,
      reencoder: settings.reencoder,
      maxChangeStreams: 100_000,
      countFieldsOnMessage: false,
    });
    const maxRetainedMessages = positive("maxRetainedMessages", options.maxRetainedMessages, 100_000);
    const maxRetainedLeafValues = positive("maxRetainedLeafValues", options.maxRetainedLeafValues, 2_000_000);
    // Entity positions are read by interest management only.
    const keepEntityPositions = settings.relevanceRadius !== undefined;
    const shared = options.sharedBlockCounts;
    if (shared !== undefined && (!(shared instanceof Int32Array) || shared.length < 3 || shared.length % 3 !== 0)) {
      throw new TickscopeError(ErrorCode.invalidOption, "sharedBlockCounts must be an Int32Array of 3 cells per block (createSharedBlockCounts())");
    }
    this.trace = new RetainedTrace(maxRetainedMessages, maxRetainedLeafValues, TRACE_BLOCK_US, keepEntityPositions, shared);
    const later = options.decodeRetainedLater;
    this.decodesLater = later !== undefined;
    if (later !== undefined) this.trace.decodeLater(later.decoder, new FieldLeafCounter(later.definition));
    const maxCompressionSampleBytes = positive("maxCompressionSampleBytes", options.maxCompressionSampleBytes, 1024 * 1024);
    const maxCompressionSamplePackets = positive("maxCompressionSamplePackets", options.maxCompressionSamplePackets, 4096);
    const aggregationWindowMs = positive("aggregationWindowMs", options.aggregationWindowMs, 16);
    this.observer = new PacketObserver({
      maxSampleBytes: maxCompressionSampleBytes,
      maxSamplePackets: maxCompressionSamplePackets,
      duplicateWindow: 32,
      captureDuplicateWindowUs: CAPTURE_DUPLICATE_WINDOW_US,
      aggregationWindowUs: aggregationWindowMs * 1000,
      maxAggregatePayloadBytes: settings.mtuBytes - settings.ipUdpHeaderBytes,
      aggregationFramingBytes: 2,
    });
    this.stateSettings = {
      mtuBytes: settings.mtuBytes,
      ipUdpHeaderBytes: settings.ipUdpHeaderBytes,
      maxRetainedMessages,
      maxRetainedLeafValues,
      maxCompressionSampleBytes,
      maxCompressionSamplePackets,
      aggregationWindowMs,
      keepEntityPositions,
    };
    this.compressionStep = options.compressionThread === true ? 1 : 0;
  }

  /** Counts one datagram. */
  onPacket(packet: PacketObservation): void {
    if (this.compressionStep !== 0) this.stepCompressionThread();
    this.accounting.onPacket(packet);
    this.observer.onPacket(packet);
    this.packet = packet;
    this.declined = false;
  }

  /**
   * Whether the fields of a message at capture time `tUs` may still be read
   * (only the re-encoding trace reads fields, and only of the messages its
   * sample keeps): a decoder may skip the fields of a datagram this declines.
   * With {@link BandwidthOptions.decodeRetainedLater}, once the sample has been
   * thinned, it declines the datagram `onPacket` just observed with its payload
   * (asked before its messages are decoded): the trace copies the payload and
   * decodes the kept ones at the end. A capture whose messages all fit is
   * decoded once, as without it. After feeding ended (`finish()`,
   * `saveState()`) every field is wanted: the decoder given may be the pass's
   * own, which asks again while the trace decodes.
   */
  wantsFields(tUs: number): boolean {
    // Decoding later: once the sample has been thinned (most messages it takes are dropped again), the datagram just
    // observed is copied if its messages are kept (asked before they are decoded); until then fields are kept as offered.
    if (this.fed) return true;
    if (this.decodesLater && this.trace.truncated && this.packet?.payload !== undefined && this.packet.tUs === tUs) {
      this.declined = true;
      return false;
    }
    return this.trace.wantsFields(tUs);
  }

  /** Counts one decoded message and offers it to the re-encoding trace. */
  onMessage(message: GameMessage): void {
    if (this.compressionStep === 2) this.stepCompressionThread();
    this.accounting.onMessage(message);
    this.observer.onMessage(message);
    this.trace.offer(message, this.declined ? this.packet : undefined);
  }

  /** Counts one decode anomaly. */
  onAnomaly(anomaly: DecodeAnomaly): void {
    this.anomalies.add(anomaly.code, anomaly.packetIndex);
  }

  /** Starts the helper thread (first datagram), or takes back a job handed over before feeding went on. */
  private stepCompressionThread(): void {
    if (this.compressionStep === 1 && !this.fed) this.compressionThread = CompressionThread.start();
    else if (this.compressionStep === 2) {
      // the sample handed over is no longer the final one: finish() measures on this thread
      this.compressionThread?.close();
      this.compressionThread = undefined;
    }
    this.compressionStep = 0;
  }

  /**
   * Says the last datagram and message have been fed (optional, before
   * `finish()`): with {@link BandwidthOptions.compressionThread} the final
   * payload sample goes to the helper thread now, so its compression trials
   * run while the caller finishes other work (other analyses, say) before it
   * calls `finish()`. Feeding again afterwards is allowed: the job is taken
   * back and `finish()` measures the trials on the calling thread. The report
   * is the same either way.
   */
  beginFinish(): void {
    this.fed = true;
    if (this.compressionStep === 1) this.compressionStep = 0;
    if (this.finished !== undefined || this.compressionThread === undefined || this.compressionStep === 2) return;
    this.compressionThread.submit(this.compressionJob());
    this.compressionStep = 2;
  }

  /** The compression trials' job: the payload sample as it stands and the datagrams it was drawn from. */
  private compressionJob(): CompressionJob {
    return { samples: this.observer.samples, populationPackets: this.observer.sampler.offered };
  }

  /**
   * Stops the helper thread of {@link BandwidthOptions.compressionThread}
   * without a report, or keeps it from starting: for an analyzer that will not
   * be finished (a failed pass, say), or whose caller has no core to spare.
   * Nothing else changes: `finish()` then measures the trials on the calling
   * thread. A no-op without a thread.
   */
  dispose(): void {
    this.compressionThread?.close();
    this.compressionThread = undefined;
    this.compressionStep = 0;
  }

  /** Ends the analysis and returns the report (the same object on every call). */
  finish(): BandwidthReport {
    this.fed = true;
    if (this.finished === undefined) {
      const job = this.compressionJob();
      const measure = (): CompressionReport => measureCompressionJob(job);
      const thread = this.compressionThread;
      this.compressionThread = undefined;
      this.compressionStep = 0;
      // The final sample goes to the helper thread (unless beginFinish() gave it already); the report takes its trials last.
      thread?.submit(job);
      this.finished = buildReport(this.settings, this.accounting, this.trace, this.observer, this.anomalies, thread === undefined ? measure : () => thread.take(measure));
    }
    return this.finished;
  }

  /**
   * Ends feeding and returns the state as plain JSON data (see
   * {@link BandwidthAnalyzerState}): its size is bounded by the options
   * (retained messages and leaf values, payload sample) and by the sessions,
   * message types and seconds with traffic. With `{ form: "transfer" }` the
   * retained messages stay decoded values (not JSON-safe): a state for a
   * structured clone to another thread, merged there (see
   * {@link BandwidthSaveStateOptions}).
   */
  saveState(options?: BandwidthSaveStateOptions): BandwidthAnalyzerState {
    this.fed = true;
    this.dispose();
    return {
      analysis: "bandwidth",
      stateVersion: BANDWIDTH_STATE_VERSION,
      settings: { ...this.stateSettings },
      accounting: this.accounting.saveState(),
      observer: this.observer.saveState(),
      trace: this.trace.saveState(options?.form ?? "compact"),
      anomalies: [...this.anomalies.counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    };
  }

  /**
   * Folds a saved state in (passes in capture order; `packetIndexOffset` is
   * added to every packet index it holds). The state is checked completely
   * first — version, schema, the bounds of this analyzer's options — and
   * rejected with `E_BAD_PARTIAL` (a state that is not a bandwidth state of
   * this version) or `E_PARTIAL_MISMATCH` (saved with other options) before
   * anything changes. Call before `finish()`.
   */
  mergeState(state: BandwidthAnalyzerState, placement: MergePlacement): void {
    if (this.finished !== undefined) throw new TickscopeError(ErrorCode.badPartial, "bandwidth: mergeState after finish(): merge every state first, then call finish()");
    // a sample handed to the helper thread is no longer the final one
    if (this.compressionStep === 2) this.stepCompressionThread();
    const offset = placement?.packetIndexOffset;
    if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) throw badPartial("placement.packetIndexOffset", `must be a non-negative integer, got ${String(offset)}`);
    if (state === null || typeof state !== "object" || Array.isArray(state)) throw badPartial("(state)", "not an object");
    const candidate = state as Partial<BandwidthAnalyzerState>;
    if (candidate.analysis !== "bandwidth") throw badPartial("analysis", `expected "bandwidth", got ${JSON.stringify(candidate.analysis)?.slice(0, 60)}`);
    if (candidate.stateVersion !== BANDWIDTH_STATE_VERSION) throw badPartial("stateVersion", `expected ${BANDWIDTH_STATE_VERSION}, got ${JSON.stringify(candidate.stateVersion)?.slice(0, 60)}`);
    // The retained messages are checked one by one when the trace is decoded (a transfer-form list is long: the
    // schema's union over it would walk every message once more); here only that they are a string or a list.
    const messages = (state as { trace?: { messages?: unknown } }).trace?.messages;
    const shallow =
      (typeof messages === "string" || Array.isArray(messages)) && state.trace !== null && typeof state.trace === "object" ? { ...state, trace: { ...state.trace, messages: "" } } : state;
    if (!Value.Check(bandwidthAnalyzerStateSchema, shallow)) {
      const first = Value.Errors(bandwidthAnalyzerStateSchema, shallow).First();
      throw badPartial(first?.path || "(state)", first?.message ?? "does not match the state schema");
    }
    for (const key of Object.keys(this.stateSettings) as (keyof BandwidthAnalyzerState["settings"])[]) {
      if (state.settings[key] !== this.stateSettings[key]) {
        throw new TickscopeError(ErrorCode.partialMismatch, `bandwidth state: saved with ${key} = ${String(state.settings[key])}, this analyzer has ${String(this.stateSettings[key])}`, {
          fieldPath: `settings.${key}`,
          hint: "create the merging analyzer with the options of the passes that saved the states",
        });
      }
    }
    for (const [index, stream] of state.accounting.streams.entries()) {
      if (stream.firstUs > stream.lastUs) throw badPartial(`/accounting/streams/${index}`, "firstUs after lastUs");
    }
    if (state.observer.sample.samples.length > state.observer.sample.offered) throw badPartial("/observer/sample/offered", "fewer datagrams offered than sampled");
    const samples = PacketObserver.decodeSamples(state.observer, this.observer.options, "/observer", badPartial);
    const trace = this.trace.decodeState(state.trace, "/trace");
    // Checked: from here nothing throws.
    this.accounting.mergeState(state.accounting);
    this.observer.mergeState(state.observer, samples, offset);
    this.trace.mergeFrom(trace, offset);
    for (const [code, count] of state.anomalies) this.anomalies.counts.set(code, (this.anomalies.counts.get(code) ?? 0) + count);
  }
}

interface Settings {
  reencoder: Reencoder | undefined;
  tolerances: Map<string, number>;
  defaultTolerance: number;
  maxInterpolationError: number;
  relevanceRadius: number | undefined;
  budgetBitsPerSecond: number | undefined;
  mtuBytes: number;
  ipUdpHeaderBytes: number;
  baselineReferenceBits: number;
}

const UPDATE_RATE_CANDIDATES = [2, 3, 4, 6];

function buildReport(
  settings: Settings,
  accounting: BandwidthAccounting,
  trace: RetainedTrace,
  observer: PacketObserver,
  anomalies: AnomalyCounts,
  measureCompression: () => CompressionReport,
): BandwidthReport {
  const notes: string[] = [];
  const recommendations: BandwidthRecommendation[] = [];
  const warmupMessages = trace.markWarmup();
  const messages = trace.messages;
  const countedMessages = messages.length - warmupMessages;
  const reencoder = settings.reencoder;
  const traceSeconds = trace.durationUs / 1e6;
  const sampledBlocks = trace.sampledBlocks.length;
  const populationBlocks = trace.sampled ? Math.max(trace.offeredBlocks, sampledBlocks) : sampledBlocks;
  const windowScope = trace.sampled
    ? `seeded sample of ${sampledBlocks} of ${populationBlocks} one-second blocks (${countedMessages} of ${trace.offered} decoded messages re-encoded, ${round(traceSeconds, 3)} s, after ${warmupMessages} warm-up messages)`
    : trace.truncated
      ? `first ${messages.length} of ${trace.offered} decoded messages (${round(traceSeconds, 3)} s)`
      : `all ${messages.length} decoded messages (${round(traceSeconds, 3)} s, exact)`;

  // Per-field bits and change rates over the retained window; the same walk observes the leaves' ranges (quantization).
  let observed: ObservedRanges | undefined;
  if (reencoder !== undefined) {
    const ranges = new RangeObserver(reencoder);
    for (const message of messages) {
      ranges.begin(message);
      if (message.warmup !== true) {
        accounting.countFields(message, false, ranges.visit);
      } else {
        try {
          reencoder.visitLeaves(message.type, message.fields, undefined, ranges.visit);
        } catch {
          // Messages the re-encoder cannot walk are counted as encode failures by the trials.
        }
      }
    }
    observed = ranges.result();
    accounting.setFieldWindow(trace.durationUs);
  }

  // Identity: re-encode in the original layout; sizes must match the capture.
  // Its sizes serve every later trial in the original encoding (update rate): no message is encoded twice for them.
  const identitySizes = new TrialSizes();
  // The quantization (from the ranges the walk above observed) is measured beside the identity trial, in the same walk.
  const quantizationCandidate = reencoder !== undefined ? deriveQuantization(messages, reencoder, settings.tolerances, settings.defaultTolerance, 1, observed) : undefined;
  // its value lists are not needed again
  observed = undefined;
  const quantized = quantizationCandidate !== undefined && quantizationCandidate.specs.size > 0 ? new CompanionTrial({ quantize: quantizationCandidate.specs }) : undefined;
  const identity = runTrial(messages, reencoder, { variant: {}, recordSizes: identitySizes, companion: quantized });
  const mismatches = identity.sizeMismatches;
  const before = identity.bytes;
  if (identity.encodeFailures > 0) anomalies.add(ErrorCode.encodeFailed, identity.encodeFailures);
  if (reencoder === undefined) {
    notes.push("No re-encoder (protocol layout) was given: field-level changes (quantization, delta encoding, interest management) are out; accounting, update rate, compression, aggregation and redundancy remain.");
  } else if (identity.reencodedMessages === 0 && messages.length > 0) {
    notes.push("The re-encoder knows none of the decoded message types: field-level changes are out.");
  }
  if (mismatches > 0) {
    notes.push(`${mismatches} messages re-encoded in the original layout differ in size from the capture: figures compare re-encoded sizes with re-encoded sizes.`);
  }
  if (trace.truncated) notes.push(`Re-encoding trials cover the ${windowScope}; accounting covers all traffic.`);

  const trialRecommendation = (
    id: string,
    kind: string,
    title: string,
    trial: TrialResult,
    cost: BandwidthRecommendation["cost"],
    method: string,
    details: BandwidthRecommendation["details"],
    withInterval = true,
  ): BandwidthRecommendation => {
    // The error of the saving: time blocks are the sampled units (ratio estimator over blocks).
    const interval = withInterval && !(trace.truncated && !trace.sampled) ? blockSavingsInterval(identity, trial, populationBlocks) : undefined;
    const withDetails: BandwidthRecommendation["details"] = { ...details };
    let scope = windowScope;
    if (interval !== undefined) {
      withDetails.savingsRatioLow = interval.low;
      withDetails.savingsRatioHigh = interval.high;
      if (interval.sampledUnits < interval.populationUnits) {
        scope = `${windowScope}; 95% CI of the saving ${round(interval.low * 100, 3)}–${round(interval.high * 100, 3)}%`;
      }
    }
    return {
      id,
      analysis: "bandwidth",
      kind,
      title,
      metric: "messageBytes",
      bytesBefore: before,
      bytesAfter: trial.bytes,
      savingsRatio: savings(before, trial.bytes),
      bytesPerSecondSaved: traceSeconds > 0 ? round((before - trial.bytes) / traceSeconds, 3) : 0,
      verified: true,
      method,
      scope,
      cost,
      details: sortKeys(withDetails),
    };
  };

  // Trials the plan can reuse, by the plan steps they correspond to.
  const knownTrials = new Map<string, TrialResult>();

  // Quantization.
  let quantization: QuantizationPlan | undefined;
  if (reencoder !== undefined && identity.reencodedMessages > 0) {
    quantization = quantizationCandidate!;
    if (quantization.specs.size > 0) {
      const trial = quantized?.result ?? runTrial(messages, reencoder, { variant: { quantize: quantization.specs } });
      knownTrials.set("quantization", trial);
      const worst = quantization.leaves.reduce((a, b) => (b.maxError > a.maxError ? b : a));
      const example = quantization.leaves.reduce((a, b) => (b.originalBits - b.bits > a.originalBits - a.bits ? b : a));
      recommendations.push(
        trialRecommendation(
          "bandwidth.quantization",
          "quantization",
          `Quantize ${quantization.leaves.length} fields to their observed ranges within tolerance (e.g. ${example.path}: ${example.originalBits} → ${example.bits} bits)`,
          trial,
          { maxError: round(quantization.maxError, 9), addedDelayMs: 0, note: "ranges are those observed in the window; values outside clamp" },
          "re-encoded every retained message with the quantized layout",
          { fieldsQuantized: quantization.leaves.length, worstField: worst.path, defaultTolerance: settings.defaultTolerance },
        ),
      );
    } else {
      notes.push("Quantization: no numeric field would shrink within its tolerance.");
    }
  }

  // Smallest-three quaternions.
  let quaternions: QuaternionPlan | undefined;
  if (reencoder !== undefined && identity.reencodedMessages > 0) {
    quaternions = detectQuaternions(messages, reencoder, settings.tolerances, settings.defaultTolerance);
    if (quaternions.specs.size > 0) {
      const trial = runTrial(messages, reencoder, { variant: { smallestThree: quaternions.specs } });
      // The plan's step when no quantization precedes it (the same configuration).
      knownTrials.set("smallestThree", trial);
      const [path, spec] = [...quaternions.specs][0]!;
      recommendations.push(
        trialRecommendation(
          "bandwidth.smallestThree",
          "smallestThree",
          `Send ${quaternions.specs.size === 1 ? `the quaternion ${path}` : `${quaternions.specs.size} quaternions`} as smallest three (2 + 3 × ${spec.bits} bits)`,
          trial,
          { maxError: round(quaternions.maxError, 9), addedDelayMs: 0, note: "the largest component is rebuilt from the unit norm" },
          "re-encoded every retained message with smallest-three quaternions",
          { quaternions: quaternions.specs.size, bitsPerComponent: spec.bits },
        ),
      );
    }
  }

  // Delta encoding.
  let baselineMode: MeasuredWindow["baselineMode"] = "none";
  const delta: EncodingVariant["delta"] = { baselineReferenceBits: settings.baselineReferenceBits };
  // The delta trial's baselines: the plan's and the budget's delta trials over the same flow replay them.
  const deltaBaselines = new TrialBaselines();
  if (reencoder !== undefined && identity.reencodedMessages > 0) {
    // The plan's delta step after quantization and smallest-three (when either applies) replays this trial's
    // baselines: measured in the same walk (the same result as that trial, without walking the flow again).
    const planQuantize = quantization !== undefined && quantization.specs.size > 0 ? quantization.specs : undefined;
    const planSmallestThree = quaternions !== undefined && quaternions.specs.size > 0 ? quaternions.specs : undefined;
    const planDelta = planQuantize !== undefined || planSmallestThree !== undefined ? new CompanionTrial({ quantize: planQuantize, smallestThree: planSmallestThree, delta }) : undefined;
    const trial = runTrial(messages, reencoder, { variant: { delta }, recordBaselines: deltaBaselines, companion: planDelta });
    // The plan's step when neither quantization nor smallest-three precedes it (the same configuration).
    knownTrials.set("deltaEncoding", trial);
    if (planDelta?.result !== undefined) {
      knownTrials.set([...(planQuantize === undefined ? [] : ["quantization"]), ...(planSmallestThree === undefined ? [] : ["smallestThree"]), "deltaEncoding"].join("+"), planDelta.result);
    }
    // The mode that matters is the one of the direction carrying the most message bytes.
    const heavy = identity.streams.reduce<Record<string, number>>((sums, stream) => {
      sums[stream.direction] = (sums[stream.direction] ?? 0) + stream.bytes;
      return sums;
    }, {});
    const mainDirection = (heavy.clientToServer ?? 0) > (heavy.serverToClient ?? 0) ? "clientToServer" : "serverToClient";
    const mainFallbacks = trial.lastSentByDirection[mainDirection];
    baselineMode = trial.ackedBaselines > 0 ? (mainFallbacks > 0 ? "mixed" : "lastAcknowledged") : trial.lastSentBaselines > 0 ? "lastSent" : "none";
    for (const direction of ["clientToServer", "serverToClient"] as const) {
      const fallbacks = trial.lastSentByDirection[direction];
      if (fallbacks > 0) {
        notes.push(`Delta encoding (${direction}): ${fallbacks} messages had no acknowledged baseline (the peer sends no ack roles for them) and were measured against the last sent message, which a lost packet would break.`);
      }
    }
    recommendations.push(
      trialRecommendation(
        "bandwidth.delta",
        "deltaEncoding",
        baselineMode === "lastSent"
          ? "Delta-encode messages against the last sent message (no acks seen): unchanged fields and entities cost one bit"
          : "Delta-encode messages against the last acknowledged state: unchanged fields and entities cost one bit",
        trial,
        { maxError: 0, addedDelayMs: 0, note: `lossless; sender keeps a history per client and names the baseline with ${settings.baselineReferenceBits} bits` },
        "re-encoded every retained message against its baseline (ack roles in the trace)",
        { baselineMode, ackedBaselines: trial.ackedBaselines, lastSentBaselines: trial.lastSentBaselines, noBaseline: trial.noBaseline },
      ),
    );
  }

  // Update-rate reduction.
  let chosenRate: InterpolationError | undefined;
  const rateTypes = stateTypes(messages);
  if (rateTypes.length > 0) {
    // Candidates in increasing order; a coarser rate never interpolates better, so stop at the first miss.
    for (const every of UPDATE_RATE_CANDIDATES) {
      const result = measureInterpolationError(messages, rateTypes, every, reencoder);
      if (result.measuredMessages === 0) break;
      if (chosenRate === undefined || result.maxError <= settings.maxInterpolationError) chosenRate = result;
      if (result.maxError > settings.maxInterpolationError) break;
    }
    if (chosenRate !== undefined) {
      const updateEvery = new Map(rateTypes.map((type) => [type, chosenRate!.every]));
      const trial = runTrial(messages, reencoder, { variant: {}, updateEvery, sizes: identitySizes });
      // The plan's step when no field-level change precedes it (the same configuration).
      knownTrials.set("updateRate", trial);
      const addedDelayMs = round(((chosenRate.every - 1) * chosenRate.medianIntervalUs) / 1000, 3);
      recommendations.push(
        trialRecommendation(
          "bandwidth.updateRate",
          "updateRate",
          `Send ${rateTypes.join(", ")} once every ${chosenRate.every} updates and interpolate`,
          trial,
          { maxError: round(chosenRate.maxError, 9), addedDelayMs, note: `receiver interpolates between kept updates (worst field ${chosenRate.worstPath || "n/a"})` },
          "kept one message in N per stream; interpolation error measured on every dropped message",
          {
            every: chosenRate.every,
            withinTolerance: chosenRate.maxError <= settings.maxInterpolationError,
            maxInterpolationError: settings.maxInterpolationError,
            messagesDropped: trial.droppedMessages,
          },
        ),
      );
      if (chosenRate.maxError > settings.maxInterpolationError) chosenRate = undefined;
    }
  }

  // Interest management.
  if (settings.relevanceRadius !== undefined) {
    if (reencoder === undefined) {
      notes.push("Interest management needs a re-encoder to measure; skipped.");
    } else {
      const trial = runTrial(messages, reencoder, { variant: {}, relevanceRadius: settings.relevanceRadius });
      // The plan's step when no other change precedes it (the same configuration).
      knownTrials.set("interestManagement", trial);
      if (trial.entitiesDropped === 0) {
        notes.push(`Interest management: no entity was farther than ${settings.relevanceRadius} from its receiving player (or positions/player ids are unknown).`);
      } else {
        recommendations.push(
          trialRecommendation(
            "bandwidth.interest",
            "interestManagement",
            `Send only entities within ${settings.relevanceRadius} units of the receiving player`,
            trial,
            { maxError: 0, addedDelayMs: 0, note: "far entities are not updated; add hysteresis so entities do not pop at the edge" },
            "re-encoded snapshots without the entities beyond the radius",
            { relevanceRadius: settings.relevanceRadius, entitiesDropped: trial.entitiesDropped },
          ),
        );
      }
    }
  }

  // Duplicates and aggregation (exact arithmetic on captured datagrams).
  const totals = accounting.totals();
  const totalSeconds = totals.durationMs / 1000;
  const packetRecommendation = (
    id: string,
    kind: string,
    title: string,
    bytesBefore: number,
    bytesAfter: number,
    cost: BandwidthRecommendation["cost"],
    method: string,
    verified: boolean,
    details: BandwidthRecommendation["details"],
    metric = "wireBytes",
  ): BandwidthRecommendation => ({
    id,
    analysis: "bandwidth",
    kind,
    title,
    metric,
    bytesBefore,
    bytesAfter,
    savingsRatio: savings(bytesBefore, bytesAfter),
    bytesPerSecondSaved: totalSeconds > 0 ? round((bytesBefore - bytesAfter) / totalSeconds, 3) : 0,
    verified,
    method,
    scope: `all ${totals.packets} datagrams (${round(totalSeconds, 3)} s)`,
    cost,
    details: sortKeys(details),
  });
  if (observer.captureDuplicatePackets > 0) {
    notes.push(
      `${observer.captureDuplicatePackets} datagram(s) (${observer.captureDuplicateWireBytes} wire bytes, first frame ${(observer.captureDuplicateExamples[0] ?? -1) + 1}) were captured twice: ` +
        `byte-identical to a datagram of the same stream within ${CAPTURE_DUPLICATE_WINDOW_US / 1000} ms with the same IP identification or on another capture interface ` +
        "(a span port or two capture interfaces), not sent twice; no protocol change is recommended for them.",
    );
  }
  if (observer.duplicatePackets > 0) {
    recommendations.push(
      packetRecommendation(
        "bandwidth.duplicates",
        "redundancy",
        `Stop sending ${observer.duplicatePackets} byte-identical duplicate datagrams`,
        observer.wireBytes,
        observer.wireBytes - observer.duplicateWireBytes,
        { maxError: 0, addedDelayMs: 0 },
        "removed datagrams whose payload equals one of the previous 32 of the same stream (32-bit MurmurHash3 + length)",
        true,
        { duplicatePackets: observer.duplicatePackets, firstDuplicatePacketIndex: observer.duplicateExamples[0] ?? -1 },
      ),
    );
  }
  if (observer.packets > 0 && observer.aggregatedWireBytes < observer.wireBytes) {
    recommendations.push(
      packetRecommendation(
        "bandwidth.aggregation",
        "aggregation",
        `Aggregate datagrams sent within ${observer.options.aggregationWindowUs / 1000} ms of each other (${observer.packets} → ${observer.aggregatedPackets} datagrams)`,
        observer.wireBytes,
        observer.aggregatedWireBytes,
        { maxError: 0, addedDelayMs: observer.options.aggregationWindowUs / 1000, note: "a datagram waits up to the window for others; 2-byte length prefix per merged datagram" },
        "packed the captured datagrams of each stream in send order into datagrams ≤ MTU; saved bytes are the headers of the merged datagrams",
        true,
        { packetsBefore: observer.packets, packetsAfter: observer.aggregatedPackets },
      ),
    );
  }

  // Redundancy estimates from the trace.
  let resentBytes = 0;
  let resentMessages = 0;
  for (const message of messages) {
    if (message.warmup !== true && (message.roles.resendCount ?? 0) > 0) {
      resentBytes += message.byteLength;
      resentMessages += 1;
    }
  }
  if (resentMessages > 0) {
    const rec = trialRecommendation(
      "bandwidth.resends",
      "redundancy",
      `${resentMessages} retransmitted messages: resend only state that changed since (estimate)`,
      { ...identity, bytes: identity.bytes - resentBytes },
      { maxError: 0, addedDelayMs: 0, note: "upper bound: assumes no retransmission is needed" },
      "estimate: bytes of messages with resendCount > 0",
      { resentMessages },
      false,
    );
    rec.verified = false;
    recommendations.push(rec);
  }

  const plan = buildPlan(settings, accounting, messages, reencoder, before, traceSeconds, quantization, quaternions, delta, chosenRate, rateTypes, knownTrials, deltaBaselines, (trial) =>
    trace.truncated && !trace.sampled ? undefined : blockSavingsInterval(identity, trial, populationBlocks),
  );

  // Everything else first: the compression trials (a helper thread's, when given one) are taken last.
  const bySession = accounting.bySession();
  const byChannel = accounting.byChannel();
  const byMessageType = accounting.byMessageType();
  const byField = accounting.byField();
  const packetSizes = accounting.packetSizes();
  const perMinute = accounting.perMinute();
  const byMessageTypeTimeline = accounting.byMessageTypeTimeline();

  // Compression: a seeded sample of datagrams spread over the capture, with a 95% interval.
  const compression = measureCompression();
  if (compression.sampledPackets === 0) {
    notes.push("Compression trials need datagram payloads (PacketObservation.payload); none were given.");
  } else {
    const perPacket = compression.trials.filter((trial) => trial.mode !== "perStream");
    const best = perPacket.reduce((a, b) => (b.savingsRatio > a.savingsRatio ? b : a));
    const perStream = compression.trials.find((trial) => trial.mode === "perStream")!;
    const everyDatagram = best.sampledPackets >= best.populationPackets;
    const interval =
      best.savingsRatioLow === undefined || everyDatagram
        ? ""
        : `; 95% CI of the saving ${round(best.savingsRatioLow * 100, 3)}–${round(best.savingsRatioHigh! * 100, 3)}%`;
    const measuredShare =
      best.sampledPackets < compression.sampledPackets
        ? `${best.sampledPackets} datagrams compressed (sized until the 95% CI is within ±${round(compression.targetHalfWidth * 100, 3)} points) of a seeded sample of ${compression.sampledPackets}`
        : `seeded sample of ${compression.sampledPackets}`;
    const scope = everyDatagram
      ? `all ${best.sampledPackets} datagrams${best.mode === "perPacketDictionary" ? " of the second half" : ""} (${best.bytesBefore} payload bytes)`
      : `${measuredShare} of ${compression.populationPackets} datagrams spread over the capture (${compression.sampledBytes} of ${observer.sampler.offeredBytes} payload bytes)${interval}`;
    const details: BandwidthRecommendation["details"] = { mode: best.mode, perStreamSavingsRatio: perStream.savingsRatio, zstd: "unavailable in this runtime" };
    if (best.savingsRatioLow !== undefined) {
      details.savingsRatioLow = best.savingsRatioLow;
      details.savingsRatioHigh = best.savingsRatioHigh!;
    }
    recommendations.push({
      id: "bandwidth.compression",
      analysis: "bandwidth",
      kind: "compression",
      title: `Compress each datagram with ${best.algorithm}${best.mode === "perPacketDictionary" ? " and a trained dictionary" : ""}`,
      metric: "payloadBytes",
      bytesBefore: best.bytesBefore,
      bytesAfter: best.bytesAfter,
      savingsRatio: best.savingsRatio,
      // The sample's savings ratio applied to every payload byte of the capture, per second of the capture.
      bytesPerSecondSaved: totalSeconds > 0 ? round((best.savingsRatio * observer.sampler.offeredBytes) / totalSeconds, 3) : 0,
      verified: true,
      method: everyDatagram
        ? "compressed every captured payload (dictionary: trained on the first half, measured on the second)"
        : "compressed a seeded sample of the captured payloads, each datagram kept with the same probability (dictionary: trained on the sample's first half, measured on its second)",
      scope,
      cost: { maxError: 0, addedDelayMs: 0, note: "CPU per datagram on both ends" },
      details: sortKeys(details),
    });
  }

  // A change that does not make the traffic smaller is no recommendation (it becomes a note).
  const saving = savingRecommendations(recommendations, notes);
  saving.sort((a, b) => b.bytesPerSecondSaved - a.bytesPerSecondSaved || (a.id < b.id ? -1 : 1));
  const measuredWindow: MeasuredWindow = {
    messages: countedMessages,
    messageShare: trace.offered > 0 ? round(countedMessages / trace.offered) : 0,
    startUs: messages[0]?.tUs ?? 0,
    endUs: messages[messages.length - 1]?.tUs ?? 0,
    baselineMode,
    reencodeSizeMismatches: mismatches,
    sampledBlocks,
    populationBlocks,
  };
  return {
    analysis: "bandwidth",
    totals,
    bySession,
    byChannel,
    byMessageType,
    byField,
    packetSizes,
    perMinute,
    byMessageTypeTimeline,
    recommendations: saving,
    plan,
    compression,
    measuredWindow,
    captureDuplicates: {
      packets: observer.captureDuplicatePackets,
      wireBytes: observer.captureDuplicateWireBytes,
      firstPacketIndex: observer.captureDuplicateExamples[0] ?? -1,
    },
    notes,
    anomalies: anomalies.toCounts(),
  };
}

function sortKeys<T extends Record<string, unknown>>(value: T): T {
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) result[key] = value[key];
  return result as T;
}

function buildPlan(
  settings: Settings,
  accounting: BandwidthAccounting,
  messages: RetainedTrace["messages"],
  reencoder: Reencoder | undefined,
  before: number,
  traceSeconds: number,
  quantization: QuantizationPlan | undefined,
  quaternions: QuaternionPlan | undefined,
  delta: NonNullable<EncodingVariant["delta"]>,
  rate: InterpolationError | undefined,
  rateTypes: readonly string[],
  knownTrials: ReadonlyMap<string, TrialResult>,
  baselines: TrialBaselines,
  intervalOf: (trial: TrialResult) => SavingsInterval | undefined,
): BandwidthPlan {
  let lastTrial: TrialResult | undefined;
  const applied: string[] = [];
  const steps: PlanStep[] = [];
  const config: TrialConfig = { variant: {} };
  let maxError = 0;
  let addedDelayMs = 0;
  let after = before;
  const step = (kind: string, title: string, stepError: number, stepDelayMs: number): void => {
    applied.push(kind);
    const trial = knownTrials.get(applied.join("+")) ?? runTrial(messages, reencoder, { ...config, baselines });
    maxError = Math.max(maxError, stepError);
    addedDelayMs += stepDelayMs;
    if (trial.bytes >= after) return;
    after = trial.bytes;
    lastTrial = trial;
    steps.push({ kind, title, bytesAfter: after, savingsRatio: savings(before, after), maxError: round(maxError, 9), addedDelayMs: round(addedDelayMs, 3), verified: true });
  };
  if (quantization !== undefined && quantization.specs.size > 0) {
    config.variant = { ...config.variant, quantize: quantization.specs };
    step("quantization", "Quantize fields to their observed ranges within tolerance", quantization.maxError, 0);
  }
  if (quaternions !== undefined && quaternions.specs.size > 0) {
    config.variant = { ...config.variant, smallestThree: quaternions.specs };
    step("smallestThree", "Send quaternions as smallest three", quaternions.maxError, 0);
  }
  if (reencoder !== undefined && messages.some((message) => reencoder.leaves(message.type) !== undefined)) {
    config.variant = { ...config.variant, delta };
    step("deltaEncoding", "Delta-encode against the last acknowledged state", 0, 0);
  }
  if (rate !== undefined) {
    config.updateEvery = new Map(rateTypes.map((type) => [type, rate.every]));
    step("updateRate", `Send state once every ${rate.every} updates and interpolate`, rate.maxError, ((rate.every - 1) * rate.medianIntervalUs) / 1000);
  }
  if (settings.relevanceRadius !== undefined && reencoder !== undefined) {
    config.relevanceRadius = settings.relevanceRadius;
    step("interestManagement", `Send only entities within ${settings.relevanceRadius} units`, 0, 0);
  }
  const megabits = (bytes: number): number => (traceSeconds > 0 ? round((bytes * 8) / traceSeconds / 1e6, 6) : 0);
  const plan: BandwidthPlan = {
    steps,
    bytesBefore: before,
    bytesAfter: after,
    savingsRatio: savings(before, after),
    megabitsPerSecondBefore: megabits(before),
    megabitsPerSecondAfter: megabits(after),
  };
  const interval = lastTrial === undefined ? undefined : intervalOf(lastTrial);
  if (interval !== undefined) {
    plan.savingsRatioLow = interval.low;
    plan.savingsRatioHigh = interval.high;
  }
  if (settings.budgetBitsPerSecond !== undefined) {
    plan.budget = findBudgetVariant(settings, accounting, messages, reencoder, before, traceSeconds, delta, rateTypes, quaternions, baselines);
  }
  return plan;
}

const TOLERANCE_SCALES = [1, 2, 4, 8, 16, 32, 64];
const BUDGET_RATES = [1, 2, 3, 4];

function findBudgetVariant(
  settings: Settings,
  accounting: BandwidthAccounting,
  messages: RetainedTrace["messages"],
  reencoder: Reencoder | undefined,
  before: number,
  traceSeconds: number,
  delta: NonNullable<EncodingVariant["delta"]>,
  rateTypes: readonly string[],
  quaternions: QuaternionPlan | undefined,
  baselines: TrialBaselines,
): BudgetPlan {
  const budget = settings.budgetBitsPerSecond!;
  const worstRate = (trial: TrialResult): number => {
    let worst = 0;
    for (const stream of trial.streams) {
      if (stream.direction !== "serverToClient") continue;
      const header = accounting.headerBytesPerPacket(stream.session, stream.direction) ?? settings.ipUdpHeaderBytes + 14;
      const bits = traceSeconds > 0 ? ((stream.bytes + stream.packets * header) * 8) / traceSeconds : 0;
      if (bits > worst) worst = bits;
    }
    return worst;
  };
  let best: BudgetPlan | undefined;
  let fallback: BudgetPlan | undefined;
  const canQuantize = reencoder !== undefined && messages.some((message) => reencoder.leaves(message.type) !== undefined);
  const observed = canQuantize ? observeRanges(messages, reencoder!) : undefined;
  const scales = canQuantize ? TOLERANCE_SCALES : [1];
  for (const every of BUDGET_RATES) {
    if (every > 1 && rateTypes.length === 0) break;
    const rate = every > 1 ? measureInterpolationError(messages, rateTypes, every, reencoder) : undefined;
    const evaluate = (scale: number): BudgetPlan => {
      const quantization = canQuantize ? deriveQuantization(messages, reencoder!, settings.tolerances, settings.defaultTolerance, scale, observed) : undefined;
      const config: TrialConfig = { variant: canQuantize ? { quantize: quantization!.specs, delta } : {}, baselines };
      if (canQuantize && quaternions !== undefined && quaternions.specs.size > 0) config.variant = { ...config.variant, smallestThree: quaternions.specs };
      if (every > 1) config.updateEvery = new Map(rateTypes.map((type) => [type, every]));
      if (settings.relevanceRadius !== undefined) config.relevanceRadius = settings.relevanceRadius;
      const trial = runTrial(messages, reencoder, config);
      const worst = worstRate(trial);
      const candidate: BudgetPlan = {
        budgetBitsPerSecond: budget,
        met: worst <= budget,
        worstSessionBitsPerSecond: round(worst, 3),
        toleranceScale: scale,
        updateEvery: every,
        maxError: round(Math.max(quantization?.maxError ?? 0, rate?.maxError ?? 0, canQuantize ? (quaternions?.maxError ?? 0) : 0), 9),
        addedDelayMs: rate === undefined ? 0 : round(((every - 1) * rate.medianIntervalUs) / 1000, 3),
        bytesAfter: trial.bytes,
        savingsRatio: savings(before, trial.bytes),
      };
      if (fallback === undefined || candidate.worstSessionBitsPerSecond < fallback.worstSessionBitsPerSecond) fallback = candidate;
      return candidate;
    };
    // Coarser tolerances only shrink the traffic: binary-search the finest scale that meets the budget.
    let low = 0;
    let high = scales.length - 1;
    let fit: BudgetPlan | undefined;
    const coarsest = evaluate(scales[high]!);
    if (!coarsest.met) continue;
    fit = coarsest;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const candidate = evaluate(scales[middle]!);
      if (candidate.met) {
        fit = candidate;
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    if (best === undefined || fit.maxError < best.maxError) best = fit;
  }
  return best ?? fallback!;
}
