import { ErrorCode, TickscopeError } from "../errors.js";

/** Work units every datagram may cost to decode, whatever its size. */
export const DECODE_WORK_BASE = 65_536;
/** Work units each byte of a datagram adds to its budget (8 per bit: room for arrays of 1-bit elements). */
export const DECODE_WORK_PER_BYTE = 64;
/** Largest decode work budget of one datagram (reached at 15,360 bytes). */
export const MAX_DECODE_WORK = 1_048_576;

/**
 * Work units a datagram of `payloadBytes` may cost to decode: one unit per field
 * or element decoded, counted statically per message and per array element (see
 * `nodeWork` in plan.ts). Loops that read input are bounded by the datagram's
 * size anyway; the budget bounds the rest (arrays of elements that may be empty,
 * nested counts, frames of empty fields), so a hostile definition cannot make
 * one datagram cost unbounded time or memory.
 */
export function decodeWorkBudget(payloadBytes: number): number {
  return Math.min(MAX_DECODE_WORK, DECODE_WORK_BASE + DECODE_WORK_PER_BYTE * payloadBytes);
}

/** The anomaly of a datagram over its {@link decodeWorkBudget}: `E_LENGTH_EXCEEDED` at `fieldPath`. */
export function decodeWorkExceeded(fieldPath: string): never {
  throw new TickscopeError(
    ErrorCode.lengthExceeded,
    `${fieldPath}: decoding needs more field reads than the decode work budget allows (${DECODE_WORK_BASE} + ${DECODE_WORK_PER_BYTE} per datagram byte, at most ${MAX_DECODE_WORK})`,
    { fieldPath },
  );
}
