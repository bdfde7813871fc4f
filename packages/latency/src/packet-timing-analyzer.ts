import {
  ActiveSpan,
  badState,
  checkState,
  decodeNumber,
  encodeNumber,
  ErrorCode,
  formatEndpoint,
  QuantileSketch,
  TickscopeError,
  type Direction,
  type GameMessage,
  type MergeableAnalyzer,
  type MergePlacement,
  type PacketObservation,
  type Session,
} from "@tickscope/core";
import { IntervalHistogram } from "./interval-histogram.js";
import { PACKET_TIMING_STATE_VERSION, packetTimingAnalyzerStateSchema, type PacketTimingAnalyzerState } from "./packet-timing-analyzer-state.js";
import type {
  PacketTimingDirectionReport,
  PacketTimingReport,
  PacketTimingSessionReport,
  ResponseTimingEstimate,
  TickEstimate,
  TimingBurst,
  TimingConfidence,
  TimingDistribution,
  TimingGap,
} from "./packet-timing-report.js";
import { ResponseLagCorrelogram } from "./response-lag-correlogram.js";

/** Options of {@link PacketTimingAnalyzer}. */
export interface PacketTimingAnalyzerOptions {
  /** Datagrams arriving within this many ms of the previous one belong to the same send event. Default 1. */
  eventMergeMs?: number;
  /** A gap is a silence longer than this many ticks. Default 4. */
  gapTicks?: number;
  /** Datagrams buffered (arrival times only) per direction until the tick is first estimated. Default 512. */
  warmUpDatagrams?: number;
  /** The tick used for jitter, gaps and bursts is re-estimated every this many send events. Default 1,024. */
  reestimateEvents?: number;
  /** Longest request → response lag looked for, ms. Default 600. */
  maximumResponseLagMs?: number;
  /** Longest gaps and largest bursts kept per direction. Default 5. */
  keptEvents?: number;
}

/** What the report's `method` says: how every figure was derived and what it cannot tell. */
export const PACKET_TIMING_METHOD =
  "From UDP datagram arrival times and sizes only (no protocol definition): datagrams within 1 ms form a send event; the tick is the mean of the " +
  "send-event intervals within ±10 % of the most common one; jitter is RFC 3550's J over arrivals compared with that tick (D = interval − n·tick, " +
  "n = round(interval / tick), silences excluded); a gap is a silence over 4 ticks; a burst is a run of datagrams each under a quarter tick apart, " +
  "at least max(4, 3 × datagrams per send event). The RTT estimate is the first lag from one side's send events to the other's that stands out of a " +
  "cross-correlogram's background: it includes the answering side's processing and tick wait, measures only the answer delay on a server-side " +
  "capture, is only known modulo the request interval when the requests are periodic, and cannot tell an answer from two steady schedules with a " +
  "fixed phase — it is an estimate, never a measured RTT.";

interface DirectionState {
  packets: number;
  payloadBytes: number;
  firstUs: number;
  lastUs: number;
  /** Core's active time (silences over 120 s left out), for the rate when such silences occur. */
  readonly active: ActiveSpan;
  readonly interArrivalMs: QuantileSketch;
  readonly payloadSizeBytes: QuantileSketch;
  events: number;
  lastDatagramUs: number;
  lastEventUs: number;
  readonly eventIntervals: IntervalHistogram;
  eventsSinceEstimate: number;
  /** Tick used for jitter, gaps and bursts, µs (NaN until estimated). */
  referenceUs: number;
  minimumBurst: number;
  /** Arrival times buffered until the first tick estimate (dropped after it). */
  pending: Float64Array | undefined;
  pendingCount: number;
  // Timing state (driven by the reference tick).
  timingPreviousUs: number;
  timingEventUs: number;
  jitterUs: number;
  jitterMaxUs: number;
  jitterSumUs: number;
  jitterSamples: number;
  readonly perEventJitterMs: QuantileSketch;
  gapCount: number;
  gapTotalUs: number;
  readonly longestGaps: TimingGap[];
  burstCount: number;
  runStartUs: number;
  runDatagrams: number;
  runEndUs: number;
  readonly largestBursts: TimingBurst[];
}

interface SessionState {
  id: string;
  client: string;
  server: string;
  readonly directions: [DirectionState | undefined, DirectionState | undefined];
  /** Requests client → server, responses server → client. */
  readonly clientRequests: ResponseLagCorrelogram;
  /** Requests server → client, responses client → server. */
  readonly serverRequests: ResponseLagCorrelogram;
}

/**
 * Protocol-agnostic timing of every session, from datagram arrivals alone (no
 * definition needed): per direction the packet rate, inter-arrival and size
 * distributions, the tick (dominant send interval → Hz, with how regular it
 * is), RFC 3550-style jitter against that tick, gaps and bursts; per session
 * an RTT estimate from request → response timing with a stated confidence
 * (see {@link PACKET_TIMING_METHOD} for how each figure is derived).
 * Streaming and bounded: per direction three sketches, a 6 KB interval
 * histogram and, until the tick is known, up to `warmUpDatagrams` arrival
 * times; per session two lag histograms of 600 bins. Deterministic: the same
 * packets give the same report. Feed `onPacket` in capture order.
 */
export class PacketTimingAnalyzer implements MergeableAnalyzer<PacketTimingReport, PacketTimingAnalyzerState> {
  /** Analysis name. */
  readonly name = "packet-timing";
  /** Version of the saved state's shape ({@link PacketTimingAnalyzerState}). */
  readonly stateVersion = PACKET_TIMING_STATE_VERSION;
  private readonly options: PacketTimingAnalyzerOptions;
  private readonly sessions = new Map<string, SessionState>();
  private readonly eventMergeUs: number;
  private readonly gapTicks: number;
  private readonly warmUpDatagrams: number;
  private readonly reestimateEvents: number;
  private readonly maximumResponseLagMs: number;
  private readonly keptEvents: number;

  constructor(options: PacketTimingAnalyzerOptions = {}) {
    this.options = options;
    this.eventMergeUs = (options.eventMergeMs ?? 1) * 1000;
    this.gapTicks = options.gapTicks ?? 4;
    this.warmUpDatagrams = Math.max(1, options.warmUpDatagrams ?? 512);
    this.reestimateEvents = options.reestimateEvents ?? 1024;
    this.maximumResponseLagMs = options.maximumResponseLagMs ?? 600;
    this.keptEvents = options.keptEvents ?? 5;
  }

  /** Records the session's endpoints. */
  onSession(session: Session): void {
    const state = this.session(session.id);
    state.client = formatEndpoint(session.client);
    state.server = formatEndpoint(session.server);
  }

  /** Feeds one datagram (arrival time, payload length). */
  onPacket(packet: PacketObservation): void {
    const session = this.session(packet.sessionId);
    const index = packet.direction === "clientToServer" ? 0 : 1;
    let state = session.directions[index];
    if (state === undefined) {
      state = newDirection(this.warmUpDatagrams);
      session.directions[index] = state;
    }
    const tUs = packet.tUs;
    state.packets += 1;
    state.payloadBytes += packet.payloadLength;
    state.payloadSizeBytes.add(packet.payloadLength);
    if (Number.isNaN(state.firstUs)) state.firstUs = tUs;
    else state.interArrivalMs.add((tUs - state.lastDatagramUs) / 1000);
    state.lastUs = tUs;
    state.active.add(tUs);
    const newEvent = Number.isNaN(state.lastDatagramUs) || tUs - state.lastDatagramUs > this.eventMergeUs;
    state.lastDatagramUs = tUs;
    if (newEvent) {
      if (!Number.isNaN(state.lastEventUs)) state.eventIntervals.add((tUs - state.lastEventUs) / 1000);
      state.lastEventUs = tUs;
      state.events += 1;
      state.eventsSinceEstimate += 1;
      if (index === 0) {
        session.clientRequests.onRequest(tUs);
        session.serverRequests.onResponse(tUs);
      } else {
        session.serverRequests.onRequest(tUs);
        session.clientRequests.onResponse(tUs);
      }
    }
    if (state.pending !== undefined) {
      if (state.pendingCount === state.pending.length) {
        // Grown by doubling up to warmUpDatagrams, so short sessions (most of a capture's flows) stay small.
        const grown = new Float64Array(Math.min(this.warmUpDatagrams, 2 * state.pending.length));
        grown.set(state.pending);
        state.pending = grown;
      }
      state.pending[state.pendingCount++] = tUs;
      if (state.pendingCount >= this.warmUpDatagrams) this.estimate(state);
      return;
    }
    if (state.eventsSinceEstimate >= this.reestimateEvents) this.estimate(state);
    if (!Number.isNaN(state.referenceUs)) this.time(state, tUs);
  }

  /** Decoded messages are not used: timing needs no definition. */
  onMessage(_message: GameMessage): void {}

  /**
   * Ends feeding and returns the state as JSON-safe plain data
   * ({@link PacketTimingAnalyzerState}); `finish()` afterwards, or of a fresh
   * analyzer (same options) that merged it, gives the same report.
   */
  saveState(): PacketTimingAnalyzerState {
    this.endFeeding();
    return {
      analysis: "packet-timing",
      version: PACKET_TIMING_STATE_VERSION,
      settings: this.settings(),
      sessions: [...this.sessions.values()]
        .sort((left, right) => (left.id < right.id ? -1 : left.id > right.id ? 1 : 0))
        .map((session) => ({
          id: session.id,
          client: session.client,
          server: session.server,
          directions: [saveDirection(session.directions[0]), saveDirection(session.directions[1])],
          clientRequests: session.clientRequests.saveState(),
          serverRequests: session.serverRequests.saveState(),
        })),
    };
  }

  /**
   * Folds a saved state in (create the analyzer with the same options; states
   * in capture order). A session new here is restored; one already here (a
   * rotation cut it) continues as {@link PacketTimingAnalyzerState} describes.
   * Checked and rebuilt before anything changes: `E_BAD_PARTIAL` on a state
   * this version did not save, `E_PARTIAL_MISMATCH` on other options. Packet
   * timing holds no packet index, so the placement's offset is only validated.
   */
  mergeState(state: PacketTimingAnalyzerState, placement: MergePlacement): void {
    if (!Number.isSafeInteger(placement.packetIndexOffset) || placement.packetIndexOffset < 0) {
      throw new TickscopeError(ErrorCode.badPartial, `packetIndexOffset must be a non-negative integer, got ${placement.packetIndexOffset}`);
    }
    const checked = checkState(packetTimingAnalyzerStateSchema, state, "packet timing state");
    if (checked.settings !== this.settings()) throw new TickscopeError(ErrorCode.partialMismatch, "packet timing state was saved with other options", { fieldPath: "/settings" });
    this.endFeeding();
    const rebuilt: SessionState[] = [];
    const ids = new Set<string>();
    checked.sessions.forEach((saved, index) => {
      if (ids.has(saved.id)) badState("packet timing state", `/sessions/${index}/id`, `session ${saved.id} appears twice`);
      ids.add(saved.id);
      const session = this.newSession(saved.id);
      const existing = this.sessions.get(saved.id);
      if (existing !== undefined) {
        // Merge into a copy of the existing session (never half-merged).
        this.loadSession(session, { id: existing.id, client: existing.client, server: existing.server, directions: [saveDirection(existing.directions[0]), saveDirection(existing.directions[1])], clientRequests: existing.clientRequests.saveState(), serverRequests: existing.serverRequests.saveState() }, `/sessions/${index}`);
      }
      this.loadSession(session, saved, `/sessions/${index}`);
      rebuilt.push(session);
    });
    for (const session of rebuilt) this.sessions.set(session.id, session);
  }

  /** The options, as canonical JSON. */
  private settings(): string {
    return JSON.stringify([this.eventMergeUs, this.gapTicks, this.warmUpDatagrams, this.reestimateEvents, this.maximumResponseLagMs, this.keptEvents]);
  }

  /** Resolves warm-up buffers and closes bursts, once (finish and saveState both start here). */
  private endFeeding(): void {
    for (const session of this.sessions.values()) {
      for (const state of session.directions) {
        if (state === undefined) continue;
        if (state.pending !== undefined) this.estimate(state);
        this.closeRun(state);
      }
    }
  }

  /** Loads (into an empty session) or continues (a session holding an earlier pass) a saved session. */
  private loadSession(session: SessionState, saved: PacketTimingAnalyzerState["sessions"][number], path: string): void {
    session.client = saved.client || session.client;
    session.server = saved.server || session.server;
    const directions = saved.directions.map((direction, index) => (direction === null ? undefined : loadDirection(direction, this.warmUpDatagrams, `${path}/directions/${index}`)));
    session.clientRequests.mergeState(saved.clientRequests);
    session.serverRequests.mergeState(saved.serverRequests);
    for (let index = 0; index < 2; index++) {
      const later = directions[index];
      if (later === undefined) continue;
      const own = session.directions[index];
      session.directions[index] = own === undefined ? later : this.continueDirection(own, later);
    }
  }

  /** One direction continued by a later pass's (see {@link PacketTimingAnalyzerState}). */
  private continueDirection(own: DirectionState, later: DirectionState): DirectionState {
    const boundaryUs = later.firstUs - own.lastUs;
    own.packets += later.packets;
    own.payloadBytes += later.payloadBytes;
    if (Number.isFinite(boundaryUs)) own.interArrivalMs.add(boundaryUs / 1000);
    own.interArrivalMs.merge(later.interArrivalMs);
    own.payloadSizeBytes.merge(later.payloadSizeBytes);
    continueActiveSpan(own.active, later.active, later.firstUs);
    // The later pass's first datagram opened a send event unless it came within the merge window.
    const firstIsNewEvent = !(later.firstUs - own.lastDatagramUs <= this.eventMergeUs);
    own.events += later.events - (firstIsNewEvent ? 0 : 1);
    if (firstIsNewEvent && !Number.isNaN(own.lastEventUs)) own.eventIntervals.add((later.firstUs - own.lastEventUs) / 1000);
    own.eventIntervals.mergeState(later.eventIntervals.saveState());
    own.lastUs = later.lastUs;
    own.lastDatagramUs = later.lastDatagramUs;
    own.lastEventUs = later.lastEventUs;
    own.referenceUs = Number.isNaN(later.referenceUs) ? own.referenceUs : later.referenceUs;
    own.minimumBurst = later.minimumBurst || own.minimumBurst;
    if (!Number.isNaN(own.timingPreviousUs) && !Number.isNaN(own.referenceUs) && boundaryUs > this.gapTicks * own.referenceUs) {
      own.gapCount += 1;
      own.gapTotalUs += boundaryUs;
      keepLargest(own.longestGaps, { startUs: own.timingPreviousUs, durationMs: boundaryUs / 1000, missedTicks: Math.max(0, Math.round(boundaryUs / own.referenceUs) - 1) }, this.keptEvents, (gap) => gap.durationMs);
    }
    own.timingPreviousUs = later.timingPreviousUs;
    own.timingEventUs = later.timingEventUs;
    own.jitterUs = later.jitterSamples > 0 ? later.jitterUs : own.jitterUs;
    own.jitterMaxUs = Math.max(own.jitterMaxUs, later.jitterMaxUs);
    own.jitterSumUs += later.jitterSumUs;
    own.jitterSamples += later.jitterSamples;
    own.perEventJitterMs.merge(later.perEventJitterMs);
    own.gapCount += later.gapCount;
    own.gapTotalUs += later.gapTotalUs;
    for (const gap of later.longestGaps) keepLargest(own.longestGaps, gap, this.keptEvents, (entry) => entry.durationMs);
    own.burstCount += later.burstCount;
    for (const burst of later.largestBursts) keepLargest(own.largestBursts, burst, this.keptEvents, (entry) => entry.datagrams);
    return own;
  }

  /** The report: sessions sorted by id, directions clientToServer first. */
  finish(): PacketTimingReport {
    this.endFeeding();
    const sessions: PacketTimingSessionReport[] = [];
    for (const session of [...this.sessions.values()].sort((left, right) => (left.id < right.id ? -1 : left.id > right.id ? 1 : 0))) {
      const directions: PacketTimingDirectionReport[] = [];
      for (const [index, state] of session.directions.entries()) {
        if (state === undefined) continue;
        directions.push(this.directionReport(index === 0 ? "clientToServer" : "serverToClient", state));
      }
      const responseTiming: ResponseTimingEstimate[] = [];
      if (directions.length === 2) {
        responseTiming.push(
          responseEstimate("clientToServer", session.clientRequests, directions[0]!.tick),
          responseEstimate("serverToClient", session.serverRequests, directions[1]!.tick),
        );
      }
      const headline = responseTiming[0];
      sessions.push({
        id: session.id,
        client: session.client,
        server: session.server,
        directions,
        responseTiming,
        rttEstimateMs: headline?.lagMs ?? null,
        rttEstimateConfidence: headline?.confidence ?? "none",
      });
    }
    return { method: PACKET_TIMING_METHOD, sessions };
  }

  private session(id: string): SessionState {
    let state = this.sessions.get(id);
    if (state === undefined) {
      state = this.newSession(id);
      this.sessions.set(id, state);
    }
    return state;
  }

  private newSession(id: string): SessionState {
    const correlogram = { maximumLagMs: this.maximumResponseLagMs };
    return { id, client: "", server: "", directions: [undefined, undefined], clientRequests: new ResponseLagCorrelogram(correlogram), serverRequests: new ResponseLagCorrelogram(correlogram) };
  }

  /** (Re-)estimates the reference tick; the first estimate replays the buffered arrivals. */
  private estimate(state: DirectionState): void {
    state.eventsSinceEstimate = 0;
    const dominant = state.eventIntervals.dominant();
    if (dominant !== undefined) {
      state.referenceUs = dominant.intervalMs * 1000;
      state.minimumBurst = Math.max(4, Math.ceil((3 * state.packets) / Math.max(1, state.events)));
    }
    const pending = state.pending;
    if (pending === undefined) return;
    state.pending = undefined;
    if (Number.isNaN(state.referenceUs)) return;
    for (let index = 0; index < state.pendingCount; index++) this.time(state, pending[index]!);
  }

  /** Jitter, gaps and bursts of one arrival against the reference tick. */
  private time(state: DirectionState, tUs: number): void {
    const previousUs = state.timingPreviousUs;
    state.timingPreviousUs = tUs;
    if (Number.isNaN(previousUs)) {
      state.timingEventUs = tUs;
      state.runStartUs = tUs;
      state.runEndUs = tUs;
      state.runDatagrams = 1;
      return;
    }
    const tickUs = state.referenceUs;
    const gapUs = tUs - previousUs;
    if (gapUs < tickUs / 4) state.runDatagrams += 1;
    else {
      this.closeRun(state);
      state.runStartUs = tUs;
      state.runDatagrams = 1;
    }
    state.runEndUs = tUs;
    if (gapUs > this.gapTicks * tickUs) {
      state.gapCount += 1;
      state.gapTotalUs += gapUs;
      keepLargest(state.longestGaps, { startUs: previousUs, durationMs: gapUs / 1000, missedTicks: Math.max(0, Math.round(gapUs / tickUs) - 1) }, this.keptEvents, (gap) => gap.durationMs);
    }
    if (gapUs <= this.eventMergeUs) return;
    const eventIntervalUs = tUs - state.timingEventUs;
    state.timingEventUs = tUs;
    if (eventIntervalUs > this.gapTicks * tickUs) return; // a silence, not jitter
    const differenceUs = Math.abs(eventIntervalUs - Math.round(eventIntervalUs / tickUs) * tickUs);
    state.jitterUs += (differenceUs - state.jitterUs) / 16;
    if (state.jitterUs > state.jitterMaxUs) state.jitterMaxUs = state.jitterUs;
    state.jitterSumUs += state.jitterUs;
    state.jitterSamples += 1;
    state.perEventJitterMs.add(differenceUs / 1000);
  }

  private closeRun(state: DirectionState): void {
    if (state.runDatagrams >= state.minimumBurst && state.minimumBurst > 0) {
      state.burstCount += 1;
      keepLargest(state.largestBursts, { startUs: state.runStartUs, durationMs: (state.runEndUs - state.runStartUs) / 1000, datagrams: state.runDatagrams }, this.keptEvents, (burst) => burst.datagrams);
    }
    state.runDatagrams = 0;
  }

  /** Whether a direction's rate is over core's active time: silences over 120 s, or under 8 intervals spanning under a second. */
  private ratedOverActiveTime(state: DirectionState, durationMs: number): boolean {
    return state.active.idleGaps > 0 || (durationMs < 1000 && state.packets - 1 < 8);
  }

  private directionReport(direction: Direction, state: DirectionState): PacketTimingDirectionReport {
    const durationMs = (state.lastUs - state.firstUs) / 1000;
    const dominant = state.eventIntervals.dominant();
    let tick: TickEstimate | null = null;
    if (dominant !== undefined) {
      let onSchedule = 0;
      for (let multiple = 1; multiple <= 4; multiple++) onSchedule += state.eventIntervals.shareNear(multiple * dominant.intervalMs, 0.1);
      const regularity: TimingConfidence = onSchedule >= 0.8 && dominant.share >= 0.5 ? "high" : onSchedule >= 0.5 ? "medium" : "low";
      tick = { intervalMs: dominant.intervalMs, rateHz: 1000 / dominant.intervalMs, regularShare: dominant.share, onScheduleShare: Math.min(1, onSchedule), regularity };
    }
    const hasReference = !Number.isNaN(state.referenceUs);
    return {
      direction,
      packets: state.packets,
      payloadBytes: state.payloadBytes,
      durationMs,
      // Over the active time (core's ActiveSpan, as bandwidth's totals) when silences over 120 s occur (a stitched file, a clock
      // jump, keepalive-only stretches), or when too few intervals (under 8, the tick's minimum) span under a second: two
      // datagrams 0.3 ms apart are not 3,400 packets/s. A short regular stream (18 RTP packets at 20 ms) keeps (n − 1) / span.
      packetsPerSecond: state.packets < 2 ? 0 : this.ratedOverActiveTime(state, durationMs) ? state.active.perSecond(state.packets) : ((state.packets - 1) * 1000) / durationMs,
      activeDurationMs: this.ratedOverActiveTime(state, durationMs) ? state.active.activeUs / 1000 : durationMs,
      idleGaps: state.active.idleGaps,
      sendEvents: state.events,
      datagramsPerSendEvent: state.events === 0 ? 0 : state.packets / state.events,
      interArrivalMs: distribution(state.interArrivalMs),
      payloadSizeBytes: distribution(state.payloadSizeBytes),
      tick,
      jitterMs:
        hasReference && state.jitterSamples > 0
          ? {
              referenceIntervalMs: state.referenceUs / 1000,
              samples: state.jitterSamples,
              last: state.jitterUs / 1000,
              mean: state.jitterSumUs / state.jitterSamples / 1000,
              max: state.jitterMaxUs / 1000,
              perEventP95: state.perEventJitterMs.quantile(0.95),
            }
          : null,
      gaps: { thresholdMs: hasReference ? (this.gapTicks * state.referenceUs) / 1000 : null, count: state.gapCount, totalMs: state.gapTotalUs / 1000, longest: state.longestGaps },
      bursts: { minimumDatagrams: hasReference ? state.minimumBurst : null, count: state.burstCount, largest: state.largestBursts },
    };
  }
}

function newDirection(warmUpDatagrams: number): DirectionState {
  return {
    packets: 0,
    payloadBytes: 0,
    firstUs: Number.NaN,
    lastUs: Number.NaN,
    active: new ActiveSpan(),
    interArrivalMs: new QuantileSketch(),
    payloadSizeBytes: new QuantileSketch(),
    events: 0,
    lastDatagramUs: Number.NaN,
    lastEventUs: Number.NaN,
    eventIntervals: new IntervalHistogram(),
    eventsSinceEstimate: 0,
    referenceUs: Number.NaN,
    minimumBurst: 0,
    pending: new Float64Array(Math.max(1, Math.min(16, warmUpDatagrams))),
    pendingCount: 0,
    timingPreviousUs: Number.NaN,
    timingEventUs: Number.NaN,
    jitterUs: 0,
    jitterMaxUs: 0,
    jitterSumUs: 0,
    jitterSamples: 0,
    perEventJitterMs: new QuantileSketch(),
    gapCount: 0,
    gapTotalUs: 0,
    longestGaps: [],
    burstCount: 0,
    runStartUs: Number.NaN,
    runDatagrams: 0,
    runEndUs: Number.NaN,
    largestBursts: [],
  };
}

function distribution(sketch: QuantileSketch): TimingDistribution {
  if (sketch.count === 0) return { samples: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  return { samples: sketch.count, min: sketch.min, p50: sketch.quantile(0.5), p95: sketch.quantile(0.95), p99: sketch.quantile(0.99), max: sketch.max, mean: sketch.mean };
}

/** Inserts `item` into `list` (largest `size` first, earlier first on ties), keeping at most `limit`. */
function keepLargest<Item extends { startUs: number }>(list: Item[], item: Item, limit: number, size: (item: Item) => number): void {
  let position = list.length;
  while (position > 0 && size(list[position - 1]!) < size(item)) position -= 1;
  if (position >= limit) return;
  list.splice(position, 0, item);
  if (list.length > limit) list.length = limit;
}

/** The request → response estimate of one request direction, with its confidence and the reason. */
function responseEstimate(requestDirection: Direction, correlogram: ResponseLagCorrelogram, requestTick: TickEstimate | null): ResponseTimingEstimate {
  const peak = correlogram.firstPeak();
  if (peak === undefined) {
    return {
      requestDirection,
      lagMs: null,
      halfWidthMs: 0,
      responseShare: 0,
      pairs: 0,
      backgroundPairs: 0,
      confidence: "none",
      reason: "no lag from these send events to the other side's stands out of the background: the sides look independent (or too few events)",
    };
  }
  const share = `${Math.round(peak.responseShare * 1000) / 10}% of ${correlogram.requests} send events look answered`;
  let confidence: TimingConfidence;
  let reason: string;
  if (requestTick !== null && requestTick.regularity === "high" && requestTick.regularShare >= 0.8) {
    confidence = "low";
    reason =
      `${share}, but these send events come on a steady ${Math.round(requestTick.intervalMs * 10) / 10} ms schedule: the lag is only known modulo that interval, ` +
      `and a fixed phase between two schedules looks the same as an answer`;
  } else if (correlogram.requests < 10) {
    confidence = "low";
    reason = `${share}: too few to trust`;
  } else if (peak.responseShare < 0.3) {
    confidence = "low";
    reason = `only ${share}`;
  } else if (peak.responseShare >= 0.6 && correlogram.requests >= 50) {
    confidence = "high";
    reason = `${share} within ±${peak.halfWidthMs} ms of one lag`;
  } else {
    confidence = "medium";
    reason = `${share} within ±${peak.halfWidthMs} ms of one lag${correlogram.requests < 50 ? " (fewer than 50 send events)" : ""}`;
  }
  return {
    requestDirection,
    lagMs: peak.lagMs,
    halfWidthMs: peak.halfWidthMs,
    responseShare: peak.responseShare,
    pairs: peak.pairs,
    backgroundPairs: peak.backgroundPairs,
    confidence,
    reason,
  };
}

/** The private fields of core's ActiveSpan, saved by name (core exposes no state of its own yet). */
const ACTIVE_SPAN_FIELDS = ["previousUs", "periodStartUs", "periodEndUs", "closedActiveUs", "minimumUs", "maximumUs", "idleGapCount", "longestIdleGap", "packetCount"] as const;

function activeSpanFields(span: ActiveSpan): Record<(typeof ACTIVE_SPAN_FIELDS)[number], number> {
  const view = span as unknown as Record<string, unknown>;
  for (const field of ACTIVE_SPAN_FIELDS) if (typeof view[field] !== "number") throw new Error(`ActiveSpan has no numeric field ${field}: update the packet timing state`);
  return view as Record<(typeof ACTIVE_SPAN_FIELDS)[number], number>;
}

/** Joins a later pass's active span onto an earlier one (the silence between them split or not as one pass would, periods joined at the cut). */
function continueActiveSpan(own: ActiveSpan, later: ActiveSpan, laterFirstUs: number): void {
  const mine = activeSpanFields(own);
  const theirs = activeSpanFields(later);
  const idleGapUs = (own as unknown as { idleGapUs: number }).idleGapUs;
  const gapUs = Number.isNaN(mine.previousUs) ? 0 : Math.abs(laterFirstUs - mine.previousUs);
  const periodUs = (start: number, end: number): number => Math.max(end - start, 1_000_000);
  if (!Number.isNaN(mine.previousUs) && gapUs > idleGapUs) {
    mine.closedActiveUs += periodUs(mine.periodStartUs, mine.periodEndUs) + theirs.closedActiveUs;
    mine.idleGapCount += theirs.idleGapCount + 1;
    mine.longestIdleGap = Math.max(mine.longestIdleGap, theirs.longestIdleGap, gapUs);
    mine.periodStartUs = theirs.periodStartUs;
    mine.periodEndUs = theirs.periodEndUs;
  } else if (theirs.idleGapCount === 0) {
    if (Number.isNaN(mine.periodStartUs) || theirs.periodStartUs < mine.periodStartUs) mine.periodStartUs = theirs.periodStartUs;
    if (Number.isNaN(mine.periodEndUs) || theirs.periodEndUs > mine.periodEndUs) mine.periodEndUs = theirs.periodEndUs;
  } else {
    // The later pass's first period continues this one: its closed time gains the span from this period's start.
    mine.closedActiveUs += theirs.closedActiveUs + Math.max(0, laterFirstUs - mine.periodStartUs);
    mine.idleGapCount += theirs.idleGapCount;
    mine.longestIdleGap = Math.max(mine.longestIdleGap, theirs.longestIdleGap);
    mine.periodStartUs = theirs.periodStartUs;
    mine.periodEndUs = theirs.periodEndUs;
  }
  mine.minimumUs = Math.min(mine.minimumUs, theirs.minimumUs);
  mine.maximumUs = Math.max(mine.maximumUs, theirs.maximumUs);
  mine.packetCount += theirs.packetCount;
  mine.previousUs = theirs.previousUs;
}

type DirectionStateData = NonNullable<PacketTimingAnalyzerState["sessions"][number]["directions"][0]>;

function saveDirection(state: DirectionState | undefined): DirectionStateData | null {
  if (state === undefined) return null;
  const active: Record<string, ReturnType<typeof encodeNumber>> = {};
  const fields = activeSpanFields(state.active);
  for (const field of ACTIVE_SPAN_FIELDS) active[field] = encodeNumber(fields[field]);
  return {
    packets: state.packets,
    payloadBytes: state.payloadBytes,
    firstUs: encodeNumber(state.firstUs),
    lastUs: encodeNumber(state.lastUs),
    active,
    interArrivalMs: state.interArrivalMs.saveState(),
    payloadSizeBytes: state.payloadSizeBytes.saveState(),
    events: state.events,
    lastDatagramUs: encodeNumber(state.lastDatagramUs),
    lastEventUs: encodeNumber(state.lastEventUs),
    eventIntervals: state.eventIntervals.saveState(),
    eventsSinceEstimate: state.eventsSinceEstimate,
    referenceUs: encodeNumber(state.referenceUs),
    minimumBurst: state.minimumBurst,
    timingPreviousUs: encodeNumber(state.timingPreviousUs),
    timingEventUs: encodeNumber(state.timingEventUs),
    jitterUs: state.jitterUs,
    jitterMaxUs: state.jitterMaxUs,
    jitterSumUs: state.jitterSumUs,
    jitterSamples: state.jitterSamples,
    perEventJitterMs: state.perEventJitterMs.saveState(),
    gapCount: state.gapCount,
    gapTotalUs: state.gapTotalUs,
    longestGaps: state.longestGaps.map((gap) => ({ ...gap })),
    burstCount: state.burstCount,
    largestBursts: state.largestBursts.map((burst) => ({ ...burst })),
  };
}

function loadDirection(saved: DirectionStateData, warmUpDatagrams: number, path: string): DirectionState {
  const state = newDirection(warmUpDatagrams);
  state.pending = undefined;
  const fields = activeSpanFields(state.active);
  for (const field of ACTIVE_SPAN_FIELDS) {
    const value = saved.active[field];
    if (value === undefined) badState("packet timing state", `${path}/active/${field}`, "missing");
    fields[field] = decodeNumber(value);
  }
  state.packets = saved.packets;
  state.payloadBytes = saved.payloadBytes;
  state.firstUs = decodeNumber(saved.firstUs);
  state.lastUs = decodeNumber(saved.lastUs);
  state.interArrivalMs.mergeState(saved.interArrivalMs);
  state.payloadSizeBytes.mergeState(saved.payloadSizeBytes);
  state.events = saved.events;
  state.lastDatagramUs = decodeNumber(saved.lastDatagramUs);
  state.lastEventUs = decodeNumber(saved.lastEventUs);
  state.eventIntervals.mergeState(saved.eventIntervals);
  state.eventsSinceEstimate = saved.eventsSinceEstimate;
  state.referenceUs = decodeNumber(saved.referenceUs);
  state.minimumBurst = saved.minimumBurst;
  state.timingPreviousUs = decodeNumber(saved.timingPreviousUs);
  state.timingEventUs = decodeNumber(saved.timingEventUs);
  state.jitterUs = saved.jitterUs;
  state.jitterMaxUs = saved.jitterMaxUs;
  state.jitterSumUs = saved.jitterSumUs;
  state.jitterSamples = saved.jitterSamples;
  state.perEventJitterMs.mergeState(saved.perEventJitterMs);
  state.gapCount = saved.gapCount;
  state.gapTotalUs = saved.gapTotalUs;
  state.longestGaps.push(...saved.longestGaps.map((gap) => ({ ...gap })));
  state.burstCount = saved.burstCount;
  state.largestBursts.push(...saved.largestBursts.map((burst) => ({ ...burst })));
  return state;
}
