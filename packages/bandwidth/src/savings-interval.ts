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

const T_95 = [12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.04523, 2.042272];

/** Two-sided 95% quantile of Student's t with `degrees` degrees of freedom (table to 30, then a 1/df correction of the normal quantile). */
export function studentT95(degrees: number): number {
  if (degrees <= 0) return Number.POSITIVE_INFINITY;
  if (degrees <= T_95.length) return T_95[degrees - 1]!;
  return Z_95 + 2.4 / degrees;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * 95% confidence interval of the savings ratio `1 − Σafter / Σbefore` when the
 * units (datagrams, or sessions as clusters) were drawn at random from a
 * population: the ratio estimator's linearized variance
 * `(1 − n/N) · Σ(afterᵢ − r·beforeᵢ)² / ((n − 1) · n · mean(before)²)`, with the
 * finite-population correction (zero width when every unit was measured) and
 * Student's t quantile for n − 1 degrees of freedom (few blocks give a wide interval).
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
  const half = studentT95(units - 1) * Math.sqrt(variance);
  return { low: round6(savings - half), high: round6(savings + half), confidence: 0.95, sampledUnits: units, populationUnits: population };
}
