import { Type, type Static } from "@sinclair/typebox";
import { addEvidencePacket } from "./detector.js";
import { deviationMedianOfSorted, medianOfPrefix, medianOfSortedPrefix, sortPrefix, unordered } from "./prefix-median.js";
import { CountSchema, decodeFloat, decodeFloats, EncodedFloatSchema, encodeFloat, encodeFloats, EvidencePacketsSchema, placePacketIndices } from "./state-encoding.js";

/** Length of one summary window of a {@link WindowHistory}, µs. */
export const SUMMARY_WINDOW_US = 10_000_000;
/** Samples a window must hold before it is judged (fewer: it keeps collecting into the next interval). */
export const MIN_WINDOW_SAMPLES = 3;
/** Samples kept per window (a window closes early when full). */
const WINDOW_CAPACITY = 32;
/** An under-filled window older than this closes as neutral (neither extends nor breaks a run), µs. */
const MAX_OPEN_US = 60_000_000;
/** Channels per sample: 0 is tested, the others are reported alongside. */
const MAX_CHANNELS = 3;

/** One run of consecutive elevated windows (a segment where the tested value shifted up). */
export interface ElevatedRun {
  /** Arrival time of the first and last sample of the run, µs. */
  startUs: number;
  endUs: number;
  /** Windows in the run. */
  windows: number;
  /** Samples in the run. */
  samples: number;
  /** Sample-weighted mean of the windows' medians, per channel (channel 0 is the tested value). */
  medians: number[];
  /** Robust standard error of channel 0's pooled median (from the windows' MADs). */
  standardError: number;
  /** Samples flagged by the caller (e.g. beyond a hard limit). */
  flagged: number;
  /** Packet indices of the first samples of the run (evidence, at most 12). */
  packetIndices: number[];
}

/** A saved {@link ElevatedRun} with its running sums (see {@link WindowHistoryState}). */
export const ElevatedRunStateSchema = Type.Object({
  startUs: EncodedFloatSchema,
  endUs: EncodedFloatSchema,
  windows: CountSchema,
  samples: CountSchema,
  medians: Type.Array(EncodedFloatSchema, { maxItems: MAX_CHANNELS }),
  standardError: EncodedFloatSchema,
  flagged: CountSchema,
  packetIndices: EvidencePacketsSchema,
  /** Sample-weighted sums of the windows' medians per channel, and of channel 0's MADs. */
  sums: Type.Array(EncodedFloatSchema, { maxItems: MAX_CHANNELS }),
  madSum: EncodedFloatSchema,
});

/** See {@link ElevatedRunStateSchema}. */
export type ElevatedRunState = Static<typeof ElevatedRunStateSchema>;

/**
 * Saved state of a {@link WindowHistory}: the open window's samples, the
 * current and strongest runs, the baseline sums — and the *head run* (the run
 * that began at the first judged window, while it lasted), which a rotation
 * cut joins to the run open at the end of the pass before.
 */
export const WindowHistoryStateSchema = Type.Object({
  /** Open window's samples, interleaved by channel (count × channels values). */
  values: Type.Array(EncodedFloatSchema, { maxItems: WINDOW_CAPACITY * MAX_CHANNELS }),
  count: Type.Integer({ minimum: 0, maximum: WINDOW_CAPACITY }),
  flaggedInWindow: CountSchema,
  windowStartUs: EncodedFloatSchema,
  windowFirstUs: EncodedFloatSchema,
  windowLastUs: EncodedFloatSchema,
  windowPackets: EvidencePacketsSchema,
  current: Type.Union([ElevatedRunStateSchema, Type.Null()]),
  best: Type.Union([ElevatedRunStateSchema, Type.Null()]),
  head: Type.Union([ElevatedRunStateSchema, Type.Null()]),
  headOpen: Type.Boolean(),
  samples: CountSchema,
  windowsJudged: CountSchema,
  baselineSum: EncodedFloatSchema,
  baselineSamples: CountSchema,
});

/** See {@link WindowHistoryStateSchema}. */
export type WindowHistoryState = Static<typeof WindowHistoryStateSchema>;

/** Standard error of a pooled median from the sample-weighted MAD sum. */
function pooledStandardError(madSum: number, samples: number): number {
  return (1.2533 * 1.4826 * (madSum / samples)) / Math.sqrt(samples);
}

function copyRun(run: ElevatedRun): ElevatedRun {
  return { ...run, medians: [...run.medians], packetIndices: [...run.packetIndices] };
}

/** Decides whether a closed window is elevated from its medians per channel, flagged fraction and sample count. */
export type WindowJudge = (medians: readonly number[], flaggedFraction: number, samples: number) => boolean;

/** Sort buffer shared by every history (single-threaded; used only inside closeWindow). */
const SCRATCH = new Float64Array(WINDOW_CAPACITY);

/** Input of {@link WindowHistory.addSample}: time µs, then up to {@link MAX_CHANNELS} values. */
export const WINDOW_SAMPLE = new Float64Array(1 + MAX_CHANNELS);

/**
 * Whole-session verdicts from a bounded history: samples are summarised per
 * 10-second window (median and MAD per channel), a window is judged elevated
 * or not by the caller's rule, and consecutive elevated windows form a run —
 * a change point up and back down. Only the open window, the current run and
 * the strongest run so far are kept, so memory does not depend on capture
 * length and a cheat early in a long capture is found as surely as one at
 * its end (a "last N samples" ring forgets it).
 *
 * Windows with fewer than {@link MIN_WINDOW_SAMPLES} samples keep collecting
 * into the next interval; one still under-filled after a minute closes as
 * neutral. The strongest run is the one with the most samples (ties: larger
 * pooled median).
 */
export class WindowHistory {
  /** Medians per channel of the window being closed (reused). */
  private readonly medians: number[] = [];
  /** The channel last copied to the scratch buffer holds no value {@link unordered} (set by channelMedian). */
  private scratchOrdered = true;
  /** Samples of the open window, interleaved by channel; allocated at the first sample (sessions without any stay small). */
  private values: Float64Array | undefined;
  private count = 0;
  private flaggedInWindow = 0;
  private windowStartUs = Number.NaN;
  private windowFirstUs = Number.NaN;
  private windowLastUs = Number.NaN;
  private readonly windowPackets: number[] = [];
  private current: ElevatedRun | undefined;
  private currentSums: number[] = [];
  private currentMadSum = 0;
  /** Strongest run so far (undefined until a window was elevated). */
  private best: ElevatedRun | undefined;
  /** Samples seen in total. */
  samples = 0;
  /** Windows judged (elevated or not). */
  windowsJudged = 0;
  /** Sample-weighted sums of non-elevated windows' channel-0 medians, and their samples. */
  private baselineSum = 0;
  private baselineSamples = 0;
  /** The run that began at the first judged window (while it lasted), with its sums: what a rotation cut joins to the run open before it. */
  private head: ElevatedRun | undefined;
  private headSums: number[] = [];
  private headMadSum = 0;
  /** True while {@link head} is still the current run. */
  private headOpen = false;

  constructor(
    private readonly judge: WindowJudge,
    private readonly channels = 1,
    private readonly windowUs = SUMMARY_WINDOW_US,
  ) {
    if (channels < 1 || channels > MAX_CHANNELS) throw new RangeError(`channels must be 1..${MAX_CHANNELS}`);
  }

  /** Adds one sample (arrival `tUs`, channel values in `value0..2`), `flagged` when it breaks a hard limit. */
  add(tUs: number, packetIndex: number, flagged: boolean, value0: number, value1 = 0, value2 = 0): void {
    WINDOW_SAMPLE[0] = tUs;
    WINDOW_SAMPLE[1] = value0;
    WINDOW_SAMPLE[2] = value1;
    WINDOW_SAMPLE[3] = value2;
    this.addSample(packetIndex, flagged);
  }

  /**
   * {@link add} with the numbers in {@link WINDOW_SAMPLE} (time µs, then the channels' values):
   * what hot paths call, since a number passed to a call that is not inlined is boxed (an
   * allocation) and numbers in a typed array are not.
   */
  addSample(packetIndex: number, flagged: boolean): void {
    const tUs = WINDOW_SAMPLE[0]!;
    const value0 = WINDOW_SAMPLE[1]!;
    const value1 = WINDOW_SAMPLE[2]!;
    const value2 = WINDOW_SAMPLE[3]!;
    if (this.count > 0 && (tUs - this.windowStartUs >= this.windowUs || this.count === WINDOW_CAPACITY)) {
      if (this.count >= MIN_WINDOW_SAMPLES || this.count === WINDOW_CAPACITY) this.closeWindow();
      else if (tUs - this.windowStartUs >= MAX_OPEN_US) this.discardWindow();
    }
    if (this.count === 0) {
      this.windowStartUs = tUs;
      this.windowFirstUs = tUs;
    }
    const values = (this.values ??= new Float64Array(WINDOW_CAPACITY * this.channels));
    const base = this.count * this.channels;
    values[base] = value0;
    if (this.channels > 1) values[base + 1] = value1;
    if (this.channels > 2) values[base + 2] = value2;
    this.count += 1;
    this.samples += 1;
    if (flagged) this.flaggedInWindow += 1;
    this.windowLastUs = tUs;
    if (this.windowPackets.length < 12) this.windowPackets.push(packetIndex);
  }

  private discardWindow(): void {
    this.count = 0;
    this.flaggedInWindow = 0;
    this.windowPackets.length = 0;
  }

  /**
   * Median of one channel of the open window, copied to the scratch buffer: selected there, or
   * sorted when `sorted` (the scratch then holds the channel in order). Sets {@link scratchOrdered}.
   */
  private channelMedian(channel: number, sorted: boolean): number {
    const values = this.values!;
    const count = this.count;
    const channels = this.channels;
    let ordered = true;
    for (let index = 0; index < count; index++) {
      const value = values[index * channels + channel]!;
      if (unordered(value)) ordered = false;
      SCRATCH[index] = value;
    }
    this.scratchOrdered = ordered;
    if (!sorted) return medianOfPrefix(SCRATCH, count, ordered);
    sortPrefix(SCRATCH, count);
    return medianOfSortedPrefix(SCRATCH, count);
  }

  private closeWindow(): void {
    const count = this.count;
    const medians = this.medians;
    for (let channel = this.channels - 1; channel > 0; channel--) medians[channel] = this.channelMedian(channel, false);
    // Channel 0 last and sorted: its MAD merges outwards from the median in the sorted scratch.
    const median = this.channelMedian(0, true);
    medians[0] = median;
    let mad: number;
    if (this.scratchOrdered) {
      mad = deviationMedianOfSorted(SCRATCH, count, median);
    } else {
      const values = this.values!;
      for (let index = 0; index < count; index++) SCRATCH[index] = Math.abs(values[index * this.channels]! - median);
      sortPrefix(SCRATCH, count);
      mad = medianOfSortedPrefix(SCRATCH, count);
    }
    const flagged = this.flaggedInWindow;
    const firstWindow = this.windowsJudged === 0;
    this.windowsJudged += 1;
    if (this.judge(medians, flagged / count, count)) {
      let run = this.current;
      if (run === undefined) {
        run = { startUs: this.windowFirstUs, endUs: this.windowLastUs, windows: 0, samples: 0, medians: [], standardError: 0, flagged: 0, packetIndices: [...this.windowPackets] };
        this.current = run;
        this.currentSums = new Array<number>(this.channels).fill(0);
        this.currentMadSum = 0;
      }
      run.endUs = this.windowLastUs;
      run.windows += 1;
      run.samples += count;
      run.flagged += flagged;
      for (let channel = 0; channel < this.channels; channel++) {
        this.currentSums[channel]! += medians[channel]! * count;
        run.medians[channel] = this.currentSums[channel]! / run.samples;
      }
      this.currentMadSum += mad * count;
      run.standardError = pooledStandardError(this.currentMadSum, run.samples);
      for (const packet of this.windowPackets) if (run.packetIndices.length < 12) run.packetIndices.push(packet);
      if (this.best === undefined || this.stronger(run, this.best)) this.best = copyRun(run);
      if (firstWindow) this.headOpen = true;
      if (this.headOpen) {
        this.head = copyRun(run);
        this.headSums = [...this.currentSums];
        this.headMadSum = this.currentMadSum;
      }
    } else {
      this.current = undefined;
      this.headOpen = false;
      this.baselineSum += median * count;
      this.baselineSamples += count;
    }
    this.discardWindow();
  }

  private stronger(a: ElevatedRun, b: ElevatedRun): boolean {
    return a.samples > b.samples || (a.samples === b.samples && a.medians[0]! > b.medians[0]!);
  }

  /** Closes the open window (end of capture): a window of at least {@link MIN_WINDOW_SAMPLES} is judged. */
  flush(): void {
    if (this.count >= MIN_WINDOW_SAMPLES) this.closeWindow();
    else this.discardWindow();
    this.current = undefined;
    this.headOpen = false;
  }

  /** The strongest elevated run of the session (after {@link flush}), undefined when no window was elevated. */
  strongestRun(): ElevatedRun | undefined {
    return this.best;
  }

  /** Sample-weighted mean of the channel-0 medians of the windows that were not elevated (NaN when none). */
  baselineMedian(): number {
    return this.baselineSamples === 0 ? Number.NaN : this.baselineSum / this.baselineSamples;
  }

  /** An independent copy (same judge and channels, same state). */
  copy(): WindowHistory {
    const copy = new WindowHistory(this.judge, this.channels, this.windowUs);
    copy.loadState(this.saveState(), 0);
    return copy;
  }

  /** The state as plain data (see {@link WindowHistoryStateSchema}); the history is unchanged. */
  saveState(): WindowHistoryState {
    const values: number[] = [];
    for (let index = 0; index < this.count * this.channels; index++) values.push(this.values![index]!);
    return {
      values: encodeFloats(values),
      count: this.count,
      flaggedInWindow: this.flaggedInWindow,
      windowStartUs: encodeFloat(this.windowStartUs),
      windowFirstUs: encodeFloat(this.windowFirstUs),
      windowLastUs: encodeFloat(this.windowLastUs),
      windowPackets: [...this.windowPackets],
      current: this.current === undefined ? null : saveRun(this.current, this.currentSums, this.currentMadSum),
      best: this.best === undefined ? null : saveRun(this.best, [], 0),
      head: this.head === undefined ? null : saveRun(this.head, this.headSums, this.headMadSum),
      headOpen: this.headOpen,
      samples: this.samples,
      windowsJudged: this.windowsJudged,
      baselineSum: encodeFloat(this.baselineSum),
      baselineSamples: this.baselineSamples,
    };
  }

  /**
   * Replaces this (fresh) history's state by a saved one, packet indices moved
   * by `packetIndexOffset`. The state must have been validated (schema) and
   * must fit this history's channels ({@link stateFits}).
   */
  loadState(state: WindowHistoryState, packetIndexOffset: number): void {
    this.count = state.count;
    if (state.count > 0) {
      const values = (this.values ??= new Float64Array(WINDOW_CAPACITY * this.channels));
      state.values.forEach((value, index) => {
        values[index] = decodeFloat(value);
      });
    }
    this.flaggedInWindow = state.flaggedInWindow;
    this.windowStartUs = decodeFloat(state.windowStartUs);
    this.windowFirstUs = decodeFloat(state.windowFirstUs);
    this.windowLastUs = decodeFloat(state.windowLastUs);
    this.windowPackets.length = 0;
    this.windowPackets.push(...placePacketIndices(state.windowPackets, packetIndexOffset));
    const current = state.current === null ? undefined : loadRun(state.current, packetIndexOffset);
    this.current = current?.run;
    this.currentSums = current?.sums ?? [];
    this.currentMadSum = current?.madSum ?? 0;
    this.best = state.best === null ? undefined : loadRun(state.best, packetIndexOffset).run;
    const head = state.head === null ? undefined : loadRun(state.head, packetIndexOffset);
    this.head = head?.run;
    this.headSums = head?.sums ?? [];
    this.headMadSum = head?.madSum ?? 0;
    this.headOpen = state.headOpen;
    this.samples = state.samples;
    this.windowsJudged = state.windowsJudged;
    this.baselineSum = decodeFloat(state.baselineSum);
    this.baselineSamples = state.baselineSamples;
  }

  /** True when a saved state fits this history (sample counts and channel counts consistent). */
  stateFits(state: WindowHistoryState): boolean {
    const runFits = (run: ElevatedRunState | null, withSums: boolean): boolean =>
      run === null || (run.medians.length === this.channels && (!withSums || run.sums.length === this.channels));
    return (
      state.values.length === state.count * this.channels &&
      state.flaggedInWindow <= state.count &&
      runFits(state.current, true) &&
      runFits(state.best, false) &&
      runFits(state.head, true) &&
      (!state.headOpen || state.head !== null)
    );
  }

  /**
   * Continues this history (the pass before a rotation cut) with `later` (the
   * same session's history in the pass after it): the window open at the cut
   * is judged if it has {@link MIN_WINDOW_SAMPLES}, a run open at the cut is
   * joined with the later pass's head run when that began at its first judged
   * window, counts and baseline sums add, and the later pass's open window
   * becomes the open window. Windows after the cut start at the later pass's
   * first sample, so their boundaries (not their samples) may differ from
   * one pass's.
   */
  continueWith(later: WindowHistory): void {
    if (this.count >= MIN_WINDOW_SAMPLES) this.closeWindow();
    else this.discardWindow();
    const wasJudged = this.windowsJudged > 0;
    const run = this.current;
    let joined: ElevatedRun | undefined;
    let joinedSums: number[] = [];
    let joinedMadSum = 0;
    if (run !== undefined && later.head !== undefined) {
      const head = later.head;
      const samples = run.samples + head.samples;
      joinedSums = this.currentSums.map((sum, channel) => sum + later.headSums[channel]!);
      joinedMadSum = this.currentMadSum + later.headMadSum;
      joined = {
        startUs: run.startUs,
        endUs: head.endUs,
        windows: run.windows + head.windows,
        samples,
        medians: joinedSums.map((sum) => sum / samples),
        standardError: pooledStandardError(joinedMadSum, samples),
        flagged: run.flagged + head.flagged,
        packetIndices: [...run.packetIndices],
      };
      for (const packet of head.packetIndices) addEvidencePacket(joined.packetIndices, packet);
    }
    // Strongest run: the earlier pass's, the joined one, the later pass's (earlier wins ties, as in one pass).
    for (const candidate of [joined, later.best]) {
      if (candidate !== undefined && (this.best === undefined || this.stronger(candidate, this.best))) this.best = copyRun(candidate);
    }
    if (later.windowsJudged === 0) {
      // No window judged after the cut: a run open at the cut stays open.
    } else if (joined !== undefined && later.headOpen) {
      this.current = joined;
      this.currentSums = joinedSums;
      this.currentMadSum = joinedMadSum;
    } else {
      this.current = later.current === undefined ? undefined : copyRun(later.current);
      this.currentSums = [...later.currentSums];
      this.currentMadSum = later.currentMadSum;
    }
    if (!wasJudged) {
      this.head = later.head === undefined ? undefined : copyRun(later.head);
      this.headSums = [...later.headSums];
      this.headMadSum = later.headMadSum;
      this.headOpen = later.headOpen;
    } else if (this.headOpen && joined !== undefined) {
      this.head = copyRun(joined);
      this.headSums = [...joinedSums];
      this.headMadSum = joinedMadSum;
      this.headOpen = later.headOpen;
    } else if (this.headOpen) {
      this.headOpen = false;
    }
    this.samples += later.samples;
    this.windowsJudged += later.windowsJudged;
    this.baselineSum += later.baselineSum;
    this.baselineSamples += later.baselineSamples;
    // The later pass's open window continues.
    this.count = later.count;
    if (later.count > 0) {
      const values = (this.values ??= new Float64Array(WINDOW_CAPACITY * this.channels));
      values.set(later.values!.subarray(0, later.count * this.channels));
    }
    this.flaggedInWindow = later.flaggedInWindow;
    this.windowStartUs = later.windowStartUs;
    this.windowFirstUs = later.windowFirstUs;
    this.windowLastUs = later.windowLastUs;
    this.windowPackets.length = 0;
    this.windowPackets.push(...later.windowPackets);
  }
}

function saveRun(run: ElevatedRun, sums: readonly number[], madSum: number): ElevatedRunState {
  return {
    startUs: encodeFloat(run.startUs),
    endUs: encodeFloat(run.endUs),
    windows: run.windows,
    samples: run.samples,
    medians: encodeFloats(run.medians),
    standardError: encodeFloat(run.standardError),
    flagged: run.flagged,
    packetIndices: [...run.packetIndices],
    sums: encodeFloats(sums),
    madSum: encodeFloat(madSum),
  };
}

function loadRun(state: ElevatedRunState, packetIndexOffset: number): { run: ElevatedRun; sums: number[]; madSum: number } {
  return {
    run: {
      startUs: decodeFloat(state.startUs),
      endUs: decodeFloat(state.endUs),
      windows: state.windows,
      samples: state.samples,
      medians: decodeFloats(state.medians),
      standardError: decodeFloat(state.standardError),
      flagged: state.flagged,
      packetIndices: placePacketIndices(state.packetIndices, packetIndexOffset),
    },
    sums: decodeFloats(state.sums),
    madSum: decodeFloat(state.madSum),
  };
}
