import { describe, expect, it } from "vitest";
import { END_OF_PRINTABLE_TIME_US, EARLIEST_PRINTABLE_TIME_US, formatTimeUs, isPrintableTimeUs } from "./time.js";

describe("formatTimeUs outside the date range (issue 19 item 3)", () => {
  it("prints the years 0000-9999 as dates, down to the microsecond", () => {
    expect(formatTimeUs(EARLIEST_PRINTABLE_TIME_US)).toBe("0000-01-01T00:00:00.000000Z");
    expect(formatTimeUs(END_OF_PRINTABLE_TIME_US - 64)).toMatch(/^9999-12-31T23:59:59\.9999\d\dZ$/);
    expect(formatTimeUs(-1)).toBe("1969-12-31T23:59:59.999999Z");
  });

  it("prints a time near 2^64 µs, NaN or an infinity as its raw value instead of throwing", () => {
    expect(formatTimeUs(18446744073204277000)).toBe("18446744073204277000 µs");
    expect(formatTimeUs(END_OF_PRINTABLE_TIME_US)).toBe(`${END_OF_PRINTABLE_TIME_US} µs`);
    expect(formatTimeUs(EARLIEST_PRINTABLE_TIME_US - 64)).toBe(`${EARLIEST_PRINTABLE_TIME_US - 64} µs`);
    expect(formatTimeUs(Number.NaN)).toBe("NaN µs");
    expect(formatTimeUs(Number.POSITIVE_INFINITY)).toBe("Infinity µs");
    expect(isPrintableTimeUs(1_700_000_000_000_000)).toBe(true);
    expect(isPrintableTimeUs(Number.NaN)).toBe(false);
  });
});
