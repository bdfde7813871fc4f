import { serialDifference, type SerialNumber } from "@tickscope/core";

/**
 * Signed distance `to - from` of two sequence numbers of `bits` bits, with
 * wrap-around (RFC 1982 serial arithmetic): positive when `to` is newer. Core's
 * `serialDifference` (exact to 64 bits), under the name the watch detectors use.
 */
export function serialDistance(from: SerialNumber, to: SerialNumber, bits: number): number {
  return serialDifference(from, to, bits);
}
