import type { DirectionStream } from "./direction-stream.js";
import { partsDifference, readFieldParts, type FieldShape } from "./field-shape.js";

/** Largest lag (in peer datagrams) an ack may trail the peer's newest captured sequence by. */
export const MAX_ACK_LAG = 32;

/**
 * One acknowledging stream walked against its peer's sequence once (shared by
 * every candidate ack field): for each of its datagrams captured after the
 * peer's first, the peer's newest extended sequence, its low 32 wire bits and
 * how many peer datagrams were captured before it.
 */
export interface AckWalk {
  /** The acknowledging stream. */
  stream: DirectionStream;
  /** Datagram indices in `stream`. */
  indices: number[];
  /** Newest extended peer sequence before each. */
  newestExtended: number[];
  /** Low 32 bits of its wire value. */
  newestLow: number[];
  /** Peer datagrams captured before each. */
  peerCount: number[];
  /** Extended peer sequence → index of its first capture. */
  firstCapture: Map<number, number>;
  /** Extended value of the peer's first sequence. */
  firstExtended: number;
  /** Width of the peer's sequence, bytes. */
  sequenceBytes: number;
}

/** Walks `stream` against the `sequence` field of `peer` (see {@link AckWalk}). */
export function ackWalk(stream: DirectionStream, peer: DirectionStream, sequence: FieldShape): AckWalk {
  const parts = { high: 0, low: 0 };
  const times: number[] = [];
  const extended: number[] = [];
  const lows: number[] = [];
  let previousHigh = 0;
  let previousLow = 0;
  let value = 2 ** 40; // an anchor far from 0 so values before the first stay positive
  const end = sequence.offset + sequence.bytes;
  for (let index = 0; index < peer.payloads.length; index++) {
    const payload = peer.payloads[index]!;
    if (payload.length < end) continue;
    readFieldParts(payload, sequence, parts);
    if (times.length > 0) value += partsDifference(sequence.bytes, previousHigh, previousLow, parts.high, parts.low);
    previousHigh = parts.high;
    previousLow = parts.low;
    times.push(peer.times[index]!);
    extended.push(value);
    lows.push(parts.low);
  }
  const walk: AckWalk = { stream, indices: [], newestExtended: [], newestLow: [], peerCount: [], firstCapture: new Map(), firstExtended: extended[0] ?? 0, sequenceBytes: sequence.bytes };
  let peerIndex = 0;
  let newest = Number.NEGATIVE_INFINITY;
  let newestLow = 0;
  for (let index = 0; index < stream.payloads.length; index++) {
    const time = stream.times[index]!;
    while (peerIndex < times.length && times[peerIndex]! <= time) {
      const value = extended[peerIndex]!;
      if (!walk.firstCapture.has(value)) walk.firstCapture.set(value, peerIndex);
      if (value > newest) {
        newest = value;
        newestLow = lows[peerIndex]!;
      }
      peerIndex += 1;
    }
    if (newest === Number.NEGATIVE_INFINITY) continue;
    walk.indices.push(index);
    walk.newestExtended.push(newest);
    walk.newestLow.push(newestLow);
    walk.peerCount.push(peerIndex);
  }
  return walk;
}

/** Lag of an ack value behind the newest peer sequence, in the narrower width (32 bits at most). */
function lagOf(walk: AckWalk, position: number, ack: FieldShape, ackLow: number): number {
  const bytes = Math.min(ack.bytes, walk.sequenceBytes, 4);
  return -partsDifference(bytes, 0, walk.newestLow[position]!, 0, ackLow);
}

/** Result of {@link ackTest}. */
export interface AckTestResult {
  /** Datagrams compared (both fields present, the peer's sequence already seen). */
  trials: number;
  /** Datagrams whose value trails the peer's newest sequence by 0 … {@link MAX_ACK_LAG}. */
  passes: number;
  /** Median lag of passing datagrams. */
  medianLag: number;
  /** Distinct values of the field among trials (capped at 64). */
  distinctValues: number;
}

/**
 * Whether `ack` tracks the peer direction's sequence: in how many datagrams
 * its value trails the peer's newest captured sequence by 0 … {@link MAX_ACK_LAG}
 * (an ack names the newest datagram received, which the capture point saw
 * before or at the same time).
 */
export function ackTest(walks: readonly AckWalk[], ack: FieldShape): AckTestResult {
  let trials = 0;
  let passes = 0;
  const lags: number[] = [];
  const distinct = new Set<number>();
  const parts = { high: 0, low: 0 };
  const end = ack.offset + ack.bytes;
  for (const walk of walks) {
    for (let position = 0; position < walk.indices.length; position++) {
      const payload = walk.stream.payloads[walk.indices[position]!]!;
      if (payload.length < end) continue;
      readFieldParts(payload, ack, parts);
      const lag = lagOf(walk, position, ack, parts.low);
      trials += 1;
      if (distinct.size < 64) distinct.add(parts.low);
      if (lag >= 0 && lag <= MAX_ACK_LAG) {
        passes += 1;
        if (lags.length < 100_000) lags.push(lag);
      }
    }
  }
  lags.sort((a, b) => a - b);
  return { trials, passes, medianLag: lags.length === 0 ? Number.NaN : lags[lags.length >> 1]!, distinctValues: distinct.size };
}

/** Result of {@link ackBitsTest}. */
export interface AckBitsTestResult {
  /** Bits compared (their sequence is within the capture). */
  trials: number;
  /** Bits equal to "the peer's datagram ack − 1 − i was captured before this datagram". */
  passes: number;
  /** Bits set among those compared. */
  ones: number;
}

/**
 * Whether `bits` is an ack-bit field of `ack`: bit i (least significant
 * first) set when the peer's datagram `ack − 1 − i` was received; compared
 * with what the capture saw of the peer before it.
 */
export function ackBitsTest(walks: readonly AckWalk[], ack: FieldShape, bits: FieldShape): AckBitsTestResult {
  let trials = 0;
  let passes = 0;
  let ones = 0;
  const ackParts = { high: 0, low: 0 };
  const parts = { high: 0, low: 0 };
  const width = bits.bytes * 8;
  const end = Math.max(bits.offset + bits.bytes, ack.offset + ack.bytes);
  for (const walk of walks) {
    // the first 400 datagrams of each stream are plenty (tens of thousands of bits)
    for (let position = 0; position < Math.min(walk.indices.length, 400); position++) {
      const payload = walk.stream.payloads[walk.indices[position]!]!;
      if (payload.length < end) continue;
      readFieldParts(payload, ack, ackParts);
      const lag = lagOf(walk, position, ack, ackParts.low);
      if (lag < 0 || lag > MAX_ACK_LAG) continue;
      const extendedAck = walk.newestExtended[position]! - lag;
      const peerCount = walk.peerCount[position]!;
      readFieldParts(payload, bits, parts);
      for (let bit = 0; bit < width; bit++) {
        const extended = extendedAck - 1 - bit;
        if (extended < walk.firstExtended) break;
        const set = bit < 32 ? Math.floor(parts.low / 2 ** bit) % 2 === 1 : Math.floor(parts.high / 2 ** (bit - 32)) % 2 === 1;
        const first = walk.firstCapture.get(extended);
        const captured = first !== undefined && first < peerCount;
        trials += 1;
        if (set) ones += 1;
        if (set === captured) passes += 1;
      }
    }
  }
  return { trials, passes, ones };
}
