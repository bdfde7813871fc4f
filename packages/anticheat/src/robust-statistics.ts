import { mean, standardDeviation } from "simple-statistics";

/** Coefficient of variation (population standard deviation / mean), NaN for an empty or zero-mean sample. */
export function coefficientOfVariation(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const average = mean(values as number[]);
  return average === 0 ? Number.NaN : standardDeviation(values as number[]) / average;
}

/**
 * Fraction of values covered by the `modes` densest narrow clusters: repeatedly
 * takes the value with the most neighbours within ±max(minWidth, relativeWidth·value)
 * and removes them. Scripted timing puts nearly all gaps into a few such modes.
 */
export function modeCoverage(values: readonly number[], modes: number, relativeWidth: number, minWidth: number): number {
  if (values.length === 0) return 0;
  const remaining = [...values].sort((a, b) => a - b);
  let covered = 0;
  for (let mode = 0; mode < modes && remaining.length > 0; mode++) {
    let bestCount = 0;
    let bestCenter = remaining[0]!;
    let low = 0;
    let high = 0;
    for (let index = 0; index < remaining.length; index++) {
      const center = remaining[index]!;
      const width = Math.max(minWidth, relativeWidth * center);
      while (remaining[low]! < center - width) low++;
      if (high < index) high = index;
      while (high + 1 < remaining.length && remaining[high + 1]! <= center + width) high++;
      const count = high - low + 1;
      if (count > bestCount) {
        bestCount = count;
        bestCenter = center;
      }
    }
    const width = Math.max(minWidth, relativeWidth * bestCenter);
    const kept = remaining.filter((value) => Math.abs(value - bestCenter) > width);
    covered += remaining.length - kept.length;
    remaining.length = 0;
    remaining.push(...kept);
  }
  return covered / values.length;
}
