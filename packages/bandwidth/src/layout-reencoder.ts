import { ErrorCode, TickscopeError, type FieldRecord, type FieldValue } from "@tickscope/core";
import { BitReader, BitWriter } from "./bit-io.js";
import { smallestThreeComponents } from "./smallest-three.js";
import { childPathOf, elementPathOf } from "./field-values.js";
import { NO_MAP, compileSizeNodes, countStructBody, type SizeNode } from "./layout-size-counter.js";
import { compileVisitNodes, visitNodes, type VisitNode } from "./layout-leaf-visitor.js";
import {
  INT_HALVES,
  UINT_MAXIMUMS,
  asArray,
  asNumber,
  asStruct,
  checkedWideInteger,
  dequantizeValue,
  fieldPaths,
  indexByKey,
  keyIndex,
  keyOf,
  leafBits,
  leafKind,
  lookupKey,
  originalQuantization,
  quantizeValue,
  quaternionCode,
  sameCode,
  sameEncoded,
  type MessageLayout,
  type Struct,
  type WireField,
  type WireType,
} from "./layout-values.js";
import type { EncodingVariant, EntityArrayDescription, LeafDescription, LeafVisitor, QuantizationSpec, Reencoder } from "./reencoder.js";

export { dequantizeValue, quantizeValue, type MessageLayout, type WireField, type WireType } from "./layout-values.js";

/**
 * The in-package {@link Reencoder}: encodes decoded fields with a small
 * bit-level layout language (integers, floats, quantized floats, booleans,
 * byte strings, structs, arrays), and applies variants (quantization, delta
 * encoding) so their real sizes can be measured and decoded back.
 */
export class LayoutReencoder implements Reencoder {
  private readonly layouts = new Map<string, MessageLayout>();
  private readonly leafCache = new Map<string, LeafDescription[]>();
  /** Leaf-visiting nodes by layout ({@link compileVisitNodes}). */
  private readonly visitCache = new Map<MessageLayout, readonly VisitNode[]>();
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
    let nodes = this.visitCache.get(layout);
    if (nodes === undefined) {
      nodes = compileVisitNodes(layout.fields, "", this.leaves(type)!);
      this.visitCache.set(layout, nodes);
    }
    visitNodes(nodes, fields, previous, visitor);
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
