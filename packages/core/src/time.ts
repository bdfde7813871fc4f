import { Type, type Static } from "@sinclair/typebox";

/**
 * A point in time: float64 microseconds since the Unix epoch. Exact to 1 µs for
 * any real date; nanosecond captures keep sub-microsecond fractions.
 */
export type TimeUs = number;

/** TypeBox schema of {@link TimeUs}. */
export const TimeUsSchema = Type.Number({ description: "microseconds since the Unix epoch (float64)" });

/** A closed time range in microseconds since the Unix epoch. */
export const TimeRangeSchema = Type.Object({
  startUs: TimeUsSchema,
  endUs: TimeUsSchema,
});

/** A closed time range in microseconds since the Unix epoch. */
export type TimeRange = Static<typeof TimeRangeSchema>;

/** Microseconds per millisecond. */
export const MICROSECONDS_PER_MILLISECOND = 1_000;

/** Microseconds per second. */
export const MICROSECONDS_PER_SECOND = 1_000_000;

/** Converts a duration in microseconds to milliseconds. */
export function microsecondsToMilliseconds(durationUs: number): number {
  return durationUs / MICROSECONDS_PER_MILLISECOND;
}

/** Converts a duration in milliseconds to microseconds. */
export function millisecondsToMicroseconds(durationMs: number): number {
  return durationMs * MICROSECONDS_PER_MILLISECOND;
}

/** Earliest time {@link formatTimeUs} prints as a date: 0000-01-01T00:00:00Z, in µs since the epoch. */
export const EARLIEST_PRINTABLE_TIME_US = -62_167_219_200_000_000;

/** First time {@link formatTimeUs} no longer prints as a date: 10000-01-01T00:00:00Z, in µs since the epoch. */
export const END_OF_PRINTABLE_TIME_US = 253_402_300_800_000_000;

/** True when a time lies in the years 0000–9999, the dates {@link formatTimeUs} prints (false for NaN and infinities). */
export function isPrintableTimeUs(timeUs: TimeUs): boolean {
  return timeUs >= EARLIEST_PRINTABLE_TIME_US && timeUs < END_OF_PRINTABLE_TIME_US;
}

/**
 * Formats a time as an ISO-8601 UTC string with microsecond digits. A time
 * outside the years 0000–9999 (a corrupt timestamp, see
 * `E_TIMESTAMP_OUT_OF_RANGE`) is printed as its raw value, `<number> µs`.
 */
export function formatTimeUs(timeUs: TimeUs): string {
  if (!isPrintableTimeUs(timeUs)) return `${timeUs} µs`;
  const wholeMs = Math.floor(timeUs / 1000);
  const iso = new Date(wholeMs).toISOString();
  const micros = Math.floor(timeUs - wholeMs * 1000);
  return `${iso.slice(0, 23)}${String(micros).padStart(3, "0")}Z`;
}
