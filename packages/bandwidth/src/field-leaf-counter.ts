import type { FieldRecord, FieldValue } from "@tickscope/core";
import type { FieldDefinitionLike, ProtocolDefinitionLike } from "./definition-layouts.js";

/** Field types whose decoded value is a container (records, lists, or whatever a plugin returns): never one leaf for sure. */
const CONTAINER_TYPES = new Set(["struct", "array", "switch", "plugin"]);

/** Leaf values of a decoded value as the field arena counts them: everything but lists and records (byte arrays are one leaf). */
export function countLeafValues(value: FieldValue): number {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return 1;
  let leaves = 0;
  if (Array.isArray(value)) {
    const items = value as readonly FieldValue[];
    for (let index = 0; index < items.length; index++) leaves += countLeafValues(items[index]!);
    return leaves;
  }
  const record = value as Record<string, FieldValue>;
  for (const key in record) leaves += countLeafValues(record[key]!);
  return leaves;
}

/**
 * The leaf values a message's complete field record holds, counted from the
 * record a roles-only decode gives (core's `fields: "roles"`), which differs
 * from the complete one only in top-level arrays of flat structs: it may hold
 * such an array's element count (a number) or its entity roles (a list as
 * long as the array) instead of the element records. Each element record of
 * a flat struct — named fields, none conditional, none a struct, array,
 * switch or plugin — holds exactly one leaf per field, so such an array
 * counts `elements × fields` whichever form it has; every other field is
 * counted as it is (the same in both decodes). On a complete record the count
 * is {@link countLeafValues}'s.
 */
export class FieldLeafCounter {
  /** Leaves per element of each top-level flat-struct array, by message type and field name. */
  private readonly flatArrays = new Map<string, Map<string, number>>();
  private lastType: string | undefined;
  private lastArrays: Map<string, number> | undefined;

  /** @param definition the protocol definition the messages were decoded with */
  constructor(definition: ProtocolDefinitionLike) {
    const types = definition.types ?? {};
    for (const message of definition.messages) {
      const arrays = new Map<string, number>();
      for (const field of message.fields ?? []) {
        if (field.name === undefined) continue;
        const resolved = resolveRef(field, types);
        if (resolved?.type !== "array" || resolved.of === undefined) continue;
        const element = resolveRef(resolved.of, types);
        if (element?.type !== "struct" || element.fields === undefined || element.fields.length === 0) continue;
        const flat = element.fields.every((child) => {
          if (child.name === undefined || child.when !== undefined) return false;
          const type = resolveRef(child, types);
          return type !== undefined && type.when === undefined && !CONTAINER_TYPES.has(type.type);
        });
        if (flat) arrays.set(field.name, element.fields.length);
      }
      if (arrays.size > 0) this.flatArrays.set(message.name, arrays);
    }
  }

  /** Leaf values of the complete field record of a message of `type` whose (complete or roles-only) record is `fields`. */
  count(type: string, fields: FieldRecord): number {
    let arrays = this.lastArrays;
    if (type !== this.lastType) {
      arrays = this.flatArrays.get(type);
      this.lastType = type;
      this.lastArrays = arrays;
    }
    if (arrays === undefined) return countLeafValues(fields);
    let leaves = 0;
    for (const key in fields) {
      const value = fields[key]!;
      const perElement = arrays.get(key);
      if (perElement !== undefined && typeof value === "number") leaves += value * perElement;
      else if (perElement !== undefined && Array.isArray(value)) leaves += value.length * perElement;
      else leaves += countLeafValues(value);
    }
    return leaves;
  }
}

/** A field with its `ref` chain followed to the type it names (undefined: an unknown or circular ref). */
function resolveRef(field: FieldDefinitionLike, types: Record<string, FieldDefinitionLike>): FieldDefinitionLike | undefined {
  let current = field;
  for (let depth = 0; current.type === "ref"; depth++) {
    if (depth > 32 || current.ref === undefined) return undefined;
    const target = types[current.ref];
    if (target === undefined) return undefined;
    current = { ...target, name: field.name, ...(current.when === undefined ? {} : { when: current.when }) };
  }
  return current;
}
