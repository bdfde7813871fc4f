import type { FieldValue } from "@tickscope/core";
import { childPathOf, elementPathOf } from "./field-values.js";
import type { LeafDescription, LeafVisitor, QuantizationSpec } from "./reencoder.js";
import { asArray, asStruct, bytesLength, keyIndex, keyOf, leafBits, lookupKey, originalQuantization, quantizeValue, sameOriginal, type Struct, type WireField, type WireType } from "./layout-values.js";

// The leaf walk of LayoutReencoder.visitLeaves, compiled once per layout: each
// field's path, width, leaf index and how two of its numbers compare are
// resolved when the layout is first visited, so visiting a message looks up no
// path, width or original quantization per leaf.

/** What a {@link VisitNode} is. */
const VISIT_STRUCT = 0;
const VISIT_ARRAY = 1;
/** A byte-string leaf: its width depends on the value. */
const VISIT_BYTES = 2;
/** A fixed-width leaf whose numbers compare by their original quantized integers. */
const VISIT_QUANTIZED = 3;
/** A float32 leaf (numbers compare as float32, −0 and 0 alike). */
const VISIT_FLOAT32 = 4;
/** Any other fixed-width leaf (numbers compare exactly, NaN alike). */
const VISIT_EXACT = 5;

/** One field of a layout compiled for leaf visiting. */
export interface VisitNode {
  readonly code: number;
  readonly type: WireType;
  readonly name: string;
  readonly path: string;
  /** Fixed width of a leaf (a byte string's length prefix). */
  readonly bits: number;
  /** Index of the first leaf with this path in the type's leaf list (−1 for structs and arrays). */
  readonly leafIndex: number;
  /** Original quantization of a quantized leaf. */
  readonly spec: QuantizationSpec | undefined;
  /** Struct fields. */
  readonly fields: readonly VisitNode[];
  /** Array element. */
  readonly element: VisitNode | undefined;
  /** Key field of a keyed array. */
  readonly keyField: string | undefined;
}

/**
 * Compiles a layout's fields (at `prefix`) for {@link visitNodes}; `leaves` is the
 * type's leaf list (paths in the same order), giving each leaf its index.
 */
export function compileVisitNodes(fields: readonly WireField[], prefix: string, leaves: readonly LeafDescription[]): readonly VisitNode[] {
  const firstIndex = new Map<string, number>();
  leaves.forEach((leaf, index) => {
    if (!firstIndex.has(leaf.path)) firstIndex.set(leaf.path, index);
  });
  return compileFields(fields, prefix, firstIndex);
}

function compileFields(fields: readonly WireField[], prefix: string, firstIndex: ReadonlyMap<string, number>): readonly VisitNode[] {
  return fields.map((field) => compileNode(field.type, field.name, childPathOf(prefix, field.name), firstIndex));
}

function compileNode(type: WireType, name: string, path: string, firstIndex: ReadonlyMap<string, number>): VisitNode {
  const node = {
    code: VISIT_EXACT,
    type,
    name,
    path,
    bits: 0,
    leafIndex: -1,
    spec: undefined as QuantizationSpec | undefined,
    fields: [] as readonly VisitNode[],
    element: undefined as VisitNode | undefined,
    keyField: undefined as string | undefined,
  };
  if (type.kind === "struct") {
    node.code = VISIT_STRUCT;
    node.fields = compileFields(type.fields, path, firstIndex);
    return node;
  }
  if (type.kind === "array") {
    node.code = VISIT_ARRAY;
    node.element = compileNode(type.element, name, elementPathOf(path), firstIndex);
    node.keyField = type.keyField;
    return node;
  }
  node.bits = leafBits(type);
  node.leafIndex = firstIndex.get(path) ?? -1;
  if (type.kind === "bytes") node.code = VISIT_BYTES;
  else if (type.kind === "quantized") {
    node.code = VISIT_QUANTIZED;
    node.spec = originalQuantization(type);
  } else if (type.kind === "float32") node.code = VISIT_FLOAT32;
  return node;
}

/**
 * Visits the leaves of a struct's fields (compiled by {@link compileVisitNodes}) with
 * the visitor's arguments LayoutReencoder.visitLeaves gives, in the same order,
 * raising the same errors at the same leaf.
 */
export function visitNodes(nodes: readonly VisitNode[], value: Struct, previous: Struct | undefined, visitor: LeafVisitor): void {
  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index]!;
    visitNode(node, value[node.name], previous === undefined ? undefined : previous[node.name], visitor);
  }
}

function visitNode(node: VisitNode, value: FieldValue | undefined, previous: FieldValue | undefined, visitor: LeafVisitor): void {
  switch (node.code) {
    case VISIT_STRUCT: {
      const prior = previous !== undefined && previous !== null && typeof previous === "object" ? (previous as Struct) : undefined;
      visitNodes(node.fields, asStruct(value, node.path), prior, visitor);
      return;
    }
    case VISIT_ARRAY: {
      const items = asArray(value, node.path);
      const priorItems = Array.isArray(previous) ? (previous as readonly FieldValue[]) : undefined;
      const element = node.element!;
      const keyField = node.keyField;
      if (priorItems === undefined) {
        for (let index = 0; index < items.length; index++) visitNode(element, items[index], undefined, visitor);
        return;
      }
      if (keyField === undefined) {
        for (let index = 0; index < items.length; index++) visitNode(element, items[index], priorItems[index], visitor);
        return;
      }
      const byKey = keyIndex(priorItems, keyField);
      for (let index = 0; index < items.length; index++) {
        const item = items[index];
        visitNode(element, item, lookupKey(byKey, keyOf(item, keyField), index), visitor);
      }
      return;
    }
    case VISIT_BYTES: {
      const type = node.type as Extract<WireType, { kind: "bytes" }>;
      visitor(node.path, type.lengthBits + 8 * bytesLength(value), previous === undefined || !sameOriginal(node.type, value, previous), value, node.leafIndex);
      return;
    }
    default:
      visitor(node.path, node.bits, previous === undefined || !sameLeaf(node, value, previous), value, node.leafIndex);
  }
}

/** {@link sameOriginal} of a fixed-width leaf, two numbers compared inline. */
function sameLeaf(node: VisitNode, a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (typeof a === "number" && typeof b === "number") {
    switch (node.code) {
      case VISIT_QUANTIZED:
        return quantizeValue(a, node.spec!) === quantizeValue(b, node.spec!);
      case VISIT_FLOAT32:
        return Object.is(Math.fround(a), Math.fround(b)) || (a === 0 && b === 0);
      default:
        return a === b || (a !== a && b !== b);
    }
  }
  return sameOriginal(node.type, a, b);
}
