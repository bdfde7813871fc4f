import { Type, type Static } from "@sinclair/typebox";
import type { GameMessage } from "../game-message.js";
import { DirectionSchema, type Direction } from "../session.js";
import { channelKey } from "./acknowledged-channel.js";
import { InterarrivalJitter, interarrivalJitterStateSchema } from "./interarrival-jitter.js";
import type { QuantileSketch } from "./quantile-sketch.js";
import { RTT_DISAGREEMENT_FACTOR, rttMethodSchema, SessionRtt, type RttSeries, type SessionRttChoice } from "./session-rtt.js";
import type { RttMethod, RttSample } from "./rtt-sample.js";
import { badState, checkState, countSchema, decodeNumber, encodeNumber, encodedNumberSchema } from "./rtt-state.js";
import { SpikeDetector, spikeDetectorStateSchema, type DetectedSpike, type SpikeDetectorOptions } from "./spike-detector.js";

/** Direct-method samples kept per series for confirming spikes (16 KB when full). */
const DIRECT_SAMPLES_KEPT = 1024;
/** Ack samples kept per ack series, once its session has a direct method (8 KB). */
const ACK_SAMPLES_KEPT = 512;
/** A direct sample is compared with the ack sample nearest it, at most this far apart, µs. */
const CONFIRM_WINDOW_US = 1_000_000;
const METHOD_INDEX: Readonly<Record<RttMethod, number>> = { echo: 0, reported: 1, ack: 2 };

/** Most `sendTime` streams a saved session may hold per direction. */
export const MAX_SIGNALS_STATE_STREAMS = 256;

/** TypeBox schema of {@link RttSeriesSignalsState}. */
export const rttSeriesSignalsStateSchema = Type.Object(
  {
    method: rttMethodSchema,
    direction: DirectionSchema,
    detector: spikeDetectorStateSchema,
    jitter: interarrivalJitterStateSchema,
    firstUs: encodedNumberSchema,
    lastUs: encodedNumberSchema,
    /** The recent-samples ring as flat `[tUs, rttMs, …]` (null before it is allocated). */
    recentSamples: Type.Union([Type.Array(Type.Number(), { maxItems: 2 * DIRECT_SAMPLES_KEPT }), Type.Null()]),
    recentCount: countSchema,
  },
  { additionalProperties: false },
);

/** One {@link RttSeriesSignals} as JSON-safe plain data. */
export type RttSeriesSignalsState = Static<typeof rttSeriesSignalsStateSchema>;

/** TypeBox schema of {@link SendTimeStreamState}. */
export const sendTimeStreamStateSchema = Type.Object(
  {
    direction: DirectionSchema,
    channel: Type.String({ maxLength: 256 }),
    jitter: interarrivalJitterStateSchema,
    restartPacketIndices: Type.Array(countSchema, { maxItems: 10_000 }),
    firstPacketIndex: Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER }),
    /** −1 before the first datagram. */
    lastPacketIndex: Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER }),
  },
  { additionalProperties: false },
);

/** One {@link SendTimeStream} as JSON-safe plain data. */
export type SendTimeStreamState = Static<typeof sendTimeStreamStateSchema>;

/** TypeBox schema of {@link SessionRttSignalsState}. */
export const sessionRttSignalsStateSchema = Type.Object(
  {
    series: Type.Array(rttSeriesSignalsStateSchema, { maxItems: 6 }),
    sendTimeStreams: Type.Array(sendTimeStreamStateSchema, { maxItems: 2 * MAX_SIGNALS_STATE_STREAMS }),
    hasDirectMethod: Type.Boolean(),
    hasReceivedStream: Type.Boolean(),
  },
  { additionalProperties: false },
);

/**
 * A {@link SessionRttSignals}' whole state as JSON-safe plain data
 * ({@link SessionRttSignals.saveState}): per series its spike detector, RTT
 * jitter, first/last sample times and recent samples; per `sendTime` stream its
 * jitter and restarts. The series' sketches are NOT in it: they are the
 * session's {@link SessionRtt}, saved with {@link SessionRtt.saveState}.
 * Restore both: `rtt.mergeState(rttState)` then `signals.loadState(signalsState, offset)`.
 */
export type SessionRttSignalsState = Static<typeof sessionRttSignalsStateSchema>;

/** The key of a series in {@link RttSpike.contradictedBy}: `method\u0000direction`. */
export function rttSeriesKey(method: RttMethod, direction: Direction): string {
  return `${method}\u0000${direction}`;
}

/** A spike of one RTT series, and the direct series that contradict it. */
export interface RttSpike extends DetectedSpike {
  /**
   * Direct series ({@link rttSeriesKey}) one of whose samples taken during this
   * ack spike measured less than half the ack RTT measured nearest the same
   * moment (undefined when none, and for spikes of direct series).
   */
  contradictedBy: string[] | undefined;
}

/** Spike detection and RTT-series jitter of one {@link RttSeries} (one method and direction of a session). */
export class RttSeriesSignals {
  /** The spike detector over the series' samples (in arrival order). */
  readonly detector: SpikeDetector;
  /** RFC 3550 jitter of the RTT series itself: a session's jitter when no stream carries `sendTime` (never PDV). */
  readonly jitter = new InterarrivalJitter({ packetDelayVariation: false, discontinuityMs: Infinity });
  /** Start times of the first and latest samples, µs. */
  firstUs = Number.NaN;
  lastUs = Number.NaN;
  /** The last samples as (start µs, RTT ms) pairs (see {@link SessionRttSignals}); allocated on first use. */
  recentSamples: Float64Array | undefined;
  recentCount = 0;

  constructor(
    /** The core series (sketch) these signals follow. */
    readonly series: RttSeries,
    options: SpikeDetectorOptions | undefined,
    onSpike: (signals: RttSeriesSignals, spike: DetectedSpike) => void,
  ) {
    // A reported RTT is the game's smoothed estimate: its spikes end at the first sample after the peak, not after the decay.
    this.detector = new SpikeDetector((spike) => onSpike(this, spike), series.method === "reported" ? { ...options, smoothedInput: true } : options);
  }

  /** The series' method. */
  get method(): RttMethod {
    return this.series.method;
  }

  /** The series' direction. */
  get direction(): Direction {
    return this.series.direction;
  }
}

/** One stream of datagrams carrying a sender time (`sendTime` role), by direction and channel. */
export interface SendTimeStream {
  readonly direction: Direction;
  /** The channel (or protocol-level session id) as text, "" for none. */
  readonly channel: string;
  /** RFC 3550 jitter of the stream (with PDV, restarts at timestamp discontinuities). */
  readonly jitter: InterarrivalJitter;
  /** Datagram index of each kept restart of `jitter`. */
  readonly restartPacketIndices: number[];
  /** Index of the stream's first and latest datagram (−1 before the first). */
  firstPacketIndex: number;
  lastPacketIndex: number;
}

/**
 * The send-time stream a message's sender time belongs to: its channel as
 * text ({@link channelKey}), else its protocol-level session id, else "".
 */
export function sendTimeChannel(message: GameMessage): string {
  const roles = message.roles;
  // channelKey reuses one string per small channel number (String() of a number would be built per message).
  return roles.channel !== undefined ? channelKey(roles.channel) : (roles.sessionId ?? "");
}

/** A new send-time stream (no datagram yet). */
function newSendTimeStream(direction: Direction, channel: string, jitter: InterarrivalJitter, firstPacketIndex: number, lastPacketIndex: number, restartPacketIndices: number[]): SendTimeStream {
  return { direction, channel, jitter, firstPacketIndex, lastPacketIndex, restartPacketIndices };
}

/**
 * What every analysis derives over time from a session's RTT samples and
 * sender times, computed once: per RTT series a spike detector and the RTT
 * series' RFC 3550 jitter; per `sendTime` stream its RFC 3550 jitter; the rule
 * that drops an ack spike a direct method contradicts; and the session's jitter
 * (the received stream with the most jitter, else the time series' RTT
 * jitter). Latency and regions both derive a session's spikes and jitter
 * through this class and {@link SessionRtt.choose}'s time series, so they give
 * the same spike count and jitter. Memory is bounded per session (detector
 * windows, ≤ 16 KB of recent samples per series, sketches).
 */
export class SessionRttSignals {
  /** Signals by method index × 2 + direction index. */
  private readonly slots: (RttSeriesSignals | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  /** `sendTime` streams by direction (0 = client→server). */
  readonly sendTimeStreams: [SendTimeStream[], SendTimeStream[]] = [[], []];
  /** A direct method (echo, reported) has sampled the session: ack series then keep recent samples. */
  hasDirectMethod = false;
  /** A `sendTime` stream has 2+ datagrams: the session's jitter comes from a stream, RTT-series jitter is no longer fed. */
  hasReceivedStream = false;
  /** The send-time modulus named last and its clock key (a stream keeps one modulus: no string built per message). */
  private lastModulusUs: number | undefined;
  private lastClockKey = "";

  constructor(
    /** The session's RTT series (and headline rule). */
    readonly rtt: SessionRtt,
    private readonly spikeOptions: SpikeDetectorOptions | undefined,
    /** Called for every spike as its detector closes it, with the direct series contradicting it. */
    private readonly onSpike: (signals: RttSeriesSignals, spike: RttSpike) => void,
    /**
     * Called as a detector closes a spike, before the series' recent samples
     * are read to judge it: a caller that defers {@link addValue} (see
     * {@link detectSpikes}) adds its pending values here.
     */
    private readonly beforeSpikeClose?: () => void,
  ) {}

  /** The signals of a series, if a sample arrived. */
  get(method: RttMethod, direction: Direction): RttSeriesSignals | undefined {
    return this.slots[METHOD_INDEX[method] * 2 + (direction === "clientToServer" ? 0 : 1)];
  }

  /** The signals of a core series of this session. */
  of(series: RttSeries): RttSeriesSignals {
    return this.get(series.method, series.direction)!;
  }

  /** The signals of a method and direction, created (with the core series) when missing. */
  seriesFor(method: RttMethod, direction: Direction): RttSeriesSignals {
    const slot = METHOD_INDEX[method] * 2 + (direction === "clientToServer" ? 0 : 1);
    let signals = this.slots[slot];
    if (signals === undefined) {
      signals = new RttSeriesSignals(this.rtt.seriesFor(method, direction), this.spikeOptions, (owner, spike) => this.closeSpike(owner, spike));
      this.slots[slot] = signals;
    }
    return signals;
  }

  /** Every series' signals, in method order (echo, reported, ack), client→server first. */
  all(): RttSeriesSignals[] {
    return this.slots.filter((signals): signals is RttSeriesSignals => signals !== undefined);
  }

  /**
   * Adds one (valid) sample to the session's RTT series (and `alsoInto`, see
   * {@link SessionRtt.add}), its jitter, recent samples and spike detector.
   */
  add(sample: RttSample, alsoInto?: QuantileSketch): RttSeriesSignals {
    return this.addToSeries(this.seriesFor(sample.method, sample.direction), sample, alsoInto);
  }

  /**
   * {@link add} for a caller that already holds the sample's series: `signals`
   * must be these signals' series of the sample's method and direction (as
   * {@link seriesFor} returns it); no lookup by method and direction.
   */
  addToSeries(signals: RttSeriesSignals, sample: RttSample, alsoInto?: QuantileSketch): RttSeriesSignals {
    const ack = sample.method === "ack";
    this.addValue(signals, sample.tUs, sample.rttMs, !ack, alsoInto);
    if (ack) signals.series.countChannel(sample.channel);
    signals.detector.addSample(sample);
    return signals;
  }

  /**
   * The spike-detection part of {@link addToSeries}, alone: feeds the sample
   * to the series' spike detector (which may close a spike: `beforeSpikeClose`,
   * then `onSpike`). A caller that batches the rest calls this as each sample
   * arrives and {@link addValue} later for the same samples in arrival order,
   * under these rules, which keep every figure equal to {@link addToSeries}':
   * pending values are added (1) before a direct (non-ack) sample first
   * arrives in a session without one — then it sets {@link hasDirectMethod} —
   * (2) before {@link addSendTime} while {@link hasReceivedStream} is false,
   * (3) in `beforeSpikeClose`, and (4) before anything reads the series
   * (sketches, jitter, first/last times, saveState, finish). An ack sample's
   * channel is counted by the caller ({@link RttSeries.countChannel}).
   */
  detectSpikes(signals: RttSeriesSignals, sample: RttSample): void {
    signals.detector.addSample(sample);
  }

  /**
   * The rest of {@link addToSeries} for one sample whose spike detection
   * already ran ({@link detectSpikes}): the RTT-series jitter, first/last
   * times, the session's RTT series sketch and the recent samples. `direct`:
   * the sample is of a direct method (echo, reported), not ack; `alsoInto`:
   * another sketch the value goes into too (see {@link SessionRtt.add}).
   */
  addValue(signals: RttSeriesSignals, tUs: number, rttMs: number, direct: boolean, alsoInto?: QuantileSketch): void {
    if (!this.hasReceivedStream) signals.jitter.add(tUs + rttMs * 1000, tUs);
    if (Number.isNaN(signals.firstUs)) signals.firstUs = tUs;
    if (Number.isNaN(signals.lastUs) || tUs > signals.lastUs) signals.lastUs = tUs;
    // The session's RTT series (SessionRtt.add, its series already known).
    if (alsoInto === undefined) signals.series.sketch.add(rttMs);
    else signals.series.sketch.addToBoth(rttMs, alsoInto);
    if (direct) this.hasDirectMethod = true;
    if (this.hasDirectMethod) this.keepRecent(signals, tUs, rttMs);
  }

  /** Writes a sample into the series' ring of recent samples (allocated on first use). */
  private keepRecent(signals: RttSeriesSignals, tUs: number, rttMs: number): void {
    const capacity = signals.series.method === "ack" ? ACK_SAMPLES_KEPT : DIRECT_SAMPLES_KEPT;
    if (signals.recentSamples === undefined) signals.recentSamples = new Float64Array(2 * capacity);
    const index = signals.recentCount % capacity;
    signals.recentSamples[2 * index] = tUs;
    signals.recentSamples[2 * index + 1] = rttMs;
    signals.recentCount += 1;
  }

  /**
   * Feeds a datagram's sender time (µs) to its stream's jitter (once per
   * datagram), keyed by direction and channel (else protocol-level session id);
   * the field's wrap (`sendTimeModulusUs`) is the media clock. Returns the stream.
   */
  addSendTime(message: GameMessage, sendTimeUs: number): SendTimeStream {
    const roles = message.roles;
    return this.addSendTimeOf(
      message.direction,
      sendTimeChannel(message),
      message.packetIndex,
      message.tUs,
      sendTimeUs,
      roles.sendTimeModulusUs,
      typeof roles.sequence === "number" ? roles.sequence : Number.NaN,
      roles.sequenceBits ?? 16,
    );
  }

  /**
   * {@link addSendTime} from a datagram's numbers, for a caller that kept
   * them: its direction, {@link sendTimeChannel}, packet index, arrival time
   * (µs), sender time (µs), the sender time's modulus (`sendTimeModulusUs`),
   * its sequence (NaN when none or not a number) and the sequence's bits.
   */
  addSendTimeOf(
    direction: Direction,
    channel: string,
    packetIndex: number,
    receiveUs: number,
    sendTimeUs: number,
    modulusUs: number | undefined,
    sequence: number,
    sequenceBits: number,
  ): SendTimeStream {
    const stream = this.sendTimeStreamFor(direction, channel, packetIndex);
    if (stream.lastPacketIndex === packetIndex) return stream;
    stream.lastPacketIndex = packetIndex;
    const restartsBefore = stream.jitter.restarts.length;
    stream.jitter.add(receiveUs, sendTimeUs, this.clockKey(modulusUs), sequence, sequenceBits);
    if (stream.jitter.restarts.length > restartsBefore) stream.restartPacketIndices.push(packetIndex);
    if (stream.jitter.packets >= 2) this.hasReceivedStream = true;
    return stream;
  }

  /** The send-time stream of a direction and channel, created (first datagram `packetIndex`) when missing. */
  private sendTimeStreamFor(direction: Direction, channel: string, packetIndex: number): SendTimeStream {
    const streams = this.sendTimeStreams[direction === "clientToServer" ? 0 : 1];
    for (let index = 0; index < streams.length; index++) if (streams[index].channel === channel) return streams[index];
    const stream = newSendTimeStream(direction, channel, new InterarrivalJitter(), packetIndex, -1, []);
    streams.push(stream);
    return stream;
  }

  /** The jitter clock key of a send-time modulus ("" without one): `String(modulus)`, built once per change of modulus. */
  private clockKey(modulusUs: number | undefined): string {
    if (modulusUs === undefined) return "";
    if (modulusUs !== this.lastModulusUs) {
      this.lastModulusUs = modulusUs;
      this.lastClockKey = String(modulusUs);
    }
    return this.lastClockKey;
  }

  /** The signals as JSON-safe plain data (see {@link SessionRttSignalsState}); feeding may continue. */
  saveState(): SessionRttSignalsState {
    return {
      series: this.all().map((signals) => ({
        method: signals.method,
        direction: signals.direction,
        detector: signals.detector.saveState(),
        jitter: signals.jitter.saveState(),
        firstUs: encodeNumber(signals.firstUs),
        lastUs: encodeNumber(signals.lastUs),
        recentSamples: signals.recentSamples === undefined ? null : Array.from(signals.recentSamples),
        recentCount: signals.recentCount,
      })),
      sendTimeStreams: [...this.sendTimeStreams[0], ...this.sendTimeStreams[1]].map((stream) => ({
        direction: stream.direction,
        channel: stream.channel,
        jitter: stream.jitter.saveState(),
        restartPacketIndices: [...stream.restartPacketIndices],
        firstPacketIndex: stream.firstPacketIndex,
        lastPacketIndex: stream.lastPacketIndex,
      })),
      hasDirectMethod: this.hasDirectMethod,
      hasReceivedStream: this.hasReceivedStream,
    };
  }

  /**
   * Replaces the state of these (freshly created, same spike options) signals
   * with a saved one, adding `packetIndexOffset` to every packet index it
   * holds; the series are created in the session's {@link SessionRtt} (restore
   * its sketches with {@link SessionRtt.mergeState}). Everything is checked and
   * built first: a state that does not fit throws `E_BAD_PARTIAL` and these
   * signals are unchanged.
   */
  loadState(state: SessionRttSignalsState, packetIndexOffset = 0): void {
    const checked = checkState(sessionRttSignalsStateSchema, state, "session RTT signals state");
    const seen = new Set<number>();
    const built: { slot: number; method: RttMethod; direction: Direction; build: (signals: RttSeriesSignals) => void }[] = [];
    checked.series.forEach((saved, index) => {
      const slot = METHOD_INDEX[saved.method] * 2 + (saved.direction === "clientToServer" ? 0 : 1);
      if (seen.has(slot)) badState("session RTT signals state", `/series/${index}`, `series ${saved.method} ${saved.direction} appears twice`);
      seen.add(slot);
      const capacity = saved.method === "ack" ? ACK_SAMPLES_KEPT : DIRECT_SAMPLES_KEPT;
      if (saved.recentSamples !== null && saved.recentSamples.length !== 2 * capacity) badState("session RTT signals state", `/series/${index}/recentSamples`, `a ring of ${2 * capacity} numbers expected`);
      // Build into a scratch series first: the checks of the detector and jitter run before this object changes.
      const scratch = new RttSeriesSignals(new SessionRtt().seriesFor(saved.method, saved.direction), this.spikeOptions, () => undefined);
      scratch.detector.loadState(saved.detector, packetIndexOffset);
      scratch.jitter.loadState(saved.jitter);
      built.push({
        slot,
        method: saved.method,
        direction: saved.direction,
        build: (signals) => {
          signals.detector.loadState(saved.detector, packetIndexOffset);
          signals.jitter.loadState(saved.jitter);
          signals.firstUs = decodeNumber(saved.firstUs);
          signals.lastUs = decodeNumber(saved.lastUs);
          signals.recentSamples = saved.recentSamples === null ? undefined : Float64Array.from(saved.recentSamples);
          signals.recentCount = saved.recentCount;
        },
      });
    });
    const streams: SendTimeStream[] = [];
    const streamKeys = new Set<string>();
    checked.sendTimeStreams.forEach((saved, index) => {
      const key = `${saved.direction}\u0000${saved.channel}`;
      if (streamKeys.has(key)) badState("session RTT signals state", `/sendTimeStreams/${index}`, "stream appears twice");
      streamKeys.add(key);
      const jitter = new InterarrivalJitter();
      jitter.loadState(saved.jitter);
      if (saved.restartPacketIndices.length !== jitter.restarts.length) badState("session RTT signals state", `/sendTimeStreams/${index}/restartPacketIndices`, "one packet index per kept restart expected");
      streams.push(
        newSendTimeStream(
          saved.direction,
          saved.channel,
          jitter,
          saved.firstPacketIndex < 0 ? saved.firstPacketIndex : saved.firstPacketIndex + packetIndexOffset,
          saved.lastPacketIndex < 0 ? saved.lastPacketIndex : saved.lastPacketIndex + packetIndexOffset,
          saved.restartPacketIndices.map((packetIndex) => packetIndex + packetIndexOffset),
        ),
      );
    });
    for (const entry of built) entry.build(this.seriesFor(entry.method, entry.direction));
    this.sendTimeStreams[0].length = 0;
    this.sendTimeStreams[1].length = 0;
    for (const stream of streams) this.sendTimeStreams[stream.direction === "clientToServer" ? 0 : 1].push(stream);
    this.hasDirectMethod = checked.hasDirectMethod;
    this.hasReceivedStream = checked.hasReceivedStream;
  }

  /**
   * Continues these signals with a later pass's saved signals of the same
   * session (a capture rotation cut it; `packetIndexOffset` = packets of the
   * passes before). Per series: first/last sample times span both passes, the
   * RTT jitter continues ({@link InterarrivalJitter.mergeState}: exact but
   * for its max; not fed at all once this pass had a received stream, as one pass), and the spike detector and recent samples are the later
   * pass's (it detected the later pass's spikes; spikes already closed stay
   * with the caller). Per `sendTime` stream: its jitter continues the same way,
   * restart packet indices are appended. A series or stream only in the later
   * pass is taken as is. Everything is checked first (`E_BAD_PARTIAL`, unchanged).
   */
  mergeState(later: SessionRttSignalsState, packetIndexOffset = 0): void {
    const incoming = new SessionRttSignals(new SessionRtt(), this.spikeOptions, () => undefined);
    incoming.loadState(later, packetIndexOffset);
    const laterState = checkState(sessionRttSignalsStateSchema, later, "session RTT signals state");
    for (const saved of laterState.series) {
      const own = this.get(saved.method, saved.direction);
      const other = incoming.get(saved.method, saved.direction)!;
      if (own === undefined) {
        const created = this.seriesFor(saved.method, saved.direction);
        created.detector.loadState(saved.detector, packetIndexOffset);
        created.jitter.loadState(saved.jitter);
        created.firstUs = other.firstUs;
        created.lastUs = other.lastUs;
        created.recentSamples = other.recentSamples;
        created.recentCount = other.recentCount;
        continue;
      }
      // One pass stops feeding the RTT-series jitter once a received stream exists: so does the merge.
      if (!this.hasReceivedStream) own.jitter.mergeState(saved.jitter);
      own.detector.loadState(saved.detector, packetIndexOffset);
      if (Number.isNaN(own.firstUs) || other.firstUs < own.firstUs) own.firstUs = other.firstUs;
      if (Number.isNaN(own.lastUs) || other.lastUs > own.lastUs) own.lastUs = other.lastUs;
      own.recentSamples = other.recentSamples;
      own.recentCount = other.recentCount;
    }
    for (const stream of incoming.orderedSendTimeStreams()) {
      const group = this.sendTimeStreams[stream.direction === "clientToServer" ? 0 : 1];
      const own = group.find((candidate) => candidate.channel === stream.channel);
      if (own === undefined) {
        group.push(stream);
        continue;
      }
      const restartsBefore = own.jitter.restarts.length;
      const boundaryRestarts = own.jitter.restartCount;
      own.jitter.mergeState(stream.jitter.saveState());
      // A restart at the later pass's first datagram (replayed here) has that datagram's index.
      if (own.jitter.restartCount - boundaryRestarts > stream.jitter.restartCount && own.jitter.restarts.length > restartsBefore) own.restartPacketIndices.push(stream.firstPacketIndex);
      for (const packetIndex of stream.restartPacketIndices) if (own.restartPacketIndices.length < own.jitter.restarts.length) own.restartPacketIndices.push(packetIndex);
      own.lastPacketIndex = stream.lastPacketIndex;
    }
    this.hasDirectMethod ||= laterState.hasDirectMethod;
    this.hasReceivedStream ||= laterState.hasReceivedStream;
  }

  /** Closes every series' open spike at its last sample (end of data). */
  finish(): void {
    for (const signals of this.all()) signals.detector.finish(signals.lastUs);
  }

  /**
   * The session's jitter: the `sendTime` stream (2+ datagrams) with the highest
   * mean jitter — at a client capture the client→server stream has constant
   * transit, so the received direction is the one with jitter — else the RTT
   * jitter of the chosen time series.
   */
  sessionJitter(choice: SessionRttChoice): InterarrivalJitter {
    return this.receivedStream()?.jitter ?? this.of(choice.timeSeries).jitter;
  }

  /** Every `sendTime` stream, ordered by direction, then channel (deterministic reports). */
  orderedSendTimeStreams(): SendTimeStream[] {
    const keyOf = (stream: SendTimeStream): string => `${stream.direction}\u0000${stream.channel}`;
    return [...this.sendTimeStreams[0], ...this.sendTimeStreams[1]].sort((left, right) => (keyOf(left) < keyOf(right) ? -1 : keyOf(left) > keyOf(right) ? 1 : 0));
  }

  /** The `sendTime` stream with the most jitter (2+ datagrams; ties: the first by direction, then channel), if any. */
  receivedStream(): SendTimeStream | undefined {
    let best: SendTimeStream | undefined;
    for (const stream of this.orderedSendTimeStreams()) {
      if (stream.jitter.packets < 2) continue;
      if (best === undefined || stream.jitter.meanJitterUs > best.jitter.meanJitterUs) best = stream;
    }
    return best;
  }

  private closeSpike(signals: RttSeriesSignals, spike: DetectedSpike): void {
    this.beforeSpikeClose?.();
    const record = spike as RttSpike;
    record.contradictedBy = signals.method === "ack" ? this.contradictingSeries(signals, spike) : undefined;
    this.onSpike(signals, record);
  }

  /**
   * The echo series of the same request direction that contradict a spike of
   * an ack series: one of their samples taken during the spike measured less than half
   * ({@link RTT_DISAGREEMENT_FACTOR}) the ack RTT measured nearest the same
   * moment (within 1 s). Undefined when none does.
   */
  private contradictingSeries(series: RttSeriesSignals, spike: DetectedSpike): string[] | undefined {
    const own = series.recentSamples;
    if (own === undefined) return undefined;
    const ownCount = Math.min(series.recentCount, own.length / 2);
    let result: string[] | undefined;
    for (const other of this.all()) {
      // Only a raw series of the same request direction can contradict: a reported RTT is smoothed by
      // the game (it lags any short spike), and at one capture point a series requested in the other
      // direction may be the local turnaround, which no network spike moves.
      if (other.method !== "echo" || other.direction !== series.direction || other.recentSamples === undefined) continue;
      const direct = other.recentSamples;
      const directCount = Math.min(other.recentCount, direct.length / 2);
      for (let index = 0; index < directCount; index++) {
        const tUs = direct[2 * index];
        if (tUs < spike.startUs || tUs > spike.endUs) continue;
        let nearestGapUs = CONFIRM_WINDOW_US;
        let nearestMs = Number.NaN;
        for (let slot = 0; slot < ownCount; slot++) {
          const gapUs = Math.abs(own[2 * slot] - tUs);
          if (gapUs <= nearestGapUs) {
            nearestGapUs = gapUs;
            nearestMs = own[2 * slot + 1];
          }
        }
        if (!Number.isNaN(nearestMs) && nearestMs > RTT_DISAGREEMENT_FACTOR * direct[2 * index + 1]) {
          (result ??= []).push(rttSeriesKey(other.method, other.direction));
          break;
        }
      }
    }
    return result;
  }
}

/**
 * Whether a spike of the session's time series counts: a spike of a denser
 * method that the headline method, sampled during it, contradicts is not a
 * spike (the rule of {@link SessionRttChoice.timeSeries}).
 */
export function spikeCounts(spike: RttSpike, choice: SessionRttChoice): boolean {
  if (choice.timeSeries === choice.headline || spike.contradictedBy === undefined) return true;
  return !spike.contradictedBy.includes(rttSeriesKey(choice.headline.method, choice.headline.direction));
}
