import {
  continueAckCarry,
  continueEchoCarry,
  InterarrivalJitter,
  rttPercentiles,
  SpikeDetector,
  roundMs,
  RTT_METHODS,
  SessionRtt,
  spikeCounts,
  type AckSessionCarry,
  type Direction,
  type EchoSessionCarry,
  type InterarrivalJitterState,
  type QuantileSketchState,
  type RttMethod,
  type RttSample,
  type RttSpike,
  type DetectedSpike,
  type SessionRttChoice,
  type SpikeDetectorOptions,
  type SpikeDetectorState,
} from "@tickscope/core";
import type { GeoPoint } from "./geo.js";
import type { NamedPlace } from "./gazetteer.js";
import { createSeededRandom, hashString } from "./random.js";
import type { SessionSummary } from "./session-summary.js";
import { rttStreamKey, SequenceWindow, type SequenceWindowState, type SessionTracker, type SessionTrackerLimits } from "./session-tracker.js";

const DIRECTIONS: readonly Direction[] = ["clientToServer", "serverToClient"];

/** The labels a session was summarized with (resolved when its pass ended, so a merge needs no capture context). */
export interface SessionLabels {
  /** Region (the `regionOfSession` option, a `forRegion` capture, `Session.region` or a log `region`). */
  region?: string;
  /** `Session.player`, when the session named one. */
  sessionPlayer?: string;
  /** Player coordinates (option or log). */
  playerLocation?: GeoPoint;
  /** Player place by name (option or log). */
  playerPlace?: NamedPlace;
  /** Client address prefix (IPv4 /24, IPv6 /48). */
  clientPrefix?: string;
  /** Autonomous system from the log. */
  asn?: string;
}

/** A closed spike of one RTT series, as the session's spike count reads it. */
export interface SpikeRecord {
  startUs: number;
  endUs: number;
  peakMs: number;
  /** Index of the spike's first datagram (global across merged passes), null when unknown. */
  packetIndex: number | null;
  /** Direct series (`method\u0000direction`) that contradict this ack spike, null when none. */
  contradictedBy: string[] | null;
  /** Closed only because the pass ended (it was open): a later pass continues it. */
  closedAtEnd: boolean;
}

/** One RTT series of a settled session: its spikes, RTT-series jitter and sample reservoir (its sketch lives in the record's `SessionRtt`). */
export interface SeriesRecord {
  method: RttMethod;
  direction: Direction;
  spikes: SpikeRecord[];
  /** RFC 3550 jitter of the RTT series itself (core's, as `RttSeriesSignals` feeds it). */
  jitter: InterarrivalJitter;
  /** Samples seen, and a uniform sample of at most `maxRttSamplesPerSession` of them, ms. */
  reservoir: { count: number; samplesMs: number[] };
  /** The spike detector at the end of the series' last pass, before closing its open spike (core's state), if any. */
  detector: SpikeDetectorState | undefined;
  /** The series' first samples (see `SessionTracker.samplePrefixes`): flat `[start µs, RTT ms, packet index, …]`. */
  prefix: number[];
}

/** A `sendTime` stream's jitter. */
export interface StreamRecord {
  direction: Direction;
  channel: string;
  /** RFC 3550 jitter of the stream (core's, with PDV). */
  jitter: InterarrivalJitter;
}

/** One sequence space's window. */
export interface WindowRecord {
  direction: Direction;
  channel: number | string | undefined;
  window: SequenceWindow;
}

/** The JSON form of a {@link SessionRecord} (see `RegionsAnalyzerState`). */
export interface RegionsSessionState {
  id: string;
  /** The capture's own session id of a `forRegion` session (whose id is `region/raw`), else null. */
  rawId: string | null;
  firstPacketIndex: number;
  firstUs: number | null;
  lastUs: number | null;
  /** Player named by the session's own client messages, else null. */
  player: string | null;
  labels: SessionLabels;
  series: Array<Omit<SeriesRecord, "jitter" | "detector"> & { sketch: QuantileSketchState; jitter: InterarrivalJitterState; detector: SpikeDetectorState | null }>;
  sendTimeStreams: Array<{ direction: Direction; channel: string; jitter: InterarrivalJitterState }>;
  sequenceSpaces: Array<{ direction: Direction; channel: number | string | null; window: SequenceWindowState }>;
  droppedSequenceSpaces: number;
  /** Exchanges open at the pass's ends (core's ack and echo carries), for a rotation's next file; null when none. */
  carry: { ack: AckSessionCarry | null; echo: EchoSessionCarry | null };
}

/** Limits of a session's RTT pairing across a rotation cut (the sampler's `maxRttMs` options). */
export interface CarryLimits {
  ackMaxRttMs: number;
  echoMaxRttMs: number;
}

/** The spike detector options of a series (core's: a reported RTT is a smoothed input). */
function detectorOptions(method: RttMethod, spike: SpikeDetectorOptions | undefined): SpikeDetectorOptions | undefined {
  return method === "reported" ? { ...spike, smoothedInput: true } : spike;
}

/** A saved spike detector checked by core (`E_BAD_PARTIAL`) and with its packet indices moved by `offset`. */
function checkedDetectorState(state: SpikeDetectorState, method: RttMethod, spike: SpikeDetectorOptions | undefined, offset: number): SpikeDetectorState {
  const detector = new SpikeDetector(() => {}, detectorOptions(method, spike));
  detector.loadState(state, offset);
  return detector.saveState();
}

/** A new RTT-series jitter (the options `RttSeriesSignals` uses: no PDV, no discontinuity). */
function newSeriesJitter(): InterarrivalJitter {
  return new InterarrivalJitter({ packetDelayVariation: false, discontinuityMs: Infinity });
}

/** A copy of a jitter through its state (`series`: an RTT series' options, else a stream's). */
function copyJitter(jitter: InterarrivalJitter, series: boolean): InterarrivalJitter {
  const copy = series ? newSeriesJitter() : new InterarrivalJitter();
  copy.loadState(jitter.saveState());
  return copy;
}

/**
 * Merges two uniform reservoirs of one series (the earlier pass's and a
 * later's): the union when it fits, else a uniform sample of `capacity` of the
 * `a.count + b.count` samples (hypergeometric split, seeded by the session and
 * the counts, so merges are reproducible).
 */
export function mergeReservoirs(
  earlier: { count: number; samplesMs: number[] },
  later: { count: number; samplesMs: number[] },
  capacity: number,
  seedText: string,
): { count: number; samplesMs: number[] } {
  const count = earlier.count + later.count;
  if (earlier.samplesMs.length + later.samplesMs.length <= capacity && earlier.samplesMs.length === earlier.count && later.samplesMs.length === later.count) {
    return { count, samplesMs: [...earlier.samplesMs, ...later.samplesMs] };
  }
  const random = createSeededRandom(hashString(`${seedText}\u0000${earlier.count}\u0000${later.count}`));
  let remainingEarlier = earlier.count;
  let remainingLater = later.count;
  let fromEarlier = 0;
  const size = Math.min(capacity, count);
  for (let draw = 0; draw < size; draw++) {
    if (random.next() * (remainingEarlier + remainingLater) < remainingEarlier) {
      fromEarlier++;
      remainingEarlier--;
    } else remainingLater--;
  }
  const pick = (samples: number[], take: number): number[] => {
    const copy = [...samples];
    const limit = Math.min(take, copy.length);
    for (let index = 0; index < limit; index++) {
      const swap = index + random.nextInt(copy.length - index);
      [copy[index], copy[swap]] = [copy[swap]!, copy[index]!];
    }
    return copy.slice(0, limit);
  };
  return { count, samplesMs: [...pick(earlier.samplesMs, fromEarlier), ...pick(later.samplesMs, size - fromEarlier)] };
}

const seriesKey = (method: RttMethod, direction: Direction): string => rttStreamKey(method, direction);
const windowKey = (direction: Direction, channel: number | string | undefined): string => `${direction}\u0000${typeof channel}\u0000${String(channel)}`;

/**
 * A session whose feeding has ended (its pass saved or finished): everything
 * its summary needs — the RTT sketches (core's `SessionRtt`, the headline
 * rule runs on them at the end), per RTT series the closed spikes, RTT-series
 * jitter and sample reservoir, the `sendTime` streams' jitter, the unflushed
 * loss windows and the labels. Records of different sessions are independent
 * (disjoint session groups merge exactly); a record of the same session from a
 * later pass (a rotation cut it) is {@link join}ed.
 */
export class SessionRecord {
  firstPacketIndex = -1;
  firstUs = Number.NaN;
  lastUs = Number.NaN;
  /** False when a pass counted the session without measuring it (`measureOnlyLabelledSessions`; not saved in the state). */
  measured = true;
  player: string | undefined;
  rawId: string | undefined;
  labels: SessionLabels = {};
  readonly rtt: SessionRtt;
  readonly series = new Map<string, SeriesRecord>();
  readonly streams: StreamRecord[] = [];
  readonly windows: WindowRecord[] = [];
  droppedSequenceSpaces = 0;
  /** Exchanges open at the ends of the session's passes (see {@link RegionsSessionState.carry}). */
  ackCarry: AckSessionCarry | undefined;
  echoCarry: EchoSessionCarry | undefined;
  /** RTT samples recovered across rotation cuts (requests in one pass, replies or acks in the next). */
  carriedSamples = 0;
  /** Sequence-space joins of a rotation cut that were not exact (see {@link SequenceWindow.join}). */
  inexactWindowJoins = 0;

  constructor(
    readonly id: string,
    rtt: SessionRtt = new SessionRtt(),
  ) {
    this.rtt = rtt;
  }

  /**
   * Settles a live tracker (closes its open spikes) into a record. The record
   * shares the tracker's `SessionRtt` and sequence windows: the tracker must
   * not be fed afterwards, unless the record is only read (a summary).
   */
  static fromTracker(
    tracker: SessionTracker,
    labels: SessionLabels,
    rawId: string | undefined,
    carry: { ack: AckSessionCarry | undefined; echo: EchoSessionCarry | undefined } = { ack: undefined, echo: undefined },
  ): SessionRecord {
    // The detectors before their open spikes are closed (a later pass continues them), and which spikes closing adds.
    const detectors = new Map<string, SpikeDetectorState>();
    const spikesBefore = new Map<string, number>();
    for (const signals of tracker.signals.all()) {
      detectors.set(seriesKey(signals.method, signals.direction), signals.detector.saveState());
      spikesBefore.set(seriesKey(signals.method, signals.direction), tracker.spikes.get(signals)?.length ?? 0);
    }
    tracker.signals.finish();
    const record = new SessionRecord(tracker.sessionId, tracker.rtt);
    record.ackCarry = carry.ack;
    record.echoCarry = carry.echo;
    record.firstPacketIndex = tracker.firstPacketIndex;
    record.measured = tracker.measured;
    record.firstUs = tracker.firstUs;
    record.lastUs = tracker.lastUs;
    record.player = tracker.player;
    record.rawId = rawId;
    record.labels = labels;
    for (const method of RTT_METHODS) {
      for (const direction of DIRECTIONS) {
        const stream = tracker.rttStreams.get(rttStreamKey(method, direction));
        const signals = tracker.signals.get(method, direction);
        if (stream === undefined && signals === undefined) continue;
        const spikes = signals === undefined ? [] : (tracker.spikes.get(signals) ?? []);
        const key = seriesKey(method, direction);
        const openBefore = spikesBefore.get(key) ?? spikes.length;
        record.series.set(key, {
          method,
          direction,
          spikes: spikes.map((spike: RttSpike, index) => ({
            startUs: spike.startUs,
            endUs: spike.endUs,
            peakMs: spike.peakMs,
            packetIndex: spike.packetIndices[0] ?? null,
            contradictedBy: spike.contradictedBy === undefined ? null : [...spike.contradictedBy],
            closedAtEnd: index >= openBefore,
          })),
          detector: detectors.get(key),
          prefix: [...(tracker.samplePrefixes.get(key) ?? [])],
          jitter: signals === undefined ? newSeriesJitter() : signals.jitter,
          reservoir: stream === undefined ? { count: 0, samplesMs: [] } : { count: stream.count, samplesMs: stream.samples() },
        });
      }
    }
    for (const group of tracker.signals.sendTimeStreams) {
      for (const stream of group) record.streams.push({ direction: stream.direction, channel: stream.channel, jitter: stream.jitter });
    }
    for (const direction of DIRECTIONS) {
      for (const [channel, window] of tracker.sequenceSpaces[direction]) record.windows.push({ direction, channel, window });
    }
    record.droppedSequenceSpaces = tracker.droppedSequenceSpaces;
    return record;
  }

  /** The record as JSON-safe plain data. */
  saveState(): RegionsSessionState {
    const series: RegionsSessionState["series"] = [];
    for (const entry of this.series.values()) {
      series.push({
        method: entry.method,
        direction: entry.direction,
        sketch: this.rtt.seriesFor(entry.method, entry.direction).sketch.saveState(),
        spikes: entry.spikes.map((spike) => ({ ...spike, contradictedBy: spike.contradictedBy === null ? null : [...spike.contradictedBy] })),
        jitter: entry.jitter.saveState(),
        reservoir: { count: entry.reservoir.count, samplesMs: [...entry.reservoir.samplesMs] },
        detector: entry.detector === undefined ? null : structuredClone(entry.detector),
        prefix: [...entry.prefix],
      });
    }
    const labels: SessionLabels = {};
    for (const [key, value] of Object.entries(this.labels) as [keyof SessionLabels, never][]) if (value !== undefined) labels[key] = structuredClone(value);
    return {
      id: this.id,
      rawId: this.rawId ?? null,
      firstPacketIndex: this.firstPacketIndex,
      firstUs: Number.isFinite(this.firstUs) ? this.firstUs : null,
      lastUs: Number.isFinite(this.lastUs) ? this.lastUs : null,
      player: this.player ?? null,
      labels,
      series,
      sendTimeStreams: this.streams.map((stream) => ({ direction: stream.direction, channel: stream.channel, jitter: stream.jitter.saveState() })),
      sequenceSpaces: this.windows.map((entry) => ({ direction: entry.direction, channel: entry.channel ?? null, window: entry.window.saveState() })),
      droppedSequenceSpaces: this.droppedSequenceSpaces,
      carry: { ack: this.ackCarry === undefined ? null : structuredClone(this.ackCarry), echo: this.echoCarry === undefined ? null : structuredClone(this.echoCarry) },
    };
  }

  /**
   * A record rebuilt from its saved state (already checked against the
   * schema), its packet indices moved by `packetIndexOffset`. Sketches and
   * jitter states are checked by core (`E_BAD_PARTIAL` / `E_PARTIAL_MISMATCH`).
   */
  static fromState(state: RegionsSessionState, packetIndexOffset: number, spikeOptions?: SpikeDetectorOptions): SessionRecord {
    const record = new SessionRecord(state.id);
    record.rawId = state.rawId ?? undefined;
    record.firstPacketIndex = state.firstPacketIndex + packetIndexOffset;
    record.firstUs = state.firstUs ?? Number.NaN;
    record.lastUs = state.lastUs ?? Number.NaN;
    record.player = state.player ?? undefined;
    record.labels = structuredClone(state.labels);
    for (const entry of state.series) {
      record.rtt.seriesFor(entry.method, entry.direction).sketch.mergeState(entry.sketch);
      const jitter = newSeriesJitter();
      jitter.loadState(entry.jitter);
      record.series.set(seriesKey(entry.method, entry.direction), {
        method: entry.method,
        direction: entry.direction,
        spikes: entry.spikes.map((spike) => ({
          ...spike,
          packetIndex: spike.packetIndex === null ? null : spike.packetIndex + packetIndexOffset,
          contradictedBy: spike.contradictedBy === null ? null : [...spike.contradictedBy],
        })),
        jitter,
        reservoir: { count: entry.reservoir.count, samplesMs: [...entry.reservoir.samplesMs] },
        detector: entry.detector === null ? undefined : checkedDetectorState(entry.detector, entry.method, spikeOptions, packetIndexOffset),
        prefix: entry.prefix.map((value, index) => (index % 3 === 2 ? value + packetIndexOffset : value)),
      });
    }
    for (const stream of state.sendTimeStreams) {
      const jitter = new InterarrivalJitter();
      jitter.loadState(stream.jitter);
      record.streams.push({ direction: stream.direction, channel: stream.channel, jitter });
    }
    for (const space of state.sequenceSpaces) record.windows.push({ direction: space.direction, channel: space.channel ?? undefined, window: SequenceWindow.fromState(space.window) });
    record.droppedSequenceSpaces = state.droppedSequenceSpaces;
    if (state.carry.ack !== null) {
      record.ackCarry = structuredClone(state.carry.ack);
      for (const ack of record.ackCarry.acks) ack.packetIndex += packetIndexOffset;
    }
    if (state.carry.echo !== null) {
      record.echoCarry = structuredClone(state.carry.echo);
      for (const reply of record.echoCarry.replies) reply.packetIndex += packetIndexOffset;
    }
    return record;
  }

  /** A deep copy (`spikeOptions`: the analyzer's, which its spike detectors were created with). */
  clone(spikeOptions?: SpikeDetectorOptions): SessionRecord {
    const copy = SessionRecord.fromState(this.saveState(), 0, spikeOptions);
    copy.inexactWindowJoins = this.inexactWindowJoins;
    copy.carriedSamples = this.carriedSamples;
    return copy;
  }

  /**
   * Continues this session with its record from a later pass (a rotation cut
   * it; passes in capture order): counts, bytes-free loss windows and sketches
   * add (loss exactly, see {@link SequenceWindow.join}); spikes are
   * concatenated (one open at the cut is closed there and counted in both
   * passes); jitter continues by core's `InterarrivalJitter.mergeState` (J and
   * its mean exact; the RTT series' own jitter only while no `sendTime` stream
   * was received, as one pass feeds it); reservoirs are merged uniformly;
   * labels of the later pass win, the player first named stays.
   */
  join(later: SessionRecord, limits: SessionTrackerLimits, carryLimits?: CarryLimits): void {
    // The exchanges the cut split (a ping before it answered after it, a send acked after it), paired as one pass would.
    const samples: RttSample[] = [];
    if (this.echoCarry !== undefined && later.echoCarry !== undefined) samples.push(...continueEchoCarry(this.id, this.echoCarry, later.echoCarry, 0, carryLimits?.echoMaxRttMs).samples);
    if (this.ackCarry !== undefined && later.ackCarry !== undefined) samples.push(...continueAckCarry(this.id, this.ackCarry, later.ackCarry, 0, carryLimits?.ackMaxRttMs).samples);
    // The joined session starts as this one did and ends as the later one.
    this.echoCarry = this.echoCarry === undefined && later.echoCarry === undefined ? undefined : { requests: later.echoCarry?.requests ?? [], replies: this.echoCarry?.replies ?? [] };
    this.ackCarry = this.ackCarry === undefined && later.ackCarry === undefined ? undefined : { streams: later.ackCarry?.streams ?? [], acks: this.ackCarry?.acks ?? [] };
    if (later.firstPacketIndex >= 0 && (this.firstPacketIndex < 0 || later.firstPacketIndex < this.firstPacketIndex)) this.firstPacketIndex = later.firstPacketIndex;
    if (!(this.firstUs <= later.firstUs)) this.firstUs = Number.isNaN(later.firstUs) ? this.firstUs : later.firstUs;
    if (!(this.lastUs >= later.lastUs)) this.lastUs = Number.isNaN(later.lastUs) ? this.lastUs : later.lastUs;
    this.player ??= later.player;
    this.rawId ??= later.rawId;
    this.measured &&= later.measured;
    for (const [key, value] of Object.entries(later.labels) as [keyof SessionLabels, never][]) if (value !== undefined) this.labels[key] = structuredClone(value);
    this.rtt.merge(later.rtt);
    // One pass stops feeding RTT-series jitter once a sendTime stream has 2+ datagrams.
    const hadReceivedStream = this.streams.some((stream) => stream.jitter.packets >= 2);
    for (const [key, entry] of later.series) {
      const mine = this.series.get(key);
      if (mine === undefined) {
        this.series.set(key, {
          ...entry,
          spikes: [...entry.spikes],
          jitter: copyJitter(entry.jitter, true),
          reservoir: { count: entry.reservoir.count, samplesMs: [...entry.reservoir.samplesMs] },
          detector: entry.detector === undefined ? undefined : structuredClone(entry.detector),
          prefix: [...entry.prefix],
        });
        continue;
      }
      this.continueSpikes(mine, entry, limits);
      if (!hadReceivedStream) mine.jitter.mergeState(entry.jitter.saveState());
      mine.reservoir = mergeReservoirs(mine.reservoir, entry.reservoir, limits.maxRttSamples, `${this.id}\u0000${key}`);
    }
    for (const stream of later.streams) {
      const mine = this.streams.find((entry) => entry.direction === stream.direction && entry.channel === stream.channel);
      if (mine === undefined) this.streams.push({ direction: stream.direction, channel: stream.channel, jitter: copyJitter(stream.jitter, false) });
      else mine.jitter.mergeState(stream.jitter.saveState());
    }
    for (const space of later.windows) {
      const key = windowKey(space.direction, space.channel);
      const mine = this.windows.find((entry) => windowKey(entry.direction, entry.channel) === key);
      if (mine !== undefined) {
        if (!mine.window.join(space.window)) this.inexactWindowJoins++;
      } else if (this.windows.length < limits.maxSequenceSpaces) this.windows.push({ direction: space.direction, channel: space.channel, window: space.window.clone() });
      else this.droppedSequenceSpaces++;
    }
    this.droppedSequenceSpaces += later.droppedSequenceSpaces;
    this.inexactWindowJoins += later.inexactWindowJoins;
    for (const sample of samples) this.addCarriedSample(sample, limits);
    this.carriedSamples += later.carriedSamples + samples.length;
  }

  /**
   * Continues a series' spike detection across a cut: the earlier pass's
   * detector (restored before it closed its open spike) is fed the later
   * pass's first samples, so spikes there — which the later pass's detector,
   * still warming up, may have missed or cut — are detected as one pass would;
   * the later pass's own spikes are kept from where its prefix ends. Without
   * a saved detector or prefix, the lists are concatenated.
   */
  private continueSpikes(mine: SeriesRecord, later: SeriesRecord, limits: SessionTrackerLimits): void {
    const push = (spike: SpikeRecord): void => {
      if (mine.spikes.length < limits.maxSpikesPerSeries) mine.spikes.push(spike);
    };
    if (mine.detector === undefined || later.prefix.length === 0) {
      for (const spike of later.spikes) push(spike);
      mine.detector = later.detector ?? mine.detector;
      return;
    }
    const replayed: DetectedSpike[] = [];
    const detector = new SpikeDetector((spike) => replayed.push({ ...spike, packetIndices: [...spike.packetIndices] }), detectorOptions(mine.method, limits.spike));
    detector.loadState(mine.detector);
    // The spike the earlier pass closed only because it ended continues in the replay.
    mine.spikes = mine.spikes.filter((spike) => !spike.closedAtEnd);
    const prefix = later.prefix;
    for (let index = 0; index < prefix.length; index += 3) detector.add(prefix[index]!, prefix[index + 1]!, prefix[index + 2]!);
    const closedInReplay = replayed.length;
    const prefixEndUs = prefix[prefix.length - 3]!;
    detector.finish(prefixEndUs);
    const laterKept = later.spikes.filter((spike) => spike.endUs > prefixEndUs);
    replayed.forEach((spike, index) => {
      // A spike still open when the replay ends is the later pass's spike over the same moment, when it has one.
      if (index >= closedInReplay && laterKept.some((kept) => kept.startUs <= prefixEndUs)) return;
      push({ startUs: spike.startUs, endUs: spike.endUs, peakMs: spike.peakMs, packetIndex: spike.packetIndices[0] ?? null, contradictedBy: null, closedAtEnd: false });
    });
    for (const spike of laterKept) push(spike);
    mine.detector = later.detector;
  }

  /** Adds an RTT sample found across a cut: to its series' sketch and reservoir (not to spike detection or RTT-series jitter, which have ended). */
  private addCarriedSample(sample: RttSample, limits: SessionTrackerLimits): void {
    this.rtt.add(sample);
    const key = seriesKey(sample.method, sample.direction);
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = { method: sample.method, direction: sample.direction, spikes: [], jitter: newSeriesJitter(), reservoir: { count: 0, samplesMs: [] }, detector: undefined, prefix: [] };
      this.series.set(key, entry);
    }
    const reservoir = entry.reservoir;
    if (reservoir.samplesMs.length < limits.maxRttSamples) reservoir.samplesMs.push(sample.rttMs);
    else {
      const slot = createSeededRandom(hashString(`${this.id}\u0000${key}\u0000${reservoir.count}`)).nextInt(reservoir.count + 1);
      if (slot < limits.maxRttSamples) reservoir.samplesMs[slot] = sample.rttMs;
    }
    reservoir.count++;
  }

  /** The session's jitter: the `sendTime` stream (2+ packets) with the most mean jitter, else the time series' RTT jitter (core's rule). */
  private jitterUs(choice: SessionRttChoice): number {
    const keyOf = (stream: StreamRecord): string => `${stream.direction}\u0000${stream.channel}`;
    const ordered = [...this.streams].sort((left, right) => (keyOf(left) < keyOf(right) ? -1 : keyOf(left) > keyOf(right) ? 1 : 0));
    let best: StreamRecord | undefined;
    for (const stream of ordered) {
      if (stream.jitter.packets < 2) continue;
      if (best === undefined || stream.jitter.meanJitterUs > best.jitter.meanJitterUs) best = stream;
    }
    if (best !== undefined) return best.jitter.jitterUs;
    return this.series.get(seriesKey(choice.timeSeries.method, choice.timeSeries.direction))?.jitter.jitterUs ?? 0;
  }

  /** The session's spike count (core's rule: spikes of the time series the headline does not contradict). */
  private spikeCount(choice: SessionRttChoice): number {
    const list = this.series.get(seriesKey(choice.timeSeries.method, choice.timeSeries.direction))?.spikes ?? [];
    let count = 0;
    for (const spike of list) if (spikeCounts({ contradictedBy: spike.contradictedBy ?? undefined } as RttSpike, choice)) count++;
    return count;
  }

  /** Loss of the worse direction (flushing copies of the windows: the record can still be saved or joined). */
  lossFigures(): { lost: number; received: number; bursts: number; maxBurst: number } | undefined {
    let loss: { lost: number; received: number; bursts: number; maxBurst: number } | undefined;
    for (const direction of DIRECTIONS) {
      let lost = 0;
      let received = 0;
      let bursts = 0;
      let maxBurst = 0;
      for (const entry of this.windows) {
        if (entry.direction !== direction) continue;
        const window = entry.window.clone();
        window.flush();
        lost += window.lostCount;
        received += window.receivedCount;
        bursts += window.burstCount;
        maxBurst = Math.max(maxBurst, window.maxBurstLength);
      }
      if (lost + received === 0) continue;
      if (loss === undefined || lost / (lost + received) > loss.lost / (loss.lost + loss.received)) loss = { lost, received, bursts, maxBurst };
    }
    return loss;
  }

  /**
   * The session's summary with `labels` (the record's, completed by the
   * analyzer's options), or undefined without a region or an RTT: RTT by
   * core's headline rule on the sketches, spikes and jitter by core's rules,
   * loss of the worse direction, play time.
   */
  summarize(labels: SessionLabels): SessionSummary | undefined {
    const region = labels.region;
    if (region === undefined || region === "") return undefined;
    const choice = this.rtt.choose();
    if (choice === undefined) return undefined;
    const headline = choice.headline;
    const figures = rttPercentiles(headline.sketch);
    const summary: SessionSummary = {
      sessionId: this.id,
      region,
      player: labels.sessionPlayer ?? this.player ?? this.id,
      rttMs: { p50: figures.p50, p95: figures.p95, p99: figures.p99 },
      rttSamplesMs: [...(this.series.get(seriesKey(headline.method, headline.direction))?.reservoir.samplesMs ?? [])],
      jitterMs: roundMs(this.jitterUs(choice) / 1000),
      spikeCount: this.spikeCount(choice),
      playTimeMs: Math.max(0, (this.lastUs - this.firstUs) / 1000),
      startUs: this.firstUs,
      endUs: this.lastUs,
    };
    const loss = this.lossFigures();
    if (loss !== undefined) {
      summary.lossRate = loss.lost / (loss.lost + loss.received);
      summary.lossBursts = { count: loss.bursts, meanLength: loss.bursts > 0 ? loss.lost / loss.bursts : 0, maxLength: loss.maxBurst };
    }
    if (labels.playerLocation !== undefined) summary.playerLocation = labels.playerLocation;
    else if (labels.playerPlace !== undefined) summary.playerPlace = labels.playerPlace;
    if (labels.clientPrefix !== undefined) summary.clientPrefix = labels.clientPrefix;
    if (labels.asn !== undefined) summary.asn = labels.asn;
    return summary;
  }
}
