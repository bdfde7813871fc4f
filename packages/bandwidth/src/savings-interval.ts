/** A confidence interval of a savings ratio measured on a sample. */
export interface SavingsInterval {
  /** Lower bound of the savings ratio (6 digits). */
  low: number;
  /** Upper bound of the savings ratio (6 digits). */
  high: number;
  /** Confidence level, e.g. 0.95. */
  confidence: number;
  /** Units (datagrams, sessions) in the sample. */
  sampledUnits: number;
  /** Units in the population the sample was drawn from; equal to `sampledUnits` when everything was measured (the interval is then the exact value). */
  populationUnits: number;
}

/** Normal quantile of a two-sided 95% interval. */
export const Z_95 = 1.959964;

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * 95% confidence interval of the savings ratio `1 − Σafter / Σbefore` when the
 * units (datagrams, or sessions as clusters) were drawn at random from a
 * population: the ratio estimator's linearized variance
 * `(1 − n/N) · Σ(afterᵢ − r·beforeᵢ)² / ((n − 1) · n · mean(before)²)`, with the
 * finite-population correction (zero width when every unit was measured).
 * Returns undefined when fewer than two units were sampled from a larger population
 * or nothing was measured.
 */
export function savingsRatioInterval(
  bytesBefore: ArrayLike<number>,
  bytesAfter: ArrayLike<number>,
  populationUnits: number,
): SavingsInterval | undefined {
  const units = bytesBefore.length;
  let before = 0;
  let after = 0;
  for (let index = 0; index < units; index++) {
    before += bytesBefore[index]!;
    after += bytesAfter[index]!;
  }
  if (units === 0 || before <= 0) return undefined;
  const population = Math.max(populationUnits, units);
  const ratio = after / before;
  const savings = 1 - ratio;
  if (units >= population) return { low: round6(savings), high: round6(savings), confidence: 0.95, sampledUnits: units, populationUnits: population };
  if (units < 2) return undefined;
  let squares = 0;
  for (let index = 0; index < units; index++) {
    const residual = bytesAfter[index]! - ratio * bytesBefore[index]!;
    squares += residual * residual;
  }
  const meanBefore = before / units;
  const variance = ((1 - units / population) * squares) / ((units - 1) * units * meanBefore * meanBefore);
  const half = Z_95 * Math.sqrt(variance);
  return { low: round6(savings - half), high: round6(savings + half), confidence: 0.95, sampledUnits: units, populationUnits: population };
}
