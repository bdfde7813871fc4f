import type { DirectionStream } from "./direction-stream.js";
import { readFieldParts, shapeLabel, type FieldShape } from "./field-shape.js";
import { confidenceOf } from "./inferred-field.js";
import { log10NullProbability, MAX_LOG10_NULL_PROBABILITY, testEvidence, type TestEvidence } from "./null-hypothesis.js";

/** Messages framed as type (u8) + length after the header: where, and how wide the length is. */
export interface FrameLayout {
  /** Offset of the first frame (its type byte). */
  start: number;
  /** Width and byte order of the length that follows the type byte (the bytes after the length). */
  length: { bytes: number; littleEndian: boolean };
}

/** An echo found in framed messages: a value one side sends in one message type and the other returns in another. */
export interface InferredEcho {
  /** Message type carrying the request value. */
  requestType: number;
  /** Byte offset of the value in the request message's body (after the frame header). */
  requestOffset: number;
  /** Message type carrying the reply. */
  replyType: number;
  /** Byte offset in the reply's body. */
  replyOffset: number;
  /** u32 byte order. */
  littleEndian: boolean;
  /** Confidence 0–1. */
  confidence: number;
  /** Evidence. */
  evidence: TestEvidence[];
  /** One human sentence. */
  sentence: string;
}

interface Frame {
  type: number;
  body: number;
  end: number;
}

/** The frames of one datagram (stops at the first frame that does not fit). */
export function framesOf(payload: Uint8Array, layout: FrameLayout, limit = 64): Frame[] {
  const frames: Frame[] = [];
  const parts = { high: 0, low: 0 };
  let position = layout.start;
  while (frames.length < limit && position + 1 + layout.length.bytes <= payload.length) {
    readFieldParts(payload, { offset: position + 1, bytes: layout.length.bytes, littleEndian: layout.length.littleEndian }, parts);
    const body = position + 1 + layout.length.bytes;
    const end = body + parts.low;
    if (end > payload.length) break;
    frames.push({ type: payload[position]!, body, end });
    if (end === position) break;
    position = end;
  }
  return frames;
}

/** Whether ascending `times` holds a time in (from, to]. */
function hasTimeIn(times: readonly number[], from: number, to: number): boolean {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (times[middle]! <= from) low = middle + 1;
    else high = middle;
  }
  return low < times.length && times[low]! <= to;
}

/** Largest delay between an echoed value and its reply. */
const MAX_ECHO_DELAY_US = 2_000_000;

/**
 * Finds a ping/pong pair in framed messages: a u32 at a fixed offset of one
 * message type whose value comes back, within 2 s, from the peer at a fixed
 * offset of another message type. Values must be distinct (ids or clocks, not
 * flags); kept when the pairing is too regular for chance (p < 10^−9).
 */
export function inferFrameEcho(streams: readonly DirectionStream[], layout: FrameLayout): InferredEcho | undefined {
  // keys: (type × 8 + offset) × 2 + order, a request/reply pair as request × 4096 + reply
  const counts = new Map<number, number>();
  const requests = new Map<number, number>();
  const parts = { high: 0, low: 0 };
  const bySession = new Map<string, DirectionStream[]>();
  for (const stream of streams) bySession.set(stream.sessionId, [...(bySession.get(stream.sessionId) ?? []), stream]);
  let candidatesPerFrame = 0;
  for (const sessionStreams of bySession.values()) {
    if (sessionStreams.length !== 2) continue;
    for (const [from, to] of [sessionStreams, [...sessionStreams].reverse()] as [DirectionStream, DirectionStream][]) {
      // the peer's values: value → (type:offset:order) → capture times (ascending)
      const peerValues = new Map<number, Map<number, number[]>>();
      for (let index = 0; index < to.payloads.length; index++) {
        for (const frame of framesOf(to.payloads[index]!, layout)) {
          for (let offset = 0; offset <= 4 && frame.body + offset + 4 <= frame.end; offset++) {
            for (const littleEndian of [false, true]) {
              readFieldParts(to.payloads[index]!, { offset: frame.body + offset, bytes: 4, littleEndian }, parts);
              if (parts.low === 0) continue;
              let byKey = peerValues.get(parts.low);
              if (byKey === undefined) peerValues.set(parts.low, (byKey = new Map()));
              const key = (frame.type * 8 + offset) * 2 + (littleEndian ? 1 : 0);
              const times = byKey.get(key);
              if (times === undefined) byKey.set(key, [to.times[index]!]);
              else times.push(to.times[index]!);
            }
          }
        }
      }
      for (let index = 0; index < from.payloads.length; index++) {
        const time = from.times[index]!;
        for (const frame of framesOf(from.payloads[index]!, layout)) {
          for (let offset = 0; offset <= 4 && frame.body + offset + 4 <= frame.end; offset++) {
            for (const littleEndian of [false, true]) {
              readFieldParts(from.payloads[index]!, { offset: frame.body + offset, bytes: 4, littleEndian }, parts);
              const requestKey = (frame.type * 8 + offset) * 2 + (littleEndian ? 1 : 0);
              requests.set(requestKey, (requests.get(requestKey) ?? 0) + 1);
              candidatesPerFrame += 1;
              if (parts.low === 0) continue;
              for (const [replyKey, times] of peerValues.get(parts.low) ?? []) {
                if (replyKey % 2 !== (littleEndian ? 1 : 0) || Math.floor(replyKey / 16) === frame.type) continue;
                if (!hasTimeIn(times, time, time + MAX_ECHO_DELAY_US)) continue;
                const key = requestKey * 4096 + replyKey;
                counts.set(key, (counts.get(key) ?? 0) + 1);
              }
            }
          }
        }
      }
    }
  }
  // every pairing that passes; the most regular one (a ping is answered every time) wins
  const nullRate = 2 ** -22;
  let best: { key: number; matches: number; trials: number; log10: number } | undefined;
  for (const [key, matches] of counts) {
    const trials = requests.get(Math.floor(key / 4096)) ?? 0;
    const log10 = log10NullProbability(matches, trials, nullRate);
    if (matches < 5 || matches / trials < 0.5 || log10 > MAX_LOG10_NULL_PROBABILITY) continue;
    if (best === undefined || matches / trials > best.matches / best.trials + 1e-9 || (Math.abs(matches / trials - best.matches / best.trials) <= 1e-9 && matches > best.matches)) best = { key, matches, trials, log10 };
  }
  if (best === undefined || candidatesPerFrame === 0) return undefined;
  const { key, matches, trials, log10 } = best;
  const request = Math.floor(key / 4096);
  const reply = key % 4096;
  const requestType = Math.floor(request / 16);
  const requestOffset = Math.floor(request / 2) % 8;
  const replyType = Math.floor(reply / 16);
  const replyOffset = Math.floor(reply / 2) % 8;
  const littleEndian = request % 2 === 1;
  const label = (offset: number) => shapeLabel({ offset, bytes: 4, littleEndian } satisfies FieldShape).replace(/@\d+$/, `at body offset ${offset}`);
  return {
    requestType,
    requestOffset,
    replyType,
    replyOffset,
    littleEndian,
    confidence: confidenceOf(matches / trials, log10),
    evidence: [testEvidence(`a value of message type ${requestType} comes back from the peer in message type ${replyType} within 2 s`, matches, trials, nullRate)],
    sentence: `message type ${requestType} (${label(requestOffset)}) is echoed by the peer in message type ${replyType} (${label(replyOffset)}): ${matches} of ${trials} came back within 2 s (ping/pong)`,
  };
}
