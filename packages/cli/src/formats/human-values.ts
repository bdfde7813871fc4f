import { isPrintableTimeUs } from "@tickscope/core";

/** Significant digits {@link formatNumber} keeps (integer digits are never rounded away). */
export const SIGNIFICANT_DIGITS = 4;

/**
 * Formats a number for humans, the one number formatter of every human output
 * (markdown, text answers, HTML labels): integers as they are, other values
 * to {@link SIGNIFICANT_DIGITS} significant digits without rounding away
 * integer digits and without exponent notation — 0.00222 stays `0.00222`
 * (fixed decimals made it 0.002 and a 0.002 → 0.001 fix read as a halving),
 * 552.454 is `552.5`, 1150.463 is `1150`, 0.0000123 is `0.0000123`.
 */
export function formatNumber(value: number, significantDigits = SIGNIFICANT_DIGITS): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value === 0 ? 0 : value);
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.min(100, Math.max(0, significantDigits - 1 - magnitude));
  const text = value.toFixed(decimals);
  const trimmed = text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
  return trimmed === "-0" ? "0" : trimmed;
}

/**
 * Formats a capture time for humans, the one time format of every human
 * output: ISO 8601 UTC to the (rounded) millisecond, then the offset from the capture's
 * first packet in seconds (what Wireshark's "Time" column shows by default),
 * e.g. `2026-01-01T00:00:11.410Z (+11.41 s)`. Without a capture start (or for
 * a time that prints as no date) only the ISO part (or the raw µs) is given.
 */
export function formatCaptureTime(timeUs: number, captureStartUs?: number): string {
  if (!isPrintableTimeUs(timeUs)) return `${timeUs} µs`;
  const iso = new Date(Math.round(timeUs / 1000)).toISOString();
  if (captureStartUs === undefined || !Number.isFinite(captureStartUs)) return iso;
  return `${iso} (${formatOffsetSeconds(timeUs - captureStartUs)})`;
}

/** `+11.41 s`: an offset from the capture start, to the millisecond (the ISO part's resolution). */
export function formatOffsetSeconds(offsetUs: number): string {
  const milliseconds = Math.round(offsetUs / 1000);
  const sign = milliseconds < 0 ? "-" : "+";
  const seconds = (Math.abs(milliseconds) / 1000).toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
  return `${sign}${seconds} s`;
}

/** Integer microseconds for machine outputs (JSON, CSV): capture times and durations in µs are whole µs. */
export function wholeMicroseconds(valueUs: number): number {
  return Number.isFinite(valueUs) ? Math.round(valueUs) : valueUs;
}

/**
 * The player id of a finding or verdict, or undefined when the wire named no
 * player: the analyses fall back to the session id in their `player` field,
 * which a `player` column must not mix with real ids (the session column has it).
 */
export function knownPlayer(player: string | undefined, session: string | undefined): string | undefined {
  return player === undefined || player === "" || player === session ? undefined : player;
}

/**
 * The one way human outputs refer to a player: `player 5 (udp:…)` when the
 * wire names the player, `udp:… (no player id)` when only the session is known.
 */
export function formatPlayerReference(player: string | undefined, session: string | undefined): string {
  const known = knownPlayer(player, session);
  if (session === undefined || session === "") return known === undefined ? "" : `player ${known}`;
  return known === undefined ? `${session} (no player id)` : `player ${known} (${session})`;
}
