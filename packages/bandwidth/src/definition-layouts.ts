import type { MessageLayout, WireField, WireType } from "./layout-reencoder.js";

/**
 * The parts of a `@tickscope/core/protocol` definition (plain JSON) this
 * package reads. Kept structural so the package works from the JSON alone.
 */
export interface ProtocolDefinitionLike {
  name?: string;
  types?: Record<string, FieldDefinitionLike>;
  body?: { frameHeader?: readonly FieldDefinitionLike[] } & Record<string, unknown>;
  messages: readonly MessageDefinitionLike[];
}

/** One message of a definition (the properties this package reads). */
export interface MessageDefinitionLike {
  name: string;
  fields?: readonly FieldDefinitionLike[];
}

/** One field of a definition (the properties this package reads). */
export interface FieldDefinitionLike {
  name?: string;
  type: string;
  bits?: number;
  min?: number;
  max?: number;
  length?: unknown;
  count?: unknown;
  fields?: readonly FieldDefinitionLike[];
  of?: FieldDefinitionLike;
  ref?: string;
  role?: string;
  when?: unknown;
}

/** Layouts derived from a definition, and the message types that could not be expressed (with why). */
export interface DefinitionLayouts {
  layouts: MessageLayout[];
  unsupported: { type: string; reason: string }[];
}

const FIXED_WIDTHS: Record<string, [kind: "uint" | "int", bits: number]> = {
  u8: ["uint", 8],
  u16: ["uint", 16],
  u24: ["uint", 24],
  u32: ["uint", 32],
  u48: ["uint", 48],
  u64: ["uint", 64],
  i8: ["int", 8],
  i16: ["int", 16],
  i24: ["int", 24],
  i32: ["int", 32],
  i48: ["int", 48],
  i64: ["int", 64],
};

const PREFIX_BITS: Record<string, number> = { u8: 8, u16: 16, u32: 32 };

class Unsupported extends Error {}

function prefixBits(value: unknown, what: string): number {
  if (value !== null && typeof value === "object" && "prefix" in value) {
    const bits = PREFIX_BITS[String((value as { prefix: unknown }).prefix)];
    if (bits !== undefined) return bits;
  }
  throw new Unsupported(`${what} ${JSON.stringify(value)} (only u8/u16/u32 prefixes)`);
}

function convertType(field: FieldDefinitionLike, types: Record<string, FieldDefinitionLike>, depth: number): WireType {
  if (depth > 32) throw new Unsupported("nesting deeper than 32");
  if (field.when !== undefined) throw new Unsupported(`conditional field ${field.name ?? ""}`);
  const fixed = FIXED_WIDTHS[field.type];
  if (fixed !== undefined) return { kind: fixed[0], bits: fixed[1] };
  switch (field.type) {
    case "uint":
    case "int":
      if (field.bits === undefined) throw new Unsupported(`${field.type} without bits`);
      return { kind: field.type, bits: field.bits };
    case "f32":
      return { kind: "float32" };
    case "f64":
      return { kind: "float64" };
    case "quantized":
      return { kind: "quantized", min: field.min ?? 0, max: field.max ?? 1, bits: field.bits ?? 8 };
    case "bool":
      return (field.bits ?? 1) === 1 ? { kind: "bool" } : { kind: "uint", bits: field.bits! };
    case "bytes":
    case "string":
      return { kind: "bytes", lengthBits: prefixBits(field.length, "length") };
    case "struct":
      return { kind: "struct", fields: convertFields(field.fields ?? [], types, depth + 1) };
    case "ref": {
      const target = field.ref === undefined ? undefined : types[field.ref];
      if (target === undefined) throw new Unsupported(`unknown ref ${String(field.ref)}`);
      return convertType({ ...target, name: field.name }, types, depth + 1);
    }
    case "array": {
      if (field.of === undefined) throw new Unsupported("array without element type");
      const element = convertType(field.of, types, depth + 1);
      const array: Extract<WireType, { kind: "array" }> =
        typeof field.count === "number" ? { kind: "array", countBits: 0, fixedCount: field.count, element } : { kind: "array", countBits: prefixBits(field.count, "count"), element };
      const elementFields = resolveStructFields(field.of, types);
      const key = elementFields?.find((candidate) => candidate.role === "entityId")?.name;
      if (key !== undefined) {
        array.keyField = key;
        array.entities = true;
      }
      return array;
    }
    default:
      throw new Unsupported(`field type ${field.type}`);
  }
}

function resolveStructFields(field: FieldDefinitionLike, types: Record<string, FieldDefinitionLike>): readonly FieldDefinitionLike[] | undefined {
  if (field.type === "struct") return field.fields;
  if (field.type === "ref" && field.ref !== undefined) {
    const target = types[field.ref];
    return target === undefined ? undefined : resolveStructFields(target, types);
  }
  return undefined;
}

function convertFields(fields: readonly FieldDefinitionLike[], types: Record<string, FieldDefinitionLike>, depth: number): WireField[] {
  return fields.map((field) => {
    if (field.name === undefined) throw new Unsupported("unnamed field");
    return { name: field.name, type: convertType(field, types, depth) };
  });
}

/**
 * Derives re-encoding layouts from a protocol definition (the JSON of
 * `examples/protocols/*.json`): each message's frame header fields are sent
 * as they are, then its fields. Multi-byte integers keep their widths (byte
 * order does not change sizes). Message types using constructs the layout
 * language cannot express (varints, switches, conditional fields, plugins,
 * counts or lengths held in other fields) are listed as unsupported, and the
 * analysis keeps their captured sizes.
 */
export function layoutsFromDefinition(definition: ProtocolDefinitionLike): DefinitionLayouts {
  const types = definition.types ?? {};
  const layouts: MessageLayout[] = [];
  const unsupported: { type: string; reason: string }[] = [];
  let frame: WireField[] = [];
  try {
    frame = convertFields(definition.body?.frameHeader ?? [], types, 0);
  } catch (error) {
    for (const message of definition.messages) unsupported.push({ type: message.name, reason: `frame header: ${(error as Error).message}` });
    return { layouts, unsupported };
  }
  definition.messages.forEach((message, index) => {
    try {
      layouts.push({ type: message.name, typeId: index, typeIdBits: 0, frame, fields: convertFields(message.fields ?? [], types, 0) });
    } catch (error) {
      unsupported.push({ type: message.name, reason: (error as Error).message });
    }
  });
  return { layouts, unsupported: unsupported.sort((a, b) => (a.type < b.type ? -1 : 1)) };
}
