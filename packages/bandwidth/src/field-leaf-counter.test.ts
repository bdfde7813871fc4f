import { describe, expect, it } from "vitest";
import type { FieldRecord } from "@tickscope/core";
import { compileProtocol } from "@tickscope/core/protocol";
import { FieldArena } from "./field-arena.js";
import { countLeafValues, FieldLeafCounter } from "./field-leaf-counter.js";
import type { ProtocolDefinitionLike } from "./definition-layouts.js";

const definition = {
  name: "leaves",
  types: {
    point: { type: "struct", fields: [{ name: "x", type: "u8" }, { name: "y", type: "u8" }] },
    points: { type: "array", count: { prefix: "u8" }, of: { type: "ref", ref: "point" } },
    coordinate: { type: "u16" },
  },
  messages: [
    {
      name: "m",
      fields: [
        { name: "flat", type: "array", count: { prefix: "u8" }, of: { type: "struct", fields: [{ name: "a", type: "u8" }, { name: "b", type: "ref", ref: "coordinate" }, { name: "c", type: "bool" }] } },
        { name: "byRef", type: "ref", ref: "points" },
        { name: "nested", type: "array", count: { prefix: "u8" }, of: { type: "struct", fields: [{ name: "inner", type: "ref", ref: "point" }] } },
        { name: "conditional", type: "array", count: { prefix: "u8" }, of: { type: "struct", fields: [{ name: "a", type: "u8" }, { name: "b", type: "u8", when: { field: "a", equals: 1 } }] } },
        { name: "scalars", type: "array", count: { prefix: "u8" }, of: { type: "u8" } },
        { name: "unknownRef", type: "ref", ref: "missing" },
        { name: "tag", type: "u8" },
      ],
    },
    { name: "plain", fields: [{ name: "value", type: "u8" }] },
  ],
} as unknown as ProtocolDefinitionLike;

describe("FieldLeafCounter", () => {
  const counter = new FieldLeafCounter(definition);

  it("counts a flat-struct array's leaves from its element count, its entity roles or its records", () => {
    const records = { flat: [{ a: 1, b: 2, c: true }, { a: 3, b: 4, c: false }], tag: 1 } as unknown as FieldRecord;
    expect(countLeafValues(records)).toBe(7);
    expect(counter.count("m", records)).toBe(7);
    expect(counter.count("m", { flat: 2, tag: 1 } as FieldRecord)).toBe(7);
    expect(counter.count("m", { flat: [{ entityId: 1, position: { x: 1, y: 2, z: 3 } }, { entityId: 2 }], tag: 1 } as unknown as FieldRecord)).toBe(7);
    // through a ref to an array of a ref'd struct
    expect(counter.count("m", { byRef: 3 } as FieldRecord)).toBe(6);
  });

  it("counts every other field as it is", () => {
    const nested = { nested: [{ inner: { x: 1, y: 2 } }], conditional: [{ a: 0 }, { a: 1, b: 2 }], scalars: [1, 2, 3], unknownRef: new Uint8Array(4), tag: null } as unknown as FieldRecord;
    expect(counter.count("m", nested)).toBe(2 + 3 + 3 + 1 + 1);
    expect(counter.count("plain", { value: 9 } as FieldRecord)).toBe(1);
    expect(counter.count("unknown", { a: [1, { b: "x", c: 10n }] } as unknown as FieldRecord)).toBe(3);
    // a value a flat array never has (not a count, not a list) is counted as it is
    expect(counter.count("m", { flat: "x" } as unknown as FieldRecord)).toBe(1);
  });

  it("equals the field arena's count of the complete decode for roles-only decodes of the arena protocol's messages", async () => {
    const { arenaDefinition, generateArenaMatch } = await import("./test-support/index.js");
    const arena = arenaDefinition();
    const match = generateArenaMatch({ players: 4, seconds: 2 });
    const rolesOnly = compileProtocol(arena, { fields: "roles" });
    const full = compileProtocol(arena);
    const arenaCounter = new FieldLeafCounter(arena as unknown as ProtocolDefinitionLike);
    const store = new FieldArena();
    let compared = 0;
    for (const event of match.events) {
      const payload = event.kind === "packet" ? event.packet.payload : undefined;
      if (payload === undefined) continue;
      const complete = full.decodeDatagramFields(payload).messages;
      const roles = rolesOnly.decodeDatagramFields(payload).messages;
      expect(roles.length).toBe(complete.length);
      for (let index = 0; index < complete.length; index++) {
        expect(arenaCounter.count(roles[index]!.type, roles[index]!.fields)).toBe(store.write(complete[index]!.fields));
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });
});
