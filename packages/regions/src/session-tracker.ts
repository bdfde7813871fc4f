import {
  serialDifference,
  SessionRtt,
  SessionRttSignals,
  spikeCounts,
  type Direction,
  type SessionRttChoice,
  type RttMethod,
  type RttSeriesSignals,
  type RttSpike,
  type SerialNumber,
  type SpikeDetectorOptions,
} from "@tickscope/core";
import { createSeededRandom, hashString, type SeededRandom } from "./random.js";

/** Where an RTT sample came from (core's RTT methods). */
export type RttSource = RttMethod;

/**
 * A bounded reservoir (uniform sample) of one RTT series' samples, for the
 * region statistics that need samples (bootstrap, tests). Spikes and jitter
 * are not computed here: they come from core's {@link SessionRttSignals}, the
 * same computation as the latency analysis.
 */
export class RttStream {
  /** Reservoir of samples (first `min(count, capacity)` slots used). */
  readonly reservoir: Float64Array;
  /** Samples seen. */
  count = 0;

  constructor(
    capacity: number,
    private readonly random: SeededRandom,
  ) {
    this.reservoir = new Float64Array(capacity);
  }

  /** Adds one RTT sample, ms. */
  add(rttMs: number): void {
    const capacity = this.reservoir.length;
    if (this.count < capacity) this.reservoir[this.count] = rttMs;
    else {
      const slot = this.random.nextInt(this.count + 1);
      if (slot < capacity) this.reservoir[slot] = rttMs;
    }
    this.count++;
  }

  /** The retained samples (a copy). */
  samples(): number[] {
    return Array.from(this.reservoir.subarray(0, Math.min(this.count, this.reservoir.length)));
  }

  /** Median of the retained samples. */
  median(): number {
    const sorted = Float64Array.from(this.reservoir.subarray(0, Math.min(this.count, this.reservoir.length))).sort();
    return sorted.length === 0 ? Number.NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
  }
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

  /** Records a received sequence number (exact wire value, possibly wrapped). */
  add(rawSequence: SerialNumber): void {
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
        this.add(rawSequence);
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
      this.currentBurst = 0;
    }
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

const RTT_SOURCE_INDEX: Readonly<Record<RttSource, number>> = { echo: 0, ack: 1, reported: 2 };

/** Key of an RTT stream in {@link SessionTracker.rttStreams} (a constant string, no allocation). */
export function rttStreamKey(source: RttSource, originDirection: Direction): string {
  return RTT_STREAM_KEYS[source][originDirection];
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
  /** The sequence window returned last per direction (0 = client→server), and its channel. */
  private readonly lastSpaces: [SequenceWindow | undefined, SequenceWindow | undefined] = [undefined, undefined];
  private readonly lastChannels: [number | string | undefined, number | string | undefined] = [undefined, undefined];
  /** Sequence spaces refused because of the bound. */
  droppedSequenceSpaces = 0;
  private readonly random: SeededRandom;

  constructor(
    readonly sessionId: string,
    private readonly limits: SessionTrackerLimits,
  ) {
    this.random = createSeededRandom(hashString(sessionId));
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

  /** Adds an RTT sample of a source, measured from requests sent in `originDirection`. */
  addRtt(source: RttSource, originDirection: Direction, rttMs: number): void {
    const slot = RTT_SOURCE_INDEX[source] * 2 + (originDirection === "clientToServer" ? 0 : 1);
    let stream = this.rttStreamSlots[slot];
    if (stream === undefined) {
      stream = new RttStream(this.limits.maxRttSamples, this.random);
      this.rttStreams.set(rttStreamKey(source, originDirection), stream);
      this.rttStreamSlots[slot] = stream;
    }
    stream.add(rttMs);
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
