import { Type, type Static } from "@sinclair/typebox";
import { DirectionSchema, type Direction } from "../session.js";
import { QuantileSketch, quantileSketchStateSchema } from "./quantile-sketch.js";
import { RTT_METHODS, type RttMethod, type RttSample } from "./rtt-sample.js";
import { badState, checkState, countSchema } from "./rtt-state.js";

/** TypeBox schema of an {@link RttMethod}. */
export const rttMethodSchema = Type.Union([Type.Literal("echo"), Type.Literal("reported"), Type.Literal("ack")]);
/** Most acknowledged channels a saved {@link RttSeriesState} may count. */
export const MAX_SERIES_STATE_CHANNELS = 4096;

/** TypeBox schema of {@link RttSeriesState}. */
export const rttSeriesStateSchema = Type.Object(
  {
    method: rttMethodSchema,
    direction: DirectionSchema,
    sketch: quantileSketchStateSchema,
    /** `ack` series: `[channel, samples]` per acknowledged channel, by channel. */
    channels: Type.Array(Type.Tuple([Type.String({ maxLength: 256 }), countSchema]), { maxItems: MAX_SERIES_STATE_CHANNELS }),
  },
  { additionalProperties: false },
);

/** An {@link RttSeries} as JSON-safe plain data ({@link RttSeries.saveState}). */
export type RttSeriesState = Static<typeof rttSeriesStateSchema>;

/** TypeBox schema of {@link SessionRttState}. */
export const sessionRttStateSchema = Type.Object({ series: Type.Array(rttSeriesStateSchema, { maxItems: 6 }) }, { additionalProperties: false });

/**
 * A {@link SessionRtt} as JSON-safe plain data ({@link SessionRtt.saveState}):
 * every series with samples, in method order then client→server first. Merging
 * it ({@link SessionRtt.mergeState}) adds exactly what {@link SessionRtt.merge}
 * adds, so the headline choice and percentiles of a session split across
 * passes equal one pass's.
 */
export type SessionRttState = Static<typeof sessionRttStateSchema>;

/** Samples a method needs before it can be a session's headline. */
export const MINIMUM_HEADLINE_SAMPLES = 10;
/**
 * A method whose median is under this share of another method's median only
 * measures a local turnaround (e.g. the far side's pings, answered at the
 * capture point) and is never the headline.
 */
export const LOCAL_TURNAROUND_RATIO = 0.25;
/** Two methods disagree when their p50 or their p95 differ by more than this factor. */
export const RTT_DISAGREEMENT_FACTOR = 2;
/** A direction's series is considered when it has at least this share of the method's largest sample count. */
const MINIMUM_DIRECTION_SHARE = 0.1;

/** Percentiles of one RTT series, ms, rounded to the µs (the sketch's relative error is 0.5 %; max exact). */
export interface RttPercentiles {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Rounds to the µs (ms with three decimals), so reports are byte-identical. */
export function roundMs(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** {@link RttPercentiles} of a sketch (all zero when empty). */
export function rttPercentiles(sketch: QuantileSketch): RttPercentiles {
  if (sketch.count === 0) return { samples: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  return {
    samples: sketch.count,
    p50: roundMs(sketch.quantile(0.5)),
    p95: roundMs(sketch.quantile(0.95)),
    p99: roundMs(sketch.quantile(0.99)),
    max: roundMs(sketch.max),
  };
}

/** The samples of one session measured by one method in one direction. */
export class RttSeries {
  /** Every sample, in a mergeable sketch (0.5 % relative error). */
  readonly sketch = new QuantileSketch();
  /** `ack` series: samples per acknowledged channel (the run of the current channel is counted in {@link runCount} first). */
  private readonly channelSamples = new Map<string, number>();
  /** The channel of the latest ack samples and how many arrived in a row (no map update per sample). */
  private runChannel: string | undefined;
  private runCount = 0;

  constructor(
    readonly method: RttMethod,
    readonly direction: Direction,
  ) {}

  /** The channel most of this series' ack samples came from ("" when none or no channels). */
  get mainChannel(): string {
    this.flushRun();
    let best = "";
    let most = 0;
    for (const [channel, count] of this.channelSamples) {
      if (count > most || (count === most && channel < best)) {
        best = channel;
        most = count;
      }
    }
    return best;
  }

  /** Counts an ack sample's channel. */
  countChannel(channel: string): void {
    if (channel === this.runChannel) {
      this.runCount += 1;
      return;
    }
    this.flushRun();
    this.runChannel = channel;
    this.runCount = 1;
  }

  private flushRun(): void {
    if (this.runChannel === undefined) return;
    this.channelSamples.set(this.runChannel, (this.channelSamples.get(this.runChannel) ?? 0) + this.runCount);
    this.runChannel = undefined;
    this.runCount = 0;
  }

  /** The series as JSON-safe plain data: its sketch and the samples per acknowledged channel (by channel). */
  saveState(): RttSeriesState {
    this.flushRun();
    const channels = [...this.channelSamples].sort((left, right) => (left[0] < right[0] ? -1 : left[0] > right[0] ? 1 : 0));
    return { method: this.method, direction: this.direction, sketch: this.sketch.saveState(), channels };
  }

  /**
   * Adds a saved series of the same method and direction (as {@link merge});
   * anything else throws `E_BAD_PARTIAL` before a sample is added.
   */
  mergeState(state: RttSeriesState): void {
    const checked = checkState(rttSeriesStateSchema, state, "RTT series state");
    if (checked.method !== this.method || checked.direction !== this.direction) badState("RTT series state", "/method", `a ${checked.method} ${checked.direction} series cannot merge into a ${this.method} ${this.direction} one`);
    // Validate the sketch before touching the channel counts (never half-merged).
    QuantileSketch.fromState(checked.sketch);
    this.sketch.mergeState(checked.sketch);
    this.flushRun();
    for (const [channel, count] of checked.channels) this.channelSamples.set(channel, (this.channelSamples.get(channel) ?? 0) + count);
  }

  /** Adds every sample of another series of the same method and direction (sharded analysis). */
  merge(other: RttSeries): void {
    other.flushRun();
    this.flushRun();
    this.sketch.merge(other.sketch);
    for (const [channel, count] of other.channelSamples) this.channelSamples.set(channel, (this.channelSamples.get(channel) ?? 0) + count);
  }
}

/** Two methods of one session that disagree (see {@link RTT_DISAGREEMENT_FACTOR}). */
export interface RttDisagreement {
  /** The method that disagrees with the headline, and its direction. */
  method: RttMethod;
  direction: Direction;
  /** Its p50 and p95 divided by the headline's. */
  p50Ratio: number;
  p95Ratio: number;
  /** For acks: the channel they acknowledge. */
  channel: string;
  /** The likely reason, one sentence. */
  reason: string;
}

/** What {@link SessionRtt.choose} decides. */
export interface SessionRttChoice {
  /** The session's RTT: the most direct method with enough samples (echo, then reported, then ack). */
  headline: RttSeries;
  /**
   * The series followed over time (spikes, per-minute figures): the headline,
   * or a denser method that agrees with it within {@link RTT_DISAGREEMENT_FACTOR}
   * (acks are usually far denser than pings or time syncs). A method that
   * disagrees is never followed, so its artifacts are never spikes.
   */
  timeSeries: RttSeries;
  /** Methods that disagree with the headline. */
  disagreements: RttDisagreement[];
}

const DIRECTIONS: readonly Direction[] = ["clientToServer", "serverToClient"];
const METHOD_INDEX: Readonly<Record<RttMethod, number>> = { echo: 0, reported: 1, ack: 2 };

/**
 * The RTT of one session: one {@link RttSeries} per method and direction, fed
 * with the samples of an `RttSampler`, and the one rule that decides which
 * series is the session's RTT ({@link choose}). Latency and regions both
 * report a session's RTT through this class, so they give the same figure.
 * State is mergeable ({@link merge}).
 */
export class SessionRtt {
  /** Series by method index × 2 + direction index. */
  private readonly slots: (RttSeries | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];

  /** Adds one sample (and, when given, to `alsoInto` too, computing its sketch bucket once); returns its series. */
  add(sample: RttSample, alsoInto?: QuantileSketch): RttSeries {
    const series = this.seriesFor(sample.method, sample.direction);
    if (alsoInto === undefined) series.sketch.add(sample.rttMs);
    else series.sketch.addToBoth(sample.rttMs, alsoInto);
    if (sample.method === "ack") series.countChannel(sample.channel);
    return series;
  }

  /** The series of a method and direction, created when missing. */
  seriesFor(method: RttMethod, direction: Direction): RttSeries {
    const slot = METHOD_INDEX[method] * 2 + (direction === "clientToServer" ? 0 : 1);
    let series = this.slots[slot];
    if (series === undefined) {
      series = new RttSeries(method, direction);
      this.slots[slot] = series;
    }
    return series;
  }

  /** The series of a method and direction, if any sample arrived. */
  get(method: RttMethod, direction: Direction): RttSeries | undefined {
    return this.slots[METHOD_INDEX[method] * 2 + (direction === "clientToServer" ? 0 : 1)];
  }

  /** Every series with samples, in method order (echo, reported, ack), client→server first. */
  all(): RttSeries[] {
    return this.slots.filter((series): series is RttSeries => series !== undefined && series.sketch.count > 0);
  }

  /** Adds every series of another session state (sharded analysis of one session's parts). */
  merge(other: SessionRtt): void {
    for (const series of other.all()) this.seriesFor(series.method, series.direction).merge(series);
  }

  /** The session's RTT as JSON-safe plain data (see {@link SessionRttState}). */
  saveState(): SessionRttState {
    return { series: this.all().map((series) => series.saveState()) };
  }

  /**
   * Adds a saved session RTT (another pass over the same session, or a fresh
   * session restored): every series is checked first, so a state that is not
   * a {@link SessionRttState} (wrong shape, a method twice, inconsistent
   * sketch counts) throws `E_BAD_PARTIAL` and nothing is added.
   */
  mergeState(state: SessionRttState): void {
    const checked = checkState(sessionRttStateSchema, state, "session RTT state");
    const seen = new Set<string>();
    checked.series.forEach((series, index) => {
      const key = `${series.method}:${series.direction}`;
      if (seen.has(key)) badState("session RTT state", `/series/${index}`, `series ${key} appears twice`);
      seen.add(key);
      new RttSeries(series.method, series.direction).mergeState(series);
    });
    for (const series of checked.series) this.seriesFor(series.method, series.direction).mergeState(series);
  }

  /**
   * The direction whose datagrams *arrive* at the capture point, when the acks
   * show it: the ack series of that direction (its data acknowledged by the
   * capture side) measures only the local ack turnaround, under half the other
   * direction's ack RTT. Undefined when acks do not tell.
   */
  private incomingDirection(): Direction | undefined {
    const up = this.get("ack", "clientToServer");
    const down = this.get("ack", "serverToClient");
    if (up === undefined || down === undefined || up.sketch.count < MINIMUM_HEADLINE_SAMPLES || down.sketch.count < MINIMUM_HEADLINE_SAMPLES) return undefined;
    const upMedian = up.sketch.quantile(0.5);
    const downMedian = down.sketch.quantile(0.5);
    if (upMedian < LOCAL_TURNAROUND_RATIO * 2 * downMedian) return "clientToServer";
    if (downMedian < LOCAL_TURNAROUND_RATIO * 2 * upMedian) return "serverToClient";
    return undefined;
  }

  /**
   * Decides the session's RTT (undefined without samples):
   * 0. when the two ack directions differ by more than 2×, the lower one is the
   *    direction arriving at the capture point, and echoes requested in it
   *    (answered at the capture point) are skipped as a local turnaround;
   * 1. per method, the direction with the highest median among those with at
   *    least 10 % of the method's samples (a capture sees the network RTT in
   *    one direction and only the local turnaround in the other);
   * 2. a method whose median is under {@link LOCAL_TURNAROUND_RATIO} of another
   *    method's median is a local turnaround and is skipped;
   * 3. the headline is the first remaining method in the order echo, reported,
   *    ack with at least {@link MINIMUM_HEADLINE_SAMPLES} samples (else the one
   *    with the most samples);
   * 4. every other remaining method with enough samples whose p50 or p95 differs
   *    from the headline's by more than {@link RTT_DISAGREEMENT_FACTOR} is a
   *    disagreement (against a reported headline, which games smooth, only the
   *    p50 is compared: smoothing shrinks its tail); of those that agree, the one
   *    with the most samples (if more than the headline's) is the time series,
   *    and over a reported headline any agreeing raw series is — a reported RTT,
   *    which games smooth, is followed only when nothing raw agrees with it.
   */
  choose(): SessionRttChoice | undefined {
    const incoming = this.incomingDirection();
    const perMethod: { series: RttSeries; p50: number; p95: number }[] = [];
    for (const method of RTT_METHODS) {
      let mostSamples = 0;
      for (const direction of DIRECTIONS) mostSamples = Math.max(mostSamples, this.get(method, direction)?.sketch.count ?? 0);
      let best: { series: RttSeries; p50: number; p95: number } | undefined;
      for (const direction of DIRECTIONS) {
        const series = this.get(method, direction);
        if (series === undefined || series.sketch.count === 0 || series.sketch.count < mostSamples * MINIMUM_DIRECTION_SHARE) continue;
        // Requests arriving at the capture point are answered right here: a local turnaround, not the network.
        if (method === "echo" && direction === incoming) continue;
        const p50 = series.sketch.quantile(0.5);
        if (best === undefined || p50 > best.p50) best = { series, p50, p95: series.sketch.quantile(0.95) };
      }
      if (best !== undefined) perMethod.push(best);
    }
    if (perMethod.length === 0) return undefined;
    let largestMedian = 0;
    for (const entry of perMethod) largestMedian = Math.max(largestMedian, entry.p50);
    const eligible = perMethod.filter((entry) => entry.p50 >= LOCAL_TURNAROUND_RATIO * largestMedian);
    let headline = eligible.find((entry) => entry.series.sketch.count >= MINIMUM_HEADLINE_SAMPLES);
    if (headline === undefined) {
      for (const entry of eligible) if (headline === undefined || entry.series.sketch.count > headline.series.sketch.count) headline = entry;
    }
    const chosen = headline!;
    let timeSeries = chosen.series;
    const disagreements: RttDisagreement[] = [];
    for (const entry of eligible) {
      if (entry === chosen || entry.series.sketch.count < MINIMUM_HEADLINE_SAMPLES) continue;
      const p50Ratio = entry.p50 / Math.max(chosen.p50, 1e-3);
      const p95Ratio = entry.p95 / Math.max(chosen.p95, 1e-3);
      const outside = (ratio: number): boolean => ratio > RTT_DISAGREEMENT_FACTOR || ratio < 1 / RTT_DISAGREEMENT_FACTOR;
      // A reported headline is the game's own smoothed estimate: smoothing shrinks its tail, so a
      // raw series compares with it by the median only (its p95 is always far above a smoothed p95).
      const tailComparable = chosen.series.method !== "reported";
      if (outside(p50Ratio) || (tailComparable && outside(p95Ratio))) {
        const channel = entry.series.method === "ack" ? entry.series.mainChannel : "";
        disagreements.push({
          method: entry.series.method,
          direction: entry.series.direction,
          p50Ratio: roundMs(p50Ratio),
          p95Ratio: roundMs(p95Ratio),
          channel,
          reason: disagreementReason(entry.series.method, chosen.series.method, p50Ratio >= 1 && p95Ratio >= 1 ? "higher" : p50Ratio <= 1 && p95Ratio <= 1 ? "lower" : "wider", channel),
        });
      } else if (entry.series.method !== "reported" && (entry.series.sketch.count > timeSeries.sketch.count || timeSeries.method === "reported")) {
        // A raw agreeing series is followed over a reported headline (games smooth what they report,
        // which stretches a 2-s spike into a 15-s decay), else the densest agreeing series.
        timeSeries = entry.series;
      }
    }
    return { headline: chosen.series, timeSeries, disagreements };
  }
}

/** The likely reason two methods disagree. */
function disagreementReason(method: RttMethod, headline: RttMethod, relation: "higher" | "lower" | "wider", channel: string): string {
  const channelText = channel === "" ? "" : ` on channel ${channel}`;
  if (method === "ack") {
    if (relation === "lower") return `acks${channelText} measure less than the ${headline} RTT: the ${headline} replies wait for the peer (tick-quantized or low-priority processing)`;
    return `acks are delayed or batched${channelText} (the peer acknowledges late, or several sends at once), so ack RTT includes the ack delay`;
  }
  // Echo is always preferred, so the other disagreeing method is a reported RTT.
  return `the game's reported RTT is ${relation} than the ${headline} RTT: it is smoothed or measured differently (e.g. including frame or processing time)`;
}
