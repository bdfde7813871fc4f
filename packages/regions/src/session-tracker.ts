import {
  serialDifference,
  SessionRtt,
  SessionRttSignals,
  spikeCounts,
  type Direction,
  type SessionRttChoice,
  type RttMethod,
  type RttSample,
  type RttSeriesSignals,
  type RttSpike,
  type SerialNumber,
  type SpikeDetectorOptions,
} from "@tickscope/core";
import { createSeededRandom, hashString, type SeededRandom } from "./random.js";

/** Where an RTT sample came from (core's RTT methods). */
export type RttSource = RttMethod;

/** Slots a reservoir starts with (it doubles up to its capacity). */
const INITIAL_RESERVOIR_LENGTH = 64;

/**
 * A bounded reservoir (uniform sample) of one RTT series' samples, for the
 * region statistics that need samples (bootstrap, tests). Spikes and jitter
 * are not computed here: they come from core's {@link SessionRttSignals}, the
 * same computation as the latency analysis.
 */
export class RttStream {
  /**
   * Reservoir of samples (first `min(count, capacity)` slots used). It starts
   * small and doubles up to `capacity` as samples arrive, so a short series
   * (a session's few echoes) does not hold a full reservoir.
   */
  reservoir: Float64Array;
  /** Samples seen. */
  count = 0;

  constructor(
    /** Samples kept at most. */
    readonly capacity: number,
    private readonly random: SeededRandom,
  ) {
    this.reservoir = new Float64Array(Math.min(capacity, INITIAL_RESERVOIR_LENGTH));
  }

  /** Adds one RTT sample, ms. */
  add(rttMs: number): void {
    const count = this.count;
    const capacity = this.capacity;
    if (count < capacity) {
      if (count === this.reservoir.length) {
        const grown = new Float64Array(Math.min(capacity, 2 * count));
        grown.set(this.reservoir);
        this.reservoir = grown;
      }
      this.reservoir[count] = rttMs;
    } else {
      const slot = this.random.nextInt(count + 1);
      if (slot < capacity) this.reservoir[slot] = rttMs;
    }
    this.count = count + 1;
  }

  /** The retained samples (a copy). */
  samples(): number[] {
    return Array.from(this.reservoir.subarray(0, Math.min(this.count, this.capacity)));
  }

  /** Median of the retained samples. */
  median(): number {
    const sorted = Float64Array.from(this.reservoir.subarray(0, Math.min(this.count, this.capacity))).sort();
    return sorted.length === 0 ? Number.NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
  }
}

/** A sequence number in a saved state: a number, or a bigint as a decimal string. */
export type EncodedSerial = number | string;

/** Encodes a sequence number for a saved state (bigint as a decimal string). */
export function encodeSerial(value: SerialNumber): EncodedSerial {
  return typeof value === "bigint" ? value.toString() : value;
}

/** Decodes an {@link EncodedSerial}. */
export function decodeSerial(value: EncodedSerial): SerialNumber {
  return typeof value === "string" ? BigInt(value) : value;
}

/**
 * A {@link SequenceWindow}'s window and counters at one moment: extended
 * numbers `base..highest`, and which of them were received as a string of
 * `0`/`1` (one character per sequence from `base`).
 */
export interface SequenceWindowMark {
  started: boolean;
  base: number;
  highest: number;
  highestRaw: EncodedSerial;
  received: string;
  hasPending: boolean;
  pendingRaw: EncodedSerial;
  currentBurst: number;
  receivedCount: number;
  lostCount: number;
  duplicateOrLateCount: number;
  burstCount: number;
  restartCount: number;
}

/**
 * A {@link SequenceWindow} as JSON-safe plain data, unflushed: its window and
 * counters, and for joining a continuation exactly its first sequences raw
 * (`prefix`, at most the window + 64; `null` when a join could not keep it) and
 * the window right after them (`mark`, `null` while the prefix is the whole stream).
 */
export interface SequenceWindowState extends SequenceWindowMark {
  windowSize: number;
  sequenceBits: number | null;
  maxGap: number;
  maxBurstLength: number;
  prefix: EncodedSerial[] | null;
  mark: SequenceWindowMark | null;
  maxBurstAfterMark: number;
}

/**
 * Loss accounting of one sequence space, reordering-tolerant within a sliding
 * window: a sequence is declared lost only when the window slides past it
 * unreceived. Tracks loss bursts (runs of consecutive lost sequences).
 *
 * Sequences are exact wire values of any width (a u64 netcode sequence from
 * 2^63 included); distances come from core's `serialDifference`, and the
 * extended numbering is the window's own, so it stays a small exact integer.
 * Work per sequence is bounded by the window whatever the input: a jump far
 * ahead retires the window once and counts the rest of the gap in one step; a
 * jump beyond `maxGap` (either way) is a restart of the sender's numbering,
 * confirmed by the next sequence continuing it (a lone outlier is counted as
 * late instead).
 */
export class SequenceWindow {
  private readonly received: Uint8Array;
  private readonly maxGap: number;
  private started = false;
  /** Lowest extended sequence not yet retired. */
  private base = 0;
  /** Highest extended sequence. */
  private highest = 0;
  private highestRaw: SerialNumber = 0;
  private hasPending = false;
  private pendingRaw: SerialNumber = 0;
  /**
   * The first {@link joinPrefixLength} sequences added, raw (see {@link SequenceWindowState.prefix}):
   * replayed onto the previous pass's window when a rotation cut a session. Undefined once a join could
   * not keep it (the window then joins a later-saved predecessor approximately).
   */
  private prefix: SerialNumber[] | undefined = [];
  /** The window right after its prefix filled (undefined while the prefix is the whole stream). */
  private mark: SequenceWindowMark | undefined;
  /** Longest burst ended after the mark. */
  private maxBurstAfterMark = 0;
  /** Distinct sequences received. */
  receivedCount = 0;
  /** Sequences declared lost. */
  lostCount = 0;
  /** Duplicates and arrivals too late for the window. */
  duplicateOrLateCount = 0;
  /** Number of loss bursts. */
  burstCount = 0;
  /** Total lost sequences in bursts (= lostCount). */
  private currentBurst = 0;
  /** Longest burst. */
  maxBurstLength = 0;
  /** Restarts of the sender's numbering (confirmed jumps beyond `maxGap`). */
  restartCount = 0;

  /**
   * @param windowSize reorder window, sequences.
   * @param sequenceBits width of the sequence field (wrap-around); undefined = no wrap.
   * @param maxGap largest jump still counted as loss (default: the larger of 1000 and the window).
   */
  constructor(
    private readonly windowSize: number,
    private readonly sequenceBits: number | undefined,
    maxGap?: number,
  ) {
    this.received = new Uint8Array(windowSize);
    this.maxGap = maxGap ?? Math.max(1000, windowSize);
  }

  /** Sequences recorded at the start of a window so a continuation can be joined exactly: the window plus 64. */
  get joinPrefixLength(): number {
    return this.windowSize + 64;
  }

  /** Records a received sequence number (exact wire value, possibly wrapped). */
  add(rawSequence: SerialNumber): void {
    const prefix = this.prefix;
    if (prefix !== undefined && this.mark === undefined) {
      prefix.push(rawSequence);
      this.addSequence(rawSequence);
      if (prefix.length === this.joinPrefixLength) this.mark = this.markNow();
      return;
    }
    this.addSequence(rawSequence);
  }

  private addSequence(rawSequence: SerialNumber): void {
    if (!this.started) {
      this.started = true;
      this.beginAt(0, rawSequence);
      return;
    }
    const difference = serialDifference(this.highestRaw, rawSequence, this.sequenceBits);
    if (this.hasPending) {
      this.hasPending = false;
      const continuation = serialDifference(this.pendingRaw, rawSequence, this.sequenceBits);
      if (continuation > 0 && continuation <= this.maxGap && !(Math.abs(difference) <= this.maxGap)) {
        // The held jump is confirmed: the sender restarted its numbering.
        this.flush();
        this.restartCount++;
        this.beginAt(this.highest + this.windowSize + 1, this.pendingRaw);
        this.addSequence(rawSequence);
        return;
      }
      this.duplicateOrLateCount++;
    }
    if (!(Math.abs(difference) <= this.maxGap)) {
      this.hasPending = true;
      this.pendingRaw = rawSequence;
      return;
    }
    const sequence = this.highest + difference;
    if (sequence < this.base) {
      this.duplicateOrLateCount++;
      return;
    }
    const excess = sequence - (this.base + this.windowSize) + 1;
    if (excess > 0) {
      if (excess > this.windowSize) {
        // Far ahead: retire the whole window, then count the sequences that never had a slot at once.
        const end = this.base + this.windowSize;
        while (this.base < end) this.retire();
        const skipped = excess - this.windowSize;
        this.lostCount += skipped;
        this.currentBurst += skipped;
        this.base += skipped;
      } else {
        for (let step = 0; step < excess; step++) this.retire();
      }
    }
    const slot = sequence % this.windowSize;
    if (this.received[slot] === 1) {
      this.duplicateOrLateCount++;
      return;
    }
    this.received[slot] = 1;
    this.receivedCount++;
    if (sequence > this.highest) {
      this.highest = sequence;
      this.highestRaw = rawSequence;
    }
  }

  private beginAt(extended: number, rawSequence: SerialNumber): void {
    this.base = extended;
    this.highest = extended;
    this.highestRaw = rawSequence;
    this.received[extended % this.windowSize] = 1;
    this.receivedCount++;
  }

  private retire(): void {
    const slot = this.base % this.windowSize;
    if (this.received[slot] === 1) {
      this.received[slot] = 0;
      this.endBurst();
    } else {
      this.lostCount++;
      this.currentBurst++;
    }
    this.base++;
  }

  private endBurst(): void {
    if (this.currentBurst > 0) {
      this.burstCount++;
      if (this.currentBurst > this.maxBurstLength) this.maxBurstLength = this.currentBurst;
      if (this.mark !== undefined && this.currentBurst > this.maxBurstAfterMark) this.maxBurstAfterMark = this.currentBurst;
      this.currentBurst = 0;
    }
  }

  /** The window and counters now (relative bit string over `base..highest`). */
  private markNow(): SequenceWindowMark {
    let received = "";
    if (this.started) for (let sequence = this.base; sequence <= this.highest; sequence++) received += this.received[sequence % this.windowSize] === 1 ? "1" : "0";
    return {
      started: this.started,
      base: this.base,
      highest: this.highest,
      highestRaw: encodeSerial(this.highestRaw),
      received,
      hasPending: this.hasPending,
      pendingRaw: encodeSerial(this.pendingRaw),
      currentBurst: this.currentBurst,
      receivedCount: this.receivedCount,
      lostCount: this.lostCount,
      duplicateOrLateCount: this.duplicateOrLateCount,
      burstCount: this.burstCount,
      restartCount: this.restartCount,
    };
  }

  /** Sets the window (not the counters) from a mark, its extended numbering moved by `shift`. */
  private restoreWindow(mark: SequenceWindowMark, shift: number): void {
    this.received.fill(0);
    this.started = mark.started;
    this.base = mark.base + shift;
    this.highest = mark.highest + shift;
    this.highestRaw = decodeSerial(mark.highestRaw);
    for (let offset = 0; offset < mark.received.length; offset++) if (mark.received.charCodeAt(offset) === 49) this.received[(this.base + offset) % this.windowSize] = 1;
    this.hasPending = mark.hasPending;
    this.pendingRaw = decodeSerial(mark.pendingRaw);
    this.currentBurst = mark.currentBurst;
  }

  /** The window as JSON-safe plain data, unflushed (see {@link SequenceWindowState}). */
  saveState(): SequenceWindowState {
    const now = this.markNow();
    return {
      ...now,
      windowSize: this.windowSize,
      sequenceBits: this.sequenceBits ?? null,
      maxGap: this.maxGap,
      maxBurstLength: this.maxBurstLength,
      prefix: this.prefix === undefined ? null : this.prefix.map(encodeSerial),
      mark: this.mark ?? null,
      maxBurstAfterMark: this.maxBurstAfterMark,
    };
  }

  /** A window rebuilt from {@link saveState} (already checked against the schema and {@link checkSequenceWindowState}). */
  static fromState(state: SequenceWindowState): SequenceWindow {
    const window = new SequenceWindow(state.windowSize, state.sequenceBits ?? undefined, state.maxGap);
    window.restoreWindow(state, 0);
    window.receivedCount = state.receivedCount;
    window.lostCount = state.lostCount;
    window.duplicateOrLateCount = state.duplicateOrLateCount;
    window.burstCount = state.burstCount;
    window.maxBurstLength = state.maxBurstLength;
    window.restartCount = state.restartCount;
    window.prefix = state.prefix === null ? undefined : state.prefix.map(decodeSerial);
    window.mark = state.mark === null ? undefined : { ...state.mark };
    window.maxBurstAfterMark = state.maxBurstAfterMark;
    return window;
  }

  /** A copy (the summary flushes a copy, so the window can still be saved and joined). */
  clone(): SequenceWindow {
    return SequenceWindow.fromState(this.saveState());
  }

  /**
   * Continues this window (a pass's, unflushed) with the window a later pass
   * kept for the same sequence space (a rotation cut the session), as one
   * window over both passes would have counted: the later pass's first
   * sequences ({@link joinPrefixLength}, recorded raw) are replayed here; if
   * the later window saw no more, the result is exact; else its counts after
   * its prefix are added and its window taken over, which is exact when the
   * replay leaves this window where the later one stood after its prefix
   * (the usual case: the prefix reaches a window past the cut). Returns
   * whether the join is exact.
   */
  join(later: SequenceWindow): boolean {
    if (later.prefix === undefined) {
      // The later window kept no prefix (itself joined approximately): add its counts, take its window.
      this.addCountsSince(later, undefined);
      this.restoreWindow(later.markNow(), 0);
      this.prefix = this.mark === undefined ? undefined : this.prefix;
      return false;
    }
    for (const raw of later.prefix) this.add(raw);
    const laterMark = later.mark;
    if (laterMark === undefined) return true;
    const here = this.markNow();
    const exact =
      here.started === laterMark.started &&
      here.highest - here.base === laterMark.highest - laterMark.base &&
      here.received === laterMark.received &&
      here.highestRaw === laterMark.highestRaw &&
      here.hasPending === laterMark.hasPending &&
      (!here.hasPending || here.pendingRaw === laterMark.pendingRaw) &&
      here.currentBurst === laterMark.currentBurst;
    this.addCountsSince(later, laterMark);
    this.restoreWindow(later.markNow(), here.base - laterMark.base);
    // This window's own prefix is complete only when it filled during the replay (else it no longer describes a start).
    if (this.mark === undefined) this.prefix = undefined;
    return exact;
  }

  private addCountsSince(later: SequenceWindow, mark: SequenceWindowMark | undefined): void {
    this.receivedCount += later.receivedCount - (mark?.receivedCount ?? 0);
    this.lostCount += later.lostCount - (mark?.lostCount ?? 0);
    this.duplicateOrLateCount += later.duplicateOrLateCount - (mark?.duplicateOrLateCount ?? 0);
    this.burstCount += later.burstCount - (mark?.burstCount ?? 0);
    this.restartCount += later.restartCount - (mark?.restartCount ?? 0);
    const laterMax = mark === undefined ? later.maxBurstLength : later.maxBurstAfterMark;
    if (laterMax > this.maxBurstLength) this.maxBurstLength = laterMax;
    if (this.mark !== undefined && laterMax > this.maxBurstAfterMark) this.maxBurstAfterMark = laterMax;
  }

  /** Retires the whole window up to the highest sequence seen (call once at the end; at most one window of work). */
  flush(): void {
    if (!this.started) return;
    if (this.hasPending) {
      this.hasPending = false;
      this.duplicateOrLateCount++;
    }
    while (this.base <= this.highest) this.retire();
    this.endBurst();
  }
}

const RTT_STREAM_KEYS: Record<RttSource, Record<Direction, string>> = {
  echo: { clientToServer: "echo:clientToServer", serverToClient: "echo:serverToClient" },
  ack: { clientToServer: "ack:clientToServer", serverToClient: "ack:serverToClient" },
  reported: { clientToServer: "reported:clientToServer", serverToClient: "reported:serverToClient" },
};

/** Slot of a series in the tracker's per-series arrays: source index (echo 0, ack 1, reported 2) × 2 + direction index (no keyed lookup by string). */
function seriesSlotOf(source: RttSource, originDirection: Direction): number {
  return (source === "echo" ? 0 : source === "ack" ? 2 : 4) + (originDirection === "clientToServer" ? 0 : 1);
}

/** Key of an RTT stream in {@link SessionTracker.rttStreams} (a constant string, no allocation). */
export function rttStreamKey(source: RttSource, originDirection: Direction): string {
  return RTT_STREAM_KEYS[source][originDirection];
}

/** RTT samples kept per series for continuing spike detection across a rotation cut: the baseline window (default 101) + 32. */
export function samplePrefixLengthOf(spike: SpikeDetectorOptions | undefined): number {
  return (spike?.baselineWindowSamples ?? 101) + 32;
}

/** Bounds of one tracked session. */
export interface SessionTrackerLimits {
  maxRttSamples: number;
  maxSequenceSpaces: number;
  lossWindow: number;
  /** Spike detection of core's `SpikeDetector` (the latency analysis' defaults when undefined). */
  spike: SpikeDetectorOptions | undefined;
  /** Spikes counted per RTT series at most (as the latency analysis keeps). */
  maxSpikesPerSeries: number;
}

/** All streaming state of one session (bounded). */
export class SessionTracker {
  firstUs = Number.NaN;
  lastUs = Number.NaN;
  /** Index of the datagram that opened the session (its first message or RTT sample), -1 until set. */
  firstPacketIndex = -1;
  /** False when the session is counted but not measured (no RTT, jitter or spike work: see `measureOnlyLabelledSessions`). */
  measured = true;
  player: string | undefined;
  /** The session's RTT (core): the same series and headline rule as the latency analysis. */
  readonly rtt = new SessionRtt();
  /** Spikes and jitter of the session's RTT series and send-time streams (core): the same computation as the latency analysis. */
  readonly signals: SessionRttSignals;
  /** Spikes of each series (at most `maxSpikesPerSeries`). */
  readonly spikes = new Map<RttSeriesSignals, RttSpike[]>();
  /** RTT reservoirs by `${source}:${originDirection}`. */
  readonly rttStreams = new Map<string, RttStream>();
  /** Sequence spaces by direction, then channel (no per-message key strings). */
  readonly sequenceSpaces: Record<Direction, Map<number | string | undefined, SequenceWindow>> = {
    clientToServer: new Map(),
    serverToClient: new Map(),
  };
  private sequenceSpaceCount = 0;
  /** The same RTT streams by source index × 2 + direction index (the hot path, no string keys). */
  private readonly rttStreamSlots: (RttStream | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  /** The same sample prefixes as {@link samplePrefixes}, by the same slots. */
  private readonly prefixSlots: (number[] | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  /** The sequence window returned last per direction (0 = client→server), and its channel. */
  private readonly lastSpaces: [SequenceWindow | undefined, SequenceWindow | undefined] = [undefined, undefined];
  private readonly lastChannels: [number | string | undefined, number | string | undefined] = [undefined, undefined];
  /** Sequence spaces refused because of the bound. */
  droppedSequenceSpaces = 0;
  /**
   * The first {@link samplePrefixLength} RTT samples of each series (by
   * {@link rttStreamKey}) as flat `[start µs, RTT ms, packet index, …]`: replayed
   * onto the previous pass's spike detector when a rotation cut the session.
   */
  readonly samplePrefixes = new Map<string, number[]>();
  /** Samples kept per series in {@link samplePrefixes}: the spike detector's baseline window + 32. */
  readonly samplePrefixLength: number;
  private readonly random: SeededRandom;

  constructor(
    readonly sessionId: string,
    private readonly limits: SessionTrackerLimits,
  ) {
    this.random = createSeededRandom(hashString(sessionId));
    this.samplePrefixLength = samplePrefixLengthOf(limits.spike);
    this.signals = new SessionRttSignals(this.rtt, limits.spike, (series, spike) => this.onSpike(series, spike));
  }

  private onSpike(series: RttSeriesSignals, spike: RttSpike): void {
    let list = this.spikes.get(series);
    if (list === undefined) {
      list = [];
      this.spikes.set(series, list);
    }
    if (list.length < this.limits.maxSpikesPerSeries) list.push(spike);
  }

  /**
   * The session's spike count by core's rule: the spikes of the chosen time
   * series that the headline method does not contradict (call after
   * `signals.finish()`).
   */
  spikeCount(choice: SessionRttChoice): number {
    const list = this.spikes.get(this.signals.of(choice.timeSeries));
    if (list === undefined) return 0;
    let count = 0;
    for (const spike of list) if (spikeCounts(spike, choice)) count++;
    return count;
  }

  /**
   * Files one RTT sample (the hot path: one slot, no key string): into its
   * series' reservoir ({@link addRtt}) and, while not full, its prefix
   * ({@link notePrefixSample}).
   */
  addSample(sample: RttSample): void {
    const slot = seriesSlotOf(sample.method, sample.direction);
    const prefix = this.prefixSlots[slot] ?? this.openPrefix(slot, sample.method, sample.direction);
    if (prefix.length < 3 * this.samplePrefixLength) prefix.push(sample.tUs, sample.rttMs, sample.packetIndex);
    (this.rttStreamSlots[slot] ?? this.openStream(slot, sample.method, sample.direction)).add(sample.rttMs);
  }

  /** Keeps a sample in its series' prefix while the prefix is not full (see {@link samplePrefixes}). */
  notePrefixSample(sample: RttSample): void {
    const slot = seriesSlotOf(sample.method, sample.direction);
    const prefix = this.prefixSlots[slot] ?? this.openPrefix(slot, sample.method, sample.direction);
    if (prefix.length < 3 * this.samplePrefixLength) prefix.push(sample.tUs, sample.rttMs, sample.packetIndex);
  }

  /** Adds an RTT sample of a source, measured from requests sent in `originDirection`. */
  addRtt(source: RttSource, originDirection: Direction, rttMs: number): void {
    const slot = seriesSlotOf(source, originDirection);
    (this.rttStreamSlots[slot] ?? this.openStream(slot, source, originDirection)).add(rttMs);
  }

  private openPrefix(slot: number, source: RttSource, originDirection: Direction): number[] {
    const prefix: number[] = [];
    this.samplePrefixes.set(rttStreamKey(source, originDirection), prefix);
    this.prefixSlots[slot] = prefix;
    return prefix;
  }

  private openStream(slot: number, source: RttSource, originDirection: Direction): RttStream {
    const stream = new RttStream(this.limits.maxRttSamples, this.random);
    this.rttStreams.set(rttStreamKey(source, originDirection), stream);
    this.rttStreamSlots[slot] = stream;
    return stream;
  }

  /** The sequence window of a direction's channel, or undefined when the bound is reached. */
  sequenceSpace(direction: Direction, channel: number | string | undefined, sequenceBits: number | undefined): SequenceWindow | undefined {
    const directionIndex = direction === "clientToServer" ? 0 : 1;
    const last = this.lastSpaces[directionIndex];
    if (last !== undefined && this.lastChannels[directionIndex] === channel) return last;
    const spaces = this.sequenceSpaces[direction];
    let space = spaces.get(channel);
    if (space === undefined) {
      if (this.sequenceSpaceCount >= this.limits.maxSequenceSpaces) {
        this.droppedSequenceSpaces++;
        return undefined;
      }
      space = new SequenceWindow(this.limits.lossWindow, sequenceBits);
      spaces.set(channel, space);
      this.sequenceSpaceCount++;
    }
    this.lastSpaces[directionIndex] = space;
    this.lastChannels[directionIndex] = channel;
    return space;
  }

  /** Every sequence window of the session. */
  allSequenceSpaces(): SequenceWindow[] {
    return [...this.sequenceSpaces.clientToServer.values(), ...this.sequenceSpaces.serverToClient.values()];
  }
}
