import type { ClockUnit } from "./inferred-field.js";

/** Tick rates seen in real protocols (Hz): game ticks, audio/video RTP clocks. */
const COMMON_TICK_RATES = [10, 15, 20, 24, 25, 30, 32, 33, 40, 50, 60, 64, 66, 100, 120, 128, 144, 240, 1024, 8000, 16000, 22050, 32000, 44100, 48000, 90000];

/** Units by counts per µs. */
const UNITS: [ClockUnit, number][] = [
  ["ns", 1000],
  ["us", 1],
  ["ms", 0.001],
  ["s", 0.000001],
];

/**
 * Unit (or ticks per second) of a clock advancing `slopePerUs` counts per µs
 * over `spanUs` of capture time with `residualP90Ms` of scatter; undefined when
 * none fits. The rate must match within what the scatter allows (3 × the p90
 * residual over the span, 0.2 % at least, 5 % at most): real clocks drift by
 * far less, so a field off by 0.6 % over 20 s is not a clock in that unit.
 */
export function clockUnitOf(slopePerUs: number, spanUs: number, residualP90Ms = 0): { unit: ClockUnit } | { ticksPerSecond: number } | undefined {
  if (!(slopePerUs > 0) || !(spanUs > 0)) return undefined;
  const RATE_TOLERANCE = Math.min(0.05, Math.max(0.002, (3 * residualP90Ms * 1000) / spanUs));
  for (const [unit, perUs] of UNITS) {
    if (unit === "s" && spanUs < 20_000_000) continue; // a seconds clock needs a long span to be told from noise
    if (Math.abs(slopePerUs / perUs - 1) <= RATE_TOLERANCE) return { unit };
  }
  const perSecond = slopePerUs * 1_000_000;
  if (perSecond < 2) return undefined;
  let best: number | undefined;
  for (const rate of COMMON_TICK_RATES) {
    if (Math.abs(perSecond / rate - 1) <= Math.max(RATE_TOLERANCE, 0.01) && (best === undefined || Math.abs(perSecond - rate) < Math.abs(perSecond - best))) best = rate;
  }
  if (best !== undefined) return { ticksPerSecond: best };
  // an uncommon tick rate only when it is a plausible game tick (≤ 1000 Hz) and close to a whole number
  if (perSecond > 1000) return undefined;
  const rounded = Math.round(perSecond);
  return Math.abs(perSecond - rounded) <= Math.max(0.05, RATE_TOLERANCE * perSecond) && Math.abs(perSecond / rounded - 1) <= 0.01 ? { ticksPerSecond: rounded } : undefined;
}
