import type { TestEvidence } from "./null-hypothesis.js";

/** What an inferred field is. */
export type InferredRole = "sequence" | "ack" | "ackBits" | "sendTime" | "length" | "magic" | "sessionId" | "constant" | "messageType";

/** A time unit a sender clock may count in. */
export type ClockUnit = "ns" | "us" | "ms" | "s";

/** One inferred header field with its confidence and the evidence behind it. */
export interface InferredField {
  /** Name in the draft definition. */
  name: string;
  /** What the field is. */
  role: InferredRole;
  /** Byte offset from the datagram start. */
  offset: number;
  /**
   * Width in bytes; for a variable-length field (netcode's sequence) the
   * largest width seen, see {@link variableLength}.
   */
  bytes: number;
  /** Byte order (false for one byte). */
  littleEndian: boolean;
  /** Clock unit of a `sendTime` field. */
  unit?: ClockUnit;
  /** Ticks per second of a `sendTime` counter without a time unit. */
  ticksPerSecond?: number;
  /** Value of a `magic`/`constant` field. */
  constantValue?: number;
  /** Values seen (message types, per-session ids), most common first, at most 16. */
  values?: number[];
  /** For `length`: payload length − value. */
  lengthOffset?: number;
  /** Present only in datagrams whose selector byte is one of these values. */
  when?: { field: string; in: number[] };
  /** A sequence whose byte count is the high nibble of the prefix byte (netcode). */
  variableLength?: { countField: string; typeField: string };
  /** 0–1: how sure inference is (support of the test, scaled by how far beyond chance it is). */
  confidence: number;
  /** The tests that found it. */
  evidence: TestEvidence[];
  /** One human sentence. */
  sentence: string;
}

/**
 * Confidence of a field from its test support and its null probability: the
 * support, scaled down when the result is less than 10^−30 unlikely by chance.
 */
export function confidenceOf(support: number, log10NullProbability: number): number {
  const strength = Math.min(1, Math.max(0, -log10NullProbability / 30));
  return Math.round(support * strength * 100) / 100;
}
