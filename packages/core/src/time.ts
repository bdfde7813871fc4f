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

/** Formats a time as an ISO-8601 UTC string with microsecond digits. */
export function formatTimeUs(timeUs: TimeUs): string {
  const wholeMs = Math.floor(timeUs / 1000);
  const iso = new Date(wholeMs).toISOString();
  const micros = Math.floor(timeUs - wholeMs * 1000);
  return `${iso.slice(0, 23)}${String(micros).padStart(3, "0")}Z`;
}
