/**
 * Extends a wrapping sequence number (e.g. 16-bit) to a monotonic integer by
 * choosing, for each new value, the candidate nearest to the highest value
 * seen so far. Handles wrap-around, reordering and duplicates.
 */
export function unwrapNearest(value: number, bits: number, reference: number): number {
  if (bits <= 30 && reference >= 0 && reference <= 0x7fffffff && (reference | 0) === reference && (value | 0) === value && value >= 0) {
    const mask = (1 << bits) - 1;
    const half = 1 << (bits - 1);
    let delta = (value & mask) - (reference & mask);
    if (delta > half) delta -= mask + 1;
    else if (delta < -half) delta += mask + 1;
    return reference + delta;
  }
  const modulus = 2 ** bits;
  const low = ((value % modulus) + modulus) % modulus;
  const referenceLow = ((reference % modulus) + modulus) % modulus;
  let delta = low - referenceLow;
  if (delta > modulus / 2) delta -= modulus;
  else if (delta < -modulus / 2) delta += modulus;
  return reference + delta;
}

/** Bit width to assume for a sequence: the role's `sequenceBits`, else 16 (32 for larger values). */
export function sequenceWidth(value: number, bits: number | undefined): number {
  if (bits !== undefined && bits > 0 && bits <= 48) return bits;
  return value > 0xffff ? 32 : 16;
}
