import { ackWalk } from "./ack-tests.js";
import { peerStream, type DirectionStream } from "./direction-stream.js";
import { framesOf, type FrameLayout } from "./frame-echo.js";
import { partsDifference, readFieldParts, type FieldShape } from "./field-shape.js";
import { confidenceOf } from "./inferred-field.js";
import { log10NullProbability, MAX_LOG10_NULL_PROBABILITY, testEvidence, type TestEvidence } from "./null-hypothesis.js";

/** A field in framed messages that carries the sender's own RTT measurement (what a client shows as "ping"). */
export interface InferredReportedRtt {
  /** Message type carrying it. */
  messageType: number;
  /** Byte offset in the message body. */
  offset: number;
  /** Width in bytes (2 or 4). */
  bytes: number;
  /** Byte order. */
  littleEndian: boolean;
  /** Unit of the value. */
  unit: "ms" | "us";
  /** Confidence 0–1. */
  confidence: number;
  /** Evidence. */
  evidence: TestEvidence[];
  /** One human sentence. */
  sentence: string;
}

/**
 * A reference RTT per session from acks seen at the capture point: for each
 * datagram of one direction, the time until the first datagram of the other
 * direction whose ack names it; the lower quartile (an ack waits for the
 * peer's next datagram, which adds up to one send interval: the quartile
 * keeps most of that hold out) of the direction that crosses the network
 * (the larger one, wherever the capture was taken).
 */
export function ackRttReferenceMsBySession(streams: readonly DirectionStream[], sequence: FieldShape, ack: FieldShape): Map<string, number> {
  const result = new Map<string, number>();
  const parts = { high: 0, low: 0 };
  for (const stream of streams) {
    const peer = peerStream(streams, stream);
    if (peer === undefined) continue;
    // stream acknowledges peer: the send time of each peer sequence, then the first ack naming it
    const sendTimes = new Map<number, number>();
    const walk = ackWalk(stream, peer, sequence);
    let extended = 2 ** 40;
    let previous: { high: number; low: number } | undefined;
    for (let index = 0; index < peer.payloads.length; index++) {
      const payload = peer.payloads[index]!;
      if (payload.length < sequence.offset + sequence.bytes) continue;
      readFieldParts(payload, sequence, parts);
      if (previous !== undefined) extended += partsDifference(sequence.bytes, previous.high, previous.low, parts.high, parts.low);
      previous = { high: parts.high, low: parts.low };
      if (!sendTimes.has(extended)) sendTimes.set(extended, peer.times[index]!);
    }
    const samples: number[] = [];
    let highestAcked = Number.NEGATIVE_INFINITY;
    for (let position = 0; position < walk.indices.length; position++) {
      const index = walk.indices[position]!;
      const payload = stream.payloads[index]!;
      if (payload.length < ack.offset + ack.bytes) continue;
      readFieldParts(payload, ack, parts);
      const lag = -partsDifference(Math.min(ack.bytes, sequence.bytes, 4), 0, walk.newestLow[position]!, 0, parts.low);
      if (lag < 0 || lag > 32) continue;
      const acked = walk.newestExtended[position]! - lag;
      if (acked <= highestAcked) continue;
      highestAcked = acked;
      const sent = sendTimes.get(acked);
      if (sent !== undefined) samples.push((stream.times[index]! - sent) / 1000);
    }
    if (samples.length < 5) continue;
    samples.sort((a, b) => a - b);
    const lowerQuartile = samples[samples.length >> 2]!;
    result.set(stream.sessionId, Math.max(result.get(stream.sessionId) ?? 0, lowerQuartile));
  }
  return result;
}

/**
 * Finds a reported RTT: a u16/u32 at a fixed offset of one message type whose
 * values (ms or µs) sit within ±40 % of the session's ack RTT (lower quartile), in
 * every session. Random values land there with a probability of about
 * 0.8 × RTT / 2^width.
 */
export function inferReportedRtt(streams: readonly DirectionStream[], layout: FrameLayout, rttMsBySession: ReadonlyMap<string, number>): InferredReportedRtt | undefined {
  const parts = { high: 0, low: 0 };
  // key: direction, type, offset, width, order, unit packed into one number (no string per value)
  const tally = new Map<number, { trials: number; passes: number; nullRate: number }>();
  const keyOf = (direction: number, type: number, offset: number, bytes: number, littleEndian: boolean, unit: number) =>
    ((((direction * 256 + type) * 16 + offset) * 8 + bytes) * 2 + (littleEndian ? 1 : 0)) * 2 + unit;
  for (const stream of streams) {
    const rttMs = rttMsBySession.get(stream.sessionId);
    if (rttMs === undefined || rttMs <= 0) continue;
    for (const payload of stream.payloads) {
      for (const frame of framesOf(payload, layout)) {
        for (let offset = 0; offset <= 12; offset++) {
          for (const bytes of [2, 4]) {
            if (frame.body + offset + bytes > frame.end) continue;
            for (const littleEndian of [false, true]) {
              readFieldParts(payload, { offset: frame.body + offset, bytes, littleEndian }, parts);
              for (let unit = 0; unit < 2; unit++) {
                const valueMs = unit === 0 ? parts.low : parts.low / 1000;
                const key = keyOf(stream.direction === "clientToServer" ? 0 : 1, frame.type, offset, bytes, littleEndian, unit);
                let entry = tally.get(key);
                if (entry === undefined) tally.set(key, (entry = { trials: 0, passes: 0, nullRate: 0 }));
                entry.trials += 1;
                entry.nullRate += Math.min(1, (0.8 * rttMs * (unit === 0 ? 1 : 1000)) / 2 ** (8 * bytes));
                if (Math.abs(valueMs - rttMs) <= 0.4 * rttMs) entry.passes += 1;
              }
            }
          }
        }
      }
    }
  }
  let best: { key: number; passes: number; trials: number; log10: number; nullRate: number } | undefined;
  for (const [key, entry] of tally) {
    if (entry.trials < 20 || entry.passes / entry.trials < 0.8) continue;
    const nullRate = entry.nullRate / entry.trials;
    const log10 = log10NullProbability(entry.passes, entry.trials, nullRate);
    if (log10 > MAX_LOG10_NULL_PROBABILITY) continue;
    if (best === undefined || log10 < best.log10) best = { key, passes: entry.passes, trials: entry.trials, log10, nullRate };
  }
  if (best === undefined) return undefined;
  let rest = best.key;
  const unit = rest % 2 === 0 ? "ms" : "us";
  rest = Math.floor(rest / 2);
  const littleEndian = rest % 2 === 1;
  rest = Math.floor(rest / 2);
  const bytes = rest % 8;
  rest = Math.floor(rest / 8);
  const offset = rest % 16;
  rest = Math.floor(rest / 16);
  const type = rest % 256;
  const direction = Math.floor(rest / 256) === 0 ? "clientToServer" : "serverToClient";
  return {
    messageType: type,
    offset,
    bytes,
    littleEndian,
    unit,
    confidence: confidenceOf(best.passes / best.trials, best.log10),
    evidence: [testEvidence("within ±40 % of the session's ack RTT (lower quartile)", best.passes, best.trials, best.nullRate)],
    sentence: `message type ${type} (${direction === "clientToServer" ? "client→server" : "server→client"}) carries a reported RTT in ${unit}: u${bytes * 8}${littleEndian ? " LE" : " BE"} at body offset ${offset} is within ±40 % of the measured ack RTT in ${best.passes} of ${best.trials} messages`,
  };
}
