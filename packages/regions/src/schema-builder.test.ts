import { describe, expect, it } from "vitest";
import { SchemaType, TYPEBOX_KIND, TYPEBOX_OPTIONAL } from "./schema-builder.js";

describe("TypeBox-compatible schema builders", () => {
  it("emit the JSON Schema and symbols TypeBox emits", () => {
    const schema = SchemaType.Object({ a: SchemaType.Number(), b: SchemaType.Optional(SchemaType.String()) }, { description: "x" });
    expect(schema).toMatchObject({ type: "object", required: ["a"], description: "x" });
    expect(schema[TYPEBOX_KIND]).toBe("Object");
    expect(SchemaType.Optional(SchemaType.Boolean())[TYPEBOX_OPTIONAL]).toBe("Optional");
    expect(SchemaType.Object({ b: SchemaType.Optional(SchemaType.Integer()) })).not.toHaveProperty("required");
    expect(SchemaType.Tuple([SchemaType.Number(), SchemaType.Number()])).toMatchObject({ minItems: 2, maxItems: 2, additionalItems: false });
    expect(SchemaType.Nullable(SchemaType.Number()).anyOf).toHaveLength(2);
    expect(SchemaType.Record(SchemaType.Null()).patternProperties).toHaveProperty("^(.*)$");
    expect(SchemaType.Literal("x")).toMatchObject({ const: "x", type: "string" });
    expect(JSON.parse(JSON.stringify(SchemaType.Array(SchemaType.String())))).toEqual({ type: "array", items: { type: "string" } });
  });
});
