import { normalUpperTailLog10, poissonUpperTailLog10, surpriseToScore } from "./significance.js";

/** Kinds of candidate spike causes. */
export type SpikeCauseKind =
  | "lossBurst"
  | "queueBuildup"
  | "snapshotBurst"
  | "tickStall"
  | "serverLogEvent"
  | "retransmissionStorm"
  | "sharedPath"
  | "routeChange";

/** One candidate cause of a spike, scored by how unusual its signal is near the spike. */
export interface SpikeCause {
  kind: SpikeCauseKind;
  /** surprise / (surprise + 3), in [0, 1): 0.5 ⇔ p = 0.001. */
  score: number;
  /** −log10 of the probability of seeing this much signal by chance in the window. */
  surprise: number;
  /** Where the signal peaked relative to the spike start, ms (negative = before). */
  lagMs: number;
  /** Numbers behind the score. */
  evidence: Record<string, number | string>;
}

/** Options of {@link CauseTimeline}. */
export interface CauseTimelineOptions {
  /** Bin width, ms. Default 100. */
  binMs?: number;
  /** Bins kept (history for cause search). Default 100 (10 s). */
  historyBins?: number;
  /** How far before the spike start causes are searched, ms. Default 1,000. */
  lookbackMs?: number;
  /** How far after the spike end causes are searched (effects are seen late), ms. Default 500. */
  lookaheadMs?: number;
  /** Message types tracked separately for size surges (more go to `other`). Default 16. */
  maxMessageTypes?: number;
}

/** Per-bin features: offsets within a bin's record in the {@link CauseTimeline} ring. */
const PACKETS = 0;
const BYTES = 1;
const MEAN_PACKET_BYTES = 2;
const LOST = 3;
const RESENDS = 4;
const SERVER_GAP = 5;
const FEATURE_COUNT = 6;
/** Message types a timeline finds by a scan of the types seen first, before its map (a game's handful). */
const TYPES_LOOKED_UP_BY_SCAN = 8;
/** Numbers per feature in {@link CauseTimeline}'s running statistics: count, mean, sum of squared deviations (Welford). */
const STATISTICS_STRIDE = 3;

/** Window widths (bins) tried for level features. */
const WINDOW_WIDTHS = [1, 3, 9];

/**
 * Minimum standard deviation per feature, absolute and relative to the mean
 * (perfectly regular traffic would otherwise give infinite z-scores).
 */
const STD_FLOOR = [1, 1, 2, 0.1, 0.1, 2];
const STD_FLOOR_RELATIVE = [0.05, 0.05, 0.1, 0, 0, 0.1];

/**
 * Bounded per-session history of the signals that can explain a spike,
 * binned (default 100 ms × 100 bins), plus whole-session running statistics
 * of each signal so a spike window is compared with the session's own
 * background (z-scores for levels, Poisson tails for counts).
 */
export class CauseTimeline {
  readonly binUs: number;
  private readonly historyBins: number;
  private readonly lookbackUs: number;
  private readonly lookaheadUs: number;
  private readonly maxMessageTypes: number;
  /** Ring of bins, each a record of {@link FEATURE_COUNT} features side by side (one cache line per bin): `[slot · FEATURE_COUNT + feature]`. */
  private readonly ring: Float64Array;
  /**
   * Whole-session running statistics of each feature over the closed bins
   * (Welford, as {@link RunningStatistics}): `[feature · STATISTICS_STRIDE]`
   * count, `+ 1` mean, `+ 2` sum of squared deviations — one array beside the
   * ring instead of an object per feature (a bin closes every 100 ms per session).
   */
  private readonly statistics = new Float64Array(FEATURE_COUNT * STATISTICS_STRIDE);
  private readonly totals = new Float64Array(FEATURE_COUNT);
  /** Bytes per message type: the ring of per-bin bytes and the whole-session total, one lookup per message. */
  private readonly typeBytes = new Map<string, { readonly ring: Float64Array; totalBytes: number }>();
  /** The per-bin byte rings of `typeBytes`, in insertion order (cleared per bin without iterating the map). */
  private readonly typeRings: Float64Array[] = [];
  /** The message type recorded last and its entry (consecutive messages mostly share a type). */
  private lastType: string | undefined;
  /**
   * The first {@link TYPES_LOOKED_UP_BY_SCAN} message types seen and their
   * entries (a type's entry never changes once chosen), scanned before the
   * map: a session's few types alternate message by message.
   */
  private readonly seenTypes: string[] = [];
  private readonly seenTypeEntries: { readonly ring: Float64Array; totalBytes: number }[] = [];
  private lastTypeEntry: { readonly ring: Float64Array; totalBytes: number } | undefined;
  private currentBin = Number.NaN;
  /** Ring slot of `currentBin` (the hot path's answer when the clock did not move to a new bin). */
  private currentSlot = 0;
  /** A time known to fall in `currentBin` (the packet's messages share its time: no division for them). */
  private currentBinUs = Number.NaN;
  private firstBin = Number.NaN;
  private closedBins = 0;

  constructor(options: CauseTimelineOptions = {}) {
    this.binUs = (options.binMs ?? 100) * 1000;
    this.historyBins = Math.max(4, options.historyBins ?? 100);
    this.lookbackUs = (options.lookbackMs ?? 1000) * 1000;
    this.lookaheadUs = (options.lookaheadMs ?? 500) * 1000;
    this.maxMessageTypes = options.maxMessageTypes ?? 16;
    this.ring = new Float64Array(this.historyBins * FEATURE_COUNT);
  }

  /** Moves the clock to `tUs` (closing finished bins); returns the ring slot of `tUs`'s bin (or of the oldest kept bin). */
  advance(tUs: number): number {
    if (tUs === this.currentBinUs) return this.currentSlot;
    const bin = Math.floor(tUs / this.binUs);
    if (bin === this.currentBin) {
      this.currentBinUs = tUs;
      return this.currentSlot;
    }
    if (Number.isNaN(this.currentBin)) {
      this.currentBinUs = tUs;
      this.currentBin = bin;
      this.firstBin = bin;
      this.currentSlot = this.slot(bin);
      return this.currentSlot;
    }
    if (bin > this.currentBin) {
      const historyBins = this.historyBins;
      const currentSlot = this.currentSlot;
      this.closeBin(currentSlot);
      const gap = bin - this.currentBin;
      const cleared = Math.min(gap, historyBins);
      // Slots of the bins after the current one, counted on from its slot (bins are integers: the same as slot(bin), without a remainder of a large number per bin).
      for (let step = 1; step <= cleared; step++) this.clearSlot(currentSlot + step < historyBins ? currentSlot + step : (currentSlot + step) % historyBins);
      // Bins between the old and the new current one are empty.
      for (let step = 1; step < Math.min(gap, 10_000); step++) this.addEmptyStatistics();
      this.currentBin = bin;
      this.currentBinUs = tUs;
      this.currentSlot = gap < historyBins - currentSlot ? currentSlot + gap : (currentSlot + gap) % historyBins;
      return this.currentSlot;
    }
    return this.slot(Math.max(bin, this.currentBin - this.historyBins + 1));
  }

  /** Records one datagram of `bytes` wire bytes at `tUs`. */
  addPacket(tUs: number, bytes: number): void {
    const slot = this.advance(tUs);
    const base = slot * FEATURE_COUNT;
    this.ring[base + PACKETS] += 1;
    this.ring[base + BYTES] += bytes;
    this.totals[PACKETS] += 1;
    this.totals[BYTES] += bytes;
  }

  /** Records `bytes` of message `type` at `tUs`. */
  addMessageBytes(tUs: number, type: string, bytes: number): void {
    const slot = this.advance(tUs);
    let entry = type === this.lastType ? this.lastTypeEntry : undefined;
    if (entry === undefined) {
      const seenTypes = this.seenTypes;
      for (let index = 0; index < seenTypes.length; index++) {
        if (seenTypes[index] === type) {
          entry = this.seenTypeEntries[index];
          break;
        }
      }
    }
    if (entry === undefined) {
      entry = this.typeBytes.get(type);
      if (entry === undefined) {
        const key = this.typeBytes.size >= this.maxMessageTypes ? "other" : type;
        entry = this.typeBytes.get(key);
        if (entry === undefined) {
          entry = { ring: new Float64Array(this.historyBins), totalBytes: 0 };
          this.typeBytes.set(key, entry);
          this.typeRings.push(entry.ring);
        }
      }
      if (this.seenTypes.length < TYPES_LOOKED_UP_BY_SCAN) {
        this.seenTypes.push(type);
        this.seenTypeEntries.push(entry);
      }
    }
    this.lastType = type;
    this.lastTypeEntry = entry;
    entry.ring[slot] += bytes;
    entry.totalBytes += bytes;
  }

  /** Records `count` packets missing from a sequence (a gap) noticed at `tUs`. */
  addLoss(tUs: number, count: number): void {
    const slot = this.advance(tUs);
    this.ring[slot * FEATURE_COUNT + LOST] += count;
    this.totals[LOST] += count;
  }

  /** Records one retransmission at `tUs`. */
  addResend(tUs: number): void {
    const slot = this.advance(tUs);
    this.ring[slot * FEATURE_COUNT + RESENDS] += 1;
    this.totals[RESENDS] += 1;
  }

  /** Records a silence of the server of `gapMs` that ended at `tUs` with no packet lost in it. */
  addServerGap(tUs: number, gapMs: number): void {
    const slot = this.advance(tUs);
    const index = slot * FEATURE_COUNT + SERVER_GAP;
    if (gapMs > this.ring[index]) this.ring[index] = gapMs;
  }

  /**
   * Scores the session-local causes for a spike `[startUs, endUs]`: each
   * signal's strongest bin in `[start − lookback, end + lookahead]` against the
   * session's background distribution, corrected for the number of bins
   * searched. Returned sorted by surprise, strongest first.
   */
  scoreSpike(startUs: number, endUs: number): SpikeCause[] {
    const window = this.windowBins(startUs, endUs);
    if (window.length === 0) return [];
    const causes: SpikeCause[] = [];
    const startBin = Math.floor(startUs / this.binUs);

    const level = (feature: number, kind: SpikeCauseKind, name: string): void => {
      const stats = this.featureStatistics(feature);
      if (stats.count < 10) return;
      const deviation = Math.max(stats.standardDeviation, STD_FLOOR[feature], STD_FLOOR_RELATIVE[feature] * Math.abs(stats.mean));
      // Sustained rises count more than one busy bin: scan windows of 1, 3 and 9 bins,
      // z of the window mean against the background (σ/√w), corrected for the number of windows tried.
      let bestZ = -Infinity;
      let bestBin = window[0];
      let bestValue = Number.NaN;
      let tests = 0;
      for (const width of WINDOW_WIDTHS) {
        if (width > window.length) break;
        for (let first = 0; first + width <= window.length; first++) {
          let sum = 0;
          let count = 0;
          for (let offset = 0; offset < width; offset++) {
            const value = this.featureValue(feature, window[first + offset]);
            if (Number.isNaN(value)) continue;
            sum += value;
            count += 1;
          }
          if (count < width) continue;
          tests += 1;
          const z = ((sum / count - stats.mean) / deviation) * Math.sqrt(width);
          if (z > bestZ) {
            bestZ = z;
            bestBin = window[first];
            bestValue = sum / count;
          }
        }
      }
      if (tests === 0) return;
      const z = bestZ - Math.sqrt(2 * Math.log(Math.max(2, tests)));
      if (z <= 0) return;
      const surprise = -normalUpperTailLog10(z);
      causes.push({
        kind,
        score: surpriseToScore(surprise),
        surprise,
        lagMs: ((bestBin - startBin) * this.binUs) / 1000,
        evidence: { [`${name}Peak`]: round3(bestValue), [`${name}Background`]: round3(stats.mean), zScore: round3(bestZ) },
      });
    };
    level(PACKETS, "queueBuildup", "packetsPerBin");
    level(MEAN_PACKET_BYTES, "snapshotBurst", "meanPacketBytes");
    level(SERVER_GAP, "tickStall", "serverGapMs");

    const count = (feature: number, kind: SpikeCauseKind, name: string): void => {
      let observed = 0;
      let peakBin = window[0];
      let peak = -1;
      for (const bin of window) {
        const value = this.ring[this.slot(bin) * FEATURE_COUNT + feature];
        observed += value;
        if (value > peak) {
          peak = value;
          peakBin = bin;
        }
      }
      if (observed <= 0) return;
      const backgroundBins = Math.max(1, this.closedBins + 1 - window.length);
      const rate = Math.max(0, this.totals[feature] - observed) / backgroundBins;
      const expected = Math.max(rate * window.length, 1e-3);
      const surprise = -poissonUpperTailLog10(Math.round(observed), expected);
      if (surprise <= 0) return;
      causes.push({
        kind,
        score: surpriseToScore(surprise),
        surprise,
        lagMs: ((peakBin - startBin) * this.binUs) / 1000,
        evidence: { [name]: observed, [`${name}Expected`]: round3(expected) },
      });
    };
    count(LOST, "lossBurst", "lostPackets");
    count(RESENDS, "retransmissionStorm", "resends");

    const snapshot = causes.find((cause) => cause.kind === "snapshotBurst");
    if (snapshot !== undefined) {
      const types = this.responsibleTypes(window);
      if (types.length > 0) {
        snapshot.evidence.messageTypes = types.map((entry) => entry.type).join(",");
        snapshot.evidence.topTypeExcessBytes = Math.round(types[0].excessBytes);
      }
    }
    return causes.sort(compareCauses);
  }

  /** Message types whose bytes in the window most exceed their background, largest first (≤ 3). */
  responsibleTypes(window: readonly number[]): { type: string; excessBytes: number }[] {
    const bins = Math.max(1, this.closedBins + 1);
    const result: { type: string; excessBytes: number }[] = [];
    for (const [type, { ring, totalBytes }] of this.typeBytes) {
      let observed = 0;
      for (const bin of window) observed += ring[this.slot(bin)];
      const expected = (totalBytes / bins) * window.length;
      const excess = observed - expected;
      if (excess > 0) result.push({ type, excessBytes: excess });
    }
    result.sort((a, b) => b.excessBytes - a.excessBytes || (a.type < b.type ? -1 : 1));
    return result.slice(0, 3);
  }

  /** Bins of `[start − lookback, end + lookahead]` still held in the history. */
  windowBins(startUs: number, endUs: number): number[] {
    if (Number.isNaN(this.currentBin)) return [];
    const first = Math.max(Math.floor((startUs - this.lookbackUs) / this.binUs), this.currentBin - this.historyBins + 1, this.firstBin);
    const last = Math.min(Math.floor((endUs + this.lookaheadUs) / this.binUs), this.currentBin);
    const bins: number[] = [];
    for (let bin = first; bin <= last; bin++) bins.push(bin);
    return bins;
  }

  private featureValue(feature: number, bin: number): number {
    const slot = this.slot(bin);
    if (feature === MEAN_PACKET_BYTES) {
      const packets = this.ring[slot * FEATURE_COUNT + PACKETS];
      return packets === 0 ? Number.NaN : this.ring[slot * FEATURE_COUNT + BYTES] / packets;
    }
    return this.ring[slot * FEATURE_COUNT + feature];
  }

  /** Count, mean and sample standard deviation of a feature over the closed bins (what {@link RunningStatistics} reports). */
  featureStatistics(feature: number): { count: number; mean: number; standardDeviation: number } {
    const at = feature * STATISTICS_STRIDE;
    const count = this.statistics[at];
    return { count, mean: this.statistics[at + 1], standardDeviation: count < 2 ? 0 : Math.sqrt(this.statistics[at + 2] / (count - 1)) };
  }

  /** Adds a closed bin's features (the bin in ring slot `slot`; its mean packet size only when it has packets) to the running statistics. */
  private closeBin(slot: number): void {
    this.closedBins += 1;
    const ring = this.ring;
    const base = slot * FEATURE_COUNT;
    for (let feature = 0; feature < FEATURE_COUNT; feature++) {
      let value: number;
      if (feature === MEAN_PACKET_BYTES) {
        const packets = ring[base + PACKETS];
        if (packets === 0) continue;
        value = ring[base + BYTES] / packets;
      } else value = ring[base + feature];
      this.addStatistic(feature, value);
    }
  }

  private addEmptyStatistics(): void {
    this.closedBins += 1;
    for (let feature = 0; feature < FEATURE_COUNT; feature++) {
      if (feature !== MEAN_PACKET_BYTES) this.addStatistic(feature, 0);
    }
  }

  /** {@link RunningStatistics.add} on a feature's numbers in `statistics` (the same arithmetic; non-finite values are ignored). */
  private addStatistic(feature: number, value: number): void {
    if (!Number.isFinite(value)) return;
    const statistics = this.statistics;
    const at = feature * STATISTICS_STRIDE;
    const count = statistics[at] + 1;
    statistics[at] = count;
    const mean = statistics[at + 1];
    const delta = value - mean;
    const nextMean = mean + delta / count;
    statistics[at + 1] = nextMean;
    statistics[at + 2] += delta * (value - nextMean);
  }

  private clearSlot(slot: number): void {
    const ring = this.ring;
    const base = slot * FEATURE_COUNT;
    for (let feature = 0; feature < FEATURE_COUNT; feature++) ring[base + feature] = 0;
    const typeRings = this.typeRings;
    for (let index = 0; index < typeRings.length; index++) typeRings[index][slot] = 0;
  }

  private slot(bin: number): number {
    return ((bin % this.historyBins) + this.historyBins) % this.historyBins;
  }
}

/** Orders causes by surprise (descending), then kind (deterministic). */
export function compareCauses(a: SpikeCause, b: SpikeCause): number {
  return b.surprise - a.surprise || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0);
}

/** Rounds to 3 decimals (µs precision for ms values). */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
