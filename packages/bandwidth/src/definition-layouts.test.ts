import { describe, expect, it } from "vitest";
import { layoutsFromDefinition, type ProtocolDefinitionLike } from "./definition-layouts.js";
import { LayoutReencoder } from "./layout-reencoder.js";

describe("layoutsFromDefinition", () => {
  it("converts integers, floats, bools, strings, fixed arrays and refs; frames are sent as they are", () => {
    const definition: ProtocolDefinitionLike = {
      types: { point: { type: "struct", fields: [{ name: "id", type: "u8", role: "entityId" }, { name: "h", type: "f64" }] } },
      body: { frameHeader: [{ name: "kind", type: "u8" }] },
      messages: [
        {
          name: "all",
          fields: [
            { name: "a", type: "i16" },
            { name: "b", type: "uint", bits: 3 },
            { name: "c", type: "int", bits: 5 },
            { name: "d", type: "f32" },
            { name: "e", type: "bool" },
            { name: "f", type: "bool", bits: 8 },
            { name: "g", type: "string", length: { prefix: "u16" } },
            { name: "p", type: "array", count: 2, of: { type: "ref", ref: "point" } },
            { name: "q", type: "quantized", min: -1, max: 1, bits: 6 },
            { name: "big", type: "u64" },
            { name: "signed", type: "i64" },
          ],
        },
      ],
    };
    const { layouts, unsupported } = layoutsFromDefinition(definition);
    expect(unsupported).toEqual([]);
    const reencoder = new LayoutReencoder(layouts);
    expect(reencoder.entityArrays("all")).toEqual([{ field: "p", keyField: "id" }]);
    const fields = {
      kind: 4,
      a: -300,
      b: 5,
      c: -3,
      d: 1.5,
      e: true,
      f: true,
      g: "hi",
      p: [
        { id: 1, h: 0.25 },
        { id: 2, h: -8 },
      ],
      q: 0.5,
      big: 2n ** 63n + 5n,
      signed: -(2n ** 62n),
    };
    const bytes = reencoder.encode("all", fields, {}).slice();
    // 8 + 16 + 3 + 5 + 32 + 1 + 8 + (16 + 16) + 2 × 72 + 6 + 64 + 64 = 383 bits → 48 bytes
    expect(bytes.length).toBe(48);
    const back = reencoder.decode("all", bytes, {});
    expect(back).toMatchObject({ kind: 4, a: -300, b: 5, c: -3, d: 1.5, e: true, f: 1, big: 2n ** 63n + 5n, signed: -(2n ** 62n), p: fields.p });
    // The frame header stays in front of the delta header and is never quantized.
    const variant = { delta: { baselineReferenceBits: 8 }, quantize: new Map([["kind", { min: 0, step: 1, bits: 1 }]]) };
    const deltaBytes = reencoder.encode("all", fields, variant, fields).slice();
    expect(deltaBytes.length).toBe(Math.ceil((8 + 1 + 8 + 1) / 8));
    expect(reencoder.decode("all", deltaBytes, variant, back)).toMatchObject({ kind: 4, a: -300 });
    expect(() => reencoder.encode("all", { ...fields, p: [fields.p[0]!] }, {})).toThrow(/fixed/);
    expect(() => reencoder.encode("all", { ...fields, big: 1.5 }, {})).toThrow(/expected an integer/);
    expect(() => reencoder.encode("all", { ...fields, big: -1n }, {})).toThrow(/does not fit uint64/);
  });

  it("lists message types it cannot express, with the reason", () => {
    const definition: ProtocolDefinitionLike = {
      types: {},
      messages: [
        { name: "v", fields: [{ name: "n", type: "varint" }] },
        { name: "w", fields: [{ name: "n", type: "u8", when: { field: "x", equals: 1 } }] },
        { name: "r", fields: [{ name: "n", type: "ref", ref: "missing" }] },
        { name: "l", fields: [{ name: "n", type: "bytes", length: "rest" }] },
        { name: "c", fields: [{ name: "n", type: "array", count: { field: "k" }, of: { type: "u8" } }] },
        { name: "o", fields: [{ name: "n", type: "array", count: 2 }] },
        { name: "u", fields: [{ name: "n", type: "uint" }] },
        { name: "x", fields: [{ type: "u8" }] },
        { name: "ok", fields: [{ name: "s", type: "struct", fields: [{ name: "t", type: "u8" }] }] },
      ],
    };
    const { layouts, unsupported } = layoutsFromDefinition(definition);
    expect(layouts.map((layout) => layout.type)).toEqual(["ok"]);
    expect(unsupported.map((entry) => entry.type)).toEqual(["c", "l", "o", "r", "u", "v", "w", "x"]);
    expect(unsupported.find((entry) => entry.type === "v")!.reason).toBe("field type varint");
    const broken = layoutsFromDefinition({ body: { frameHeader: [{ name: "t", type: "varint" }] }, messages: [{ name: "a" }] });
    expect(broken).toEqual({ layouts: [], unsupported: [{ type: "a", reason: "frame header: field type varint" }] });
  });
});
