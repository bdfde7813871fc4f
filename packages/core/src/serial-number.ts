/**
 * Serial-number arithmetic (RFC 1982) exact for fields of 1 to 64 bits.
 *
 * Every package that compares, orders or unwraps a sequence number, ack, tick
 * or wrapping clock uses these functions, so a u64 sequence that starts at
 * 2^63 (netcode's handshake) and a u16 sequence that wraps every 18 minutes at
 * 60 Hz give the same answers everywhere. Values up to 2^53 − 1 may be plain
 * numbers; wider values must be `bigint` (a float near 2^63 is not a sequence
 * number: it has lost its low bits).
 */

/** A raw serial number as a decoder produced it: a safe integer or a bigint. */
export type SerialNumber = number | bigint;

/** Largest width handled exactly with plain numbers. */
const NUMBER_BITS = 52;

/** Validates a width; throws a RangeError for anything outside 1–64. */
function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 64) throw new RangeError(`serial-number width must be an integer of 1 to 64 bits, got ${bits}`);
}

/** `value` mod 2^bits as a bigint (for widths above {@link NUMBER_BITS}). */
function wideResidue(value: SerialNumber, bits: number): bigint {
  return BigInt.asUintN(bits, typeof value === "bigint" ? value : BigInt(Math.trunc(value)));
}

/**
 * Signed shortest distance from `from` to `to` in a space of `bits` bits:
 * positive when `to` is ahead of `from`. Exact whenever the distance is below
 * 2^53 in magnitude (always, for widths up to 53 bits). When the two values are
 * exactly half the space apart the result is −2^(bits−1) (RFC 1982 leaves that
 * case undefined; we call it "behind", so it is never a jump forward).
 * Without a width (a definition that does not say) two numbers give their
 * plain difference and a bigint is taken as a 64-bit value.
 */
export function serialDifference(from: SerialNumber, to: SerialNumber, bits?: number): number {
  if (typeof from === "number" && typeof to === "number") {
    if (bits === undefined) return to - from;
    if (bits <= 32) {
      // Integer operands (every real sequence): the wrapped difference is the low `bits` bits of the
      // difference, sign-extended — two shifts instead of a floating-point remainder. Equal to the
      // general path for any finite integer difference (ToInt32 reduces modulo 2^32, a multiple of
      // 2^bits); NaN, ±Infinity and fractions take the general path. An int32 difference (nearly
      // every one) is recognised by the cheapest test first.
      const difference = to - from;
      if ((difference | 0) === difference || (difference - difference === 0 && difference === Math.trunc(difference))) {
        const shift = 32 - bits;
        return (difference << shift) >> shift;
      }
    }
    if (bits <= NUMBER_BITS + 1) {
      const modulus = 2 ** bits;
      const half = modulus / 2;
      let delta = (to - from) % modulus;
      if (delta >= half) delta -= modulus;
      else if (delta < -half) delta += modulus;
      return delta;
    }
    // Two safe non-negative integers in a space of 54+ bits: their difference is exact and
    // below half the space, so no wrap applies (no bigint needed on this hot path).
    if (bits <= 64 && from >= 0 && to >= 0 && from <= Number.MAX_SAFE_INTEGER && to <= Number.MAX_SAFE_INTEGER) return to - from;
  }
  if (bits === undefined) bits = 64;
  checkBits(bits);
  const modulus = 1n << BigInt(bits);
  let delta = (wideResidue(to, bits) - wideResidue(from, bits)) & (modulus - 1n);
  if (delta >= modulus >> 1n) delta -= modulus;
  return Number(delta);
}

/** True when `a` is strictly before `b` in a space of `bits` bits (RFC 1982 §3.2). */
export function serialLessThan(a: SerialNumber, b: SerialNumber, bits?: number): boolean {
  return serialDifference(a, b, bits) > 0;
}

/** Converts a decoded integer to a {@link SerialNumber}: numbers above 2^53 − 1 are rejected as inexact. */
export function toSerialNumber(value: number | bigint): SerialNumber {
  if (typeof value === "bigint") return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= 0n ? Number(value) : value;
  if (!Number.isSafeInteger(value)) throw new RangeError(`serial number ${value} is not a safe integer; decode wide fields as bigint`);
  return value;
}

/**
 * `value` mod 2^`bits` as an exact plain number (`bits` 1–52, default 52).
 * Equal wire values give equal residues, so this is the key to use for rings,
 * slots and maps of serial numbers, and the way to hand a wide value to code
 * that assumes a narrower (e.g. 32-bit) space.
 */
export function serialResidue(value: SerialNumber, bits = NUMBER_BITS): number {
  if (typeof value === "number") {
    if (value >= 0 && value < 2 ** bits && Number.isInteger(value)) return value;
    if (Number.isSafeInteger(value)) {
      const modulus = 2 ** bits;
      return ((value % modulus) + modulus) % modulus;
    }
  }
  if (!Number.isInteger(bits) || bits < 1 || bits > NUMBER_BITS) throw new RangeError(`serial residue width must be 1 to ${NUMBER_BITS} bits, got ${bits}`);
  if (typeof value === "number" && !Number.isFinite(value)) return Number.NaN;
  return Number(wideResidue(value, bits));
}

/**
 * The wire value `offset` steps after `value` in a space of `bits` bits (before
 * it, for a negative offset), exact, as a {@link SerialNumber} (a plain number
 * whenever it is a safe integer). Without `bits` the space is unbounded: plain
 * arithmetic for numbers (may go negative), 64 bits for bigints.
 */
export function serialAdd(value: SerialNumber, offset: number, bits: number | undefined): SerialNumber {
  if (typeof value === "number") {
    if (bits === undefined) return value + offset;
    if (bits <= NUMBER_BITS) {
      const modulus = 2 ** bits;
      return (((value + offset) % modulus) + modulus) % modulus;
    }
    const sum = value + offset;
    if (sum >= 0 && sum <= Number.MAX_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER) return sum;
  }
  const width = bits ?? 64;
  checkBits(width);
  return toSerialNumber(BigInt.asUintN(width, wideResidue(value, width) + BigInt(offset)));
}

/**
 * A serial number as a report shows it: a plain number when it is a safe
 * integer, else its exact decimal string (JSON has no 64-bit integers, and a
 * float near 2^63 would print a different number).
 */
export function serialNumberForReport(value: SerialNumber): number | string {
  if (typeof value === "number") return Number.isSafeInteger(value) || !Number.isFinite(value) ? value : BigInt(Math.trunc(value)).toString();
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
}

/**
 * Extends a wrapping serial number to a monotonic safe integer, one instance per
 * sequence space. Each value is placed at the candidate nearest to the highest
 * extended value seen so far (handles wrap-around, reordering and duplicates).
 *
 * The first value of a space narrower than 53 bits extends to itself, so
 * extended values of a 16-bit sequence that never wrapped equal the wire
 * values. A wider space (e.g. u64) is anchored at 2^52 for its first value
 * when that value is not a safe integer: extended values then stay exact safe
 * integers however large the wire values are; {@link SerialUnwrapper.wireValue}
 * maps an extended value back to the wire value for reports.
 */
export class SerialUnwrapper {
  /** Highest extended value so far (NaN before the first value). */
  private highest = Number.NaN;
  /** Raw value of {@link highest}. */
  private highestRaw: SerialNumber = 0;
  /** Extended value given to the first raw value. */
  private anchor = 0;
  /** The first raw value, for {@link wireValue}. */
  private firstRaw: SerialNumber = 0;

  /**
   * @param bits width of the field on the wire, 1–64.
   */
  constructor(readonly bits: number) {
    checkBits(bits);
  }

  /** Whether a value has been seen. */
  get started(): boolean {
    return !Number.isNaN(this.highest);
  }

  /** Highest extended value so far (NaN before the first value). */
  get highestExtended(): number {
    return this.highest;
  }

  /** Extends one raw value. Does not advance the reference for values behind it. */
  extend(raw: SerialNumber): number {
    if (Number.isNaN(this.highest)) {
      this.firstRaw = raw;
      this.anchor = typeof raw === "number" && Number.isSafeInteger(raw) && raw >= 0 ? raw : 2 ** NUMBER_BITS;
      this.highest = this.anchor;
      this.highestRaw = raw;
      return this.anchor;
    }
    const extended = this.highest + serialDifference(this.highestRaw, raw, this.bits);
    if (extended > this.highest) {
      this.highest = extended;
      this.highestRaw = raw;
    }
    return extended;
  }

  /** Extends a raw value relative to the current highest without recording it. */
  peek(raw: SerialNumber): number {
    if (Number.isNaN(this.highest)) return typeof raw === "number" && Number.isSafeInteger(raw) && raw >= 0 ? raw : 2 ** NUMBER_BITS;
    return this.highest + serialDifference(this.highestRaw, raw, this.bits);
  }

  /** The wire value (mod 2^bits) of an extended value, exact. */
  wireValue(extended: number): SerialNumber {
    if (this.bits <= NUMBER_BITS && typeof this.firstRaw === "number") {
      const modulus = 2 ** this.bits;
      return (((this.firstRaw + (extended - this.anchor)) % modulus) + modulus) % modulus;
    }
    return toSerialNumber(BigInt.asUintN(this.bits, wideResidue(this.firstRaw, this.bits) + BigInt(extended - this.anchor)));
  }
}
