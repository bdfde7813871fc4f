import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GameMessage } from "../game-message.js";
import { decodeAll, loadExample } from "../test-support/protocols.js";
import { BitReader, compileProtocol, type ProtocolDefinition } from "./index.js";

/** Bit-by-bit reference: MSB-first unsigned read of `bits` at bit `position`. */
function referenceUint(buffer: Uint8Array, position: number, bits: number): number {
  let value = 0;
  for (let index = 0; index < bits; index++) value = value * 2 + ((buffer[(position + index) >>> 3] >>> (7 - ((position + index) & 7))) & 1);
  return value;
}

/** Roles with key order made visible (the compiled builder must keep the interpreter's order). */
function rolesWithKeys(message: GameMessage): unknown {
  return { keys: Object.keys(message.roles), roles: message.roles, entityKeys: message.roles.entities?.map((entity) => Object.keys(entity)) };
}

describe("BitReader.uint fast paths", () => {
  it("equals a bit-by-bit reference at every bit offset for widths 0..53, and throws past the end", () => {
    const buffer = Uint8Array.from({ length: 16 }, (_, index) => (index * 151 + 29) & 0xff);
    const reader = new BitReader();
    for (let bits = 0; bits <= 53; bits++) {
      for (let position = 0; position + bits <= buffer.length * 8; position += bits <= 20 ? 1 : 5) {
        reader.reset(buffer);
        reader.position = position;
        expect(reader.uint(bits, false)).toBe(referenceUint(buffer, position, bits));
        expect(reader.position).toBe(position + bits);
      }
    }
    reader.reset(buffer, 0, 2);
    reader.position = 3;
    expect(() => reader.uint(14, false)).toThrow(/needs 14 bits/);
  });
});

describe("compiled role builder", () => {
  // Entities with roles in a nested struct, a non-entity role, several rotations, an optional (`when`) position
  // and an inputCount array; the header carries sequence/sendTime copied onto every message.
  const definition: ProtocolDefinition = {
    name: "roles",
    header: [
      { name: "sequence", type: "u16", role: "sequence" },
      { name: "sendTimeMs", type: "u32", role: "sendTime", unit: "ms" },
    ],
    body: { repeat: "untilEnd", frameHeader: [{ name: "kind", type: "u8" }], select: { on: "kind", cases: [{ value: 1, message: "state" }] } },
    messages: [
      {
        name: "state",
        fields: [
          { name: "tick", type: "u32", role: "tick" },
          { name: "inputs", type: "array", count: { prefix: "u8" }, maxCount: 8, role: "inputCount", of: { type: "u8" } },
          {
            name: "things",
            type: "array",
            count: { prefix: "u8" },
            maxCount: 32,
            of: {
              type: "struct",
              fields: [
                { name: "flags", type: "u8" },
                { name: "yaw", type: "quantized", min: 0, max: 6.25, bits: 10, role: "rotation" },
                { name: "id", type: "uint", bits: 13, role: "entityId" },
                { name: "where", type: "struct", fields: [{ name: "x", type: "quantized", min: -100, max: 100, bits: 17, role: "position.x" }, { name: "z", type: "int", bits: 9, role: "position.z" }] },
                { name: "speed", type: "quantized", min: -8, max: 8, bits: 11, role: "velocity.y", when: { field: "flags", bitsSet: 1 } },
                { name: "pitch", type: "quantized", min: -2, max: 2, bits: 7, role: "rotation", when: { field: "flags", bitsSet: 2 } },
                { name: "owner", type: "u16", role: "playerId" },
              ],
            },
          },
        ],
      },
    ],
  };

  it("gives the interpreter's roles, values and key order on random datagrams (property)", () => {
    const compiled = compileProtocol(definition);
    const interpreted = compileProtocol(definition, { mode: "interpreted" });
    const thing = fc.record({
      flags: fc.integer({ min: 0, max: 3 }),
      yaw: fc.double({ min: 0, max: 6.25, noNaN: true }),
      id: fc.integer({ min: 0, max: 8191 }),
      where: fc.record({ x: fc.double({ min: -100, max: 100, noNaN: true }), z: fc.integer({ min: -256, max: 255 }) }),
      speed: fc.double({ min: -8, max: 8, noNaN: true }),
      pitch: fc.double({ min: -2, max: 2, noNaN: true }),
      owner: fc.integer({ min: 0, max: 65535 }),
    });
    const state = fc.record({ tick: fc.nat(), inputs: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 }), things: fc.array(thing, { maxLength: 12 }) });
    fc.assert(
      fc.property(fc.array(state, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 4 }), (states, sequence, cut) => {
        const bytes = compiled.encodeDatagram(
          states.map((fields) => ({ type: "state", fields })),
          { header: { sequence, sendTimeMs: sequence * 3 } },
        );
        const payload = bytes.slice(0, bytes.length - cut);
        const fast = decodeAll(compiled, payload);
        const slow = decodeAll(interpreted, payload);
        expect(fast.anomalies).toEqual(slow.anomalies);
        expect(fast.messages.map(rolesWithKeys)).toEqual(slow.messages.map(rolesWithKeys));
        expect(fast.messages).toEqual(slow.messages);
        // Struct records keep wire order; a `when` field that is absent is no key at all (not an undefined one).
        const thingKeys = (messages: GameMessage[]): string[][][] => messages.map((message) => (message.fields.things as Record<string, unknown>[]).map((item) => Object.keys(item)));
        expect(thingKeys(fast.messages)).toEqual(thingKeys(slow.messages));
        if (cut === 0) {
          const expectedKeys = states.map((item) =>
            item.things.map((value) => ["flags", "yaw", "id", "where", ...(value.flags & 1 ? ["speed"] : []), ...(value.flags & 2 ? ["pitch"] : []), "owner"]),
          );
          expect(thingKeys(fast.messages)).toEqual(expectedKeys);
          const entities = fast.messages[0].roles.entities!;
          expect(entities.map((entity) => entity.entityId)).toEqual(states[0].things.map((item) => item.id));
          expect(fast.messages[0].roles.inputCount).toBe(states[0].inputs.length);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("decodes arena snapshots with unaligned entities identically in both modes", () => {
    const compiled = compileProtocol(loadExample("arena"));
    const interpreted = compileProtocol(loadExample("arena"), { mode: "interpreted" });
    const entities = Array.from({ length: 16 }, (_, index) => ({
      entityId: index * 1000 + 7,
      x: index * 100 - 1000,
      y: 3.5,
      z: -index * 50,
      yaw: index * 0.3,
      velocityX: index - 8,
      velocityY: 0,
      velocityZ: 8 - index,
      health: 100,
    }));
    const bytes = compiled.encodeDatagram([{ type: "snapshot", fields: { tick: 9, lastProcessedInputSequence: 4, entities } }], { header: { sequence: 1, ack: 0, ackBits: 0, sendTimeUs: 5 } });
    const fast = decodeAll(compiled, bytes);
    expect(fast.messages.map(rolesWithKeys)).toEqual(decodeAll(interpreted, bytes).messages.map(rolesWithKeys));
    const roles = fast.messages[0].roles.entities!;
    expect(roles.map((entity) => entity.entityId)).toEqual(entities.map((entity) => entity.entityId));
    expect(roles[15].position!.x).toBeCloseTo(500, 1);
    expect(roles[15].velocity!.z).toBeCloseTo(-7, 1);
  });

  it("takes the datagram header's roles into every message, the message's own role overriding, in both modes", () => {
    const overriding: ProtocolDefinition = {
      name: "override",
      header: [
        { name: "sequence", type: "u16", role: "sequence" },
        { name: "tick", type: "u16", role: "tick" },
      ],
      body: { repeat: "untilEnd", frameHeader: [{ name: "kind", type: "u8" }], select: { on: "kind", cases: [{ value: 1, message: "plain" }, { value: 2, message: "own" }] } },
      messages: [
        { name: "plain", fields: [{ name: "value", type: "u8" }] },
        { name: "own", fields: [{ name: "ownSequence", type: "u32", role: "sequence" }] },
      ],
    };
    for (const mode of ["compiled", "interpreted"] as const) {
      const protocol = compileProtocol(overriding, { mode });
      const bytes = protocol.encodeDatagram(
        [
          { type: "plain", fields: { value: 1 } },
          { type: "own", fields: { ownSequence: 70000 } },
          { type: "plain", fields: { value: 2 } },
        ],
        { header: { sequence: 5, tick: 9 } },
      );
      const { messages, anomalies } = decodeAll(protocol, bytes);
      expect(anomalies).toEqual([]);
      expect(messages.map((message) => [message.roles.sequence, message.roles.sequenceBits, message.roles.tick])).toEqual([
        [5, 16, 9],
        [70000, 32, 9],
        [5, 16, 9],
      ]);
      // Each message has its own roles object.
      expect(messages[0].roles).not.toBe(messages[2].roles);
    }
  });

  it("resolves a header switch per datagram when its value alternates (the last-value cache never answers for another value)", () => {
    for (const mode of ["compiled", "interpreted"] as const) {
      const firefall = compileProtocol(loadExample("firefall"), { mode });
      const handshake = Uint8Array.from([0, 0, 0, 0, ...Buffer.from("POKE"), 1, 2, 3]);
      // socket id 7, one unreliable GSS packet: channel 3, length 6 (header included), sequence 9, two body bytes
      const game = (socketId: number): Uint8Array => Uint8Array.from([0, 0, 0, socketId, 0xc0, 6, 0, 9, 0xaa, 0xbb]);
      const sequence = [handshake, game(7), game(7), handshake, game(8), handshake, handshake, game(7)];
      const types = sequence.map((payload) => {
        const { messages, anomalies } = decodeAll(firefall, payload);
        expect(anomalies).toEqual([]);
        return messages.map((message) => message.type).join(",");
      });
      expect(types).toEqual(["handshake", "unreliableGss", "unreliableGss", "handshake", "unreliableGss", "handshake", "handshake", "unreliableGss"]);
    }
  });
});

