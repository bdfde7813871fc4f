import { errorFunction } from "simple-statistics";
import { round } from "./histogram.js";
import { decodeSparse, encodeSparse, type SparseCounts } from "./state-encoding.js";

/** Saved state of a {@link LossPatternCounter} (JSON-safe; patterns sparse). */
export interface LossPatternState {
  patternLength: number;
  patterns: SparseCounts;
  transitions: number[];
  register: number;
  filled: number;
  previous: number;
}

/**
 * Gilbert–Elliott parameters, netem convention (`loss gemodel p r 1-h 1-k`):
 * `p` Good→Bad and `r` Bad→Good transition probabilities per packet, `h` the
 * delivery probability in Bad, `k` the delivery probability in Good.
 */
export interface GilbertElliottModel {
  p: number;
  r: number;
  h: number;
  k: number;
}

/** Goodness of fit of a Gilbert–Elliott model to the observed loss patterns. */
export interface GilbertElliottGoodnessOfFit {
  /** Length of the overlapping loss/receive patterns compared. */
  patternLength: number;
  /** Pearson χ² over pattern counts (bins with expected < 5 pooled). */
  chiSquare: number;
  degreesOfFreedom: number;
  /**
   * Approximate p-value (Wilson–Hilferty). Overlapping patterns are not
   * independent, so treat it as a relative score: on long captures any
   * misfit gives ≈ 0.
   */
  pValue: number;
  /** Total variation distance between observed and model pattern frequencies, in [0, 1] (scale-free). */
  totalVariation: number;
}

/** A fitted Gilbert–Elliott model with its fit diagnostics. */
export interface GilbertElliottFit extends GilbertElliottModel {
  /** Long-run loss rate of the fitted model. */
  stationaryLossRate: number;
  /** Mean of the composite log-likelihood per pattern. */
  logLikelihoodPerPattern: number;
  goodnessOfFit: GilbertElliottGoodnessOfFit;
}

/** Default length of the patterns counted for the fit. */
export const DEFAULT_PATTERN_LENGTH = 8;

/**
 * Streaming consumer of a loss trace (true = lost) in sequence order. Keeps
 * only fixed-size counts: transitions and overlapping patterns of
 * `patternLength` slots. Call {@link LossPatternCounter.breakTrace} at a
 * discontinuity (reset, unobserved slot) so no pattern spans it.
 */
export class LossPatternCounter {
  private readonly patternCounts: Float64Array;
  private readonly transitionCounts = new Float64Array(4);
  private register = 0;
  private filled = 0;
  private previous = -1;
  private readonly mask: number;
  /**
   * Quiet slots not yet counted: received after a full window of received
   * slots, each adding one to `transitions[0]` and `patterns[0]` and changing
   * nothing else — the common case, counted here without touching the arrays
   * (exact: the counts are integers) and settled before they are read.
   */
  private quiet = 0;

  constructor(readonly patternLength = DEFAULT_PATTERN_LENGTH) {
    this.patternCounts = new Float64Array(1 << patternLength);
    this.mask = (1 << patternLength) - 1;
  }

  /** Counts of each pattern (bit i = slot i from the oldest, 1 = lost). */
  get patterns(): Float64Array {
    this.settle();
    return this.patternCounts;
  }

  /** transitions[previous * 2 + current], 0 = received, 1 = lost. */
  get transitions(): Float64Array {
    this.settle();
    return this.transitionCounts;
  }

  /** Adds one slot. */
  add(lost: boolean): void {
    if (!lost && this.register === 0 && this.previous === 0 && this.filled === this.patternLength) {
      this.quiet += 1;
      return;
    }
    this.settle();
    const bit = lost ? 1 : 0;
    if (this.previous >= 0) this.transitionCounts[this.previous * 2 + bit]! += 1;
    this.previous = bit;
    this.register = ((this.register << 1) | bit) & this.mask;
    if (this.filled < this.patternLength) this.filled += 1;
    if (this.filled === this.patternLength) this.patternCounts[this.register]! += 1;
  }

  /** Counts the quiet slots held back. */
  private settle(): void {
    const quiet = this.quiet;
    if (quiet === 0) return;
    this.quiet = 0;
    this.transitionCounts[0]! += quiet;
    this.patternCounts[0]! += quiet;
  }

  /** Ends the current contiguous stretch. */
  breakTrace(): void {
    this.register = 0;
    this.filled = 0;
    this.previous = -1;
  }

  /** The counter as plain data. */
  saveState(): LossPatternState {
    return {
      patternLength: this.patternLength,
      patterns: encodeSparse(this.patterns),
      transitions: [...this.transitions],
      register: this.register,
      filled: this.filled,
      previous: this.previous,
    };
  }

  /** A counter from {@link LossPatternCounter.saveState} (throws a RangeError on a pattern out of range). */
  static fromState(state: LossPatternState): LossPatternCounter {
    const counter = new LossPatternCounter(state.patternLength);
    decodeSparse(state.patterns, counter.patterns, "loss pattern");
    for (let index = 0; index < 4; index++) counter.transitions[index] = state.transitions[index]!;
    counter.register = state.register & counter.mask;
    counter.filled = Math.min(state.filled, state.patternLength);
    counter.previous = state.previous;
    return counter;
  }

  /** Number of complete patterns counted. */
  get patternCount(): number {
    const patterns = this.patterns;
    let total = 0;
    for (let index = 0; index < patterns.length; index++) total += patterns[index]!;
    return total;
  }

  /** P(lost | previous lost) and P(lost | previous received); NaN when undefined. */
  conditionalLoss(): { afterLoss: number; afterReceive: number } {
    const t = this.transitions;
    return {
      afterLoss: t[2]! + t[3]! === 0 ? Number.NaN : t[3]! / (t[2]! + t[3]!),
      afterReceive: t[0]! + t[1]! === 0 ? Number.NaN : t[1]! / (t[0]! + t[1]!),
    };
  }
}

const EPSILON = 1e-7;

function clampProbability(value: number): number {
  return value < EPSILON ? EPSILON : value > 1 - EPSILON ? 1 - EPSILON : value;
}

/**
 * Probabilities of every pattern of `length` slots under a stationary
 * Gilbert–Elliott process (transition before each verdict, as netem and the
 * sim package do). Index bit (length-1-t) = slot t, 1 = lost.
 */
export function gilbertElliottPatternProbabilities(model: GilbertElliottModel, length: number): Float64Array {
  const result = new Float64Array(1 << length);
  fillPatternProbabilities(model, length, result, new Float64Array(1 << length), new Float64Array(1 << length), everyPrefix(length));
  return result;
}

/** Per depth, every prefix pattern, highest first (the walk of the whole tree). */
function everyPrefix(length: number): Int32Array[] {
  const prefixesByDepth: Int32Array[] = [];
  for (let depth = 0; depth < length; depth++) {
    const count = 1 << depth;
    const prefixes = new Int32Array(count);
    for (let position = 0; position < count; position++) prefixes[position] = count - 1 - position;
    prefixesByDepth.push(prefixes);
  }
  return prefixesByDepth;
}

/**
 * Breadth-first form of the depth-first pattern walk: level by level, each
 * prefix pattern `q` holds the joint probability of its emissions ending in
 * Good (`good[q]`) and in Bad (`bad[q]`); its children `2q` (received) and
 * `2q + 1` (lost) are written in place, from the highest prefix down, so no
 * unread parent is overwritten. Every node does exactly the arithmetic of the
 * recursive walk, so the probabilities are bit-identical; no allocation.
 * `prefixesByDepth[d]` lists the prefixes of depth `d` to extend, highest
 * first: every one ({@link everyPrefix}) for the whole tree, or only those of
 * the observed patterns (the fit's likelihood needs nothing else).
 */
function fillPatternProbabilities(
  model: GilbertElliottModel,
  length: number,
  result: Float64Array,
  good: Float64Array,
  bad: Float64Array,
  prefixesByDepth: readonly Int32Array[],
): void {
  const p = clampProbability(model.p);
  const r = clampProbability(model.r);
  const lossGood = 1 - model.k;
  const lossBad = 1 - model.h;
  const deliverGood = 1 - lossGood;
  const deliverBad = 1 - lossBad;
  const stayGood = 1 - p;
  const stayBad = 1 - r;
  const badShare = p / (p + r);
  // Depth 0 → 1: the stationary distribution, then the first emission.
  const firstGood = 1 - badShare;
  const firstBad = badShare;
  if (length === 0) {
    result[0] = 1;
    return;
  }
  if (length === 1) {
    result[0] = firstGood * deliverGood + firstBad * deliverBad;
    result[1] = firstGood * lossGood + firstBad * lossBad;
    return;
  }
  good[0] = firstGood * deliverGood;
  bad[0] = firstBad * deliverBad;
  good[1] = firstGood * lossGood;
  bad[1] = firstBad * lossBad;
  for (let depth = 1; depth < length - 1; depth++) {
    const prefixes = prefixesByDepth[depth]!;
    for (let position = 0; position < prefixes.length; position++) {
      const pattern = prefixes[position]!;
      const g = good[pattern]!;
      const b = bad[pattern]!;
      const nextGood = g * stayGood + b * r;
      const nextBad = g * p + b * stayBad;
      const child = pattern << 1;
      good[child] = nextGood * deliverGood;
      bad[child] = nextBad * deliverBad;
      good[child | 1] = nextGood * lossGood;
      bad[child | 1] = nextBad * lossBad;
    }
  }
  const lastPrefixes = prefixesByDepth[length - 1]!;
  for (let position = 0; position < lastPrefixes.length; position++) {
    const pattern = lastPrefixes[position]!;
    const g = good[pattern]!;
    const b = bad[pattern]!;
    const nextGood = g * stayGood + b * r;
    const nextBad = g * p + b * stayBad;
    const child = pattern << 1;
    result[child] = nextGood * deliverGood + nextBad * deliverBad;
    result[child | 1] = nextGood * lossGood + nextBad * lossBad;
  }
}

function logit(value: number): number {
  const safe = clampProbability(value);
  return Math.log(safe / (1 - safe));
}

function logistic(value: number): number {
  return 1 / (1 + Math.exp(-value));
}

function toModel(point: readonly number[]): GilbertElliottModel {
  return { p: logistic(point[0]!), r: logistic(point[1]!), h: logistic(point[2]!), k: logistic(point[3]!) };
}

/**
 * The composite log-likelihood of one fit's pattern counts, evaluated many
 * times by the minimizer: reusable buffers for the pattern probabilities
 * (no allocation per evaluation) and the observed patterns listed once, so
 * logarithms are taken only where a pattern was seen, summed in ascending
 * pattern order as before (bit-identical). Only the prefixes of observed
 * patterns are walked (each with the same arithmetic, so the probabilities
 * read are bit-identical): few patterns are seen on a stream with little loss.
 */
class LikelihoodWorkspace {
  private readonly probabilities: Float64Array;
  private readonly good: Float64Array;
  private readonly bad: Float64Array;
  private readonly observedPatterns: Int32Array;
  private readonly observedCounts: Float64Array;
  private readonly model: GilbertElliottModel = { p: 0, r: 0, h: 0, k: 0 };

  constructor(
    counts: Float64Array,
    private readonly length: number,
  ) {
    const size = 1 << length;
    this.probabilities = new Float64Array(size);
    this.good = new Float64Array(size);
    this.bad = new Float64Array(size);
    let observed = 0;
    for (let index = 0; index < counts.length; index++) if (counts[index]! > 0) observed += 1;
    this.observedPatterns = new Int32Array(observed);
    this.observedCounts = new Float64Array(observed);
    let next = 0;
    for (let index = 0; index < counts.length; index++) {
      if (counts[index]! > 0) {
        this.observedPatterns[next] = index;
        this.observedCounts[next] = counts[index]!;
        next += 1;
      }
    }
    // Per depth, the distinct prefixes of the observed patterns, highest first (children are written in place above their parent).
    this.prefixesByDepth = [];
    for (let depth = 0; depth < length; depth++) {
      const prefixes = new Set<number>();
      for (const pattern of this.observedPatterns) prefixes.add(pattern >> (length - depth));
      this.prefixesByDepth.push(Int32Array.from([...prefixes].sort((left, right) => right - left)));
    }
  }

  private readonly prefixesByDepth: Int32Array[];

  /** Composite log-likelihood of the counts under the model at a logit-space point. */
  logLikelihood(point: ArrayLike<number>): number {
    const model = this.model;
    model.p = logistic(point[0]!);
    model.r = logistic(point[1]!);
    model.h = logistic(point[2]!);
    model.k = logistic(point[3]!);
    const probabilities = this.probabilities;
    fillPatternProbabilities(model, this.length, probabilities, this.good, this.bad, this.prefixesByDepth);
    const patterns = this.observedPatterns;
    const counts = this.observedCounts;
    let total = 0;
    for (let index = 0; index < patterns.length; index++) {
      total += counts[index]! * Math.log(Math.max(probabilities[patterns[index]!]!, 1e-300));
    }
    return total;
  }
}

/**
 * Nelder–Mead minimization (deterministic). The simplex lives in one typed
 * array (vertex `slot` at `slot × dimension`) and `order` lists the slots by
 * position; the positions are sorted with the same comparator and algorithm
 * as an array of vertices, and every point is computed with the same
 * arithmetic in the same order, so the result is bit-identical to building
 * new arrays each step, without allocating per iteration.
 */
function nelderMead(objective: (point: Float64Array) => number, start: readonly number[], step: number, iterations: number): { point: number[]; value: number } {
  const dimension = start.length;
  const vertices = dimension + 1;
  const points = new Float64Array(vertices * dimension);
  const values = new Float64Array(vertices);
  const order: number[] = [];
  const pointOf = (slot: number): Float64Array => points.subarray(slot * dimension, (slot + 1) * dimension);
  const views = Array.from({ length: vertices }, (_, slot) => pointOf(slot));
  for (let slot = 0; slot < vertices; slot++) {
    const point = views[slot]!;
    for (let index = 0; index < dimension; index++) point[index] = start[index]!;
    if (slot > 0) point[slot - 1]! += step;
    values[slot] = objective(point);
    order.push(slot);
  }
  const byValue = (a: number, b: number): number => values[a]! - values[b]!;
  const centroid = new Float64Array(dimension);
  const reflected = new Float64Array(dimension);
  const expanded = new Float64Array(dimension);
  const contracted = new Float64Array(dimension);
  /** centroid + factor × (worst − centroid) into `target`. */
  const along = (worst: Float64Array, factor: number, target: Float64Array): void => {
    for (let index = 0; index < dimension; index++) target[index] = centroid[index]! + factor * (worst[index]! - centroid[index]!);
  };
  const replaceWorst = (point: Float64Array, value: number): void => {
    const slot = order[dimension]!;
    views[slot]!.set(point);
    values[slot] = value;
  };
  for (let iteration = 0; iteration < iterations; iteration++) {
    sortSimplexOrder(order, values, byValue);
    const bestSlot = order[0]!;
    const worstSlot = order[dimension]!;
    const bestValue = values[bestSlot]!;
    const worstValue = values[worstSlot]!;
    if (Math.abs(worstValue - bestValue) <= 1e-10 * (Math.abs(bestValue) + 1e-10)) break;
    centroid.fill(0);
    for (let vertex = 0; vertex < dimension; vertex++) {
      const point = views[order[vertex]!]!;
      for (let index = 0; index < dimension; index++) centroid[index]! += point[index]! / dimension;
    }
    const worst = views[worstSlot]!;
    along(worst, -1, reflected);
    const reflectedValue = objective(reflected);
    if (reflectedValue < bestValue) {
      along(worst, -2, expanded);
      const expandedValue = objective(expanded);
      if (expandedValue < reflectedValue) replaceWorst(expanded, expandedValue);
      else replaceWorst(reflected, reflectedValue);
    } else if (reflectedValue < values[order[dimension - 1]!]!) {
      replaceWorst(reflected, reflectedValue);
    } else {
      along(worst, 0.5, contracted);
      const contractedValue = objective(contracted);
      if (contractedValue < worstValue) {
        replaceWorst(contracted, contractedValue);
      } else {
        const best = views[bestSlot]!;
        for (let vertex = 1; vertex <= dimension; vertex++) {
          const slot = order[vertex]!;
          const point = views[slot]!;
          for (let index = 0; index < dimension; index++) point[index] = best[index]! + 0.5 * (point[index]! - best[index]!);
          values[slot] = objective(point);
        }
      }
    }
  }
  order.sort(byValue);
  return { point: Array.from(views[order[0]!]!), value: values[order[0]!]! };
}

/**
 * Sorts the simplex `order` by `values`, ascending and stably: a stable sort's
 * order is unique, so this is exactly `order.sort(byValue)` whenever every
 * value is finite (the comparator is then consistent), by insertion (a
 * handful of vertices, every iteration) without the generic sort's call per
 * comparison. Any non-finite value takes `order.sort(byValue)` itself.
 */
export function sortSimplexOrder(order: number[], values: Float64Array, byValue: (a: number, b: number) => number): void {
  for (let index = 0; index < order.length; index++) {
    if (!Number.isFinite(values[order[index]!]!)) {
      order.sort(byValue);
      return;
    }
  }
  for (let index = 1; index < order.length; index++) {
    const slot = order[index]!;
    const value = values[slot]!;
    let before = index - 1;
    while (before >= 0 && values[order[before]!]! > value) {
      order[before + 1] = order[before]!;
      before -= 1;
    }
    order[before + 1] = slot;
  }
}

/** Options of {@link fitGilbertElliott}. */
export interface GilbertElliottFitOptions {
  /** Nelder–Mead iterations per start (default 800). */
  iterations?: number;
}

/**
 * Fits the four-parameter Gilbert–Elliott model to the pattern counts of a
 * {@link LossPatternCounter} by maximizing the composite likelihood of the
 * overlapping patterns (bounded memory: the trace itself is never kept).
 * Several deterministic starts (among them the classic Gilbert estimate
 * p = P(L|R), r = P(R|L)); the Bad state is the one that loses more.
 * Returns `undefined` when there are no complete patterns or no loss at all.
 */
export function fitGilbertElliott(counter: LossPatternCounter, options: GilbertElliottFitOptions = {}): GilbertElliottFit | undefined {
  const total = counter.patternCount;
  if (total === 0) return undefined;
  const length = counter.patternLength;
  const counts = counter.patterns;
  if (patternLosses(counts) === 0) return undefined;
  const conditional = counter.conditionalLoss();
  const gilbertP = clampProbability(Number.isNaN(conditional.afterReceive) ? 0.5 : conditional.afterReceive);
  const gilbertR = clampProbability(Number.isNaN(conditional.afterLoss) ? 0.5 : 1 - conditional.afterLoss);
  const workspace = new LikelihoodWorkspace(counts, length);
  const objective = (point: Float64Array): number => -workspace.logLikelihood(point);
  const iterations = options.iterations ?? 800;
  const starts: GilbertElliottModel[] = [
    { p: gilbertP, r: gilbertR, h: 0.001, k: 0.9999 },
    { p: gilbertP / 2, r: gilbertR / 2, h: 0.3, k: 0.999 },
    { p: 0.01, r: 0.1, h: 0.5, k: 0.99 },
  ];
  let best: { point: number[]; value: number } | undefined;
  for (const start of starts) {
    const first = nelderMead(objective, [logit(start.p), logit(start.r), logit(start.h), logit(start.k)], 0.5, iterations);
    const refined = nelderMead(objective, first.point, 0.1, iterations);
    if (best === undefined || refined.value < best.value) best = refined;
  }
  let model = toModel(best!.point);
  if (model.h > model.k) model = { p: model.r, r: model.p, h: model.k, k: model.h };
  const probabilities = gilbertElliottPatternProbabilities(model, length);
  return {
    p: round(model.p),
    r: round(model.r),
    h: round(model.h),
    k: round(model.k),
    stationaryLossRate: round(stationaryLoss(model)),
    logLikelihoodPerPattern: round(-best!.value / total),
    goodnessOfFit: goodnessOfFit(counts, probabilities, total, length),
  };
}

function patternLosses(counts: Float64Array): number {
  let total = 0;
  for (let index = 1; index < counts.length; index++) total += counts[index]!;
  return total;
}

/** Long-run loss rate of a Gilbert–Elliott model. */
export function stationaryLoss(model: GilbertElliottModel): number {
  const sum = model.p + model.r;
  const bad = sum === 0 ? 0 : model.p / sum;
  return (1 - bad) * (1 - model.k) + bad * (1 - model.h);
}

function goodnessOfFit(counts: Float64Array, probabilities: Float64Array, total: number, length: number): GilbertElliottGoodnessOfFit {
  let chiSquare = 0;
  let bins = 0;
  let pooledObserved = 0;
  let pooledExpected = 0;
  let totalVariation = 0;
  for (let index = 0; index < counts.length; index++) {
    const observed = counts[index]!;
    const expected = probabilities[index]! * total;
    totalVariation += Math.abs(observed / total - probabilities[index]!);
    if (expected < 5) {
      pooledObserved += observed;
      pooledExpected += expected;
      continue;
    }
    chiSquare += ((observed - expected) * (observed - expected)) / expected;
    bins += 1;
  }
  if (pooledExpected > 0) {
    chiSquare += ((pooledObserved - pooledExpected) * (pooledObserved - pooledExpected)) / pooledExpected;
    bins += 1;
  }
  const degreesOfFreedom = Math.max(1, bins - 1 - 4);
  return {
    patternLength: length,
    chiSquare: round(chiSquare, 3),
    degreesOfFreedom,
    pValue: round(chiSquarePValue(chiSquare, degreesOfFreedom)),
    totalVariation: round(totalVariation / 2),
  };
}

/** Upper-tail p-value of χ² with `degreesOfFreedom` (Wilson–Hilferty approximation). */
export function chiSquarePValue(chiSquare: number, degreesOfFreedom: number): number {
  const ratio = 2 / (9 * degreesOfFreedom);
  const z = (Math.cbrt(chiSquare / degreesOfFreedom) - (1 - ratio)) / Math.sqrt(ratio);
  return Math.min(1, Math.max(0, 0.5 * (1 - errorFunction(z / Math.SQRT2))));
}

function formatPercent(probability: number): string {
  const percent = probability * 100;
  const text = percent.toFixed(4).replace(/0+$/, "").replace(/\.$/, "");
  return `${text}%`;
}

/**
 * The netem loss specification reproducing a Gilbert–Elliott model:
 * `loss gemodel p r 1-h 1-k` with percentages, e.g.
 * `tc qdisc add dev eth0 root netem loss gemodel 1% 30% 100% 0%`.
 */
export function formatNetemGemodel(model: GilbertElliottModel): string {
  return `loss gemodel ${formatPercent(model.p)} ${formatPercent(model.r)} ${formatPercent(1 - model.h)} ${formatPercent(1 - model.k)}`;
}
