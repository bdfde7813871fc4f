/**
 * Signed distance `to - from` of two sequence numbers of `bits` bits, with
 * wrap-around (RFC 1982 serial arithmetic): positive when `to` is newer.
 */
export function serialDistance(from: number, to: number, bits: number): number {
  if (bits >= 53) return to - from;
  const modulus = 2 ** bits;
  let distance = (to - from) % modulus;
  if (distance < 0) distance += modulus;
  return distance >= modulus / 2 ? distance - modulus : distance;
}
