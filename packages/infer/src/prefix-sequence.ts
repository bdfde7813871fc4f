import type { DirectionStream } from "./direction-stream.js";
import { partsDifference, readFieldParts } from "./field-shape.js";
import { confidenceOf, type InferredField } from "./inferred-field.js";
import { log10NullProbability, MAX_LOG10_NULL_PROBABILITY, testEvidence } from "./null-hypothesis.js";
import { MIN_SEQUENCE_PAIRS } from "./layout-inference.js";

/** Bytes needed to write `value` (high:low parts) without leading zero bytes (1 for 0). */
function bytesNeeded(high: number, low: number): number {
  let bytes = 8;
  while (bytes > 1) {
    const shift = (bytes - 1) * 8;
    const byte = shift >= 32 ? Math.floor(high / 2 ** (shift - 32)) % 256 : Math.floor(low / 2 ** shift) % 256;
    if (byte !== 0) break;
    bytes -= 1;
  }
  return bytes;
}

/** Result of {@link inferPrefixSequence}: the prefix fields, and how many byte counts were seen. */
export interface PrefixSequenceResult {
  /** Prefix byte (count nibble, type nibble) and the variable-length sequence. */
  fields: InferredField[];
  /** Distinct sequence byte counts seen. */
  byteCounts: number;
}

/**
 * netcode's plaintext prefix (and any protocol built like it): a prefix byte
 * whose high nibble is the number of sequence bytes (1–8) that follow,
 * little-endian without leading zero bytes, and whose low nibble is the packet
 * type. Found when that sequence steps by +1 per datagram and its byte count
 * is the minimal one for its value.
 */
export function inferPrefixSequence(streams: readonly DirectionStream[]): PrefixSequenceResult | undefined {
  const parts = { high: 0, low: 0 };
  let datagrams = 0;
  let wellFormed = 0;
  let minimal = 0;
  let pairs = 0;
  let plusOne = 0;
  let near = 0;
  const byteCounts = new Set<number>();
  const types = new Map<number, number>();
  const perDirection = new Map<string, { pairs: number; plusOne: number }>();
  for (const stream of streams) {
    let previous: { high: number; low: number } | undefined;
    let direction = perDirection.get(stream.direction);
    if (direction === undefined) perDirection.set(stream.direction, (direction = { pairs: 0, plusOne: 0 }));
    for (const payload of stream.payloads) {
      datagrams += 1;
      if (payload.length < 2) continue;
      const count = payload[0]! >> 4;
      if (count < 1 || count > 8 || payload.length < 1 + count) continue;
      wellFormed += 1;
      readFieldParts(payload, { offset: 1, bytes: count, littleEndian: true }, parts);
      if (bytesNeeded(parts.high, parts.low) === count) minimal += 1;
      byteCounts.add(count);
      types.set(payload[0]! & 15, (types.get(payload[0]! & 15) ?? 0) + 1);
      if (previous !== undefined) {
        const step = partsDifference(8, previous.high, previous.low, parts.high, parts.low);
        pairs += 1;
        direction.pairs += 1;
        if (step === 1) {
          plusOne += 1;
          direction.plusOne += 1;
        }
        if (step >= -32 && step <= 32) near += 1;
      }
      previous = { high: parts.high, low: parts.low };
    }
  }
  if (pairs < MIN_SEQUENCE_PAIRS || wellFormed / datagrams < 0.9 || minimal / wellFormed < 0.9 || plusOne / pairs < 0.5 || near / pairs < 0.85) return undefined;
  if ([...perDirection.values()].some((direction) => direction.pairs >= MIN_SEQUENCE_PAIRS && direction.plusOne / direction.pairs < 0.5)) return undefined;
  const nullRate = 1 / 256;
  const log10 = log10NullProbability(plusOne, pairs, nullRate);
  if (log10 > MAX_LOG10_NULL_PROBABILITY) return undefined;
  const evidence = [
    testEvidence("the sequence after the prefix steps by +1 per datagram", plusOne, pairs, nullRate),
    testEvidence("the prefix's high nibble is the minimal byte count of that sequence", minimal, wellFormed, 1 / 8),
  ];
  const typeValues = [...types.entries()].sort((a, b) => b[1] - a[1]).map(([value]) => value);
  const confidence = confidenceOf(plusOne / pairs, log10);
  return {
    byteCounts: byteCounts.size,
    fields: [
      {
        name: "sequenceBytes",
        role: "constant",
        offset: 0,
        bytes: 1,
        littleEndian: false,
        confidence,
        evidence,
        sentence: `the high nibble of byte 0 is the number of sequence bytes that follow (${[...byteCounts].sort().join(", ")} seen)`,
      },
      {
        name: "packetType",
        role: "messageType",
        offset: 0,
        bytes: 1,
        littleEndian: false,
        values: typeValues.slice(0, 16),
        confidence,
        evidence,
        sentence: `the low nibble of byte 0 is the packet type: ${typeValues.slice(0, 8).join(", ")}`,
      },
      {
        name: "sequence",
        role: "sequence",
        offset: 1,
        bytes: Math.max(...byteCounts),
        littleEndian: true,
        variableLength: { countField: "sequenceBytes", typeField: "packetType" },
        confidence,
        evidence,
        sentence: `a little-endian sequence of 1–8 bytes (as many as the prefix's high nibble says) follows the prefix byte and counts datagrams: +1 in ${plusOne} of ${pairs} consecutive pairs`,
      },
    ],
  };
}
