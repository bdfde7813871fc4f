import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GameMessage } from "../game-message.js";
import { datagramVariants, decodeAll } from "../test-support/protocols.js";
import { decoderSource } from "./codegen.js";
import { compileProtocol, type ProtocolDefinition } from "./index.js";

/**
 * The generated decoder's direct paths: counted arrays of fixed-layout structs
 * (every field an unsigned big-endian integer, quantized value or bool of 1–25
 * bits) read each element from its start position, byte-aligned u8/u16 count
 * and length prefixes and 40/48-bit integers are read inline, and min/max
 * constraints are compared inline. Each must give exactly what the interpreter
 * gives: values, key order, anomalies (codes, field paths, details), also when a
 * window would reach past the buffer (the field-by-field code then runs) and on
 * truncated or corrupted datagrams.
 */
const definition: ProtocolDefinition = {
  name: "fixedLayout",
  header: [
    { name: "sequence", type: "u16", role: "sequence" },
    { name: "clockUs", type: "uint", bits: 48, role: "sendTime", unit: "us" },
    { name: "epoch", type: "uint", bits: 40 },
  ],
  body: { repeat: "untilEnd", frameHeader: [{ name: "kind", type: "u8" }], select: { on: "kind", cases: [{ value: 1, message: "state" }, { value: 2, message: "note" }] } },
  messages: [
    {
      name: "state",
      fields: [
        { name: "tick", type: "u32", role: "tick" },
        {
          name: "things",
          type: "array",
          count: { prefix: "u16" },
          maxCount: 64,
          of: {
            type: "struct",
            fields: [
              { name: "id", type: "uint", bits: 13, role: "entityId" },
              { name: "x", type: "quantized", min: -100, max: 100, bits: 17, role: "position.x" },
              { name: "alive", type: "bool", bits: 1 },
              { name: "yaw", type: "quantized", min: 0, max: 6.25, bits: 10, role: "rotation" },
              { name: "health", type: "u8", min: 5, max: 100 },
              { name: "speed", type: "quantized", min: -8, max: 8, bits: 25, role: "velocity.y" },
            ],
          },
        },
      ],
    },
    { name: "note", fields: [{ name: "text", type: "string", encoding: "utf8", length: { prefix: "u8" }, maxLength: 40 }, { name: "blob", type: "bytes", length: { prefix: "u16" } }] },
  ],
};

/** Roles and fields with key order made visible. */
function withKeys(message: GameMessage): unknown {
  const things = message.fields.things as Record<string, unknown>[] | undefined;
  return { keys: Object.keys(message.roles), roles: message.roles, fieldKeys: Object.keys(message.fields), thingKeys: things?.map((item) => Object.keys(item)), fields: message.fields };
}

describe("fixed-layout decode paths", () => {
  const compiled = compileProtocol(definition);
  const interpreted = compileProtocol(definition, { mode: "interpreted" });

  it("generates the direct paths for this definition", () => {
    const state = (compiled as unknown as { plan: { messages: { name: string; fields: Parameters<typeof decoderSource>[0] }[] } }).plan.messages.find((message) => message.name === "state")!;
    const source = decoderSource(state.fields, 1).source;
    // The 48- and 40-bit header integers: high bytes × 2^32 + the low word when aligned.
    const header = (compiled as unknown as { plan: { header: Parameters<typeof decoderSource>[0] } }).plan.header;
    expect(decoderSource(header, 0).source.match(/\* 4294967296 \+/g)).toHaveLength(2);
    // The element record is built whole from values read at fixed offsets, with a field-by-field fallback.
    expect(source).toMatch(/const o2 = \{"id": v\d+, "x": v\d+, "alive": v\d+, "yaw": v\d+, "health": v\d+, "speed": v\d+\}/);
    expect(source).toMatch(/\+ 3 < b\.length\) \{/);
    expect(source).toMatch(/if \(v\d+ < \(5\) \|\| v\d+ > \(100\)\) H\.checkConstraint/);
    // The u16 count prefix straight from the buffer when aligned; the array's fit compared inline.
    expect(source).toMatch(/let n\d+; if \(\(r\.position & 7\) === 0 && r\.end - r\.position >= 16\)/);
    expect(source).toMatch(/if \(n\d+ \* 74 > r\.end - r\.position\) H\.checkFits/);
  });

  it("decodes random datagrams, every truncation and corrupted bytes exactly like the interpreter (property)", () => {
    const thing = fc.record({
      id: fc.integer({ min: 0, max: 8191 }),
      x: fc.double({ min: -100, max: 100, noNaN: true }),
      alive: fc.boolean(),
      yaw: fc.double({ min: 0, max: 6.25, noNaN: true }),
      // 0..255: below min, in range and above max all occur (constraint anomalies, in field order)
      health: fc.integer({ min: 0, max: 255 }),
      speed: fc.double({ min: -8, max: 8, noNaN: true }),
    });
    const state = fc.record({ type: fc.constant("state"), fields: fc.record({ tick: fc.nat(), things: fc.array(thing, { maxLength: 20 }) }) });
    const note = fc.record({ type: fc.constant("note"), fields: fc.record({ text: fc.string({ maxLength: 12 }), blob: fc.uint8Array({ maxLength: 9 }) }) });
    fc.assert(
      fc.property(
        fc.array(fc.oneof(state, note), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        fc.integer({ min: 0, max: 2 ** 40 - 1 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        (messages, sequence, clockUs, epoch, corruptions) => {
          const bytes = compiled.encodeDatagram(messages, { header: { sequence, clockUs, epoch } });
          const whole = decodeAll(compiled, bytes);
          expect(whole.messages.length).toBe(messages.length);
          expect(whole.messages[0]!.roles.sendTimeUs).toBe(clockUs);
          for (const payload of datagramVariants(bytes, corruptions)) {
            const fast = decodeAll(compiled, payload);
            const slow = decodeAll(interpreted, payload);
            expect(fast.anomalies).toEqual(slow.anomalies);
            expect(fast.messages.map(withKeys)).toEqual(slow.messages.map(withKeys));
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it("reports constraint violations of fixed-layout elements with the interpreter's paths and order", () => {
    const things = [
      { id: 1, x: 0, alive: true, yaw: 1, health: 4, speed: 0 },
      { id: 2, x: 0, alive: false, yaw: 1, health: 50, speed: 0 },
      { id: 3, x: 0, alive: true, yaw: 1, health: 101, speed: 0 },
    ];
    const bytes = compiled.encodeDatagram([{ type: "state", fields: { tick: 1, things } }], { header: { sequence: 1, clockUs: 2, epoch: 3 } });
    const fast = decodeAll(compiled, bytes);
    expect(fast.anomalies.map((anomaly) => [anomaly.code, anomaly.fieldPath, anomaly.detail])).toEqual([
      ["E_VALUE_OUT_OF_RANGE", "state.things[].health", "4 < min 5"],
      ["E_VALUE_OUT_OF_RANGE", "state.things[].health", "101 > max 100"],
    ]);
    expect(fast.anomalies).toEqual(decodeAll(interpreted, bytes).anomalies);
    expect((fast.messages[0]!.fields.things as { health: number }[]).map((item) => item.health)).toEqual([4, 50, 101]);
  });

  it("a counted array of structs that may be empty (a rest-of-frame bytes field) is generated, not left to the interpreter", () => {
    // Such a struct has no fixed layout (0 bits) and a 0-bit minimum: the two must not be taken for a match.
    const mayBeEmpty: ProtocolDefinition = {
      name: "mayBeEmpty",
      header: [],
      body: { repeat: "once", frameHeader: [{ name: "kind", type: "u8" }], select: { on: "kind", cases: [{ value: 2, message: "blob" }] } },
      types: { chunk: { type: "struct", fields: [{ name: "data", type: "bytes", length: "rest", maxLength: 6 }] } },
      messages: [{ name: "blob", fields: [{ name: "chunks", type: "array", count: 1, of: { type: "ref", ref: "chunk" } }] }],
    } as ProtocolDefinition;
    const compiled = compileProtocol(mayBeEmpty);
    expect(compiled.mode).toBe("compiled");
    const bytes = Uint8Array.of(2, 9, 8, 7);
    const fast = decodeAll(compiled, bytes);
    expect(fast).toEqual(decodeAll(compileProtocol(mayBeEmpty, { mode: "interpreted" }), bytes));
    expect(fast.messages[0]!.fields.chunks).toEqual([{ data: Uint8Array.of(9, 8, 7) }]);
  });
});
