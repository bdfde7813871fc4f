import type { ProtocolSettings, RegionFigures } from "./report-schema.js";
import { quantileOfSorted } from "./statistics.js";

/** Options of {@link deriveProtocolSettings}. */
export interface ProtocolSettingsOptions {
  /** Snapshot rates to choose from, Hz (default 20, 30, 60). */
  candidateSnapshotRatesHz?: readonly number[];
  /** Largest interpolation delay worth paying, ms (default 100). */
  targetInterpolationDelayMs?: number;
  /** Most inputs per packet (default 8). */
  maxInputRedundancy?: number;
}

/** What a region's settings are derived from. */
export interface ProtocolSettingsInput {
  figures: RegionFigures;
  /** Per-session jitter values, ms. */
  jitterMs: Float64Array;
}

/**
 * Derives per-region protocol settings from the measurements:
 *
 * - interpolation delay(rate) = snapshot interval × (1 + max(1, round(p95 loss-burst length)))
 *   + 2 × p95 session jitter — enough buffered snapshots to ride out a typical
 *   burst and the jitter of 95% of sessions;
 * - snapshot rate = the lowest candidate whose interpolation delay meets the
 *   target (saving bandwidth where the network allows), else the highest;
 * - input redundancy (inputs carried per input packet) = 1 + max(1, round(p95 loss-burst
 *   length)) when the region loses packets, else 1.
 */
export function deriveProtocolSettings(inputs: readonly ProtocolSettingsInput[], options: ProtocolSettingsOptions = {}): ProtocolSettings[] {
  const rates = [...(options.candidateSnapshotRatesHz ?? [20, 30, 60])].filter((rate) => rate > 0).sort((left, right) => left - right);
  if (rates.length === 0) rates.push(30);
  const target = options.targetInterpolationDelayMs ?? 100;
  const maxRedundancy = options.maxInputRedundancy ?? 8;
  return inputs.map(({ figures, jitterMs }) => {
    const jitterP95Ms = jitterMs.length > 0 ? quantileOfSorted(Float64Array.from(jitterMs).sort(), 0.95) : 0;
    const lossRate = figures.lossRate ?? 0;
    const burst = figures.lossBurstP95Length;
    const typicalBurst = Math.max(1, Math.round(burst));
    const bufferedSnapshots = 1 + typicalBurst;
    const delayAt = (rate: number): number => (1000 / rate) * bufferedSnapshots + 2 * jitterP95Ms;
    const snapshotRateHz = rates.find((rate) => delayAt(rate) <= target) ?? rates[rates.length - 1]!;
    const interpolationDelayMs = Math.round(delayAt(snapshotRateHz) * 10) / 10;
    const inputRedundancy = lossRate > 0 ? Math.min(maxRedundancy, 1 + typicalBurst) : 1;
    return {
      region: figures.name,
      snapshotRateHz,
      interpolationDelayMs,
      inputRedundancy,
      basis: {
        jitterP95Ms: Math.round(jitterP95Ms * 1000) / 1000,
        lossRate,
        lossBurstP95Length: burst,
      },
      rationale:
        `buffer ${bufferedSnapshots} snapshot intervals at ${snapshotRateHz} Hz (covers a loss burst of ${typicalBurst}) ` +
        `+ 2 × p95 jitter ${jitterP95Ms.toFixed(1)} ms = ${interpolationDelayMs} ms` +
        (interpolationDelayMs > target ? ` (above the ${target} ms target even at the highest rate)` : ` (≤ ${target} ms target)`) +
        `; ${inputRedundancy} input(s) per packet` +
        (lossRate > 0 ? ` so a p95 loss burst of ${burst} packets drops no input` : " (no loss measured)"),
    };
  });
}
