import { ErrorCode } from "../errors.js";
import type { FieldRecord, FieldValue } from "../game-message.js";
import type { BitReader, BitWriter } from "./bits.js";
import {
  checkConstraint,
  checkFits,
  checkMaximum,
  decodeFailure,
  dequantize,
  derivedValue,
  encodeFailure,
  fixedBytes,
  noCaseFailure,
  pluginContext,
  quantize,
  readPrefix,
  requirePlugin,
  sizeFrom,
  unscale,
  valueBytes,
  writePrefix,
  type CodecContext,
  type DecodeFields,
  type EncodeFields,
} from "./codec-runtime.js";
import { decodeWorkExceeded } from "./decode-work-budget.js";
import { MAX_ZERO_SIZE_ELEMENTS, type FieldPlan, type FieldRef, type NodePlan } from "./plan.js";

/** Detail of the failure when an element of an untilEnd array read no input (it would repeat forever). */
export const EMPTY_ELEMENT = "an element read no input, so the array would never end";

function lookup(scopes: FieldRecord[], ref: FieldRef): FieldValue | undefined {
  return scopes[ref.level]?.[ref.name];
}

/** The case whose values include `value`. */
export function matchCase<T extends { values: (number | string)[] }>(cases: T[], value: unknown, lookup?: Map<number | string, number>): T | undefined {
  const key = typeof value === "bigint" ? Number(value) : typeof value === "boolean" ? (value ? 1 : 0) : value;
  if (lookup !== undefined) {
    const index = lookup.get(key as number | string);
    return index === undefined ? undefined : cases[index];
  }
  for (const item of cases) if (item.values.includes(key as number | string)) return item;
  return undefined;
}

const structPrefixes = new WeakMap<readonly FieldPlan[], readonly string[]>();

/**
 * Names of a struct's fields up to its first conditional (`when`) one: every
 * decode of the struct sets them, in this order, so both decoders create the
 * record with them present (undefined until read) — its final size in one
 * allocation, same key order. Placeholders are only left where a decode
 * failed part-way (a message is then not emitted; a failed datagram's partial
 * header shows them alike in both decoders).
 */
export function structPrefixFields(fields: readonly FieldPlan[]): readonly string[] {
  let names = structPrefixes.get(fields);
  if (names === undefined) {
    const prefix: string[] = [];
    for (const field of fields) {
      if (field.when !== undefined) break;
      prefix.push(field.name);
    }
    names = prefix;
    structPrefixes.set(fields, names);
  }
  return names;
}

/** Decodes one node (tree-walking interpreter). */
export function decodeNode(node: NodePlan, reader: BitReader, scopes: FieldRecord[], context: CodecContext, path: string): FieldValue {
  switch (node.kind) {
    case "int":
      if (node.big) return node.signed ? reader.bigInt(node.bits, node.little) : reader.bigUint(node.bits, node.little);
      return node.signed ? reader.int(node.bits, node.little) : reader.uint(node.bits, node.little);
    case "intBytes": {
      const bytes = sizeFrom(lookup(scopes, node.ref), path);
      if (bytes > 8) decodeFailure(path, `integer of ${bytes} bytes (at most 8)`);
      if (bytes === 0) return 0;
      if (bytes > 6) return node.signed ? reader.bigInt(bytes * 8, node.little) : reader.bigUint(bytes * 8, node.little);
      return node.signed ? reader.int(bytes * 8, node.little) : reader.uint(bytes * 8, node.little);
    }
    case "varint":
      return reader.varint(node.zigzag);
    case "float":
      return reader.float(node.bits, node.little);
    case "quantized":
      return dequantize(reader.uint(node.bits, node.little), node.min, node.max, node.steps);
    case "scaled":
      return (node.signed ? reader.int(node.bits, node.little) : reader.uint(node.bits, node.little)) * node.scale + node.offset;
    case "bool":
      return reader.uint(node.bits, false) !== 0;
    case "bytes": {
      let length: number;
      const spec = node.length;
      if (spec.kind === "fixed") length = spec.bytes;
      else if (spec.kind === "rest") length = (reader.end - reader.position) >>> 3;
      else if (spec.kind === "field") length = sizeFrom(lookup(scopes, spec.ref), path);
      else length = readPrefix(reader, spec.prefix, path);
      checkMaximum(length, node.maxLength, path);
      if (node.text !== null) return reader.text(length, node.text === "ascii");
      const view = reader.bytes(length);
      return context.copyBytes ? view.slice() : view;
    }
    case "struct": {
      const record: FieldRecord = {};
      for (const name of structPrefixFields(node.fields)) record[name] = undefined as unknown as FieldValue;
      scopes[node.level] = record;
      decodeFieldList(node.fields, node.level, reader, scopes, context);
      return record;
    }
    case "array": {
      const spec = node.count;
      const result: FieldValue[] = [];
      if (spec.kind === "untilEnd") {
        const limit = node.maxCount ?? MAX_ZERO_SIZE_ELEMENTS;
        while (reader.end - reader.position >= Math.max(node.minElementBits, 1)) {
          if (result.length >= limit) decodeFailure(path, `more than ${limit} elements`, ErrorCode.lengthExceeded);
          if ((context.work -= node.elementWork) < 0) decodeWorkExceeded(path);
          const start = reader.position;
          result.push(decodeNode(node.of, reader, scopes, context, path));
          if (node.minElementBits === 0 && reader.position === start) decodeFailure(path, EMPTY_ELEMENT);
        }
        return result;
      }
      const count =
        spec.kind === "fixed" ? spec.count : spec.kind === "field" ? sizeFrom(lookup(scopes, spec.ref), path) : readPrefix(reader, spec.prefix, path);
      checkMaximum(count, node.maxCount, path);
      checkFits(reader, count, node.minElementBits, path);
      if (node.minElementBits === 0) checkMaximum(count, MAX_ZERO_SIZE_ELEMENTS, path);
      if ((context.work -= count * node.elementWork) < 0) decodeWorkExceeded(path);
      for (let index = 0; index < count; index++) result.push(decodeNode(node.of, reader, scopes, context, path));
      return result;
    }
    case "switch": {
      const chosen = matchCase(node.cases, lookup(scopes, node.on), node.lookup)?.struct ?? node.fallback;
      if (chosen === undefined) return noCaseFailure(path, node.on.name, lookup(scopes, node.on), false);
      return decodeNode(chosen, reader, scopes, context, path);
    }
    case "plugin":
      return requirePlugin(context, node.plugin, path).field!.decode(reader, pluginContext(context, node.options));
  }
}

function decodeFieldList(fields: FieldPlan[], level: number, reader: BitReader, scopes: FieldRecord[], context: CodecContext): void {
  const record = scopes[level];
  for (const field of fields) {
    if (field.when !== undefined && !field.when.test(lookup(scopes, field.when.ref))) continue;
    reader.field = field.path;
    const value = decodeNode(field.node, reader, scopes, context, field.path);
    scopes[level] = record;
    if (field.constraint !== undefined) checkConstraint(field.constraint, value, field.path, context);
    record[field.name] = value;
  }
}

/** Encodes one node (tree-walking interpreter). */
export function encodeNode(node: NodePlan, value: FieldValue | undefined, writer: BitWriter, scopes: FieldRecord[], context: CodecContext, path: string): void {
  switch (node.kind) {
    case "int":
      if (node.big || typeof value === "bigint") {
        writer.big(value as bigint, node.bits, node.signed, node.little);
        return;
      }
      if (node.signed) writer.int(value as number, node.bits, node.little);
      else writer.uint(value as number, node.bits, node.little);
      return;
    case "intBytes": {
      const bytes = sizeFrom(lookup(scopes, node.ref), path);
      if (bytes > 8) encodeFailure(path, `integer of ${bytes} bytes (at most 8)`);
      if (bytes > 0) writer.big(value as bigint, bytes * 8, node.signed, node.little);
      return;
    }
    case "varint":
      writer.varint(value as number, node.zigzag);
      return;
    case "float":
      writer.float(value as number, node.bits, node.little);
      return;
    case "quantized":
      writer.uint(quantize(value, node.min, node.max, node.steps, path), node.bits, node.little);
      return;
    case "scaled": {
      const raw = unscale(value, node.scale, node.offset, path);
      if (node.signed) writer.int(raw, node.bits, node.little);
      else writer.uint(raw, node.bits, node.little);
      return;
    }
    case "bool":
      writer.uint(value === true || value === 1 ? 1 : 0, node.bits, false);
      return;
    case "bytes": {
      let bytes = valueBytes(value, node.text, path);
      const spec = node.length;
      if (spec.kind === "fixed") bytes = fixedBytes(bytes, spec.bytes, node.text !== null, path);
      else if (spec.kind === "prefix") writePrefix(writer, spec.prefix, bytes.length);
      else if (spec.kind === "field" && !spec.derived) bytes = fixedBytes(bytes, sizeFrom(lookup(scopes, spec.ref), path), node.text !== null, path);
      writer.bytes(bytes);
      return;
    }
    case "struct": {
      if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) encodeFailure(path, "expected an object");
      scopes[node.level] = value as FieldRecord;
      encodeFieldList(node.fields, node.level, writer, scopes, context);
      return;
    }
    case "array": {
      if (!Array.isArray(value)) return encodeFailure(path, "expected an array");
      const spec = node.count;
      if (spec.kind === "fixed" && value.length !== spec.count) encodeFailure(path, `needs exactly ${spec.count} elements, got ${value.length}`);
      if (spec.kind === "prefix") writePrefix(writer, spec.prefix, value.length);
      if (spec.kind === "field" && !spec.derived && value.length !== sizeFrom(lookup(scopes, spec.ref), path)) encodeFailure(path, "element count differs from its count field");
      for (const element of value) encodeNode(node.of, element, writer, scopes, context, path);
      return;
    }
    case "switch": {
      const chosen = matchCase(node.cases, lookup(scopes, node.on), node.lookup)?.struct ?? node.fallback;
      if (chosen === undefined) return noCaseFailure(path, node.on.name, lookup(scopes, node.on), true);
      encodeNode(chosen, value, writer, scopes, context, path);
      return;
    }
    case "plugin":
      requirePlugin(context, node.plugin, path).field!.encode(writer, value as FieldValue, pluginContext(context, node.options));
      return;
  }
}

function encodeFieldList(fields: FieldPlan[], level: number, writer: BitWriter, scopes: FieldRecord[], context: CodecContext): void {
  const record = scopes[level];
  for (const field of fields) {
    if (field.when !== undefined && !field.when.test(lookup(scopes, field.when.ref))) continue;
    writer.field = field.path;
    let value: FieldValue | undefined;
    if (field.derived !== undefined) {
      if (field.derived.kind === "frameLength") {
        context.frameLengthPosition = writer.position;
        value = 0;
      } else value = derivedValue(field, record) as FieldValue;
    } else value = record[field.name];
    if (value === undefined) {
      if (field.defaultValue === undefined) encodeFailure(field.path, "missing value");
      value = field.defaultValue as FieldValue;
    }
    encodeNode(field.node, value, writer, scopes, context, field.path);
    scopes[level] = record;
  }
}

/** Interpreter decoder for one field list at `level`. */
export function interpretDecoder(fields: FieldPlan[], level: number): DecodeFields {
  return (reader, scopes, context) => decodeFieldList(fields, level, reader, scopes, context);
}

/** Interpreter encoder for one field list at `level`. */
export function interpretEncoder(fields: FieldPlan[], level: number): EncodeFields {
  return (writer, scopes, context) => encodeFieldList(fields, level, writer, scopes, context);
}
