/**
 * Statistics used by region comparison: quantiles, Mann–Whitney U with tie
 * correction, bootstrap resampling and multiple-comparison corrections. All
 * deterministic (bootstrap uses a {@link SeededRandom}).
 */
import type { SeededRandom } from "./random.js";

/** Type-7 (linear interpolation, R's default) quantile of an ascending array. */
export function quantileOfSorted(sorted: ArrayLike<number>, probability: number): number {
  const count = sorted.length;
  if (count === 0) return Number.NaN;
  const position = Math.min(Math.max(probability, 0), 1) * (count - 1);
  const lower = Math.floor(position);
  const fraction = position - lower;
  const low = sorted[lower]!;
  return fraction === 0 || lower + 1 >= count ? low : low + fraction * (sorted[lower + 1]! - low);
}

/** Type-7 quantile of an unsorted list (copies and sorts). */
export function quantile(values: ArrayLike<number>, probability: number): number {
  return quantileOfSorted(Float64Array.from(values).sort(), probability);
}

/**
 * Weighted quantile: the smallest value whose cumulative weight reaches
 * `probability` of the total (inverse of the weighted empirical CDF).
 */
export function weightedQuantile(values: ArrayLike<number>, weights: ArrayLike<number>, probability: number): number {
  const order = Array.from({ length: values.length }, (_, index) => index).sort(
    (left, right) => values[left]! - values[right]! || left - right,
  );
  let total = 0;
  for (let index = 0; index < weights.length; index++) total += weights[index]!;
  if (order.length === 0 || total <= 0) return Number.NaN;
  const target = Math.min(Math.max(probability, 0), 1) * total;
  let cumulative = 0;
  for (const index of order) {
    cumulative += weights[index]!;
    if (cumulative >= target - 1e-12 * total) return values[index]!;
  }
  return values[order[order.length - 1]!]!;
}

/**
 * Type-7 quantile computed in place by selection (reorders `values` between
 * `0` and `count`): O(count) expected, no allocation. Used in bootstrap loops.
 */
export function quantileInPlace(values: Float64Array, count: number, probability: number): number {
  if (count === 0) return Number.NaN;
  const position = Math.min(Math.max(probability, 0), 1) * (count - 1);
  const lower = Math.floor(position);
  const fraction = position - lower;
  const low = selectInPlace(values, count, lower);
  if (fraction === 0 || lower + 1 >= count) return low;
  let next = Number.POSITIVE_INFINITY;
  for (let index = lower + 1; index < count; index++) if (values[index]! < next) next = values[index]!;
  return low + fraction * (next - low);
}

/** Puts the `rank`-th smallest value at `values[rank]` (Hoare selection) and returns it. */
function selectInPlace(values: Float64Array, count: number, rank: number): number {
  let left = 0;
  let right = count - 1;
  while (right > left) {
    const middle = (left + right) >>> 1;
    // median of three as pivot
    const a = values[left]!;
    const b = values[middle]!;
    const c = values[right]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (rank <= j) right = j;
    else if (rank >= i) left = i;
    else break;
  }
  return values[rank]!;
}

/** Complementary error function (Numerical Recipes `erfcc`, relative error < 1.2e-7). */
export function complementaryErrorFunction(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const value =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? value : 2 - value;
}

/** Two-sided p-value of a standard normal z score. */
export function twoSidedNormalPValue(z: number): number {
  return Math.min(1, complementaryErrorFunction(Math.abs(z) / Math.SQRT2));
}

/** Result of a Mann–Whitney U test of `a` against `b`. */
export interface MannWhitneyResult {
  /** U statistic of sample `a`. */
  u: number;
  /** Normal-approximation z score (tie- and continuity-corrected). */
  z: number;
  /** Two-sided p-value. */
  pValue: number;
  /** P(A > B) + ½ P(A = B): the common-language effect size (AUC). */
  probabilityAGreater: number;
  /** Cliff's delta = rank-biserial correlation = 2 × AUC − 1, in [−1, 1]. */
  cliffsDelta: number;
}

/**
 * Two-sided Mann–Whitney U test (normal approximation with tie correction and
 * continuity correction; appropriate for the ≥ 20 per group used here).
 */
export function mannWhitneyU(a: ArrayLike<number>, b: ArrayLike<number>): MannWhitneyResult {
  const countA = a.length;
  const countB = b.length;
  const total = countA + countB;
  if (countA === 0 || countB === 0) return { u: 0, z: 0, pValue: 1, probabilityAGreater: 0.5, cliffsDelta: 0 };
  const values = new Float64Array(total);
  const fromA = new Uint8Array(total);
  for (let index = 0; index < countA; index++) values[index] = a[index]!;
  for (let index = 0; index < countB; index++) values[countA + index] = b[index]!;
  for (let index = 0; index < countA; index++) fromA[index] = 1;
  const order = new Uint32Array(total);
  for (let index = 0; index < total; index++) order[index] = index;
  order.sort((left, right) => values[left]! - values[right]!);
  let rankSumA = 0;
  let tieTerm = 0;
  let start = 0;
  while (start < total) {
    let end = start + 1;
    while (end < total && values[order[end]!] === values[order[start]!]) end++;
    const averageRank = (start + 1 + end) / 2;
    let inA = 0;
    for (let index = start; index < end; index++) inA += fromA[order[index]!]!;
    rankSumA += inA * averageRank;
    const ties = end - start;
    if (ties > 1) tieTerm += ties * ties * ties - ties;
    start = end;
  }
  const u = rankSumA - (countA * (countA + 1)) / 2;
  const meanU = (countA * countB) / 2;
  const variance = ((countA * countB) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  const probabilityAGreater = u / (countA * countB);
  if (variance <= 0) return { u, z: 0, pValue: 1, probabilityAGreater, cliffsDelta: 2 * probabilityAGreater - 1 };
  const deviation = Math.max(0, Math.abs(u - meanU) - 0.5);
  const z = (Math.sign(u - meanU) * deviation) / Math.sqrt(variance);
  return { u, z, pValue: twoSidedNormalPValue(z), probabilityAGreater, cliffsDelta: 2 * probabilityAGreater - 1 };
}

/** Holm–Bonferroni step-down adjusted p-values (controls the family-wise error rate). */
export function holmAdjust(pValues: readonly number[]): number[] {
  const count = pValues.length;
  const order = pValues.map((_, index) => index).sort((left, right) => pValues[left]! - pValues[right]! || left - right);
  const adjusted = new Array<number>(count).fill(1);
  let running = 0;
  order.forEach((index, position) => {
    running = Math.max(running, Math.min(1, (count - position) * pValues[index]!));
    adjusted[index] = running;
  });
  return adjusted;
}

/** Benjamini–Hochberg step-up adjusted p-values (controls the false discovery rate). */
export function benjaminiHochbergAdjust(pValues: readonly number[]): number[] {
  const count = pValues.length;
  const order = pValues.map((_, index) => index).sort((left, right) => pValues[left]! - pValues[right]! || left - right);
  const adjusted = new Array<number>(count).fill(1);
  let running = 1;
  for (let position = count - 1; position >= 0; position--) {
    const index = order[position]!;
    running = Math.min(running, (pValues[index]! * count) / (position + 1));
    adjusted[index] = Math.min(1, running);
  }
  return adjusted;
}

/** Percentile interval of bootstrap replicates (sorts a copy). */
export function percentileInterval(replicates: Float64Array, confidence: number): [number, number] {
  const sorted = Float64Array.from(replicates).sort();
  const tail = (1 - confidence) / 2;
  return [quantileOfSorted(sorted, tail), quantileOfSorted(sorted, 1 - tail)];
}

/**
 * Two-sided bootstrap p-value that a difference is 0: twice the smaller share
 * of replicates on either side of 0 (with the +1 correction so p > 0).
 */
export function bootstrapPValue(differences: Float64Array): number {
  let below = 0;
  let above = 0;
  for (const value of differences) {
    if (value <= 0) below++;
    if (value >= 0) above++;
  }
  return Math.min(1, (2 * (Math.min(below, above) + 1)) / (differences.length + 1));
}

/**
 * Two-sided p-value that a difference is 0, from its bootstrap standard error
 * (Wald test: z = observed / SE of the replicates). Unlike counting replicates
 * beyond 0, it has no 1/(B+1) floor, so it survives multiple-comparison
 * correction over many tests.
 */
export function bootstrapWaldPValue(observed: number, differences: Float64Array): number {
  const count = differences.length;
  if (count < 2) return 1;
  let sum = 0;
  for (const value of differences) sum += value;
  const mean = sum / count;
  let squares = 0;
  for (const value of differences) squares += (value - mean) ** 2;
  const standardError = Math.sqrt(squares / (count - 1));
  if (standardError === 0) return observed === 0 ? 1 : 0;
  return twoSidedNormalPValue(observed / standardError);
}

/** Bootstrap replicates of a region's statistics. */
export interface RegionBootstrap {
  rttP50Ms: Float64Array;
  rttP95Ms: Float64Array;
  jitterMs: Float64Array;
  lossRate: Float64Array;
}

/**
 * Bootstraps a region's statistics by resampling its sessions with replacement:
 * median and p95 of session RTT (one resample drives both), median session
 * jitter (over sessions with jitter) and play-time-weighted loss (over sessions
 * with loss); when every session has jitter and loss the arrays are aligned and
 * one resample of sessions drives every statistic. Memory is O(sessions +
 * iterations); no allocation in the loop.
 */
export function bootstrapRegion(
  rttMs: Float64Array,
  jitterMs: Float64Array,
  lossRate: Float64Array,
  lossWeightMs: Float64Array,
  iterations: number,
  random: SeededRandom,
): RegionBootstrap {
  const result: RegionBootstrap = {
    rttP50Ms: new Float64Array(iterations),
    rttP95Ms: new Float64Array(iterations),
    jitterMs: new Float64Array(iterations),
    lossRate: new Float64Array(iterations),
  };
  const rttCount = rttMs.length;
  const jitterCount = jitterMs.length;
  const lossCount = lossRate.length;
  const scratch = new Float64Array(Math.max(rttCount, jitterCount));
  const rttPicks = new Uint32Array(rttCount);
  // When every session has jitter (and loss), the arrays are aligned: one resample drives all.
  const jitterPicks = jitterCount === rttCount ? rttPicks : new Uint32Array(jitterCount);
  const lossPicks = lossCount === rttCount ? rttPicks : new Uint32Array(lossCount);
  for (let iteration = 0; iteration < iterations; iteration++) {
    random.fillInts(rttPicks, rttCount);
    for (let index = 0; index < rttCount; index++) scratch[index] = rttMs[rttPicks[index]!]!;
    result.rttP50Ms[iteration] = quantileInPlace(scratch, rttCount, 0.5);
    result.rttP95Ms[iteration] = quantileInPlace(scratch, rttCount, 0.95);
    if (jitterPicks !== rttPicks) random.fillInts(jitterPicks, jitterCount);
    for (let index = 0; index < jitterCount; index++) scratch[index] = jitterMs[jitterPicks[index]!]!;
    result.jitterMs[iteration] = quantileInPlace(scratch, jitterCount, 0.5);
    if (lossPicks !== rttPicks) random.fillInts(lossPicks, lossCount);
    let weighted = 0;
    let weight = 0;
    for (let index = 0; index < lossCount; index++) {
      const pick = lossPicks[index]!;
      weighted += lossRate[pick]! * lossWeightMs[pick]!;
      weight += lossWeightMs[pick]!;
    }
    result.lossRate[iteration] = weight > 0 ? weighted / weight : Number.NaN;
  }
  return result;
}
