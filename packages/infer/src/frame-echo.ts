import type { DirectionStream } from "./direction-stream.js";
import { readFieldParts, shapeLabel, type FieldShape } from "./field-shape.js";
import { confidenceOf } from "./inferred-field.js";
import { log10NullProbability, MAX_LOG10_NULL_PROBABILITY, testEvidence, type TestEvidence } from "./null-hypothesis.js";

/** Messages framed as type (u8) + length after the header: where, and how wide the length is. */
export interface FrameLayout {
  /** Offset of the first frame (its type byte). */
  start: number;
  /**
   * Width and byte order of the length that follows the type byte (the bytes
   * after the length); absent for self-delimiting messages, where only the
   * first message (to the end of the datagram) is looked at.
   */
  length?: { bytes: number; littleEndian: boolean };
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
  if (layout.length === undefined) return position < payload.length ? [{ type: payload[position]!, body: position + 1, end: payload.length }] : [];
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

/** The first time in ascending `times` after `from` (Infinity when none). */
function firstTimeAfter(times: readonly number[], from: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (times[middle]! <= from) low = middle + 1;
    else high = middle;
  }
  return low < times.length ? times[low]! : Number.POSITIVE_INFINITY;
}

/** Half-width of the window around the typical echo delay in which a neighbouring value must not come back too. */
const SHIFT_WINDOW_US = 20_000;

/**
 * Whether a request/reply pairing is two counters running side by side rather
 * than an echo: around the typical delay (± 20 ms), the request's neighbouring
 * values (v ± its usual step) come back as often as v itself. A ping id's
 * neighbour comes back a ping interval later, far outside that window.
 */
function countersSideBySide(passes: readonly { from: DirectionStream; peerValues: Map<number, Map<number, number[]>> }[], layout: FrameLayout, key: number): boolean {
  const request = Math.floor(key / 4096);
  const reply = key % 4096;
  const requestType = Math.floor(request / 16);
  const requestOffset = Math.floor(request / 2) % 8;
  const littleEndian = request % 2 === 1;
  const parts = { high: 0, low: 0 };
  const occurrences: { time: number; value: number; peerValues: Map<number, Map<number, number[]>> }[] = [];
  for (const { from, peerValues } of passes) {
    for (let index = 0; index < from.payloads.length; index++) {
      for (const frame of framesOf(from.payloads[index]!, layout)) {
        if (frame.type !== requestType || frame.body + requestOffset + 4 > frame.end) continue;
        readFieldParts(from.payloads[index]!, { offset: frame.body + requestOffset, bytes: 4, littleEndian }, parts);
        occurrences.push({ time: from.times[index]!, value: parts.low, peerValues });
      }
    }
  }
  // the request field's usual step between consecutive messages (1 for a counter; 256 for a counter read one byte early …)
  const steps = new Map<number, number>();
  for (let index = 1; index < occurrences.length; index++) {
    if (occurrences[index]!.peerValues !== occurrences[index - 1]!.peerValues) continue;
    const step = (occurrences[index]!.value - occurrences[index - 1]!.value + 2 ** 32) % 2 ** 32;
    if (step !== 0) steps.set(step, (steps.get(step) ?? 0) + 1);
  }
  let step = 1;
  let stepCount = 0;
  for (const [candidate, count] of steps) if (count > stepCount) [step, stepCount] = [candidate, count];
  const delayOf = (occurrence: (typeof occurrences)[number], value: number) => firstTimeAfter(occurrence.peerValues.get(value)?.get(reply) ?? [], occurrence.time) - occurrence.time;
  const delays = occurrences.map((occurrence) => delayOf(occurrence, occurrence.value)).filter((delay) => delay <= MAX_ECHO_DELAY_US).sort((a, b) => a - b);
  if (delays.length === 0) return true;
  const typical = delays[delays.length >> 1]!;
  let exact = 0;
  let shifted = 0;
  for (const occurrence of occurrences) {
    if (Math.abs(delayOf(occurrence, occurrence.value) - typical) <= SHIFT_WINDOW_US) exact += 1;
    for (const neighbour of [(occurrence.value - step + 2 ** 32) % 2 ** 32, (occurrence.value + step) % 2 ** 32]) if (Math.abs(delayOf(occurrence, neighbour) - typical) <= SHIFT_WINDOW_US) shifted += 0.5;
  }
  return shifted >= 0.3 * exact;
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
  const passes: { from: DirectionStream; peerValues: Map<number, Map<number, number[]>> }[] = [];
  for (const sessionStreams of bySession.values()) {
    if (sessionStreams.length !== 2) continue;
    for (const [from, to] of [sessionStreams, [...sessionStreams].reverse()] as [DirectionStream, DirectionStream][]) {
      // the peer's values: value → (type:offset:order) → capture times (ascending)
      const peerValues = new Map<number, Map<number, number[]>>();
      passes.push({ from, peerValues });
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
  // every pairing that passes; the most regular one (a ping is answered every time) wins,
  // unless two counters merely run side by side (see shiftedMatches)
  const nullRate = 2 ** -22;
  const passing: { key: number; matches: number; trials: number; log10: number }[] = [];
  for (const [key, matches] of counts) {
    const trials = requests.get(Math.floor(key / 4096)) ?? 0;
    const log10 = log10NullProbability(matches, trials, nullRate);
    if (matches < 5 || matches / trials < 0.5 || log10 > MAX_LOG10_NULL_PROBABILITY) continue;
    passing.push({ key, matches, trials, log10 });
  }
  passing.sort((a, b) => b.matches / b.trials - a.matches / a.trials || b.matches - a.matches);
  // the same bytes read in the other byte order pair up just as well: a counter shows in one of the two readings
  const flipOrder = (key: number) => (Math.floor(key / 4096) ^ 1) * 4096 + ((key % 4096) ^ 1);
  const best = passing.find((candidate) => !countersSideBySide(passes, layout, candidate.key) && !countersSideBySide(passes, layout, flipOrder(candidate.key)));
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
