import { ErrorCode, TickscopeError, type FieldRecord, type FieldValue } from "@tickscope/core";
import { BitReader, BitWriter } from "./bit-io.js";
import { smallestThreeCode, smallestThreeComponents } from "./smallest-three.js";
import { childPathOf, elementPathOf } from "./field-values.js";
import type {
  SmallestThreeSpec,
  EncodingVariant,
  EntityArrayDescription,
  LeafDescription,
  LeafKind,
  LeafVisitor,
  QuantizationSpec,
  Reencoder,
} from "./reencoder.js";

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

type Struct = { readonly [field: string]: FieldValue };

function asStruct(value: FieldValue | undefined, path: string): Struct {
  if (value === null || value === undefined || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
    throw new TickscopeError(ErrorCode.encodeFailed, `expected a struct at ${path}`, { fieldPath: path });
  }
  return value as Struct;
}

function asArray(value: FieldValue | undefined, path: string): readonly FieldValue[] {
  if (!Array.isArray(value)) throw new TickscopeError(ErrorCode.encodeFailed, `expected an array at ${path}`, { fieldPath: path });
  return value as readonly FieldValue[];
}

function asNumber(value: FieldValue | undefined, path: string): number {
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

function leafKind(type: WireType): LeafKind | undefined {
  switch (type.kind) {
    case "struct":
    case "array":
      return undefined;
    default:
      return type.kind;
  }
}

function leafBits(type: WireType): number {
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

function originalQuantization(type: WireType): QuantizationSpec | undefined {
  if (type.kind !== "quantized") return undefined;
  let spec = originalSpecs.get(type);
  if (spec === undefined) {
    spec = { min: type.min, step: (type.max - type.min) / (2 ** type.bits - 1), bits: type.bits };
    originalSpecs.set(type, spec);
  }
  return spec;
}

/**
 * The in-package {@link Reencoder}: encodes decoded fields with a small
 * bit-level layout language (integers, floats, quantized floats, booleans,
 * byte strings, structs, arrays), and applies variants (quantization, delta
 * encoding) so their real sizes can be measured and decoded back.
 */
export class LayoutReencoder implements Reencoder {
  private readonly layouts = new Map<string, MessageLayout>();
  private readonly leafCache = new Map<string, LeafDescription[]>();
  private readonly writer = new BitWriter(4096);
  private readonly counter = new BitWriter(0, true);
  /** Size nodes by layout, then by the variant's quantize map, then by its smallest-three map ({@link NO_MAP} for none). */
  private readonly compiled = new WeakMap<MessageLayout, WeakMap<object, WeakMap<object, readonly SizeNode[]>>>();

  constructor(layouts: readonly MessageLayout[]) {
    for (const layout of layouts) {
      if (this.layouts.has(layout.type)) {
        throw new TickscopeError(ErrorCode.invalidOption, `duplicate layout for message type ${layout.type}`);
      }
      this.layouts.set(layout.type, layout);
    }
  }

  /** @inheritdoc */
  messageTypes(): string[] {
    return [...this.layouts.keys()].sort();
  }

  /** @inheritdoc */
  leaves(type: string): readonly LeafDescription[] | undefined {
    const layout = this.layouts.get(type);
    if (layout === undefined) return undefined;
    let cached = this.leafCache.get(type);
    if (cached === undefined) {
      cached = [];
      collectLeaves(layout.fields, "", cached);
      this.leafCache.set(type, cached);
    }
    return cached;
  }

  /** @inheritdoc */
  entityArrays(type: string): readonly EntityArrayDescription[] {
    const layout = this.layouts.get(type);
    if (layout === undefined) return [];
    const result: EntityArrayDescription[] = [];
    for (const field of layout.fields) {
      if (field.type.kind === "array" && (field.type.entities === true || field.type.keyField !== undefined)) {
        result.push(field.type.keyField === undefined ? { field: field.name } : { field: field.name, keyField: field.type.keyField });
      }
    }
    return result;
  }

  /** @inheritdoc */
  visitLeaves(type: string, fields: FieldRecord, previous: FieldRecord | undefined, visitor: LeafVisitor): boolean {
    const layout = this.layouts.get(type);
    if (layout === undefined) return false;
    visitStruct(layout.fields, "", fields, previous, visitor);
    return true;
  }

  /** @inheritdoc */
  encode(type: string, fields: FieldRecord, variant: EncodingVariant, baseline?: FieldRecord): Uint8Array {
    this.write(this.writer, type, fields, variant, baseline);
    return this.writer.finish();
  }

  /**
   * @inheritdoc
   * Counts with the layout compiled for the variant ({@link compileSizeNodes}): the walk of
   * {@link LayoutReencoder.encode} with paths, quantizations and key fields resolved once per
   * (layout, variant) instead of once per field of every message. The variant's maps are read
   * when it is first seen: change a variant by making a new map, not by mutating one.
   */
  encodedLength(type: string, fields: FieldRecord, variant: EncodingVariant, baseline?: FieldRecord): number {
    const layout = this.requireLayout(type);
    const nodes = this.sizeNodes(layout, variant);
    const counter = this.counter;
    counter.reset();
    for (const field of layout.frame ?? []) encodeLeaf(counter, field.type, field.name, fields[field.name], undefined);
    let bits = layout.typeIdBits + counter.bits;
    let base: FieldRecord | undefined;
    if (variant.delta !== undefined) {
      base = baseline;
      bits += base === undefined ? 1 : 1 + variant.delta.baselineReferenceBits;
    }
    bits += countStructBody(nodes, fields, base, base !== undefined, undefined);
    return Math.ceil(bits / 8);
  }

  /** The size nodes of a layout's fields under a variant's quantizations and quaternions (compiled once per pair of maps). */
  private sizeNodes(layout: MessageLayout, variant: EncodingVariant): readonly SizeNode[] {
    let byQuantize = this.compiled.get(layout);
    if (byQuantize === undefined) {
      byQuantize = new WeakMap();
      this.compiled.set(layout, byQuantize);
    }
    const quantizeKey = variant.quantize ?? NO_MAP;
    let byQuaternion = byQuantize.get(quantizeKey);
    if (byQuaternion === undefined) {
      byQuaternion = new WeakMap();
      byQuantize.set(quantizeKey, byQuaternion);
    }
    const quaternionKey = variant.smallestThree ?? NO_MAP;
    let nodes = byQuaternion.get(quaternionKey);
    if (nodes === undefined) {
      nodes = compileSizeNodes(layout.fields, "", variant);
      byQuaternion.set(quaternionKey, nodes);
    }
    return nodes;
  }

  private write(writer: BitWriter, type: string, fields: FieldRecord, variant: EncodingVariant, baseline: FieldRecord | undefined): void {
    const layout = this.requireLayout(type);
    writer.reset();
    writer.writeUint(layout.typeId, layout.typeIdBits);
    const context: EncodeContext = { writer, variant };
    for (const field of layout.frame ?? []) encodeLeaf(writer, field.type, field.name, fields[field.name], undefined);
    let base: FieldRecord | undefined;
    if (variant.delta !== undefined) {
      base = baseline;
      writer.writeBit(base !== undefined);
      if (base !== undefined) writer.writeUint(0, variant.delta.baselineReferenceBits);
    }
    encodeStructBody(context, layout.fields, "", fields, base, base !== undefined);
  }

  /** @inheritdoc */
  decode(type: string, bytes: Uint8Array, variant: EncodingVariant, baseline?: FieldRecord): FieldRecord {
    const layout = this.requireLayout(type);
    const reader = new BitReader(bytes);
    const typeId = reader.readUint(layout.typeIdBits);
    if (typeId !== layout.typeId) {
      throw new TickscopeError(ErrorCode.decodeFailed, `type id ${typeId} is not ${type}`, { fieldPath: type });
    }
    const frame: Record<string, FieldValue> = {};
    for (const field of layout.frame ?? []) frame[field.name] = decodeLeaf(reader, field.type, undefined);
    let base: FieldRecord | undefined;
    if (variant.delta !== undefined) {
      const hasBaseline = reader.readBit();
      if (hasBaseline) {
        if (baseline === undefined) {
          throw new TickscopeError(ErrorCode.decodeFailed, "message is delta-encoded but no baseline was given", { fieldPath: type });
        }
        reader.readUint(variant.delta.baselineReferenceBits);
        base = baseline;
      }
    }
    const context: DecodeContext = { reader, variant };
    const body = decodeStructBody(context, layout.fields, "", base, base !== undefined) as FieldRecord;
    return layout.frame === undefined ? body : { ...frame, ...body };
  }

  private requireLayout(type: string): MessageLayout {
    const layout = this.layouts.get(type);
    if (layout === undefined) throw new TickscopeError(ErrorCode.encodeFailed, `no layout for message type ${type}`, { fieldPath: type });
    return layout;
  }
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
function fieldPaths(fields: readonly WireField[], prefix: string): readonly string[] {
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

function collectLeaves(fields: readonly WireField[], prefix: string, into: LeafDescription[]): void {
  for (const field of fields) collectLeaf(field.type, childPathOf(prefix, field.name), into);
}

function collectLeaf(type: WireType, path: string, into: LeafDescription[]): void {
  if (type.kind === "struct") {
    collectLeaves(type.fields, path, into);
    return;
  }
  if (type.kind === "array") {
    collectLeaf(type.element, `${path}[]`, into);
    return;
  }
  const description: LeafDescription = { path, kind: leafKind(type)!, bits: leafBits(type) };
  const quantization = originalQuantization(type);
  if (quantization !== undefined) description.quantization = quantization;
  into.push(description);
}

// ---------------------------------------------------------------- leaf visiting

function visitStruct(fields: readonly WireField[], prefix: string, value: Struct, previous: Struct | undefined, visitor: LeafVisitor): void {
  const paths = fieldPaths(fields, prefix);
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index]!;
    visitValue(field.type, paths[index]!, value[field.name], previous === undefined ? undefined : previous[field.name], visitor);
  }
}

function visitValue(type: WireType, path: string, value: FieldValue | undefined, previous: FieldValue | undefined, visitor: LeafVisitor): void {
  if (type.kind === "struct") {
    const prior = previous !== undefined && previous !== null && typeof previous === "object" ? (previous as Struct) : undefined;
    visitStruct(type.fields, path, asStruct(value, path), prior, visitor);
    return;
  }
  if (type.kind === "array") {
    const items = asArray(value, path);
    const priorItems = Array.isArray(previous) ? (previous as readonly FieldValue[]) : undefined;
    const elementPath = elementPathOf(path);
    const byKey = priorItems !== undefined && type.keyField !== undefined ? keyIndex(priorItems, type.keyField) : undefined;
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      let prior: FieldValue | undefined;
      if (priorItems !== undefined) prior = byKey !== undefined ? lookupKey(byKey, keyOf(item, type.keyField!), index) : priorItems[index];
      visitValue(type.element, elementPath, item, prior, visitor);
    }
    return;
  }
  const bits = type.kind === "bytes" ? type.lengthBits + 8 * bytesLength(value) : leafBits(type);
  visitor(path, bits, previous === undefined || !sameOriginal(type, value, previous), value);
}

function bytesLength(value: FieldValue | undefined): number {
  if (value instanceof Uint8Array) return value.length;
  if (typeof value === "string") return Buffer.byteLength(value);
  return 0;
}

function keyOf(item: FieldValue | undefined, keyField: string): unknown {
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
interface KeyIndex {
  items: readonly FieldValue[];
  keyField: string;
  /** Set when the keys are not strictly increasing numbers. */
  map: Map<unknown, FieldValue> | undefined;
}

function keyIndex(items: readonly FieldValue[], keyField: string): KeyIndex {
  let previous = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < items.length; index++) {
    const key = keyOf(items[index], keyField);
    if (typeof key !== "number" || !(key > previous)) return { items, keyField, map: indexByKey(items, keyField) };
    previous = key;
  }
  return { items, keyField, map: undefined };
}

/** The item with `key` (see {@link KeyIndex}); `position` is where to look first. */
function lookupKey(index: KeyIndex, key: unknown, position: number): FieldValue | undefined {
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

function indexByKey(items: readonly FieldValue[], keyField: string): Map<unknown, FieldValue> {
  const map = new Map<unknown, FieldValue>();
  for (const item of items) map.set(keyOf(item, keyField), item);
  return map;
}

function sameBytes(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/** Equality of two leaf values in their encoded form (`quantize` = the variant's quantization, if any). */
function sameEncoded(type: WireType, a: FieldValue | undefined, b: FieldValue | undefined, quantize: QuantizationSpec | undefined): boolean {
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

function sameOriginal(type: WireType, a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  try {
    return sameEncoded(type, a, b, undefined);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- encoding

interface EncodeContext {
  readonly writer: BitWriter;
  readonly variant: EncodingVariant;
}

function planFor(context: EncodeContext | DecodeContext, path: string): QuantizationSpec | undefined {
  return context.variant.quantize?.get(path);
}

/** Writes a struct's fields; with a baseline, first one bit "unchanged" (then nothing else). */
function encodeStructBody(
  context: EncodeContext,
  fields: readonly WireField[],
  prefix: string,
  value: Struct,
  base: Struct | undefined,
  withDelta: boolean,
  skipField?: string,
): void {
  if (withDelta && base !== undefined) {
    const unchanged = structUnchanged(context, fields, prefix, value, base, skipField);
    context.writer.writeBit(unchanged);
    if (unchanged) return;
  }
  const paths = fieldPaths(fields, prefix);
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index]!;
    if (field.name === skipField) continue;
    encodeValue(context, field.type, paths[index]!, value[field.name], base === undefined ? undefined : base[field.name], withDelta && base !== undefined);
  }
}

function structUnchanged(context: EncodeContext, fields: readonly WireField[], prefix: string, value: Struct, base: Struct, skipField?: string): boolean {
  const paths = fieldPaths(fields, prefix);
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index]!;
    if (field.name === skipField) continue;
    if (!valueUnchanged(context, field.type, paths[index]!, value[field.name], base[field.name])) return false;
  }
  return true;
}

function valueUnchanged(context: EncodeContext, type: WireType, path: string, value: FieldValue | undefined, base: FieldValue | undefined): boolean {
  if (base === undefined || base === null) return false;
  const quaternion = type.kind === "struct" ? context.variant.smallestThree?.get(path) : undefined;
  if (quaternion !== undefined) return sameCode(quaternionCode(value, quaternion, path), quaternionCode(base, quaternion, path));
  if (type.kind === "struct") return structUnchanged(context, type.fields, path, asStruct(value, path), asStruct(base, path));
  if (type.kind === "array") {
    const items = asArray(value, path);
    const baseItems = asArray(base, path);
    if (items.length !== baseItems.length) return false;
    for (let index = 0; index < items.length; index++) {
      if (!valueUnchanged(context, type.element, elementPathOf(path), items[index], baseItems[index])) return false;
    }
    return true;
  }
  return sameEncoded(type, value, base, planFor(context, path));
}

function encodeValue(context: EncodeContext, type: WireType, path: string, value: FieldValue | undefined, base: FieldValue | undefined, withDelta: boolean): void {
  const writer = context.writer;
  switch (type.kind) {
    case "struct": {
      const quaternion = context.variant.smallestThree?.get(path);
      if (quaternion !== undefined) {
        const code = quaternionCode(value, quaternion, path);
        if (withDelta && base !== undefined && base !== null) {
          const unchanged = sameCode(code, quaternionCode(base, quaternion, path));
          writer.writeBit(unchanged);
          if (unchanged) return;
        }
        writer.writeUint(code[0], 2);
        for (let index = 1; index < 4; index++) writer.writeUint(code[index]!, quaternion.bits);
        return;
      }
      encodeStructBody(context, type.fields, path, asStruct(value, path), withDelta && base !== undefined && base !== null ? asStruct(base, path) : undefined, withDelta);
      return;
    }
    case "array":
      encodeArray(context, type, path, asArray(value, path), withDelta && Array.isArray(base) ? (base as readonly FieldValue[]) : undefined, withDelta);
      return;
    default:
      break;
  }
  const quantize = planFor(context, path);
  if (withDelta && base !== undefined) {
    const unchanged = sameEncoded(type, value, base, quantize);
    writer.writeBit(unchanged);
    if (unchanged) return;
  }
  encodeLeaf(writer, type, path, value, quantize);
}

function encodeArray(
  context: EncodeContext,
  type: Extract<WireType, { kind: "array" }>,
  path: string,
  items: readonly FieldValue[],
  base: readonly FieldValue[] | undefined,
  withDelta: boolean,
): void {
  const maximum = 2 ** type.countBits - 1;
  if (type.fixedCount === undefined && items.length > maximum) {
    throw new TickscopeError(ErrorCode.encodeFailed, `${items.length} elements do not fit ${type.countBits} count bits at ${path}`, { fieldPath: path });
  }
  if (type.fixedCount !== undefined && items.length !== type.fixedCount) {
    throw new TickscopeError(ErrorCode.encodeFailed, `${items.length} elements where ${type.fixedCount} are fixed at ${path}`, { fieldPath: path });
  }
  context.writer.writeUint(items.length, type.countBits);
  const elementPath = elementPathOf(path);
  if (!withDelta || base === undefined) {
    for (const item of items) encodeValue(context, type.element, elementPath, item, undefined, false);
    return;
  }
  const keyField = type.keyField;
  if (keyField === undefined || type.element.kind !== "struct") {
    for (let index = 0; index < items.length; index++) {
      encodeValue(context, type.element, elementPath, items[index], index < base.length ? base[index] : undefined, true);
    }
    return;
  }
  // Keyed entities: the key is always sent, then one bit "has a baseline", then the delta.
  const byKey = keyIndex(base, keyField);
  const keyType = type.element.fields.find((field) => field.name === keyField)?.type;
  const keyPath = childPathOf(elementPath, keyField);
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    const struct = asStruct(item, elementPath);
    if (keyType !== undefined) encodeValue(context, keyType, keyPath, struct[keyField], undefined, false);
    const prior = lookupKey(byKey, keyOf(item, keyField), index);
    context.writer.writeBit(prior !== undefined);
    encodeStructBody(context, type.element.fields, elementPath, struct, prior === undefined ? undefined : asStruct(prior, elementPath), prior !== undefined, keyField);
  }
}

/** Largest value of an unsigned integer of 0–53 bits, by width (looked up, not recomputed per leaf). */
const UINT_MAXIMUMS: readonly number[] = Array.from({ length: 54 }, (_, bits) => 2 ** bits - 1);

/** 2^(bits − 1) of a signed integer of 1–53 bits, by width. */
const INT_HALVES: readonly number[] = Array.from({ length: 54 }, (_, bits) => 2 ** (bits - 1));

function encodeLeaf(writer: BitWriter, type: WireType, path: string, value: FieldValue | undefined, quantize: QuantizationSpec | undefined): void {
  if (type.kind === "bytes") {
    const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value instanceof Uint8Array ? value : undefined;
    if (bytes === undefined) throw new TickscopeError(ErrorCode.encodeFailed, `expected bytes at ${path}`, { fieldPath: path });
    if (bytes.length > 2 ** type.lengthBits - 1) {
      throw new TickscopeError(ErrorCode.encodeFailed, `${bytes.length} bytes do not fit ${type.lengthBits} length bits at ${path}`, { fieldPath: path });
    }
    writer.writeUint(bytes.length, type.lengthBits);
    writer.writeBytes(bytes);
    return;
  }
  if ((type.kind === "uint" || type.kind === "int") && type.bits > 53 && quantize === undefined) {
    encodeWideInteger(writer, type.kind === "int", type.bits, value, path);
    return;
  }
  const number = asNumber(value, path);
  if (quantize !== undefined) {
    writer.writeUint(quantizeValue(number, quantize), quantize.bits);
    return;
  }
  switch (type.kind) {
    case "uint":
      if (!(number >= 0 && number <= (UINT_MAXIMUMS[type.bits] ?? 2 ** type.bits - 1)) || !Number.isInteger(number)) {
        throw new TickscopeError(ErrorCode.encodeFailed, `${number} does not fit uint${type.bits} at ${path}`, { fieldPath: path });
      }
      writer.writeUint(number, type.bits);
      return;
    case "int": {
      const half = INT_HALVES[type.bits] ?? 2 ** (type.bits - 1);
      if (!(number >= -half && number < half) || !Number.isInteger(number)) {
        throw new TickscopeError(ErrorCode.encodeFailed, `${number} does not fit int${type.bits} at ${path}`, { fieldPath: path });
      }
      writer.writeUint(number < 0 ? number + 2 * half : number, type.bits);
      return;
    }
    case "float32":
      writer.writeFloat32(number);
      return;
    case "float64":
      writer.writeFloat64(number);
      return;
    case "bool":
      writer.writeBit(number !== 0);
      return;
    case "quantized":
      writer.writeUint(quantizeValue(number, originalQuantization(type)!), type.bits);
      return;
    /* c8 ignore next 2 */
    default:
      throw new TickscopeError(ErrorCode.encodeFailed, `unsupported leaf at ${path}`, { fieldPath: path });
  }
}

function quaternionCode(value: FieldValue | undefined, spec: SmallestThreeSpec, path: string): [number, number, number, number] {
  const struct = asStruct(value, path);
  return smallestThreeCode(spec.fields.map((name) => asNumber(struct[name], `${path}.${name}`)), spec);
}

function sameCode(a: readonly number[], b: readonly number[]): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

// ---------------------------------------------------------------- size counting

/** Stands for an absent variant map in the compiled-node cache. */
const NO_MAP: object = {};

/** What a {@link SizeNode} is: how its bits are counted. */
const NODE_STRUCT = 0;
const NODE_ARRAY = 1;
/** A leaf the variant quantizes (any numeric kind): `asNumber`, then the spec's bits. */
const NODE_QUANTIZED_BY_VARIANT = 2;
const NODE_BYTES = 3;
const NODE_WIDE_INTEGER = 4;
const NODE_UINT = 5;
const NODE_INT = 6;
/** float32, float64, bool and quantized leaves: `asNumber`, then a fixed width. */
const NODE_FIXED = 7;

/**
 * One field of a layout compiled for a variant: its path, the variant's
 * quantization of it, its quaternion spec and width resolved once, so that
 * counting a message's size looks nothing up by path.
 */
interface SizeNode {
  readonly code: number;
  readonly type: WireType;
  readonly name: string;
  readonly path: string;
  /** Bits of a fixed-width leaf (the variant's quantization bits when it quantizes the leaf). */
  readonly bits: number;
  /** The variant's quantization of this leaf. */
  readonly quantize: QuantizationSpec | undefined;
  /** How two numbers of this leaf compare in their encoded form ({@link sameEncoded}): one of the COMPARE_ codes. */
  readonly compare: number;
  /** The quantization two numbers are compared under (the variant's, else a quantized leaf's own). */
  readonly compareSpec: QuantizationSpec | undefined;
  /** The variant's smallest-three spec of this struct. */
  readonly quaternion: SmallestThreeSpec | undefined;
  /** Struct fields (an array's element's fields for keyed arrays of structs). */
  readonly fields: readonly SizeNode[];
  /** Array element. */
  readonly element: SizeNode | undefined;
  /** Keyed arrays of structs: the key field and its node (the first element field of that name, at `path[].key`). */
  readonly keyField: string | undefined;
  readonly keyNode: SizeNode | undefined;
}

/** Compiles the fields of a struct at `prefix` for a variant. */
function compileSizeNodes(fields: readonly WireField[], prefix: string, variant: EncodingVariant): readonly SizeNode[] {
  const paths = fieldPaths(fields, prefix);
  return fields.map((field, index) => compileSizeNode(field.type, field.name, paths[index]!, variant));
}

function compileSizeNode(type: WireType, name: string, path: string, variant: EncodingVariant): SizeNode {
  const node = {
    code: NODE_FIXED,
    type,
    name,
    path,
    bits: 0,
    quantize: undefined as QuantizationSpec | undefined,
    compare: COMPARE_GENERIC,
    compareSpec: undefined as QuantizationSpec | undefined,
    quaternion: undefined as SmallestThreeSpec | undefined,
    fields: [] as readonly SizeNode[],
    element: undefined as SizeNode | undefined,
    keyField: undefined as string | undefined,
    keyNode: undefined as SizeNode | undefined,
  };
  if (type.kind === "struct") {
    node.code = NODE_STRUCT;
    node.quaternion = variant.smallestThree?.get(path);
    node.fields = compileSizeNodes(type.fields, path, variant);
    return node;
  }
  if (type.kind === "array") {
    node.code = NODE_ARRAY;
    const elementPath = elementPathOf(path);
    node.element = compileSizeNode(type.element, name, elementPath, variant);
    node.bits = type.countBits;
    if (type.keyField !== undefined && type.element.kind === "struct") {
      node.keyField = type.keyField;
      const keyType = type.element.fields.find((field) => field.name === type.keyField)?.type;
      if (keyType !== undefined) node.keyNode = compileSizeNode(keyType, type.keyField, childPathOf(elementPath, type.keyField), variant);
    }
    return node;
  }
  node.quantize = variant.quantize?.get(path);
  if (type.kind === "bytes") node.code = NODE_BYTES;
  else if ((type.kind === "uint" || type.kind === "int") && type.bits > 53 && node.quantize === undefined) node.code = NODE_WIDE_INTEGER;
  else if (node.quantize !== undefined) node.code = NODE_QUANTIZED_BY_VARIANT;
  else if (type.kind === "uint") node.code = NODE_UINT;
  else if (type.kind === "int") node.code = NODE_INT;
  node.bits = node.quantize !== undefined ? node.quantize.bits : leafBits(type);
  if (type.kind !== "bytes") {
    node.compareSpec = node.quantize ?? originalQuantization(type);
    node.compare = node.compareSpec !== undefined ? COMPARE_QUANTIZED : type.kind === "float32" ? COMPARE_FLOAT32 : COMPARE_EXACT;
  }
  return node;
}

/** Leaves compared by {@link sameEncoded} itself (byte strings). */
const COMPARE_GENERIC = 0;
/** Numbers compared by their quantized integers. */
const COMPARE_QUANTIZED = 1;
/** Numbers compared as float32 (−0 and 0 alike). */
const COMPARE_FLOAT32 = 2;
/** Numbers compared exactly (NaN alike). */
const COMPARE_EXACT = 3;

/** {@link sameEncoded} of a leaf, with two numbers compared inline (what sameEncoded does for them). */
function sameLeaf(node: SizeNode, a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (typeof a === "number" && typeof b === "number") {
    switch (node.compare) {
      case COMPARE_QUANTIZED:
        return quantizeValue(a, node.compareSpec!) === quantizeValue(b, node.compareSpec!);
      case COMPARE_FLOAT32:
        return Object.is(Math.fround(a), Math.fround(b)) || (a === 0 && b === 0);
      case COMPARE_EXACT:
        return a === b || (Number.isNaN(a) && Number.isNaN(b));
      default:
        break;
    }
  }
  return sameEncoded(node.type, a, b, node.quantize);
}

/** Bits {@link encodeStructBody} writes for these arguments (and the error it raises). */
function countStructBody(nodes: readonly SizeNode[], value: Struct, base: Struct | undefined, withDelta: boolean, skipField: string | undefined): number {
  let bits = 0;
  const delta = withDelta && base !== undefined;
  if (delta) {
    if (structUnchangedBySize(nodes, value, base!, skipField)) return 1;
    bits = 1;
  }
  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index]!;
    if (node.name === skipField) continue;
    bits += countValue(node, value[node.name], base === undefined ? undefined : base[node.name], delta);
  }
  return bits;
}

/** {@link structUnchanged} over size nodes. */
function structUnchangedBySize(nodes: readonly SizeNode[], value: Struct, base: Struct, skipField: string | undefined): boolean {
  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index]!;
    if (node.name === skipField) continue;
    if (!valueUnchangedBySize(node, value[node.name], base[node.name])) return false;
  }
  return true;
}

/** {@link valueUnchanged} over a size node. */
function valueUnchangedBySize(node: SizeNode, value: FieldValue | undefined, base: FieldValue | undefined): boolean {
  if (base === undefined || base === null) return false;
  if (node.code === NODE_STRUCT) {
    const quaternion = node.quaternion;
    if (quaternion !== undefined) return sameCode(quaternionCode(value, quaternion, node.path), quaternionCode(base, quaternion, node.path));
    return structUnchangedBySize(node.fields, asStruct(value, node.path), asStruct(base, node.path), undefined);
  }
  if (node.code === NODE_ARRAY) {
    const items = asArray(value, node.path);
    const baseItems = asArray(base, node.path);
    if (items.length !== baseItems.length) return false;
    const element = node.element!;
    for (let index = 0; index < items.length; index++) {
      if (!valueUnchangedBySize(element, items[index], baseItems[index])) return false;
    }
    return true;
  }
  return sameLeaf(node, value, base);
}

/** Bits {@link encodeValue} writes for these arguments (and the error it raises). */
function countValue(node: SizeNode, value: FieldValue | undefined, base: FieldValue | undefined, withDelta: boolean): number {
  if (node.code === NODE_STRUCT) {
    const quaternion = node.quaternion;
    if (quaternion !== undefined) {
      const code = quaternionCode(value, quaternion, node.path);
      let bits = 2 + 3 * quaternion.bits;
      if (withDelta && base !== undefined && base !== null) {
        if (sameCode(code, quaternionCode(base, quaternion, node.path))) return 1;
        bits += 1;
      }
      return bits;
    }
    return countStructBody(node.fields, asStruct(value, node.path), withDelta && base !== undefined && base !== null ? asStruct(base, node.path) : undefined, withDelta, undefined);
  }
  if (node.code === NODE_ARRAY) {
    return countArray(node, asArray(value, node.path), withDelta && Array.isArray(base) ? (base as readonly FieldValue[]) : undefined, withDelta);
  }
  if (withDelta && base !== undefined) {
    if (sameLeaf(node, value, base)) return 1;
    return 1 + countLeaf(node, value);
  }
  return countLeaf(node, value);
}

/** Bits {@link encodeArray} writes for these arguments (and the error it raises). */
function countArray(node: SizeNode, items: readonly FieldValue[], base: readonly FieldValue[] | undefined, withDelta: boolean): number {
  const type = node.type as Extract<WireType, { kind: "array" }>;
  if (type.fixedCount === undefined && items.length > (UINT_MAXIMUMS[type.countBits] ?? 2 ** type.countBits - 1)) {
    throw new TickscopeError(ErrorCode.encodeFailed, `${items.length} elements do not fit ${type.countBits} count bits at ${node.path}`, { fieldPath: node.path });
  }
  if (type.fixedCount !== undefined && items.length !== type.fixedCount) {
    throw new TickscopeError(ErrorCode.encodeFailed, `${items.length} elements where ${type.fixedCount} are fixed at ${node.path}`, { fieldPath: node.path });
  }
  let bits = node.bits;
  const element = node.element!;
  if (!withDelta || base === undefined) {
    for (let index = 0; index < items.length; index++) bits += countValue(element, items[index], undefined, false);
    return bits;
  }
  const keyField = node.keyField;
  if (keyField === undefined) {
    for (let index = 0; index < items.length; index++) bits += countValue(element, items[index], index < base.length ? base[index] : undefined, true);
    return bits;
  }
  // Keyed entities: the key, one bit "has a baseline", then the delta (as encodeArray).
  const byKey = keyIndex(base, keyField);
  const keyNode = node.keyNode;
  const elementPath = element.path;
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    const struct = asStruct(item, elementPath);
    if (keyNode !== undefined) bits += countValue(keyNode, struct[keyField], undefined, false);
    const prior = lookupKey(byKey, keyOf(item, keyField), index);
    bits += 1 + countStructBody(element.fields, struct, prior === undefined ? undefined : asStruct(prior, elementPath), prior !== undefined, keyField);
  }
  return bits;
}

/** Bits {@link encodeLeaf} writes for a leaf without a baseline (and the error it raises). */
function countLeaf(node: SizeNode, value: FieldValue | undefined): number {
  switch (node.code) {
    case NODE_BYTES: {
      const type = node.type as Extract<WireType, { kind: "bytes" }>;
      const length = typeof value === "string" ? new TextEncoder().encode(value).length : value instanceof Uint8Array ? value.length : -1;
      if (length < 0) throw new TickscopeError(ErrorCode.encodeFailed, `expected bytes at ${node.path}`, { fieldPath: node.path });
      if (length > 2 ** type.lengthBits - 1) {
        throw new TickscopeError(ErrorCode.encodeFailed, `${length} bytes do not fit ${type.lengthBits} length bits at ${node.path}`, { fieldPath: node.path });
      }
      return type.lengthBits + 8 * length;
    }
    case NODE_WIDE_INTEGER:
      checkedWideInteger(node.type.kind === "int", node.bits, value, node.path);
      return node.bits;
    case NODE_UINT: {
      const number = asNumber(value, node.path);
      if (!(number >= 0 && number <= (UINT_MAXIMUMS[node.bits] ?? 2 ** node.bits - 1)) || !Number.isInteger(number)) {
        throw new TickscopeError(ErrorCode.encodeFailed, `${number} does not fit uint${node.bits} at ${node.path}`, { fieldPath: node.path });
      }
      return node.bits;
    }
    case NODE_INT: {
      const number = asNumber(value, node.path);
      const half = INT_HALVES[node.bits] ?? 2 ** (node.bits - 1);
      if (!(number >= -half && number < half) || !Number.isInteger(number)) {
        throw new TickscopeError(ErrorCode.encodeFailed, `${number} does not fit int${node.bits} at ${node.path}`, { fieldPath: node.path });
      }
      return node.bits;
    }
    default:
      // Quantized by the variant, float32, float64, bool, quantized: any number (or bigint, boolean) fits.
      asNumber(value, node.path);
      return node.bits;
  }
}

// ---------------------------------------------------------------- decoding

interface DecodeContext {
  readonly reader: BitReader;
  readonly variant: EncodingVariant;
}

function decodeStructBody(
  context: DecodeContext,
  fields: readonly WireField[],
  prefix: string,
  base: Struct | undefined,
  withDelta: boolean,
  preset?: Record<string, FieldValue>,
): Struct {
  if (withDelta && base !== undefined && context.reader.readBit()) {
    return preset === undefined ? base : { ...base, ...preset };
  }
  const result: Record<string, FieldValue> = preset === undefined ? {} : { ...preset };
  const paths = fieldPaths(fields, prefix);
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index]!;
    if (preset !== undefined && field.name in preset) continue;
    result[field.name] = decodeValue(context, field.type, paths[index]!, base === undefined ? undefined : base[field.name], withDelta && base !== undefined);
  }
  return result;
}

function decodeValue(context: DecodeContext, type: WireType, path: string, base: FieldValue | undefined, withDelta: boolean): FieldValue {
  const quaternion = type.kind === "struct" ? context.variant.smallestThree?.get(path) : undefined;
  if (quaternion !== undefined) {
    if (withDelta && base !== undefined && context.reader.readBit()) return base;
    const code = [context.reader.readUint(2), context.reader.readUint(quaternion.bits), context.reader.readUint(quaternion.bits), context.reader.readUint(quaternion.bits)];
    const components = smallestThreeComponents(code, quaternion);
    const result: Record<string, FieldValue> = {};
    quaternion.fields.forEach((name, index) => (result[name] = components[index]!));
    return result;
  }
  switch (type.kind) {
    case "struct":
      return decodeStructBody(context, type.fields, path, withDelta && base !== undefined ? (base as Struct) : undefined, withDelta);
    case "array":
      return decodeArray(context, type, path, withDelta && Array.isArray(base) ? (base as readonly FieldValue[]) : undefined, withDelta);
    default:
      break;
  }
  if (withDelta && base !== undefined && context.reader.readBit()) return base;
  return decodeLeaf(context.reader, type, planFor(context, path));
}

function decodeArray(
  context: DecodeContext,
  type: Extract<WireType, { kind: "array" }>,
  path: string,
  base: readonly FieldValue[] | undefined,
  withDelta: boolean,
): FieldValue[] {
  const count = type.fixedCount ?? context.reader.readUint(type.countBits);
  const elementPath = elementPathOf(path);
  const result: FieldValue[] = [];
  if (!withDelta || base === undefined) {
    for (let index = 0; index < count; index++) result.push(decodeValue(context, type.element, elementPath, undefined, false));
    return result;
  }
  const keyField = type.keyField;
  if (keyField === undefined || type.element.kind !== "struct") {
    for (let index = 0; index < count; index++) {
      result.push(decodeValue(context, type.element, elementPath, index < base.length ? base[index] : undefined, true));
    }
    return result;
  }
  const byKey = indexByKey(base, keyField);
  const keyType = type.element.fields.find((field) => field.name === keyField)?.type;
  for (let index = 0; index < count; index++) {
    const preset: Record<string, FieldValue> = {};
    if (keyType !== undefined) preset[keyField] = decodeValue(context, keyType, childPathOf(elementPath, keyField), undefined, false);
    const hasBaseline = context.reader.readBit();
    const prior = hasBaseline ? byKey.get(typeof preset[keyField] === "bigint" ? Number(preset[keyField]) : preset[keyField]) : undefined;
    if (hasBaseline && prior === undefined) {
      throw new TickscopeError(ErrorCode.decodeFailed, `baseline has no entity ${String(preset[keyField])} at ${path}`, { fieldPath: path });
    }
    result.push(decodeStructBody(context, type.element.fields, elementPath, prior as Struct | undefined, hasBaseline, preset));
  }
  return result;
}

function encodeWideInteger(writer: BitWriter, signed: boolean, bits: number, value: FieldValue | undefined, path: string): void {
  let big = checkedWideInteger(signed, bits, value, path);
  if (big < 0n) big += 1n << BigInt(bits);
  writer.writeUint(Number(big >> 32n), bits - 32);
  writer.writeUint(Number(big & 0xffffffffn), 32);
}

/** The value of a 54–64-bit integer leaf, or the error its encoding raises. */
function checkedWideInteger(signed: boolean, bits: number, value: FieldValue | undefined, path: string): bigint {
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

function decodeWideInteger(reader: BitReader, signed: boolean, bits: number): bigint {
  const high = BigInt(reader.readUint(bits - 32));
  let big = (high << 32n) | BigInt(reader.readUint(32));
  if (signed && big >= 1n << BigInt(bits - 1)) big -= 1n << BigInt(bits);
  return big;
}

function decodeLeaf(reader: BitReader, type: WireType, quantize: QuantizationSpec | undefined): FieldValue {
  if (type.kind === "bytes") return reader.readBytes(reader.readUint(type.lengthBits));
  if ((type.kind === "uint" || type.kind === "int") && type.bits > 53 && quantize === undefined) return decodeWideInteger(reader, type.kind === "int", type.bits);
  if (quantize !== undefined) return dequantizeValue(reader.readUint(quantize.bits), quantize);
  switch (type.kind) {
    case "uint":
      return reader.readUint(type.bits);
    case "int": {
      const raw = reader.readUint(type.bits);
      const half = 2 ** (type.bits - 1);
      return raw >= half ? raw - 2 * half : raw;
    }
    case "float32":
      return reader.readFloat32();
    case "float64":
      return reader.readFloat64();
    case "bool":
      return reader.readBit();
    case "quantized":
      return dequantizeValue(reader.readUint(type.bits), originalQuantization(type)!);
    /* c8 ignore next 2 */
    default:
      throw new TickscopeError(ErrorCode.decodeFailed, "unsupported leaf");
  }
}
