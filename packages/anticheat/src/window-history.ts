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

/** Decides whether a closed window is elevated from its medians per channel, flagged fraction and sample count. */
export type WindowJudge = (medians: readonly number[], flaggedFraction: number, samples: number) => boolean;

/** Sort buffer shared by every history (single-threaded; used only inside closeWindow). */
const SCRATCH = new Float64Array(WINDOW_CAPACITY);

/** Sorts the first `count` values of `values` in place (insertion sort: ≤ 32 values, no allocation). */
function sortPrefix(values: Float64Array, count: number): void {
  for (let index = 1; index < count; index++) {
    const value = values[index]!;
    let position = index - 1;
    while (position >= 0 && values[position]! > value) {
      values[position + 1] = values[position]!;
      position -= 1;
    }
    values[position + 1] = value;
  }
}

/** Median of the first `count` values of a sorted buffer (NaN when empty). */
function medianOfSortedPrefix(values: Float64Array, count: number): number {
  if (count === 0) return Number.NaN;
  const middle = count >> 1;
  return count % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
}

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

  constructor(
    private readonly judge: WindowJudge,
    private readonly channels = 1,
    private readonly windowUs = SUMMARY_WINDOW_US,
  ) {
    if (channels < 1 || channels > MAX_CHANNELS) throw new RangeError(`channels must be 1..${MAX_CHANNELS}`);
  }

  /** Adds one sample (arrival `tUs`, channel values in `value0..2`), `flagged` when it breaks a hard limit. */
  add(tUs: number, packetIndex: number, flagged: boolean, value0: number, value1 = 0, value2 = 0): void {
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

  private channelMedian(channel: number): number {
    const values = this.values!;
    const count = this.count;
    for (let index = 0; index < count; index++) SCRATCH[index] = values[index * this.channels + channel]!;
    sortPrefix(SCRATCH, count);
    return medianOfSortedPrefix(SCRATCH, count);
  }

  private closeWindow(): void {
    const count = this.count;
    const medians = this.medians;
    for (let channel = 0; channel < this.channels; channel++) medians[channel] = this.channelMedian(channel);
    const median = medians[0]!;
    const values = this.values!;
    for (let index = 0; index < count; index++) SCRATCH[index] = Math.abs(values[index * this.channels]! - median);
    sortPrefix(SCRATCH, count);
    const mad = medianOfSortedPrefix(SCRATCH, count);
    const flagged = this.flaggedInWindow;
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
      run.standardError = (1.2533 * 1.4826 * (this.currentMadSum / run.samples)) / Math.sqrt(run.samples);
      for (const packet of this.windowPackets) if (run.packetIndices.length < 12) run.packetIndices.push(packet);
      if (this.best === undefined || this.stronger(run, this.best)) this.best = { ...run, medians: [...run.medians], packetIndices: [...run.packetIndices] };
    } else {
      this.current = undefined;
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
  }

  /** The strongest elevated run of the session (after {@link flush}), undefined when no window was elevated. */
  strongestRun(): ElevatedRun | undefined {
    return this.best;
  }

  /** Sample-weighted mean of the channel-0 medians of the windows that were not elevated (NaN when none). */
  baselineMedian(): number {
    return this.baselineSamples === 0 ? Number.NaN : this.baselineSum / this.baselineSamples;
  }
}
