import { ErrorCode, TickscopeError } from "../errors.js";
import type { FieldRecord, FieldValue } from "../game-message.js";
import type { Direction } from "../session.js";
import { encodeText, type BitReader, type BitWriter } from "./bits.js";
import type { ConstraintPlan, FieldPlan } from "./plan.js";
import type { PluginContext, ProtocolPlugin } from "./plugins.js";




/** State shared by a decode of one datagram. */
export interface CodecContext {
  /** Called for non-fatal constraint violations. */
  violation(code: string, fieldPath: string, detail: string): void;
  /** Plugins by name (resolved at compile time). */
  plugins: Map<string, ProtocolPlugin>;
  sessionId: string;
  direction: Direction;
  /** Copy byte values out of the read buffer (for results kept after the call). */
  copyBytes: boolean;
  /** Bit position of the frame length field written by the encoder (−1 when none). */
  frameLengthPosition: number;
  /** Decode work units left for this datagram (see `MAX_DECODE_WORK`); below 0 the decode stops. */
  work: number;
}

/** Decodes the fields of one struct level into `scopes[level]`. */
export type DecodeFields = (reader: BitReader, scopes: FieldRecord[], context: CodecContext) => void;
/** Encodes the fields of one struct level from `scopes[level]`. */
export type EncodeFields = (writer: BitWriter, scopes: FieldRecord[], context: CodecContext) => void;

/** Throws `E_DECODE_FAILED` for a field. */
export function decodeFailure(fieldPath: string, detail: string, code: string = ErrorCode.decodeFailed): never {
  throw new TickscopeError(code as typeof ErrorCode.decodeFailed, `${fieldPath}: ${detail}`, { fieldPath });
}

/** Throws `E_ENCODE_FAILED` for a field. */
export function encodeFailure(fieldPath: string, detail: string): never {
  throw new TickscopeError(ErrorCode.encodeFailed, `${fieldPath}: ${detail}`, { fieldPath });
}

/** Throws the failure of a switch without a case (or default) for `value`: same words when decoding and encoding. */
export function noCaseFailure(fieldPath: string, on: string, value: unknown, encoding: boolean): never {
  const detail = `no case for ${on} = ${String(value)}`;
  return encoding ? encodeFailure(fieldPath, detail) : decodeFailure(fieldPath, detail);
}

/** Largest text a fixed or field length may pad to when encoding (bounds the encoder's memory). */
export const MAX_ENCODED_TEXT_BYTES = 1 << 20;

/** Reports a constraint violation of a decoded value (non-fatal). */
export function checkConstraint(constraint: ConstraintPlan, value: unknown, path: string, context: CodecContext): void {
  if (constraint.values !== undefined) {
    const key = typeof value === "bigint" && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    if (!constraint.values.has(key)) {
      context.violation(ErrorCode.valueOutOfRange, path, `${String(value)} is not one of the allowed values`);
      return;
    }
  }
  const number = typeof value === "bigint" ? Number(value) : typeof value === "boolean" ? (value ? 1 : 0) : (value as number);
  if (constraint.min !== undefined && number < constraint.min) context.violation(ErrorCode.valueOutOfRange, path, `${String(value)} < min ${constraint.min}`);
  if (constraint.max !== undefined && number > constraint.max) context.violation(ErrorCode.valueOutOfRange, path, `${String(value)} > max ${constraint.max}`);
}

/** A length/count value read from another field, checked to be a sane non-negative integer. */
export function sizeFrom(value: unknown, path: string): number {
  const number = typeof value === "bigint" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number) || number < 0) return decodeFailure(path, `length/count ${String(value)} is not a non-negative integer`);
  return number;
}

/** Reads a length/count prefix. */
export function readPrefix(reader: BitReader, prefix: "u8" | "u16" | "u32" | "varint", path: string): number {
  if (prefix === "u8") return reader.uint(8, false);
  if (prefix === "u16") return reader.uint(16, false);
  if (prefix === "u32") return reader.uint(32, false);
  return sizeFrom(reader.varint(false), path);
}

/** Writes a length/count prefix. */
export function writePrefix(writer: BitWriter, prefix: "u8" | "u16" | "u32" | "varint", value: number): void {
  if (prefix === "varint") writer.varint(value, false);
  else writer.uint(value, prefix === "u8" ? 8 : prefix === "u16" ? 16 : 32, false);
}

/** Throws `E_LENGTH_EXCEEDED` when a length or count is above its maximum. */
export function checkMaximum(value: number, maximum: number | undefined, path: string): void {
  if (maximum !== undefined && value > maximum) decodeFailure(path, `${value} exceeds the maximum ${maximum}`, ErrorCode.lengthExceeded);
}

/** Throws `E_TRUNCATED` when `count` elements of at least `minimumBits` cannot fit in what is left. */
export function checkFits(reader: BitReader, count: number, minimumBits: number, path: string): void {
  if (count * minimumBits > reader.end - reader.position) {
    throw new TickscopeError(ErrorCode.truncated, `${path}: ${count} elements need at least ${count * minimumBits} bits, ${reader.end - reader.position} left`, {
      fieldPath: path,
      offset: reader.position >>> 3,
    });
  }
}

/** Decodes a quantized value. */
export function dequantize(raw: number, min: number, max: number, steps: number): number {
  return min + (raw * (max - min)) / steps;
}

/** Encodes a quantized value (clamped to the range). */
export function quantize(value: unknown, min: number, max: number, steps: number, path: string): number {
  if (typeof value !== "number" || Number.isNaN(value)) return encodeFailure(path, `${String(value)} is not a number`);
  const raw = Math.round(((value - min) / (max - min)) * steps);
  return raw < 0 ? 0 : raw > steps ? steps : raw;
}

/**
 * The raw integer of a scaled value (`value = raw × scale + offset`): the
 * nearest raw step, so every decoded value re-encodes to its own bytes. The
 * writer then checks that it fits the field's width.
 */
export function unscale(value: unknown, scale: number, offset: number, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) return encodeFailure(path, `${String(value)} is not a finite number`);
  const raw = Math.round((value - offset) / scale);
  // -0 and 0 are the same raw integer.
  return raw === 0 ? 0 : raw;
}

/** The bytes of a bytes/string value for encoding. */
export function valueBytes(value: unknown, text: "utf8" | "ascii" | null, path: string): Uint8Array {
  if (text !== null) {
    if (typeof value !== "string") return encodeFailure(path, "expected a string");
    return encodeText(value, text === "ascii");
  }
  if (!(value instanceof Uint8Array)) return encodeFailure(path, "expected a Uint8Array");
  return value;
}

/** Computes the value of a derived (count / byte length) field from its target sibling. */
export function derivedValue(field: FieldPlan, record: FieldRecord): unknown {
  const derived = field.derived!;
  const target = record[derived.target];
  if (derived.kind === "count") return Array.isArray(target) ? target.length : record[field.name];
  if (target === undefined) return record[field.name];
  if (typeof target === "string") return encodeText(target, derived.ascii === true).length;
  if (target instanceof Uint8Array) return target.length;
  return record[field.name];
}

/** Resolves a plugin's context. */
export function pluginContext(context: CodecContext, options: Record<string, unknown>): PluginContext {
  return { sessionId: context.sessionId, direction: context.direction, options };
}

/** Looks a plugin up or throws. */
export function requirePlugin(context: CodecContext, name: string, path: string): ProtocolPlugin {
  const plugin = context.plugins.get(name);
  if (plugin?.field === undefined) return decodeFailure(path, `no field plugin ${JSON.stringify(name)} registered`);
  return plugin;
}

/** Fixes a byte length field (text byte length) used by bytes `{field}` lengths. */
export function fixedBytes(bytes: Uint8Array, length: number, text: boolean, path: string): Uint8Array {
  if (bytes.length === length) return bytes;
  if (text && bytes.length < length) {
    if (length > MAX_ENCODED_TEXT_BYTES) return encodeFailure(path, `text padded to ${length} bytes (at most ${MAX_ENCODED_TEXT_BYTES})`);
    const padded = new Uint8Array(length);
    padded.set(bytes);
    return padded;
  }
  return encodeFailure(path, `needs exactly ${length} bytes, got ${bytes.length}`);
}
