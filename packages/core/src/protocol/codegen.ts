import { ErrorCode } from "../errors.js";
import type { FieldRecord } from "../game-message.js";
import {
  checkConstraint,
  checkFits,
  checkMaximum,
  decodeFailure,
  derivedValue,
  encodeFailure,
  fixedBytes,
  noCaseFailure,
  quantize,
  readPrefix,
  sizeFrom,
  unscale,
  valueBytes,
  writePrefix,
  type DecodeFields,
  type EncodeFields,
} from "./codec-runtime.js";
import { decodeWorkExceeded } from "./decode-work-budget.js";
import { EMPTY_ELEMENT, decodeNode, encodeNode, matchCase, structPrefixFields } from "./interpreter.js";
import { pooledEntity, pooledVector } from "./pooled-entity-roles.js";
import type { RolesOnlyHints } from "./roles-only-decode.js";
import { preferTaggedFields } from "./tagged-fields.js";
import { MAX_ZERO_SIZE_ELEMENTS, type FieldPlan, type FieldRef, type NodePlan, type RoleFieldPlan } from "./plan.js";

type ArrayNodePlan = Extract<NodePlan, { kind: "array" }>;

/**
 * Code generation. Safety rules: user-given strings (names, paths, enum values,
 * plugin names) never appear in the generated source except field names, which
 * match the identifier pattern, are not reserved, and are emitted through
 * `JSON.stringify` inside bracket access. Every other value reaches the code
 * through the constants array `K`; numbers are checked to be finite before use.
 */

const helpers = {
  checkConstraint,
  checkFits,
  checkMaximum,
  decodeFailure,
  derivedValue,
  encodeFailure,
  fixedBytes,
  quantize,
  readPrefix,
  sizeFrom,
  unscale,
  valueBytes,
  writePrefix,
  decodeNode,
  encodeNode,
  caseIndex(cases: { values: (number | string)[] }[], value: unknown, lookup?: Map<number | string, number>): number {
    if (lookup !== undefined) {
      const key = typeof value === "bigint" ? Number(value) : typeof value === "boolean" ? (value ? 1 : 0) : value;
      return lookup.get(key as number | string) ?? -1;
    }
    const found = matchCase(cases, value);
    return found === undefined ? -1 : cases.indexOf(found);
  },
  isRecord(value: unknown): boolean {
    return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
  },
  noCaseFailure,
  decodeWorkExceeded,
  lengthExceeded: ErrorCode.lengthExceeded,
  maxZero: MAX_ZERO_SIZE_ELEMENTS,
  pooledEntity,
  pooledVector,
};

class Emitter {
  readonly constants: unknown[] = [];
  private counter = 0;
  lines: string[] = [];

  constant(value: unknown): string {
    this.constants.push(value);
    return `K[${this.constants.length - 1}]`;
  }
  /** A finite number as an exact source literal (`String` round-trips doubles), else a constant reference. */
  number(value: number): string {
    if (typeof value !== "number" || !Number.isFinite(value)) return this.constant(value);
    return Object.is(value, -0) ? "(-0)" : `(${String(value)})`;
  }
  variable(prefix = "v"): string {
    this.counter += 1;
    return `${prefix}${this.counter}`;
  }
  emit(line: string): void {
    this.lines.push(line);
  }
}

function int(value: number): string {
  if (!Number.isInteger(value)) throw new TypeError(`not an integer: ${value}`);
  return String(value);
}

function key(name: string): string {
  return `[${JSON.stringify(name)}]`;
}

function refCode(ref: FieldRef): string {
  return `(s[${int(ref.level)}] === undefined ? undefined : s[${int(ref.level)}]${key(ref.name)})`;
}

/**
 * Emits an inline big-endian read of `bits` (1–25) unsigned bits at any bit
 * position: one 32-bit window load (when four bytes are in the buffer) and two
 * shifts; otherwise (near the end, truncated) `r.uint`, which also throws.
 */
function readUintInline(e: Emitter, target: string, bits: number): void {
  const p = e.variable("p");
  const q = e.variable("q");
  e.emit(`{ const ${p} = r.position, ${q} = ${p} >>> 3; if (r.end - ${p} >= ${int(bits)} && ${q} + 3 < b.length) { r.position = ${p} + ${int(bits)};`);
  e.emit(`${target} = (((b[${q}] << 24) | (b[${q} + 1] << 16) | (b[${q} + 2] << 8) | b[${q} + 3]) << (${p} & 7)) >>> ${int(32 - bits)};`);
  e.emit(`} else ${target} = r.uint(${int(bits)}, false); }`);
}

function decodeInt(e: Emitter, target: string, bits: number, signed: boolean, little: boolean): void {
  if (!signed && !little && bits >= 1 && bits <= 25) {
    readUintInline(e, target, bits);
    return;
  }
  if (!signed && !little && (bits === 8 || bits === 16 || bits === 32)) {
    const p = e.variable("p");
    e.emit(`if ((r.position & 7) === 0 && r.end - r.position >= ${bits}) { const ${p} = r.position >>> 3; r.position += ${bits};`);
    if (bits === 8) e.emit(`${target} = b[${p}];`);
    else if (bits === 16) e.emit(`${target} = (b[${p}] << 8) | b[${p} + 1];`);
    else e.emit(`${target} = ((b[${p}] << 24) | (b[${p} + 1] << 16) | (b[${p} + 2] << 8) | b[${p} + 3]) >>> 0;`);
    e.emit(`} else ${target} = r.uint(${bits}, false);`);
    return;
  }
  if (!signed && !little && (bits === 40 || bits === 48)) {
    // A 40/48-bit clock or id on a byte boundary: high bytes × 2^32 + the low 32-bit word (exact below 2^53).
    const p = e.variable("p");
    const high = bits === 40 ? `b[${p}]` : `((b[${p}] << 8) | b[${p} + 1])`;
    const low = bits === 40 ? 1 : 2;
    e.emit(`if ((r.position & 7) === 0 && r.end - r.position >= ${bits}) { const ${p} = r.position >>> 3; r.position += ${bits};`);
    e.emit(`${target} = ${high} * 4294967296 + (((b[${p} + ${low}] << 24) | (b[${p} + ${low + 1}] << 16) | (b[${p} + ${low + 2}] << 8) | b[${p} + ${low + 3}]) >>> 0);`);
    e.emit(`} else ${target} = r.uint(${bits}, false);`);
    return;
  }
  e.emit(`${target} = r.${signed ? "int" : "uint"}(${int(bits)}, ${little});`);
}

/**
 * Emits a length/count prefix read into the new variable `target`: a byte-aligned
 * u8/u16 straight from the buffer, anything else (and a truncated prefix, which throws) through `readPrefix`.
 */
function readPrefixCode(e: Emitter, target: string, prefix: "u8" | "u16" | "u32" | "varint", path: string): void {
  const call = `H.readPrefix(r, ${e.constant(prefix)}, ${path})`;
  if (prefix !== "u8" && prefix !== "u16") {
    e.emit(`const ${target} = ${call};`);
    return;
  }
  const bits = prefix === "u8" ? 8 : 16;
  const p = e.variable("p");
  e.emit(`let ${target}; if ((r.position & 7) === 0 && r.end - r.position >= ${bits}) { const ${p} = r.position >>> 3; r.position += ${bits};`);
  e.emit(`${target} = ${bits === 8 ? `b[${p}]` : `(b[${p}] << 8) | b[${p} + 1]`}; } else ${target} = ${call};`);
}

function decodeNodeCode(e: Emitter, node: NodePlan, target: string, path: string): void {
  switch (node.kind) {
    case "int":
      if (node.big) e.emit(`${target} = r.${node.signed ? "bigInt" : "bigUint"}(${int(node.bits)}, ${node.little});`);
      else decodeInt(e, target, node.bits, node.signed, node.little);
      return;
    case "varint":
      e.emit(`${target} = r.varint(${node.zigzag});`);
      return;
    case "float":
      e.emit(`${target} = r.float(${int(node.bits)}, ${node.little});`);
      return;
    case "quantized":
      if (node.little) {
        e.emit(`${target} = ${e.number(node.min)} + (r.uint(${int(node.bits)}, true) * ${e.number(node.max - node.min)}) / ${e.number(node.steps)};`);
      } else if (node.bits >= 1 && node.bits <= 25) {
        readUintInline(e, target, node.bits);
        e.emit(`${target} = ${e.number(node.min)} + (${target} * ${e.number(node.max - node.min)}) / ${e.number(node.steps)};`);
      } else e.emit(`${target} = ${e.number(node.min)} + (r.uint(${int(node.bits)}, false) * ${e.number(node.max - node.min)}) / ${e.number(node.steps)};`);
      return;
    case "scaled":
      // Same operations in the same order as the interpreter: raw × scale + offset.
      e.emit(`${target} = r.${node.signed ? "int" : "uint"}(${int(node.bits)}, ${node.little}) * ${e.number(node.scale)} + ${e.number(node.offset)};`);
      return;
    case "bool":
      e.emit(`${target} = r.uint(${int(node.bits)}, false) !== 0;`);
      return;
    case "bytes": {
      const length = e.variable("n");
      const spec = node.length;
      if (spec.kind === "fixed") e.emit(`const ${length} = ${int(spec.bytes)};`);
      else if (spec.kind === "rest") e.emit(`const ${length} = (r.end - r.position) >>> 3;`);
      else if (spec.kind === "field") e.emit(`const ${length} = H.sizeFrom(${refCode(spec.ref)}, ${path});`);
      else readPrefixCode(e, length, spec.prefix, path);
      if (node.maxLength !== undefined) e.emit(`if (${length} > ${int(node.maxLength)}) H.checkMaximum(${length}, ${int(node.maxLength)}, ${path});`);
      if (node.text !== null) e.emit(`${target} = r.text(${length}, ${node.text === "ascii"});`);
      else e.emit(`${target} = c.copyBytes ? r.bytes(${length}).slice() : r.bytes(${length});`);
      return;
    }
    case "struct": {
      const record = `o${int(node.level)}`;
      // The record is created with its leading fields already present (see structPrefixFields): one
      // allocation of its final size instead of growing a property backing store field by field.
      const prefixNames = structPrefixFields(node.fields);
      preferTaggedFields(prefixNames);
      const prefix = prefixNames.map((name) => `${JSON.stringify(name)}: undefined`);
      e.emit(`{ const ${record} = {${prefix.join(", ")}}; s[${int(node.level)}] = ${record};`);
      decodeFieldsCode(e, node.fields, node.level, record);
      e.emit(`${target} = ${record}; }`);
      return;
    }
    case "array": {
      const list = e.variable("a");
      const element = e.variable("v");
      e.emit(`{ const ${list} = []; let ${element};`);
      const spec = node.count;
      if (spec.kind === "untilEnd") {
        const limit = node.maxCount ?? MAX_ZERO_SIZE_ELEMENTS;
        e.emit(`while (r.end - r.position >= ${int(Math.max(node.minElementBits, 1))}) {`);
        e.emit(`if (${list}.length >= ${int(limit)}) H.decodeFailure(${path}, ${e.constant(`more than ${limit} elements`)}, H.lengthExceeded);`);
        e.emit(`if ((c.work -= ${int(node.elementWork)}) < 0) H.decodeWorkExceeded(${path});`);
        if (node.minElementBits === 0) {
          // Only elements with a plugin get here (validation): one that reads nothing would repeat forever.
          const start = e.variable("p");
          e.emit(`const ${start} = r.position;`);
          decodeNodeCode(e, node.of, element, path);
          e.emit(`if (r.position === ${start}) H.decodeFailure(${path}, ${e.constant(EMPTY_ELEMENT)});`);
          e.emit(`${list}.push(${element}); }`);
          e.emit(`${target} = ${list}; }`);
          return;
        }
      } else {
        const count = countedArrayPrologue(e, node, spec, path);
        e.emit(`for (let i = 0; i < ${count}; i++) {`);
        // checkFits guaranteed every element's bits: a fixed-layout struct element reads
        // straight from the buffer when its last 4-byte window is inside it.
        // (A struct with no fixed layout has fixedLayoutBits 0, which equals the minimum of an element that may be empty.)
        const elementBits = fixedLayoutBits(node.of);
        if (elementBits > 0 && elementBits === node.minElementBits && node.of.kind === "struct") {
          decodeFixedLayoutStruct(e, node.of, element, path);
          e.emit(`${list}.push(${element}); }`);
          e.emit(`${target} = ${list}; }`);
          return;
        }
      }
      decodeNodeCode(e, node.of, element, path);
      e.emit(`${list}.push(${element}); }`);
      e.emit(`${target} = ${list}; }`);
      return;
    }
    case "switch": {
      const index = e.variable("c");
      e.emit(`{ const ${index} = H.caseIndex(${e.constant(node.cases)}, ${refCode(node.on)}${node.lookup === undefined ? "" : `, ${e.constant(node.lookup)}`}); switch (${index}) {`);
      node.cases.forEach((item, caseIndex) => {
        e.emit(`case ${int(caseIndex)}: {`);
        decodeNodeCode(e, item.struct, target, path);
        e.emit("break; }");
      });
      e.emit("default: {");
      if (node.fallback !== undefined) decodeNodeCode(e, node.fallback, target, path);
      else e.emit(`H.noCaseFailure(${path}, ${e.constant(node.on.name)}, ${refCode(node.on)}, false);`);
      e.emit("} } }");
      return;
    }
    case "intBytes":
    case "plugin":
      e.emit(`${target} = H.decodeNode(${e.constant(node)}, r, s, c, ${path});`);
      return;
  }
}

/**
 * Emits a counted array's prologue: reads its count into a new variable (returned),
 * checks the maximum, that every element's minimum bits fit, and charges the
 * decode work budget — before any element is read.
 */
function countedArrayPrologue(e: Emitter, node: ArrayNodePlan, spec: Exclude<ArrayNodePlan["count"], { kind: "untilEnd" }>, path: string): string {
  const count = e.variable("n");
  if (spec.kind === "fixed") e.emit(`const ${count} = ${int(spec.count)};`);
  else if (spec.kind === "field") e.emit(`const ${count} = H.sizeFrom(${refCode(spec.ref)}, ${path});`);
  else readPrefixCode(e, count, spec.prefix, path);
  if (node.maxCount !== undefined) e.emit(`H.checkMaximum(${count}, ${int(node.maxCount)}, ${path});`);
  e.emit(`if (${count} * ${int(node.minElementBits)} > r.end - r.position) H.checkFits(r, ${count}, ${int(node.minElementBits)}, ${path});`);
  if (node.minElementBits === 0) e.emit(`H.checkMaximum(${count}, H.maxZero, ${path});`);
  e.emit(`if ((c.work -= ${count} * ${int(node.elementWork)}) < 0) H.decodeWorkExceeded(${path});`);
  return count;
}

/**
 * Width in bits of a struct whose every field is a big-endian unsigned integer,
 * quantized value or bool of 1–25 bits without a condition (what one 32-bit
 * window read at any bit position holds), else 0.
 */
export function fixedLayoutBits(node: NodePlan): number {
  if (node.kind !== "struct" || node.fields.length === 0) return 0;
  let total = 0;
  for (const field of node.fields) {
    const fieldNode = field.node;
    if (field.when !== undefined) return 0;
    let bits: number;
    if (fieldNode.kind === "int" && !fieldNode.big && !fieldNode.signed && !fieldNode.little) bits = fieldNode.bits;
    else if ((fieldNode.kind === "quantized" && !fieldNode.little) || fieldNode.kind === "bool") bits = fieldNode.bits;
    else return 0;
    if (!(bits >= 1 && bits <= 25)) return 0;
    total += bits;
  }
  return total;
}

/** A constraint check; min/max-only constraints are compared inline and call the helper only on a violation. */
/** Enum constraints of at most this many numbers are tested inline before the exact check. */
const MAX_INLINE_ENUM_VALUES = 8;

function constraintCode(e: Emitter, field: FieldPlan, value: string, path: string): string {
  const constraint = field.constraint!;
  const call = `H.checkConstraint(${e.constant(constraint)}, ${value}, ${path}, c);`;
  const tests: string[] = [];
  if (constraint.values !== undefined) {
    // A few plain numbers (a magic value, a small enum): a value equal to one of them passes the set test
    // without the call; anything else (another value, a bigint, a bool, NaN) goes to the exact check.
    const values = [...constraint.values];
    if (values.length === 0 || values.length > MAX_INLINE_ENUM_VALUES || !values.every((item) => typeof item === "number" && Number.isFinite(item))) return call;
    tests.push(`(${values.map((item) => `${value} !== ${e.number(item as number)}`).join(" && ")})`);
  } else if (constraint.min === undefined && constraint.max === undefined) return call;
  if (constraint.min !== undefined) tests.push(`${value} < ${e.number(constraint.min)}`);
  if (constraint.max !== undefined) tests.push(`${value} > ${e.number(constraint.max)}`);
  return `if (${tests.join(" || ")}) ${call}`;
}

/** Bit offsets of a fixed-layout struct's fields from its start (see {@link fixedLayoutBits}). */
function fixedLayoutOffsets(fields: readonly FieldPlan[]): number[] {
  const offsets: number[] = [];
  let offset = 0;
  for (const field of fields) {
    offsets.push(offset);
    offset += (field.node as { bits: number }).bits;
  }
  return offsets;
}

/**
 * The value of one field of a fixed-layout struct at bit `offset` from the
 * element start `start`, from one 32-bit window (big-endian, at any bit
 * position): a bool, a dequantized value or the unsigned integer.
 */
function windowValueCode(e: Emitter, fieldNode: NodePlan, start: string, offset: number): string {
  const { kind, bits } = fieldNode as Extract<NodePlan, { kind: "int" | "quantized" | "bool" }>;
  const at = offset === 0 ? start : `(${start} + ${int(offset)})`;
  const q = `(${at} >>> 3)`;
  const raw = `((((b[${q}] << 24) | (b[${q} + 1] << 16) | (b[${q} + 2] << 8) | b[${q} + 3]) << (${at} & 7)) >>> ${int(32 - bits)})`;
  if (kind === "bool") return `${raw} !== 0`;
  if (kind === "quantized") {
    const quantized = fieldNode as Extract<NodePlan, { kind: "quantized" }>;
    return `${e.number(quantized.min)} + (${raw} * ${e.number(quantized.max - quantized.min)}) / ${e.number(quantized.steps)}`;
  }
  return raw;
}

/**
 * Decodes one element of a counted array of a fixed-layout struct (see
 * {@link fixedLayoutBits}) whose bits `checkFits` has already guaranteed: every
 * field is read from the element's start position with one 32-bit window, and
 * the reader's position and field path are stored once. The values, the
 * record's shape, the constraint reports (in field order) and the reader state
 * afterwards are those of the field-by-field code, which runs instead when a
 * window would reach past the buffer.
 */
function decodeFixedLayoutStruct(e: Emitter, node: Extract<NodePlan, { kind: "struct" }>, target: string, path: string): void {
  const fields = node.fields;
  const start = e.variable("p");
  const record = `o${int(node.level)}`;
  const offsets = fixedLayoutOffsets(fields);
  const total = fixedLayoutBits(node);
  e.emit(`{ const ${start} = r.position; if (((${start} + ${int(offsets[offsets.length - 1])}) >>> 3) + 3 < b.length) {`);
  const values = fields.map(() => e.variable("v"));
  fields.forEach((field, index) => e.emit(`const ${values[index]} = ${windowValueCode(e, field.node, start, offsets[index])};`));
  const prefix = structPrefixFields(fields);
  // Shared number boxes: the role builder's entity roles copy these values by pointer (see tagged-fields.ts).
  preferTaggedFields(prefix);
  // Every field is unconditional, so the record is built whole, in the field-by-field code's property order.
  e.emit(`const ${record} = {${prefix.map((name, index) => `${JSON.stringify(name)}: ${values[index]}`).join(", ")}}; s[${int(node.level)}] = ${record};`);
  e.emit(`r.position = ${start} + ${int(total)}; r.field = ${e.constant(fields[fields.length - 1].path)};`);
  fields.forEach((field, index) => {
    if (field.constraint !== undefined) e.emit(constraintCode(e, field, values[index], e.constant(field.path)));
  });
  e.emit(`${target} = ${record};`);
  e.emit("} else {");
  decodeNodeCode(e, node, target, path);
  e.emit("} }");
}

/** Width of a field that can join a packed group (fixed-width big-endian scalar of at most 32 bits), else 0. */
function packableBits(field: FieldPlan): number {
  if (field.when !== undefined) return 0;
  const node = field.node;
  if (node.kind === "int" && !node.big && !node.little && node.bits <= 32) return node.bits;
  if (node.kind === "bool" || (node.kind === "quantized" && !node.little && node.bits <= 32)) return node.bits;
  return 0;
}

/** Extracts one packed field from the group word `word` of `total` bits. */
function extractCode(e: Emitter, field: FieldPlan, word: string, shift: number, target: string): void {
  const node = field.node;
  const bits = node.kind === "int" || node.kind === "bool" || node.kind === "quantized" ? node.bits : 0;
  const raw = bits === 32 ? `(${word} >>> 0)` : `((${word} >>> ${int(shift)}) & ${int(2 ** bits - 1)})`;
  if (node.kind === "bool") e.emit(`${target} = ${raw} !== 0;`);
  else if (node.kind === "quantized") e.emit(`${target} = ${e.number(node.min)} + (${raw} * ${e.number(node.max - node.min)}) / ${e.number(node.steps)};`);
  else if (node.kind === "int" && node.signed) e.emit(`${target} = ${raw}; if (${target} >= ${e.constant(2 ** (bits - 1))}) ${target} -= ${e.constant(2 ** bits)};`);
  else e.emit(`${target} = ${raw};`);
}

/**
 * Roles-only decoding of a top-level counted array of fixed-layout structs (see
 * {@link RolesOnlyHints}): the prologue of the full decoder (count, maximum,
 * fits, work), then either a skip of every element's bits (the value is the
 * count) or one entity-roles object per element built from the 32-bit window
 * reads (the value is the entity array). Reader position, field path and
 * constraint reports afterwards are those of the full decoder, whose
 * field-by-field code runs for an element whose window would reach past the buffer.
 */
function decodeRolesOnlyArray(e: Emitter, node: ArrayNodePlan, entity: readonly RoleFieldPlan[] | undefined, target: string, path: string, reuse: boolean): void {
  const spec = node.count;
  const of = node.of;
  if (spec.kind === "untilEnd" || of.kind !== "struct") throw new TypeError("roles-only arrays are counted arrays of structs");
  const fields = of.fields;
  const total = fixedLayoutBits(of);
  const lastPath = e.constant(fields[fields.length - 1].path);
  e.emit("{");
  const count = countedArrayPrologue(e, node, spec, path);
  if (entity === undefined) {
    e.emit(`if (${count} > 0) { r.position += ${count} * ${int(total)}; r.field = ${lastPath}; }`);
    e.emit(`${target} = ${count}; }`);
    return;
  }
  const index = new Map(fields.map((field, position) => [field.name, position]));
  const needed = new Set<number>();
  fields.forEach((field, position) => {
    if (field.constraint !== undefined) needed.add(position);
  });
  for (const role of entity) needed.add(index.get(role.path[0])!);
  const list = e.variable("a");
  const start = e.variable("p");
  const values = fields.map(() => e.variable("v"));
  const offsets = fixedLayoutOffsets(fields);
  // Reused entity roles (see RolesOnlyHints.reuseEntities): one pooled list and entity objects per field, rewritten in place;
  // a decode that keeps its results (decodeDatagramFields: c.copyBytes) still gets fresh ones.
  const pool = reuse ? e.variable("q") : "";
  if (reuse) {
    const constant = e.constant({ list: [], entities: [] });
    e.emit(`const ${pool} = c.copyBytes ? undefined : ${constant}.entities; const ${list} = ${pool} === undefined ? [] : ${constant}.list;`);
  } else e.emit(`const ${list} = [];`);
  e.emit(`for (let i = 0; i < ${count}; i++) { const ${start} = r.position; let ${[...needed].map((position) => values[position]).join(", ")};`);
  e.emit(`if (((${start} + ${int(offsets[offsets.length - 1])}) >>> 3) + 3 < b.length) {`);
  fields.forEach((field, position) => {
    if (needed.has(position)) e.emit(`${values[position]} = ${windowValueCode(e, field.node, start, offsets[position])};`);
  });
  e.emit(`r.position = ${start} + ${int(total)}; r.field = ${lastPath};`);
  fields.forEach((field, position) => {
    if (field.constraint !== undefined) e.emit(constraintCode(e, field, values[position], e.constant(field.path)));
  });
  e.emit("} else {");
  const record = e.variable("o");
  e.emit(`let ${record};`);
  decodeNodeCode(e, of, record, path);
  // Numbers stay numbers (`+`): the fast path's values are then unboxed doubles in optimized code, not boxed for a tagged merge.
  for (const position of needed) e.emit(`${values[position]} = ${fields[position].node.kind === "bool" ? "" : "+"}${record}${key(fields[position].name)};`);
  e.emit("}");
  // The role builder's entity: every role value is defined (no conditions) and a number (validation gives entity roles numeric fields only).
  const number = (position: number): string => values[position];
  let id = "0";
  const rotation: string[] = [];
  const axes: Record<string, string> = { px: "0", py: "0", pz: "0", vx: "0", vy: "0", vz: "0" };
  let hasPosition = false;
  let hasVelocity = false;
  for (const role of entity) {
    const value = number(index.get(role.path[0])!);
    if (role.role === "entityId") id = value;
    else if (role.role === "rotation") rotation.push(value);
    else if (role.role.startsWith("position.") || role.role.startsWith("velocity.")) {
      const isPosition = role.role.startsWith("position.");
      if (isPosition) hasPosition = true;
      else hasVelocity = true;
      axes[`${isPosition ? "p" : "v"}${role.role.slice(9)}`] = value;
    }
  }
  preferTaggedFields(["x", "y", "z"]);
  preferTaggedFields(["entityId", "position", "velocity", "rotation"]);
  const vector = (prefix: string): string => `{ x: ${axes[`${prefix}x`]}, y: ${axes[`${prefix}y`]}, z: ${axes[`${prefix}z`]} }`;
  const rotationCode = rotation.length === 0 ? "undefined" : rotation.length === 1 ? rotation[0] : `[${rotation.join(", ")}]`;
  const fresh = `{ entityId: ${id}, position: ${hasPosition ? vector("p") : "undefined"}, velocity: ${hasVelocity ? vector("v") : "undefined"}, rotation: ${rotationCode} }`;
  if (!reuse) {
    e.emit(`${list}.push(${fresh}); }`);
    e.emit(`${target} = ${list}; }`);
    return;
  }
  const pooled = e.variable("n");
  const assign = (prefix: string, property: string): string => `${pooled}.${property}.x = ${axes[`${prefix}x`]}; ${pooled}.${property}.y = ${axes[`${prefix}y`]}; ${pooled}.${property}.z = ${axes[`${prefix}z`]};`;
  e.emit(`let ${pooled} = ${pool} !== undefined && i < ${pool}.length ? ${pool}[i] : undefined;`);
  // Pool objects have shapes of their own (see pooled-entity-roles.ts): rewriting their numbers allocates nothing.
  const pooledVectorCode = (prefix: string): string => `H.pooledVector(${axes[`${prefix}x`]}, ${axes[`${prefix}y`]}, ${axes[`${prefix}z`]})`;
  const pooledCode = `H.pooledEntity(${id}, ${hasPosition ? pooledVectorCode("p") : "undefined"}, ${hasVelocity ? pooledVectorCode("v") : "undefined"}, ${rotationCode})`;
  e.emit(`if (${pooled} === undefined) { ${pooled} = ${pool} !== undefined ? ${pooledCode} : ${fresh}; if (${pool} !== undefined) ${pool}.push(${pooled}); }`);
  e.emit(`else { ${pooled}.entityId = ${id}; ${hasPosition ? assign("p", "position") : ""} ${hasVelocity ? assign("v", "velocity") : ""} ${pooled}.rotation = ${rotationCode}; }`);
  e.emit(`${list}[i] = ${pooled}; }`);
  // (Setting an array's length is a runtime call: only when the count changed.)
  e.emit(`if (${list}.length !== ${count}) ${list}.length = ${count}; ${target} = ${list}; }`);
}

function decodeFieldsCode(e: Emitter, fields: FieldPlan[], level: number, record: string, hints?: RolesOnlyHints): void {
  for (let index = 0; index < fields.length; index++) {
    // Packed group: consecutive fixed-width fields totalling 16, 24 or 32 bits, read with one aligned load.
    let total = 0;
    let end = index;
    let groupEnd = -1;
    let groupBits = 0;
    while (end < fields.length) {
      const bits = packableBits(fields[end]);
      if (bits === 0 || total + bits > 32) break;
      total += bits;
      end += 1;
      if (total % 8 === 0 && end - index >= 2) {
        groupEnd = end;
        groupBits = total;
      }
    }
    if (groupEnd > 0) {
      const group = fields.slice(index, groupEnd);
      const values = group.map(() => e.variable("v"));
      const word = e.variable("w");
      const p = e.variable("p");
      e.emit(`let ${values.join(", ")};`);
      e.emit(`if ((r.position & 7) === 0 && r.end - r.position >= ${int(groupBits)}) { const ${p} = r.position >>> 3; r.position += ${int(groupBits)};`);
      const bytes = groupBits / 8;
      const parts: string[] = [];
      for (let byte = 0; byte < bytes; byte++) parts.push(`(b[${p}${byte === 0 ? "" : ` + ${byte}`}] << ${int(8 * (bytes - 1 - byte))})`);
      e.emit(`const ${word} = (${parts.join(" | ")}) >>> 0;`);
      let shift = groupBits;
      const store = (field: FieldPlan, position: number): void => {
        if (field.constraint !== undefined) e.emit(constraintCode(e, field, values[position], e.constant(field.path)));
        e.emit(`${record}${key(field.name)} = ${values[position]};`);
      };
      group.forEach((field, position) => {
        shift -= packableBits(field);
        extractCode(e, field, word, shift, values[position]);
      });
      group.forEach(store);
      // The interpreter leaves the last field's path in r.field: errors of later reads name the same field.
      e.emit(`r.field = ${e.constant(group[group.length - 1].path)};`);
      e.emit("} else {");
      // Not aligned or near the end: field by field, exactly like the interpreter (partial results on truncation).
      group.forEach((field, position) => {
        e.emit(`r.field = ${e.constant(field.path)};`);
        decodeNodeCode(e, field.node, values[position], e.constant(field.path));
        store(field, position);
      });
      e.emit("}");
      index = groupEnd - 1;
      continue;
    }
    const field = fields[index];
    const path = e.constant(field.path);
    const value = e.variable("v");
    if (field.when !== undefined) e.emit(`if (${e.constant(field.when)}.test(${refCode(field.when.ref)})) {`);
    e.emit(`r.field = ${path}; let ${value};`);
    const node = field.node;
    const entity = hints?.entities.get(field.name);
    if (node.kind === "array" && (entity !== undefined || hints?.skipped.has(field.name) === true)) decodeRolesOnlyArray(e, node, entity, value, path, hints!.reuseEntities === true);
    else decodeNodeCode(e, node, value, path);
    if (field.constraint !== undefined) e.emit(constraintCode(e, field, value, path));
    e.emit(`${record}${key(field.name)} = ${value};`);
    if (field.node.kind === "struct" || field.node.kind === "array" || field.node.kind === "switch") e.emit(`s[${int(level)}] = ${record};`);
    if (field.when !== undefined) e.emit("}");
  }
}

function encodeNodeCode(e: Emitter, node: NodePlan, value: string, path: string): void {
  switch (node.kind) {
    case "int":
      if (node.big) e.emit(`w.big(${value}, ${int(node.bits)}, ${node.signed}, ${node.little});`);
      else e.emit(`if (typeof ${value} === "bigint") w.big(${value}, ${int(node.bits)}, ${node.signed}, ${node.little}); else w.${node.signed ? "int" : "uint"}(${value}, ${int(node.bits)}, ${node.little});`);
      return;
    case "varint":
      e.emit(`w.varint(${value}, ${node.zigzag});`);
      return;
    case "float":
      e.emit(`w.float(${value}, ${int(node.bits)}, ${node.little});`);
      return;
    case "quantized":
      e.emit(`w.uint(H.quantize(${value}, ${e.constant(node.min)}, ${e.constant(node.max)}, ${e.constant(node.steps)}, ${path}), ${int(node.bits)}, ${node.little});`);
      return;
    case "scaled":
      e.emit(`w.${node.signed ? "int" : "uint"}(H.unscale(${value}, ${e.constant(node.scale)}, ${e.constant(node.offset)}, ${path}), ${int(node.bits)}, ${node.little});`);
      return;
    case "bool":
      e.emit(`w.uint(${value} === true || ${value} === 1 ? 1 : 0, ${int(node.bits)}, false);`);
      return;
    case "bytes": {
      const bytes = e.variable("b");
      const text = node.text !== null;
      e.emit(`let ${bytes} = H.valueBytes(${value}, ${e.constant(node.text)}, ${path});`);
      const spec = node.length;
      if (spec.kind === "fixed") e.emit(`${bytes} = H.fixedBytes(${bytes}, ${int(spec.bytes)}, ${text}, ${path});`);
      else if (spec.kind === "prefix") e.emit(`H.writePrefix(w, ${e.constant(spec.prefix)}, ${bytes}.length);`);
      else if (spec.kind === "field" && !spec.derived) e.emit(`${bytes} = H.fixedBytes(${bytes}, H.sizeFrom(${refCode(spec.ref)}, ${path}), ${text}, ${path});`);
      e.emit(`w.bytes(${bytes});`);
      return;
    }
    case "struct": {
      const record = `o${int(node.level)}`;
      e.emit(`if (!H.isRecord(${value})) H.encodeFailure(${path}, "expected an object");`);
      e.emit(`{ const ${record} = ${value}; s[${int(node.level)}] = ${record};`);
      encodeFieldsCode(e, node.fields, node.level, record);
      e.emit("}");
      return;
    }
    case "array": {
      const element = e.variable("v");
      e.emit(`if (!Array.isArray(${value})) H.encodeFailure(${path}, "expected an array");`);
      const spec = node.count;
      if (spec.kind === "fixed") e.emit(`if (${value}.length !== ${int(spec.count)}) H.encodeFailure(${path}, ${e.constant(`needs exactly ${spec.count} elements`)});`);
      else if (spec.kind === "prefix") e.emit(`H.writePrefix(w, ${e.constant(spec.prefix)}, ${value}.length);`);
      else if (spec.kind === "field" && !spec.derived) e.emit(`if (${value}.length !== H.sizeFrom(${refCode(spec.ref)}, ${path})) H.encodeFailure(${path}, "element count differs from its count field");`);
      e.emit(`for (const ${element} of ${value}) {`);
      encodeNodeCode(e, node.of, element, path);
      e.emit("}");
      return;
    }
    case "switch": {
      const index = e.variable("c");
      e.emit(`{ const ${index} = H.caseIndex(${e.constant(node.cases)}, ${refCode(node.on)}${node.lookup === undefined ? "" : `, ${e.constant(node.lookup)}`}); switch (${index}) {`);
      node.cases.forEach((item, caseIndex) => {
        e.emit(`case ${int(caseIndex)}: {`);
        encodeNodeCode(e, item.struct, value, path);
        e.emit("break; }");
      });
      e.emit("default: {");
      if (node.fallback !== undefined) encodeNodeCode(e, node.fallback, value, path);
      else e.emit(`H.noCaseFailure(${path}, ${e.constant(node.on.name)}, ${refCode(node.on)}, true);`);
      e.emit("} } }");
      return;
    }
    case "intBytes":
    case "plugin":
      e.emit(`H.encodeNode(${e.constant(node)}, ${value}, w, s, c, ${path});`);
      return;
  }
}

function encodeFieldsCode(e: Emitter, fields: FieldPlan[], level: number, record: string): void {
  for (const field of fields) {
    const path = e.constant(field.path);
    const value = e.variable("v");
    if (field.when !== undefined) e.emit(`if (${e.constant(field.when)}.test(${refCode(field.when.ref)})) {`);
    e.emit(`w.field = ${path}; let ${value};`);
    if (field.derived?.kind === "frameLength") e.emit(`c.frameLengthPosition = w.position; ${value} = 0;`);
    else if (field.derived !== undefined) e.emit(`${value} = H.derivedValue(${e.constant(field)}, ${record});`);
    else e.emit(`${value} = ${record}${key(field.name)};`);
    if (field.defaultValue !== undefined) e.emit(`if (${value} === undefined) ${value} = ${e.constant(field.defaultValue)};`);
    else e.emit(`if (${value} === undefined) H.encodeFailure(${path}, "missing value");`);
    encodeNodeCode(e, field.node, value, path);
    if (field.node.kind === "struct" || field.node.kind === "array" || field.node.kind === "switch") e.emit(`s[${int(level)}] = ${record};`);
    if (field.when !== undefined) e.emit("}");
  }
}

/** Generated JavaScript source of a decoder (exposed for inspection and tests). */
export function decoderSource(fields: FieldPlan[], level: number, hints?: RolesOnlyHints): { source: string; constants: unknown[] } {
  const e = new Emitter();
  e.emit(`const b = r.buffer; const o${int(level)} = s[${int(level)}];`);
  decodeFieldsCode(e, fields, level, `o${int(level)}`, hints);
  return { source: e.lines.join("\n"), constants: e.constants };
}

/**
 * Generates a copy of the named fields from one record into another, in the
 * given order (`target[name] = source[name]`): straight-line, monomorphic
 * stores instead of a loop of keyed ones. Names are field names (checked
 * identifiers), emitted through `JSON.stringify`.
 */
export function generateRecordCopy(names: readonly string[]): (target: FieldRecord, source: FieldRecord) => void {
  const lines = names.map((name) => `t${key(name)} = f${key(name)};`);
  return new Function("t", "f", `"use strict";\n${lines.join("\n")}`) as (target: FieldRecord, source: FieldRecord) => void;
}

/** Generated JavaScript source of an encoder. */
export function encoderSource(fields: FieldPlan[], level: number): { source: string; constants: unknown[] } {
  const e = new Emitter();
  e.emit(`const o${int(level)} = s[${int(level)}];`);
  encodeFieldsCode(e, fields, level, `o${int(level)}`);
  return { source: e.lines.join("\n"), constants: e.constants };
}

/**
 * Generates a decoder for one field list with `new Function`; with `hints`, a
 * roles-only decoder (see {@link RolesOnlyHints}) for a message's fields.
 */
export function generateDecoder(fields: FieldPlan[], level: number, hints?: RolesOnlyHints): DecodeFields {
  const { source, constants } = decoderSource(fields, level, hints);
  const factory = new Function("K", "H", `"use strict"; return function decodeFields(r, s, c) {\n${source}\n};`) as (
    constants: unknown[],
    helperSet: typeof helpers,
  ) => DecodeFields;
  return factory(constants, helpers);
}

/** Generates an encoder for one field list with `new Function`. */
export function generateEncoder(fields: FieldPlan[], level: number): EncodeFields {
  const { source, constants } = encoderSource(fields, level);
  const factory = new Function("K", "H", `"use strict"; return function encodeFields(w, s, c) {\n${source}\n};`) as (
    constants: unknown[],
    helperSet: typeof helpers,
  ) => EncodeFields;
  return factory(constants, helpers);
}
