import { errorFunction, probit } from "simple-statistics";

/** A two-sided confidence interval on a proportion. */
export interface ProportionInterval {
  /** Lower bound, in [0, 1]. */
  lower: number;
  /** Upper bound, in [0, 1]. */
  upper: number;
  /** Confidence level, e.g. 0.95. */
  confidence: number;
}

/**
 * Wilson score interval for `successes` out of `trials` (well behaved near 0
 * and 1, unlike the normal approximation). With no trials the interval is the
 * whole [0, 1].
 */
export function wilsonInterval(successes: number, trials: number, confidence = 0.95): ProportionInterval {
  if (trials <= 0) return { lower: 0, upper: 1, confidence };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const proportion = successes / trials;
  const zSquared = z * z;
  const denominator = 1 + zSquared / trials;
  const center = (proportion + zSquared / (2 * trials)) / denominator;
  const halfWidth = (z * Math.sqrt((proportion * (1 - proportion)) / trials + zSquared / (4 * trials * trials))) / denominator;
  return {
    lower: Math.max(0, center - halfWidth),
    upper: Math.min(1, center + halfWidth),
    confidence,
  };
}

/**
 * Standard normal quantile: simple-statistics' `probit` (≈3 significant
 * digits) refined by Newton steps on its `errorFunction` (≈1e-8).
 */
export function normalQuantile(probability: number): number {
  let x = probit(probability);
  for (let step = 0; step < 3; step++) {
    const cumulative = 0.5 * (1 + errorFunction(x / Math.SQRT2));
    const density = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    x -= (cumulative - probability) / density;
  }
  return x;
}
