import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LayoutReencoder, type WireType } from "./layout-reencoder.js";
import { detectQuaternions, smallestThreeCode, smallestThreeComponents } from "./smallest-three.js";
import type { RetainedMessage } from "./trace.js";

const spec = { fields: ["x", "y", "z", "w"] as const, bits: 12 };

describe("smallest three", () => {
  it("rebuilds any unit quaternion (up to sign) within the component step", () => {
    fc.assert(
      fc.property(fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true })), (raw) => {
        const norm = Math.hypot(...raw);
        fc.pre(norm > 0.1);
        const q = raw.map((value) => value / norm);
        const code = smallestThreeCode(q, spec);
        const back = smallestThreeComponents(code, spec);
        const sign = q[code[0]]! < 0 ? -1 : 1;
        const step = (2 * Math.SQRT1_2) / 4095;
        for (let index = 0; index < 4; index++) expect(Math.abs(back[index]! - sign * q[index]!)).toBeLessThanOrEqual(3 * step);
      }),
      { numRuns: 300 },
    );
  });

  const float = { kind: "float32" } as WireType;
  const layout = new LayoutReencoder([
    {
      type: "body",
      typeId: 1,
      typeIdBits: 8,
      fields: [
        { name: "rotation", type: { kind: "struct", fields: ["x", "y", "z", "w"].map((name) => ({ name, type: float })) } },
        { name: "notUnit", type: { kind: "struct", fields: ["a", "b", "c", "d"].map((name) => ({ name, type: float })) } },
        { name: "three", type: { kind: "struct", fields: ["a", "b", "c"].map((name) => ({ name, type: float })) } },
      ],
    },
  ]);

  function message(angle: number): RetainedMessage {
    return {
      sessionId: "s",
      direction: "serverToClient",
      tUs: 0,
      packetIndex: 0,
      type: "body",
      byteLength: 45,
      fields: {
        rotation: { x: Math.fround(Math.sin(angle / 2)), y: 0, z: 0, w: Math.fround(Math.cos(angle / 2)) },
        notUnit: { a: 1, b: 1, c: 1, d: 1 },
        three: { a: 0, b: 0, c: 1 },
      },
      roles: {},
    };
  }

  it("finds unit-quaternion structs, measures the error, and re-encodes / decodes them", () => {
    const messages = [0.1, 1, 2, 3, 4].map(message);
    const plan = detectQuaternions(messages, layout, new Map([["rotation", 0.001]]), 0.01);
    expect([...plan.specs.entries()]).toEqual([["rotation", { fields: ["x", "y", "z", "w"], bits: 12 }]]);
    expect(plan.maxError).toBeGreaterThan(0);
    expect(plan.maxError).toBeLessThanOrEqual(0.001);
    const variant = { smallestThree: plan.specs, delta: { baselineReferenceBits: 0 } };
    const bytes = layout.encode("body", messages[1]!.fields, variant).slice();
    // 8 + 1 (no baseline) + (2 + 3 × 12) + 4 × 32 + 3 × 32 = 271 bits
    expect(bytes.length).toBe(Math.ceil(271 / 8));
    const back = layout.decode("body", bytes, variant);
    const rotation = back.rotation as Record<string, number>;
    expect(Math.abs(rotation.x! - Math.sin(0.5))).toBeLessThanOrEqual(0.001);
    // Unchanged quaternion against a baseline: one bit; whole message unchanged: one bit.
    const same = layout.encode("body", messages[1]!.fields, variant, messages[1]!.fields).slice();
    expect(same.length).toBe(Math.ceil((8 + 1 + 1) / 8));
    const changed = layout.encode("body", { ...messages[1]!.fields, three: { a: 1, b: 0, c: 0 } }, variant, messages[1]!.fields).slice();
    expect(layout.decode("body", changed, variant, back)).toMatchObject({ rotation: back.rotation, three: { a: 1, b: 0, c: 0 } });
    const rotated = layout.encode("body", messages[2]!.fields, variant, messages[1]!.fields).slice();
    expect((layout.decode("body", rotated, variant, back).rotation as Record<string, number>).w).toBeCloseTo(Math.cos(1), 3);
    expect(detectQuaternions([{ ...messages[0]!, type: "unknown" }], layout, new Map(), 0.01).specs.size).toBe(0);
  });
});
