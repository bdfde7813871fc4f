/**
 * Minimal builders producing TypeBox-compatible JSON Schemas (the same objects
 * `@sinclair/typebox`'s `Type.*` create, with its `Kind`/`Optional` symbols),
 * because this package may depend only on `@tickscope/core` at runtime.
 * Consumers that have TypeBox (the CLI) can use the schemas with `Value.Check`
 * or compose them with `Type.*`; anyone else gets plain JSON Schema.
 */

/** TypeBox's kind symbol (`Symbol.for("TypeBox.Kind")`). */
export const TYPEBOX_KIND = Symbol.for("TypeBox.Kind");
/** TypeBox's optional-property symbol (`Symbol.for("TypeBox.Optional")`). */
export const TYPEBOX_OPTIONAL = Symbol.for("TypeBox.Optional");

/** A JSON Schema carrying TypeBox's kind symbol. */
export interface JsonSchema {
  [key: string]: unknown;
  [TYPEBOX_KIND]: string;
  [TYPEBOX_OPTIONAL]?: string;
}

type Options = Record<string, unknown>;

const make = (kind: string, body: Record<string, unknown>, options: Options = {}): JsonSchema =>
  ({ ...options, ...body, [TYPEBOX_KIND]: kind }) as JsonSchema;

/** TypeBox-compatible schema builders (subset of `Type`). */
export const SchemaType = {
  /** `Type.Number`. */
  Number: (options?: Options): JsonSchema => make("Number", { type: "number" }, options),
  /** `Type.Integer`. */
  Integer: (options?: Options): JsonSchema => make("Integer", { type: "integer" }, options),
  /** `Type.String`. */
  String: (options?: Options): JsonSchema => make("String", { type: "string" }, options),
  /** `Type.Boolean`. */
  Boolean: (options?: Options): JsonSchema => make("Boolean", { type: "boolean" }, options),
  /** `Type.Null`. */
  Null: (options?: Options): JsonSchema => make("Null", { type: "null" }, options),
  /** `Type.Literal` of a string. */
  Literal: (value: string, options?: Options): JsonSchema => make("Literal", { const: value, type: "string" }, options),
  /** `Type.Array`. */
  Array: (items: JsonSchema, options?: Options): JsonSchema => make("Array", { type: "array", items }, options),
  /** `Type.Tuple`. */
  Tuple: (items: JsonSchema[], options?: Options): JsonSchema =>
    make("Tuple", { type: "array", items, additionalItems: false, minItems: items.length, maxItems: items.length }, options),
  /** `Type.Union`. */
  Union: (anyOf: JsonSchema[], options?: Options): JsonSchema => make("Union", { anyOf }, options),
  /** `Type.Record(Type.String(), value)`. */
  Record: (value: JsonSchema, options?: Options): JsonSchema =>
    make("Record", { type: "object", patternProperties: { "^(.*)$": value } }, options),
  /** `Type.Optional`. */
  Optional: (schema: JsonSchema): JsonSchema => ({ ...schema, [TYPEBOX_OPTIONAL]: "Optional" }) as JsonSchema,
  /** `Type.Object`; required = the properties not marked optional. */
  Object: (properties: Record<string, JsonSchema>, options?: Options): JsonSchema => {
    const required = Object.keys(properties).filter((key) => !(TYPEBOX_OPTIONAL in properties[key]!));
    return make("Object", required.length > 0 ? { type: "object", required, properties } : { type: "object", properties }, options);
  },
  /** `Type.Union([schema, Type.Null()])`. */
  Nullable: (schema: JsonSchema, options?: Options): JsonSchema => SchemaType.Union([schema, SchemaType.Null()], options),
};
