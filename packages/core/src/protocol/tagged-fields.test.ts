import { describe, expect, it } from "vitest";
import { compileProtocol } from "./compile-protocol.js";
import { preferTaggedFields } from "./tagged-fields.js";

describe("preferTaggedFields", () => {
  it("is idempotent and accepts any names, the empty list included", () => {
    expect(() => preferTaggedFields([])).not.toThrow();
    expect(() => preferTaggedFields(["a", "b\"c", "d\\e", "f\u2028g"])).not.toThrow();
    expect(() => preferTaggedFields(["a", "b\"c", "d\\e", "f\u2028g"])).not.toThrow();
  });

  it("leaves the values and property order of objects of that shape alone", () => {
    preferTaggedFields(["x", "y", "z"]);
    const vector = { x: 0.1, y: -2.5, z: 3 };
    vector.x += 1;
    expect(vector).toEqual({ x: 1.1, y: -2.5, z: 3 });
    expect(Object.keys(vector)).toEqual(["x", "y", "z"]);
  });

  it("decoded entity records and their roles carry the same values as before", () => {
    const protocol = compileProtocol({
      name: "tagged",
      version: "1",
      byteOrder: "big",
      header: [],
      body: { repeat: "untilEnd", frameHeader: [{ name: "type", type: "u8" }], select: { on: "type", cases: [{ value: 1, message: "snapshot" }] } },
      types: {
        entity: {
          type: "struct",
          fields: [
            { name: "entityId", type: "u16", role: "entityId" },
            { name: "x", type: "quantized", min: -10, max: 10, bits: 12, role: "position.x" },
            { name: "y", type: "quantized", min: -10, max: 10, bits: 12, role: "position.y" },
            { name: "z", type: "quantized", min: -10, max: 10, bits: 8, role: "position.z" },
            { name: "yaw", type: "quantized", min: 0, max: 6.283185307179586, bits: 8, role: "rotation" },
          ],
        },
      },
      messages: [{ name: "snapshot", fields: [{ name: "entities", type: "array", count: { prefix: "u8" }, maxCount: 8, of: { type: "ref", ref: "entity" } }] }],
    });
    const bytes = Uint8Array.of(1, 2, 0, 7, 0x80, 0x0f, 0xff, 0x40, 0x20, 0, 9, 0xff, 0xf0, 0x00, 0x00, 0xff);
    const decoded = protocol.decodeDatagramFields(bytes);
    expect(decoded.anomalies).toEqual([]);
    const records = decoded.messages[0].fields.entities as { x: number; y: number; z: number; yaw: number }[];
    const entities = decoded.messages[0].roles.entities!;
    expect(entities).toHaveLength(2);
    records.forEach((record, index) => {
      expect(entities[index].position).toEqual({ x: record.x, y: record.y, z: record.z });
      expect(entities[index].rotation).toBe(record.yaw);
    });
    expect(records[1].x).toBe(10);
    expect(records[1].y).toBe(-10);
  });
});
