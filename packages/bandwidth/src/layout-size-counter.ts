import { ErrorCode, TickscopeError, type FieldValue } from "@tickscope/core";
import { childPathOf, elementPathOf } from "./field-values.js";
import type { EncodingVariant, QuantizationSpec, SmallestThreeSpec } from "./reencoder.js";
import {
  INT_HALVES,
  UINT_MAXIMUMS,
  asArray,
  asNumber,
  asStruct,
  checkedWideInteger,
  fieldPaths,
  keyIndex,
  keyOf,
  leafBits,
  lookupKey,
  originalQuantization,
  quantizeValue,
  quaternionCode,
  sameCode,
  sameEncoded,
  type Struct,
  type WireField,
  type WireType,
} from "./layout-values.js";

// How many bits a message takes under a variant, without encoding it: the
// layout is compiled once per (layout, variant) into size nodes whose paths,
// quantizations and widths are resolved, then counted per message. It must
// agree with LayoutReencoder.encode() bit for bit (layout-reencoder.test.ts: "encodedLength is the length encode returns").

/** Stands for an absent variant map in the compiled-node cache. */
export const NO_MAP: object = {};

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
export interface SizeNode {
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
export function compileSizeNodes(fields: readonly WireField[], prefix: string, variant: EncodingVariant): readonly SizeNode[] {
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
export function countStructBody(nodes: readonly SizeNode[], value: Struct, base: Struct | undefined, withDelta: boolean, skipField: string | undefined): number {
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
