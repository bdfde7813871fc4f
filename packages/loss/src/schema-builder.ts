/**
 * A minimal builder of TypeBox-compatible JSON Schema objects (same shape and
 * `TypeBox.Kind` markers as `@sinclair/typebox`'s `Type.*`), used because this
 * package depends on `@tickscope/core` and `simple-statistics` only. The
 * schemas validate with TypeBox (`Value.Check`, `TypeCompiler`) and any JSON
 * Schema validator, and compose with core's TypeBox schemas.
 */
const Kind = Symbol.for("TypeBox.Kind");

/** A JSON Schema object carrying a TypeBox kind marker. */
export type JsonSchema = { [key: string]: unknown; [Kind]?: string };

type Options = Record<string, unknown>;

function make(kind: string, body: Record<string, unknown>, options: Options = {}): JsonSchema {
  return { ...options, ...body, [Kind]: kind } as JsonSchema;
}

/** Schema builders mirroring `Type.*`. */
export const SchemaType = {
  /** Any number. */
  Number: (options?: Options) => make("Number", { type: "number" }, options),
  /** An integer. */
  Integer: (options?: Options) => make("Integer", { type: "integer" }, options),
  /** A string. */
  String: (options?: Options) => make("String", { type: "string" }, options),
  /** A boolean. */
  Boolean: (options?: Options) => make("Boolean", { type: "boolean" }, options),
  /** null. */
  Null: () => make("Null", { type: "null" }),
  /** Anything. */
  Unknown: () => make("Unknown", {}),
  /** A constant string. */
  Literal: (value: string) => make("Literal", { const: value, type: "string" }),
  /** One of several schemas. */
  Union: (schemas: JsonSchema[], options?: Options) => make("Union", { anyOf: schemas }, options),
  /** A schema or null. */
  Nullable: (schema: JsonSchema) => make("Union", { anyOf: [schema, make("Null", { type: "null" })] }),
  /** An array. */
  Array: (items: JsonSchema, options?: Options) => make("Array", { type: "array", items }, options),
  /** An object whose properties are all required. */
  Object: (properties: Record<string, JsonSchema>, options?: Options) =>
    make("Object", { type: "object", properties, required: Object.keys(properties) }, options),
  /** An object with string keys and values of one schema. */
  Record: (values: JsonSchema) => make("Record", { type: "object", patternProperties: { "^(.*)$": values } }),
};
