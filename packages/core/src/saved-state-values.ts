import { Type, type Static } from "@sinclair/typebox";
import type { SerialNumber } from "./serial-number.js";

/**
 * A float64 in an analyzer's saved state (`MergeableAnalyzer.saveState()`): a
 * finite number as itself, NaN and ±Infinity as the strings `"NaN"`,
 * `"Infinity"`, `"-Infinity"` (JSON has no such numbers; `JSON.stringify(NaN)`
 * would silently become `null`).
 */
export const EncodedFloatSchema = Type.Union([Type.Number(), Type.Literal("NaN"), Type.Literal("Infinity"), Type.Literal("-Infinity")]);

/** See {@link EncodedFloatSchema}. */
export type EncodedFloat = Static<typeof EncodedFloatSchema>;

/**
 * A serial number (sequence, ack, tick) in saved state: a number as
 * {@link EncodedFloat}, a bigint (a 64-bit field) as its decimal string.
 */
export const EncodedSerialSchema = Type.Union([EncodedFloatSchema, Type.String({ pattern: "^-?[0-9]{1,40}$" })]);

/** See {@link EncodedSerialSchema}. */
export type EncodedSerial = Static<typeof EncodedSerialSchema>;

/** Encodes a float64 for saved state (see {@link EncodedFloatSchema}). */
export function encodeFloat(value: number): EncodedFloat {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}

/** Decodes a float64 saved by {@link encodeFloat}. */
export function decodeFloat(value: EncodedFloat): number {
  if (typeof value === "number") return value;
  return value === "NaN" ? Number.NaN : value === "Infinity" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** Encodes floats (see {@link EncodedFloatSchema}). */
export function encodeFloats(values: ArrayLike<number>): EncodedFloat[] {
  const result = new Array<EncodedFloat>(values.length);
  for (let index = 0; index < values.length; index++) result[index] = encodeFloat(values[index]!);
  return result;
}

/** Decodes floats saved by {@link encodeFloats}. */
export function decodeFloats(values: readonly EncodedFloat[]): number[] {
  return values.map(decodeFloat);
}

/** Encodes a serial number for saved state (a bigint as its decimal string; see {@link EncodedSerialSchema}). */
export function encodeSerial(value: SerialNumber): EncodedSerial {
  return typeof value === "bigint" ? value.toString() : encodeFloat(value);
}

/** Decodes a serial number saved by {@link encodeSerial}. */
export function decodeSerial(value: EncodedSerial): SerialNumber {
  if (typeof value === "string" && value !== "NaN" && value !== "Infinity" && value !== "-Infinity") return BigInt(value);
  return decodeFloat(value as EncodedFloat);
}
