/** Where a candidate integer field sits: byte offset, width in bytes, byte order. */
export interface FieldShape {
  /** Byte offset from the datagram start (after any group prefix). */
  offset: number;
  /** Width in bytes: 1, 2, 3, 4, 6 or 8. */
  bytes: number;
  /** Little-endian (ignored for 1 byte). */
  littleEndian: boolean;
}

/** Candidate widths in bytes (8, 16, 24, 32, 48 and 64 bits). */
export const CANDIDATE_WIDTHS = [1, 2, 3, 4, 6, 8] as const;

/** `u16 LE @4` style label of a shape. */
export function shapeLabel(shape: FieldShape): string {
  const bits = shape.bytes * 8;
  return `u${bits}${shape.bytes === 1 ? "" : shape.littleEndian ? " LE" : " BE"} @${shape.offset}`;
}

/** Index of the least significant byte of a shape. */
export function leastSignificantByte(shape: FieldShape): number {
  return shape.littleEndian ? shape.offset : shape.offset + shape.bytes - 1;
}

/**
 * Reads a field as two parts: `low` = its low 32 bits, `high` = the bits above
 * (0 for widths up to 32). Exact for every width up to 64 without bigint.
 */
export function readFieldParts(payload: Uint8Array, shape: FieldShape, out: { high: number; low: number }): void {
  const { offset, bytes, littleEndian } = shape;
  if (bytes <= 4) {
    let value = 0;
    if (littleEndian) for (let index = bytes - 1; index >= 0; index--) value = value * 256 + payload[offset + index]!;
    else for (let index = 0; index < bytes; index++) value = value * 256 + payload[offset + index]!;
    out.high = 0;
    out.low = value;
    return;
  }
  let high = 0;
  let low = 0;
  for (let index = 0; index < bytes; index++) {
    const byte = payload[littleEndian ? offset + bytes - 1 - index : offset + index]!;
    // shift the 64-bit value (high:low) left by 8 and add the byte
    high = (high * 256 + Math.floor(low / 0x1000000)) % 0x100000000;
    low = (low % 0x1000000) * 256 + byte;
  }
  out.high = high;
  out.low = low;
}

/** The field value as a number (exact up to 48 bits; wider values lose low bits). */
export function fieldValue(high: number, low: number): number {
  return high * 0x100000000 + low;
}

/**
 * Signed shortest difference `to − from` of two values of a field of `bytes`
 * bytes given as high/low parts (serial-number arithmetic, RFC 1982, exact as
 * long as the difference is below 2^53 in magnitude; the same answer as core's
 * `serialDifference` for the full-width values).
 */
export function partsDifference(bytes: number, fromHigh: number, fromLow: number, toHigh: number, toLow: number): number {
  if (bytes <= 4) {
    const modulus = 2 ** (bytes * 8);
    const half = modulus / 2;
    let delta = (toLow - fromLow) % modulus;
    if (delta >= half) delta -= modulus;
    else if (delta < -half) delta += modulus;
    return delta;
  }
  const highBits = (bytes - 4) * 8;
  const highModulus = 2 ** highBits;
  let highDelta = (toHigh - fromHigh) % highModulus;
  if (highDelta >= highModulus / 2) highDelta -= highModulus;
  else if (highDelta < -highModulus / 2) highDelta += highModulus;
  return highDelta * 0x100000000 + (toLow - fromLow);
}
