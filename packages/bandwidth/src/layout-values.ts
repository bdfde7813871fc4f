import { ErrorCode, TickscopeError, type FieldValue } from "@tickscope/core";
import { smallestThreeCode } from "./smallest-three.js";
import { childPathOf } from "./field-values.js";
import type { LeafKind, QuantizationSpec, SmallestThreeSpec } from "./reencoder.js";

// A message layout's types and the value helpers its encoder, decoder and size
// counter (layout-size-counter.ts) share: reading a struct, array or number,
// a leaf's width and original quantization, field paths, keyed-array lookup,
// and whether two values encode alike.

/** Encoded type of a field in a {@link MessageLayout}. */
export type WireType =
  | { kind: "uint"; bits: number }
  | { kind: "int"; bits: number }
  | { kind: "float32" }
  | { kind: "float64" }
  | { kind: "bool" }
  | { kind: "quantized"; min: number; max: number; bits: number }
  | { kind: "bytes"; lengthBits: number }
  | { kind: "struct"; fields: readonly WireField[] }
  | { kind: "array"; countBits: number; element: WireType; keyField?: string; entities?: boolean; fixedCount?: number };

/** A named field of a struct or message. */
export interface WireField {
  name: string;
  type: WireType;
}

/**
 * Bit-level layout of one message type: a type id, then the frame fields (sent
 * as they are: never quantized nor delta-encoded, e.g. a type byte and a length
 * prefix), then the fields in order, most-significant bit first, padded to a
 * whole byte.
 */
export interface MessageLayout {
  type: string;
  typeId: number;
  typeIdBits: number;
  frame?: readonly WireField[];
  fields: readonly WireField[];
}

/** A decoded struct: its fields by name. */
export type Struct = { readonly [field: string]: FieldValue };

/** `value` as a struct, or an `E_ENCODE_FAILED` error naming `path`. */
export function asStruct(value: FieldValue | undefined, path: string): Struct {
  if (value === null || value === undefined || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
    throw new TickscopeError(ErrorCode.encodeFailed, `expected a struct at ${path}`, { fieldPath: path });
  }
  return value as Struct;
}

/** `value` as an array, or an `E_ENCODE_FAILED` error naming `path`. */
export function asArray(value: FieldValue | undefined, path: string): readonly FieldValue[] {
  if (!Array.isArray(value)) throw new TickscopeError(ErrorCode.encodeFailed, `expected an array at ${path}`, { fieldPath: path });
  return value as readonly FieldValue[];
}

/** `value` as a number (bigints and booleans converted), or an `E_ENCODE_FAILED` error naming `path`. */
export function asNumber(value: FieldValue | undefined, path: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  throw new TickscopeError(ErrorCode.encodeFailed, `expected a number at ${path}`, { fieldPath: path });
}

/** Integer sent for `value` under a quantization (clamped to the representable range). */
export function quantizeValue(value: number, spec: QuantizationSpec): number {
  const maximum = spec.bits >= 31 ? 2 ** spec.bits - 1 : (1 << spec.bits) - 1;
  const integer = Math.round((value - spec.min) / spec.step);
  if (!(integer > 0)) return 0;
  return integer > maximum ? maximum : integer;
}

/** Value a receiver decodes from a quantized integer. */
export function dequantizeValue(integer: number, spec: QuantizationSpec): number {
  return spec.min + integer * spec.step;
}

/** The leaf kind of a wire type; undefined for structs and arrays. */
export function leafKind(type: WireType): LeafKind | undefined {
  switch (type.kind) {
    case "struct":
    case "array":
      return undefined;
    default:
      return type.kind;
  }
}

/** Fixed bits of a leaf (a byte string's length prefix only); 0 for structs and arrays. */
export function leafBits(type: WireType): number {
  switch (type.kind) {
    case "uint":
    case "int":
    case "quantized":
      return type.bits;
    case "float32":
      return 32;
    case "float64":
      return 64;
    case "bool":
      return 1;
    case "bytes":
      return type.lengthBits;
    default:
      return 0;
  }
}

const originalSpecs = new WeakMap<WireType, QuantizationSpec>();

/** The quantization a `quantized` leaf is sent with as it is (cached per type); undefined for other types. */
export function originalQuantization(type: WireType): QuantizationSpec | undefined {
  if (type.kind !== "quantized") return undefined;
  let spec = originalSpecs.get(type);
  if (spec === undefined) {
    spec = { min: type.min, step: (type.max - type.min) / (2 ** type.bits - 1), bits: type.bits };
    originalSpecs.set(type, spec);
  }
  return spec;
}

// Paths are built once and reused (field-values' bounded path caches): encoding allocates no strings per field.
interface FieldPaths {
  prefix: string;
  paths: readonly string[];
  /** Paths under other prefixes, when one field list is used at several places. */
  others?: Map<string, readonly string[]>;
}

const fieldPathCache = new WeakMap<readonly WireField[], FieldPaths>();

/** The paths of a struct's fields under `prefix` (index-aligned with `fields`): one lookup per struct, not per field. */
export function fieldPaths(fields: readonly WireField[], prefix: string): readonly string[] {
  const cached = fieldPathCache.get(fields);
  if (cached !== undefined && cached.prefix === prefix) return cached.paths;
  const build = (): readonly string[] => fields.map((field) => childPathOf(prefix, field.name));
  if (cached === undefined) {
    const paths = build();
    fieldPathCache.set(fields, { prefix, paths });
    return paths;
  }
  cached.others ??= new Map();
  let paths = cached.others.get(prefix);
  if (paths === undefined) {
    paths = build();
    cached.others.set(prefix, paths);
  }
  return paths;
}

/** Bytes of a byte-string or text leaf (UTF-8 for text); 0 otherwise. */
export function bytesLength(value: FieldValue | undefined): number {
  if (value instanceof Uint8Array) return value.length;
  if (typeof value === "string") return Buffer.byteLength(value);
  return 0;
}

/** The key of a keyed array's item (bigints as numbers); undefined when the item is not a struct. */
export function keyOf(item: FieldValue | undefined, keyField: string): unknown {
  if (item === null || item === undefined || typeof item !== "object") return undefined;
  const key = (item as Struct)[keyField];
  return typeof key === "bigint" ? Number(key) : key;
}

/**
 * Lookup of the items of a keyed array by key, with a Map's answer (the last
 * item with the key). Items whose keys are numbers in strictly increasing
 * order (entity lists usually are) need no Map: an item is found at its
 * position in the other list or by binary search.
 */
export interface KeyIndex {
  items: readonly FieldValue[];
  keyField: string;
  /** Set when the keys are not strictly increasing numbers. */
  map: Map<unknown, FieldValue> | undefined;
}

/** Indexes a keyed array's items ({@link KeyIndex}). */
export function keyIndex(items: readonly FieldValue[], keyField: string): KeyIndex {
  let previous = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < items.length; index++) {
    const key = keyOf(items[index], keyField);
    if (typeof key !== "number" || !(key > previous)) return { items, keyField, map: indexByKey(items, keyField) };
    previous = key;
  }
  return { items, keyField, map: undefined };
}

/** The item with `key` (see {@link KeyIndex}); `position` is where to look first. */
export function lookupKey(index: KeyIndex, key: unknown, position: number): FieldValue | undefined {
  if (index.map !== undefined) return index.map.get(key);
  if (typeof key !== "number") return undefined;
  const items = index.items;
  if (position < items.length && keyOf(items[position], index.keyField) === key) return items[position];
  let low = 0;
  let high = items.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const candidate = keyOf(items[middle], index.keyField) as number;
    if (candidate === key) return items[middle];
    if (candidate < key) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

/** The items of a keyed array by key (the last item with a key wins). */
export function indexByKey(items: readonly FieldValue[], keyField: string): Map<unknown, FieldValue> {
  const map = new Map<unknown, FieldValue>();
  for (const item of items) map.set(keyOf(item, keyField), item);
  return map;
}

/** Whether two byte-string or text leaves hold the same bytes. */
function sameBytes(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/** Equality of two leaf values in their encoded form (`quantize` = the variant's quantization, if any). */
export function sameEncoded(type: WireType, a: FieldValue | undefined, b: FieldValue | undefined, quantize: QuantizationSpec | undefined): boolean {
  if (type.kind === "bytes") return sameBytes(a, b);
  if (typeof a !== typeof b && !(typeof a === "number" || typeof a === "bigint")) return false;
  const x = asNumber(a, "");
  const y = asNumber(b, "");
  if (quantize !== undefined) return quantizeValue(x, quantize) === quantizeValue(y, quantize);
  switch (type.kind) {
    case "float32":
      return Object.is(Math.fround(x), Math.fround(y)) || (x === 0 && y === 0);
    case "quantized": {
      const spec = originalQuantization(type)!;
      return quantizeValue(x, spec) === quantizeValue(y, spec);
    }
    default:
      return x === y || (Number.isNaN(x) && Number.isNaN(y));
  }
}

/** Whether two values of a leaf encode to the same bits as sent originally. */
export function sameOriginal(type: WireType, a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  try {
    return sameEncoded(type, a, b, undefined);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- encoding

/** Largest value of an unsigned integer of 0–53 bits, by width (looked up, not recomputed per leaf). */
export const UINT_MAXIMUMS: readonly number[] = Array.from({ length: 54 }, (_, bits) => 2 ** bits - 1);

/** 2^(bits − 1) of a signed integer of 1–53 bits, by width. */
export const INT_HALVES: readonly number[] = Array.from({ length: 54 }, (_, bits) => 2 ** (bits - 1));

/** The smallest-three code of a quaternion struct under `spec`. */
export function quaternionCode(value: FieldValue | undefined, spec: SmallestThreeSpec, path: string): [number, number, number, number] {
  const struct = asStruct(value, path);
  return smallestThreeCode(spec.fields.map((name) => asNumber(struct[name], `${path}.${name}`)), spec);
}

/** Whether two smallest-three codes are equal. */
export function sameCode(a: readonly number[], b: readonly number[]): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** The value of a 54–64-bit integer leaf, or the error its encoding raises. */
export function checkedWideInteger(signed: boolean, bits: number, value: FieldValue | undefined, path: string): bigint {
  let big: bigint;
  if (typeof value === "bigint") big = value;
  else if (typeof value === "number" && Number.isInteger(value)) big = BigInt(value);
  else throw new TickscopeError(ErrorCode.encodeFailed, `expected an integer at ${path}`, { fieldPath: path });
  const modulus = 1n << BigInt(bits);
  if (signed ? big < -(modulus >> 1n) || big >= modulus >> 1n : big < 0n || big >= modulus) {
    throw new TickscopeError(ErrorCode.encodeFailed, `${big} does not fit ${signed ? "int" : "uint"}${bits} at ${path}`, { fieldPath: path });
  }
  return big;
}
