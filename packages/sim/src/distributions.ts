import type { Xoshiro128 } from "./random.js";

/**
 * Shape of the random part of a one-way delay (jitter).
 * - `normal`: symmetric, N(0, jitterMs) around the base delay (as netem `distribution normal`);
 * - `exponential`: non-negative, mean `jitterMs` (queueing-like);
 * - `pareto`: non-negative heavy tail with mean `jitterMs` (shape {@link PARETO_SHAPE}).
 */
export type JitterDistribution = "normal" | "exponential" | "pareto";

/** All jitter distributions. */
export const JITTER_DISTRIBUTIONS: readonly JitterDistribution[] = ["normal", "exponential", "pareto"];

/** Shape parameter α used for Pareto jitter (finite mean and variance). */
export const PARETO_SHAPE = 2.5;

/**
 * Draws one jitter sample in ms (may be negative for `normal`). Callers clamp
 * the total delay to the path's physical minimum.
 */
export function sampleJitterMs(random: Xoshiro128, distribution: JitterDistribution, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  switch (distribution) {
    case "normal":
      return jitterMs * random.standardNormal();
    case "exponential":
      return random.exponential(jitterMs);
    case "pareto": {
      const minimum = (jitterMs * (PARETO_SHAPE - 1)) / PARETO_SHAPE;
      return random.pareto(minimum, PARETO_SHAPE);
    }
  }
}

/** Expected value of {@link sampleJitterMs} (ignoring clamping). */
export function jitterMeanMs(distribution: JitterDistribution, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  return distribution === "normal" ? 0 : jitterMs;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9 after refinement). */
export function standardNormalQuantile(probability: number): number {
  if (probability <= 0) return -Infinity;
  if (probability >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let q: number;
  let r: number;
  if (probability < low) {
    q = Math.sqrt(-2 * Math.log(probability));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (probability > 1 - low) {
    q = Math.sqrt(-2 * Math.log(1 - probability));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  q = probability - 0.5;
  r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Quantile (0 < probability < 1) of {@link sampleJitterMs} in ms (ignoring clamping). */
export function jitterQuantileMs(distribution: JitterDistribution, jitterMs: number, probability: number): number {
  if (jitterMs <= 0) return 0;
  switch (distribution) {
    case "normal":
      return jitterMs * standardNormalQuantile(probability);
    case "exponential":
      return -jitterMs * Math.log(1 - probability);
    case "pareto": {
      const minimum = (jitterMs * (PARETO_SHAPE - 1)) / PARETO_SHAPE;
      return minimum / Math.pow(1 - probability, 1 / PARETO_SHAPE);
    }
  }
}
