import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SerialUnwrapper, serialAdd, serialDifference, serialLessThan, serialNumberForReport, serialResidue, toSerialNumber } from "./serial-number.js";

describe("serialDifference", () => {
  it("is the signed shortest distance for narrow widths", () => {
    expect(serialDifference(65_535, 0, 16)).toBe(1);
    expect(serialDifference(0, 65_535, 16)).toBe(-1);
    expect(serialDifference(10, 20, 16)).toBe(10);
    expect(serialDifference(0, 32_768, 16)).toBe(-32_768);
    expect(serialDifference(0xffff_ffff, 5, 32)).toBe(6);
  });

  it("is exact for 64-bit values near 2^63 and across the u64 wrap", () => {
    const start = 1n << 63n;
    expect(serialDifference(start, start + 1n, 64)).toBe(1);
    expect(serialDifference(start + 1n, start, 64)).toBe(-1);
    expect(serialDifference((1n << 64n) - 1n, 0n, 64)).toBe(1);
    expect(serialDifference(0n, (1n << 64n) - 2n, 64)).toBe(-2);
    expect(serialDifference(5, 7n, 64)).toBe(2);
  });

  it("agrees with bigint arithmetic on random pairs of every width", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: -1_000_000, max: 1_000_000 }), (bits, base, step) => {
        const modulus = 1n << BigInt(bits);
        const half = modulus >> 1n;
        const from = BigInt.asUintN(bits, base);
        const to = BigInt.asUintN(bits, from + BigInt(step));
        let expected = (to - from) & (modulus - 1n);
        if (expected >= half) expected -= modulus;
        const asNumber = (value: bigint) => (value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value);
        expect(serialDifference(asNumber(from), asNumber(to), bits)).toBe(Number(expected));
      }),
    );
  });

  it("rejects impossible widths", () => {
    expect(() => serialDifference(1n, 2n, 65)).toThrow(RangeError);
    expect(() => serialDifference(1n, 2n, 0)).toThrow(RangeError);
  });

  it("orders values (RFC 1982)", () => {
    expect(serialLessThan(65_530, 3, 16)).toBe(true);
    expect(serialLessThan(3, 65_530, 16)).toBe(false);
    expect(serialLessThan(4, 4, 16)).toBe(false);
  });
});

describe("toSerialNumber", () => {
  it("keeps safe integers as numbers and wide values as bigints", () => {
    expect(toSerialNumber(7n)).toBe(7);
    expect(toSerialNumber(1n << 63n)).toBe(1n << 63n);
    expect(toSerialNumber(12)).toBe(12);
    expect(() => toSerialNumber(2 ** 63)).toThrow(RangeError);
  });
});

describe("SerialUnwrapper", () => {
  it("extends a wrapping u16 with reordering and duplicates", () => {
    const unwrapper = new SerialUnwrapper(16);
    expect(unwrapper.started).toBe(false);
    expect(unwrapper.extend(65_534)).toBe(65_534);
    expect(unwrapper.extend(0)).toBe(65_536);
    expect(unwrapper.extend(65_535)).toBe(65_535);
    expect(unwrapper.extend(1)).toBe(65_537);
    expect(unwrapper.extend(1)).toBe(65_537);
    expect(unwrapper.highestExtended).toBe(65_537);
    expect(unwrapper.peek(3)).toBe(65_539);
    expect(unwrapper.highestExtended).toBe(65_537);
    expect(unwrapper.wireValue(65_537)).toBe(1);
  });

  it("keeps u64 sequences starting at 2^63 exact and distinct", () => {
    const unwrapper = new SerialUnwrapper(64);
    const start = 1n << 63n;
    const seen = new Set<number>();
    for (let index = 0n; index < 1000n; index++) seen.add(unwrapper.extend(start + index));
    expect(seen.size).toBe(1000);
    const last = unwrapper.highestExtended;
    expect(unwrapper.wireValue(last)).toBe(start + 999n);
    expect(unwrapper.wireValue(last - 999)).toBe(start);
  });

  it("crosses the u64 wrap", () => {
    const unwrapper = new SerialUnwrapper(64);
    const first = unwrapper.extend((1n << 64n) - 2n);
    expect(unwrapper.extend(1n)).toBe(first + 3);
    expect(unwrapper.wireValue(first + 3)).toBe(1);
  });

  it("peeks before the first value", () => {
    expect(new SerialUnwrapper(16).peek(9)).toBe(9);
    expect(new SerialUnwrapper(64).peek(1n << 63n)).toBe(2 ** 52);
  });
});

describe("serialResidue, serialAdd, serialNumberForReport", () => {
  it("gives exact residues usable as keys", () => {
    expect(serialResidue(5)).toBe(5);
    expect(serialResidue(2n ** 63n + 5n)).toBe(5);
    expect(serialResidue(2n ** 63n + 5n, 32)).toBe(5);
    expect(serialResidue(70_000, 16)).toBe(70_000 - 65_536);
    expect(serialResidue(-1, 16)).toBe(65_535);
    expect(serialResidue(Number.NaN)).toBeNaN();
    expect(serialResidue(2 ** 63)).toBe(0);
    expect(() => serialResidue(5n, 53)).toThrow(RangeError);
  });

  it("adds offsets with wrap-around, exact for u64", () => {
    expect(serialAdd(0, -1, 16)).toBe(65_535);
    expect(serialAdd(65_535, 2, 16)).toBe(1);
    expect(serialAdd(2n ** 63n, -1, 64)).toBe(2n ** 63n - 1n);
    expect(serialAdd(2n ** 64n - 1n, 1, 64)).toBe(0);
    expect(serialAdd(10, -3, 64)).toBe(7);
    expect(serialAdd(0, -1, 64)).toBe(2n ** 64n - 1n);
    expect(serialAdd(3, -5, undefined)).toBe(-2);
    expect(serialAdd(2n ** 63n, 1, undefined)).toBe(2n ** 63n + 1n);
  });

  it("prints wire values exactly", () => {
    expect(serialNumberForReport(7)).toBe(7);
    expect(serialNumberForReport(2n ** 63n)).toBe("9223372036854775808");
    expect(serialNumberForReport(12n)).toBe(12);
    expect(serialNumberForReport(2 ** 63)).toBe("9223372036854775808");
    expect(serialNumberForReport(Number.NaN)).toBeNaN();
  });

  it("takes the number fast path for 53- and 64-bit spaces without losing exactness", () => {
    expect(serialDifference(2 ** 53 - 1, 0, 53)).toBe(1);
    expect(serialDifference(5, Number.MAX_SAFE_INTEGER, 64)).toBe(Number.MAX_SAFE_INTEGER - 5);
    expect(serialDifference(2 ** 63, 2 ** 63 + 4096, 64)).toBe(4096);
  });
});

describe("serialDifference without a width", () => {
  it("is the plain difference for numbers and 64-bit for bigints", () => {
    expect(serialDifference(10, 3)).toBe(-7);
    expect(serialDifference(2n ** 64n - 1n, 1n)).toBe(2);
    expect(serialLessThan(2n ** 63n, 2n ** 63n + 1n)).toBe(true);
  });
});

describe("serialDifference integer fast path (bits <= 32)", () => {
  /** The floating-point remainder definition the fast path must equal. */
  function byRemainder(from: number, to: number, bits: number): number {
    const modulus = 2 ** bits;
    const half = modulus / 2;
    let delta = (to - from) % modulus;
    if (delta >= half) delta -= modulus;
    else if (delta < -half) delta += modulus;
    return delta;
  }

  it("equals the remainder definition for any integers, widths 1-32, also far beyond one wrap", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 32 }), fc.maxSafeInteger(), fc.maxSafeInteger(), (bits, from, to) => {
        expect(serialDifference(from, to, bits) + 0).toBe(byRemainder(from, to, bits) + 0);
      }),
      { numRuns: 5000 },
    );
    for (const bits of [1, 8, 16, 31, 32]) {
      const modulus = 2 ** bits;
      for (const [from, to] of [[0, modulus - 1], [modulus - 1, 0], [0, modulus / 2], [modulus / 2, 0], [5, 5 + 3 * modulus], [2 ** 40, 1], [-1, modulus]]) {
        expect(serialDifference(from!, to!, bits) + 0).toBe(byRemainder(from!, to!, bits) + 0);
      }
    }
  });

  it("keeps NaN, infinities and fractions on the remainder path", () => {
    expect(serialDifference(0, Number.NaN, 16)).toBeNaN();
    expect(serialDifference(0, Number.POSITIVE_INFINITY, 16)).toBeNaN();
    expect(serialDifference(0, 1.5, 16)).toBe(1.5);
    expect(serialDifference(65_535.5, 0, 16)).toBe(0.5);
  });
});
